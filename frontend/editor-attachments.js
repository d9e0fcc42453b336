// Files in the live editor: paste or drop images and files into the text, or pick them with
// the "Attach a file" button. Each goes to the document's attachments API (multipart, the
// session's CSRF token); its Markdown link — ![name](url) for images, [name](url) for the
// rest, as the server writes it — is then inserted where the cursor was when the file came
// in, as an ordinary edit: it reaches everyone through the OT client, and while suggesting
// it becomes a suggestion like anything typed. Edits made meanwhile (by anyone) move that
// place along, as they move the text around it.
//
// installEditorAttachments(view, uploadUrl, {bar}) wires it up; `bar` is the panel of
// templates/collaboration/attachments/_editor_panel.html (button, file input, status).
// Everything that does not touch the DOM is exported for frontend/tests/.

import { StateEffect } from "@codemirror/state";
import { EditorView } from "@codemirror/view";

import { ApiError, apiErrorMessage, csrfFromCookie } from "./json-api.js";

const FALLBACKS = {
  401: "Your session has ended: sign in again to attach files.",
  403: "You may not attach files to this document.",
  404: "This document is no longer available.",
  413: "This file is too large.",
  415: "This kind of file cannot be attached.",
  429: "Too many uploads at once. Wait a moment and try again.",
};

/** Files in a paste, unless it also carries text: copying spreadsheet cells gives both the
 * text and a picture of them, and the person meant the text. */
export function pastedFiles(clipboardData) {
  if (!clipboardData) return [];
  const text = clipboardData.getData?.("text/plain") ?? "";
  if (text.trim()) return [];
  return [...(clipboardData.files ?? [])];
}

/** Files in a drop (text dragged within the editor has none). */
export function droppedFiles(dataTransfer) {
  return [...(dataTransfer?.files ?? [])];
}

/** Whether a drag carries files (while dragging, only the types can be read). */
export function dragHasFiles(dataTransfer) {
  return [...(dataTransfer?.types ?? [])].includes("Files");
}

function sizeText(bytes) {
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB`;
}

/** A refusal decided before uploading (empty, over the limit), or null. */
export function precheck(file, maxBytes) {
  if (file.size === 0) return `“${file.name}” is empty (0 bytes): nothing to attach.`;
  if (Number.isFinite(maxBytes) && file.size > maxBytes) {
    return `“${file.name}” is ${sizeText(file.size)}; files may be at most ${sizeText(maxBytes)}.`;
  }
  return null;
}

/** What a failed upload tells the person: which file, and the server's sentence. */
export function uploadErrorText(fileName, status, body) {
  return `“${fileName}” was not attached: ${apiErrorMessage(status, body, FALLBACKS)}`;
}

/** How many line breaks to add on one side of a block so that a blank line separates it
 * from the text there: `side` is the (up to) two characters on that side, nearest first;
 * none at the start or end of the text. */
export function breaksNeeded(side) {
  const present = side.startsWith("\n\n") ? 2 : side.startsWith("\n") ? 1 : 0;
  if (present === side.length) return 0; // only line breaks up to the edge of the text
  return 2 - present;
}

/**
 * The text to insert between `before` and `after` (the two characters on each side,
 * nearest first; fewer at the ends): the links one per line. Images, and several files,
 * become a paragraph of their own, as a figure would; one plain link goes inline, where
 * the cursor is.
 */
export function insertionText(attachments, before, after) {
  const links = attachments.map((attachment) => attachment.markdown);
  if (!links.length) return "";
  const block = links.length > 1 || attachments.some((a) => a.kind === "image");
  if (!block) return links[0];
  return "\n".repeat(breaksNeeded(before)) + links.join("\n") + "\n".repeat(breaksNeeded(after));
}

/** Places in the text waiting for their upload, moved along by every change meanwhile. */
export class PendingPlaces {
  constructor() {
    this.places = new Map();
    this.next = 1;
  }

  add(pos) {
    const token = this.next++;
    this.places.set(token, pos);
    return token;
  }

  /** `changes`: anything with CodeMirror's mapPos (a ChangeSet). Text typed exactly at a
   * waiting place goes before the link: the link lands after what was typed there. */
  map(changes) {
    for (const [token, pos] of this.places) this.places.set(token, changes.mapPos(pos, 1));
  }

  take(token) {
    const pos = this.places.get(token);
    this.places.delete(token);
    return pos;
  }
}

/** Uploads one file; the attachment (JSON) or an ApiError whose message names the file. */
export async function uploadFile({ url, file, fetch = (...args) => globalThis.fetch(...args) }) {
  const body = new FormData();
  body.append("file", file, file.name);
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRFToken": csrfFromCookie() ?? "" },
      credentials: "same-origin",
      body,
    });
  } catch {
    throw new ApiError(
      `“${file.name}” was not attached: the server cannot be reached. Check your connection and try again.`,
      0,
      "network",
    );
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new ApiError(
      uploadErrorText(file.name, response.status, data),
      response.status,
      data?.error?.code ?? null,
    );
  }
  return data;
}

/**
 * Wires uploads into `view`: paste and drop handlers (added to the view's configuration),
 * and the bar's button. Answers {attach(files, pos)} for other callers.
 */
export function installEditorAttachments(
  view,
  uploadUrl,
  { bar = null, maxBytes = Number(bar?.dataset?.maxBytes) || Infinity, fetch } = {},
) {
  const pending = new PendingPlaces();
  const status = bar?.querySelector(".attachment-status") ?? null;
  const host = view.dom.parentElement;

  function say(text, isError = false) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("is-error", isError);
  }

  function insertAt(token, attachments) {
    const at = pending.take(token);
    if (!attachments.length) return;
    if (view.state.readOnly) {
      say("The files were attached, but the text is read-only now: copy their links from the document's attachments list.", true);
      return;
    }
    const { doc } = view.state;
    const pos = Math.min(at, doc.length);
    const before = [...doc.sliceString(Math.max(0, pos - 2), pos)].reverse().join("");
    const text = insertionText(attachments, before, doc.sliceString(pos, pos + 2));
    const cursorWasThere = view.state.selection.main.empty && view.state.selection.main.head === pos;
    view.dispatch({
      changes: { from: pos, insert: text },
      ...(cursorWasThere ? { selection: { anchor: pos + text.length } } : {}),
      userEvent: "input.paste",
      scrollIntoView: cursorWasThere,
    });
  }

  async function attach(files, pos) {
    if (!files.length) return;
    if (view.state.readOnly) {
      say("The text is read-only now, so files cannot be added to it.", true);
      return;
    }
    const token = pending.add(pos);
    const done = [];
    const problems = [];
    for (const [index, file] of files.entries()) {
      const refusal = precheck(file, maxBytes);
      if (refusal) {
        problems.push(refusal);
        continue;
      }
      say(files.length > 1 ? `Uploading “${file.name}” (${index + 1} of ${files.length})…` : `Uploading “${file.name}”…`);
      try {
        done.push(await uploadFile({ url: uploadUrl, file, fetch }));
      } catch (error) {
        problems.push(error instanceof ApiError ? error.message : `“${file.name}” was not attached.`);
      }
    }
    insertAt(token, done);
    if (problems.length) say(problems.join(" "), true);
    else say(done.length === 1 ? `Attached “${done[0].name}”.` : `Attached ${done.length} files.`);
  }

  function dragging(on) {
    host?.classList.toggle("is-dragging", on);
  }

  view.dispatch({
    effects: StateEffect.appendConfig.of([
      EditorView.domEventHandlers({
        paste(event, editor) {
          const files = pastedFiles(event.clipboardData);
          if (!files.length) return false;
          event.preventDefault();
          attach(files, editor.state.selection.main.head);
          return true;
        },
        dragover(event) {
          if (!dragHasFiles(event.dataTransfer)) return false;
          event.preventDefault();
          dragging(true);
          return true;
        },
        dragleave() {
          dragging(false);
          return false;
        },
        drop(event, editor) {
          dragging(false);
          const files = droppedFiles(event.dataTransfer);
          if (!files.length) return false;
          event.preventDefault();
          const at = editor.posAtCoords({ x: event.clientX, y: event.clientY });
          attach(files, at ?? editor.state.selection.main.head);
          return true;
        },
      }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) pending.map(update.changes);
      }),
    ]),
  });

  if (bar) {
    const input = bar.querySelector("input[type=file]");
    bar.querySelector("button")?.addEventListener("click", () => input?.click());
    input?.addEventListener("change", () => {
      const files = [...input.files];
      input.value = "";
      attach(files, view.state.selection.main.head);
    });
    host?.after(bar);
    bar.hidden = false;
  }
  return { attach };
}
