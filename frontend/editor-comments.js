// Comments in the live editor: passages with open threads highlighted in the text, moving
// with every local and remote change (CodeMirror decorations mapped through each change,
// with the server's rule: text typed at either edge stays outside, text typed inside grows
// it), the thread shown beside the text when its passage is clicked or the cursor enters
// it, and a "Comment" button on any selection (also Ctrl/Cmd+Alt+M) that posts a comment on
// that passage. Threads come from the comments API and stay live through the `comment`
// frames of the document's topic, which the editor's socket carries (resumed after a
// reconnect with `doc_since`).
//
// Positions: the server's anchors are code points in its text at `anchor.revision`; the
// client maps them to its own text (client.localPosition, through the revisions it has seen
// and its unacknowledged edits), and a passage selected here goes back the other way
// (client.serverRange) at the client's revision, which the server moves to its current text.
//
// editorComments() gives the CodeMirror extension (the view needs it when it is created);
// mount() wires it to the client and the panel (#comments-pane, the page's template).

import { StateEffect, StateField } from "@codemirror/state";
import { Decoration, EditorView, WidgetType, keymap, showTooltip } from "@codemirror/view";

import { CommentThreads, threadGroup } from "./comment-threads.js";
import { CommentsApi } from "./comments-api.js";
import { mountCommentsPanel, mountDraftForm } from "./comments-panel.js";
import { cpOffset, offsetOf } from "./cm-sync.js";
import { $, el } from "./dom-helpers.js";

const SETTLE_MS = 3000; // waiting for my unsaved edits before posting a comment
const REFRESH_DELAY_MS = 250;

export const placeMarks = StateEffect.define(); // [{threadId, from, to}] (UTF-16 offsets)
const removeMarks = StateEffect.define(); // [threadId]
const setActive = StateEffect.define(); // threadId | null
const setDraft = StateEffect.define(); // {from, to} | null

function mapRange(changes, from, to) {
  if (from === to) {
    const at = changes.mapPos(from, -1); // a point moves like another person's cursor
    return { from: at, to: at };
  }
  const a = changes.mapPos(from, 1);
  const b = changes.mapPos(to, -1);
  return a < b ? { from: a, to: b } : { from: Math.min(a, b), to: Math.min(a, b), gone: true };
}

class PointWidget extends WidgetType {
  constructor(threadId, active) {
    super();
    this.threadId = threadId;
    this.active = active;
  }

  eq(other) {
    return other.threadId === this.threadId && other.active === this.active;
  }

  toDOM() {
    const node = el("span", `cm-comment-point${this.active ? " cm-comment-active" : ""}`, "💬");
    node.dataset.thread = String(this.threadId);
    node.title = "A comment on this point";
    return node;
  }

  ignoreEvent() {
    return false;
  }
}

/** The comments' state in the editor: marks (thread id -> range), the active one, a draft. */
export const commentsField = StateField.define({
  create: () => ({ marks: new Map(), active: null, draft: null }),
  update(value, tr) {
    let { marks, active, draft } = value;
    if (tr.docChanged) {
      const moved = new Map();
      for (const [id, mark] of marks) {
        if (mark.gone) continue; // its text is gone: the server marks the thread outdated
        const next = mapRange(tr.changes, mark.from, mark.to);
        moved.set(id, { ...next, point: mark.point });
      }
      marks = moved;
      if (draft) draft = mapRange(tr.changes, draft.from, draft.to);
    }
    for (const effect of tr.effects) {
      if (effect.is(placeMarks)) {
        marks = new Map(marks);
        for (const { threadId, from, to } of effect.value) {
          marks.set(threadId, { from, to, point: from === to });
        }
      } else if (effect.is(removeMarks)) {
        marks = new Map(marks);
        for (const id of effect.value) marks.delete(id);
      } else if (effect.is(setActive)) {
        active = effect.value;
      } else if (effect.is(setDraft)) {
        draft = effect.value;
      }
    }
    return marks === value.marks && active === value.active && draft === value.draft
      ? value
      : { marks, active, draft };
  },
  provide: (field) =>
    EditorView.decorations.compute([field], (state) => {
      const { marks, active, draft } = state.field(field);
      const length = state.doc.length;
      const ranges = [];
      for (const [id, mark] of marks) {
        const from = Math.min(mark.from, length);
        const to = Math.min(mark.to, length);
        const activeClass = id === active ? " cm-comment-active" : "";
        if (mark.point && !mark.gone) {
          ranges.push(
            Decoration.widget({ widget: new PointWidget(id, id === active), side: -1 }).range(from),
          );
        } else if (to > from) {
          ranges.push(
            Decoration.mark({
              class: `cm-comment${activeClass}`,
              attributes: { "data-thread": String(id) },
            }).range(from, to),
          );
        }
      }
      if (draft && draft.to > draft.from) {
        ranges.push(
          Decoration.mark({ class: "cm-comment-draft" }).range(
            Math.min(draft.from, length),
            Math.min(draft.to, length),
          ),
        );
      }
      return Decoration.set(ranges, true);
    }),
});

/** The thread whose passage holds `pos` (the shortest when passages overlap), or null. */
function threadAt(state, pos) {
  let best = null;
  for (const [id, mark] of state.field(commentsField).marks) {
    if (mark.gone || pos < mark.from || pos > mark.to) continue;
    if (best === null || mark.to - mark.from < best.size) best = { id, size: mark.to - mark.from };
  }
  return best?.id ?? null;
}

/**
 * The editor extension, created before the view. `mount()` (after the view and the client
 * exist) makes its "Comment" button and shortcut work.
 */
export function editorComments() {
  const hooks = { startDraft: null, canComment: () => false, activate: null };

  const selectionTooltip = StateField.define({
    create: () => null,
    update(_value, tr) {
      const { main } = tr.state.selection;
      if (main.empty || !hooks.canComment() || tr.state.field(commentsField).draft) return null;
      return {
        pos: main.head,
        above: main.head === main.from,
        strictSide: false,
        arrow: false,
        create(view) {
          const dom = el("div", "cm-comment-tooltip");
          const add = el("button", "cm-comment-button", "Comment");
          add.type = "button";
          add.title = "Comment on the selected text (Ctrl+Alt+M)";
          add.addEventListener("mousedown", (event) => event.preventDefault()); // keep it
          add.addEventListener("click", () => hooks.startDraft?.(view));
          dom.append(add);
          return { dom };
        },
      };
    },
    provide: (field) => showTooltip.from(field),
  });

  const extension = [
    commentsField,
    selectionTooltip,
    keymap.of([
      {
        key: "Mod-Alt-m",
        run: (view) => {
          if (!hooks.canComment() || view.state.selection.main.empty) return false;
          hooks.startDraft?.(view);
          return true;
        },
      },
    ]),
    EditorView.domEventHandlers({
      click(event, view) {
        const node = event.target.closest?.("[data-thread]");
        if (node && view.dom.contains(node)) hooks.activate?.(Number(node.dataset.thread));
        return false;
      },
    }),
  ];
  return { extension, hooks };
}

/** Puts the panel beside the text: a "Comments" tab on phones, Chat | Comments on wider screens. */
function placePanel(root, pane) {
  const grid = root.querySelector(".editor-grid");
  if (!grid || !pane) return;
  root.classList.add("has-comments");
  const switcher = $("comments-side-switch");
  if (switcher) grid.append(switcher);
  grid.append(pane);
  const tabs = root.querySelector(".editor-tabs");
  if (tabs && !tabs.querySelector('[data-show="comments"]')) {
    const tab = el("button", "", "Comments ");
    tab.type = "button";
    tab.setAttribute("role", "tab");
    tab.dataset.show = "comments";
    tab.setAttribute("aria-selected", "false");
    tab.append(el("span", "unread", ""));
    tab.querySelector(".unread").id = "comments-unread";
    tabs.append(tab);
  }
}

/**
 * Wires the comments of the editor page: `view` (with the extension from editorComments()),
 * the page's CollabClient, the panel's data (the page's #editor-comments-data block) and
 * #editor-root. Returns {threads, showSide(name)} for the page and its tests.
 */
export function mountEditorComments({ comments, client, view, root, data }) {
  const pane = $("comments-pane");
  if (!pane || !data) return null;
  placePanel(root, pane);
  const threads = new CommentThreads();
  const api = new CommentsApi({
    listUrl: data.listUrl,
    commentUrl: data.commentUrl,
    csrfToken: data.csrfToken,
  });
  const canComment = () => Boolean(data.canComment) && client.status !== "conflict";
  comments.hooks.canComment = canComment;

  // --- which side pane is shown on wide screens, and the unread count ---
  let unread = 0;
  const unreadBadges = () => [$("comments-unread"), $("comments-side-unread")];
  function showSide(side) {
    root.dataset.side = side;
    for (const option of root.querySelectorAll("[data-side-show]")) {
      option.setAttribute("aria-pressed", String(option.dataset.sideShow === side));
    }
    if (side === "comments") clearUnread();
  }
  function clearUnread() {
    unread = 0;
    for (const badge of unreadBadges()) if (badge) badge.textContent = "";
  }
  function panelVisible() {
    const wide = globalThis.matchMedia?.("(min-width: 64rem)").matches;
    return wide ? root.dataset.side === "comments" : root.dataset.view === "comments";
  }
  function bumpUnread() {
    if (panelVisible()) return;
    unread += 1;
    for (const badge of unreadBadges()) if (badge) badge.textContent = String(unread);
  }
  function showPanel() {
    showSide("comments");
    if (root.dataset.view !== "comments" && !globalThis.matchMedia?.("(min-width: 64rem)").matches) {
      root.querySelector('.editor-tabs [data-show="comments"]')?.click();
    }
  }
  let sideChosen = false; // the person picked a side: the page no longer picks for them
  for (const option of root.querySelectorAll("[data-side-show]")) {
    option.addEventListener("click", () => {
      sideChosen = true;
      showSide(option.dataset.sideShow);
    });
  }
  root.querySelector('.editor-tabs [data-show="comments"]')?.addEventListener("click", clearUnread);
  showSide("chat");

  // --- threads in the text -----------------------------------------------------------------
  const parked = new Map(); // thread id -> thread whose anchor is from a revision not here yet
  const lost = new Set(); // threads whose anchor this client cannot map (history too short)

  function placement(thread) {
    const { anchor } = thread;
    const revision = Number.isInteger(anchor.revision) ? anchor.revision : client.revision;
    if (revision > client.revision) return "later";
    const point = anchor.start === anchor.end;
    const start = client.localPosition(anchor.start, revision, !point);
    const end = point ? start : client.localPosition(anchor.end, revision, false);
    if (start === null || end === null) return null;
    const doc = view.state.doc;
    const from = offsetOf(doc, Math.min(start, end));
    return { threadId: thread.id, from, to: point ? from : offsetOf(doc, Math.max(start, end)) };
  }

  /** Highlights the passages of these threads (or takes the highlight away). */
  function place(threadIds) {
    const marks = [];
    const gone = [];
    for (const id of threadIds) {
      const thread = threads.get(id);
      parked.delete(id);
      if (!thread || threadGroup(thread) !== "passage") {
        gone.push(id);
        continue;
      }
      const where = placement(thread);
      if (where === "later") parked.set(id, thread);
      else if (where === null) {
        gone.push(id);
        if (!lost.has(id)) {
          lost.add(id); // read it again: its anchor will be at a revision this client has
          scheduleRefresh([id]);
        }
      } else {
        lost.delete(id);
        marks.push(where);
      }
    }
    const effects = [];
    if (marks.length) effects.push(placeMarks.of(marks));
    if (gone.length) effects.push(removeMarks.of(gone));
    if (effects.length) view.dispatch({ effects });
  }

  function placeAll() {
    const known = [...view.state.field(commentsField).marks.keys()];
    place([...new Set([...known, ...threads.threads.keys()])]);
  }

  const placeParked = () => parked.size && place([...parked.keys()]);
  client.on("remote", placeParked);
  client.on("ack", placeParked);

  // --- the panel -----------------------------------------------------------------------------
  function activate(threadId) {
    if (view.state.field(commentsField).active !== threadId) {
      view.dispatch({ effects: setActive.of(threadId) });
    }
  }

  function showPassage(threadId) {
    const mark = view.state.field(commentsField).marks.get(threadId);
    if (!mark) return;
    view.dispatch({
      selection: { anchor: mark.from, head: mark.to },
      effects: EditorView.scrollIntoView(mark.from, { y: "center" }),
    });
    view.focus();
  }

  const panel = mountCommentsPanel({
    element: pane,
    threads,
    api,
    canComment: Boolean(data.canComment),
    maxChars: data.maxChars,
    onActivate: activate,
    onShowPassage: showPassage,
    onChange: placeAll,
  });
  const draft = mountDraftForm(pane);

  comments.hooks.activate = (threadId) => {
    if (!threads.get(threadId)) return;
    showPanel();
    panel.activate(threadId);
  };

  // The cursor entering a highlighted passage shows its thread (keyboard too).
  view.dom.addEventListener("keyup", () => followCursor());
  view.dom.addEventListener("mouseup", () => followCursor());
  function followCursor() {
    const { main } = view.state.selection;
    if (!main.empty) return;
    const threadId = threadAt(view.state, main.head);
    if (threadId !== null && threadId !== panel.active) {
      if (root.dataset.side === "comments" || panelVisible()) panel.activate(threadId);
      else activate(threadId);
    }
  }

  // --- loading, and live frames --------------------------------------------------------------
  let loaded = false;
  let loading = null;
  let buffered = [];
  let refreshTimer = null;
  const toRefresh = new Set();

  function scheduleRefresh(ids) {
    for (const id of ids) toRefresh.add(id);
    if (refreshTimer !== null || !toRefresh.size) return;
    refreshTimer = setTimeout(async () => {
      refreshTimer = null;
      const ids = [...toRefresh];
      toRefresh.clear();
      for (const id of ids) {
        await panel.refresh(id);
        place([id]);
      }
    }, REFRESH_DELAY_MS);
  }

  function applyFrame(frame) {
    const before = threads.get(frame.thread_id);
    const threadId = threads.applyFrame(frame);
    if (threadId === null) {
      scheduleRefresh(threads.needsRefresh());
      return;
    }
    place([threadId]);
    panel.changed(threadId);
    scheduleRefresh(threads.needsRefresh());
    const mine = frame.comment?.author?.id === data.user?.id;
    if (!mine && (frame.event === "created" || !before)) {
      bumpUnread();
      panel.announce(`New comment from ${frame.comment?.author?.username ?? "someone"}.`);
    }
  }

  async function load() {
    const status = $("comments-status");
    threads.loading();
    loading = api.threads();
    try {
      threads.load(await loading);
      loaded = true;
      if (status) status.hidden = true;
    } catch (error) {
      if (status) {
        status.textContent = `Comments could not be loaded: ${error.message}`;
        status.hidden = false;
      }
    } finally {
      loading = null;
    }
    const waiting = buffered;
    buffered = [];
    for (const frame of waiting) threads.applyFrame(frame);
    scheduleRefresh(threads.needsRefresh());
    panel.render();
    placeAll();
    // Open threads are shown beside the text from the start; otherwise the chat is.
    const { passage, general, outdated } = threads.grouped();
    if (!sideChosen && passage.length + general.length + outdated.length) showSide("comments");
  }

  client.on("topic", (frame) => {
    if (frame.type !== "comment") return;
    if (!loaded || loading) buffered.push(frame);
    else applyFrame(frame);
  });
  client.on("authenticated", (frame) => {
    // The list is read once the socket is on the topic, so nothing falls in between; after
    // a reconnect the topic resumes after the last frame seen, unless that was too much.
    const resumed = loaded && threads.lastEventId !== null && frame.doc_backlog_complete !== false;
    if (!resumed && !loading) load();
  });

  // --- a comment on the selected passage ---------------------------------------------------------
  async function settle() {
    if (client.pendingCount() === 0) return;
    await new Promise((resolve) => {
      const timer = setTimeout(done, SETTLE_MS);
      const off = client.on("ack", () => client.pendingCount() === 0 && done());
      function done() {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }

  async function submitDraft(content) {
    await settle();
    const current = view.state.field(commentsField).draft;
    if (!current || current.to <= current.from) {
      throw new Error(
        "The text you selected was deleted meanwhile. Select the passage again to comment on it.",
      );
    }
    const doc = view.state.doc;
    const [start, end] = client.serverRange(cpOffset(doc, current.from), cpOffset(doc, current.to));
    const thread = await api.create({
      content,
      comment_type: "inline",
      range: { start, end },
      revision: client.revision,
    });
    threads.put(thread);
    panel.render();
    place([thread.id]);
    panel.activate(thread.id);
  }

  comments.hooks.startDraft = (target) => {
    const { main } = target.state.selection;
    if (main.empty || !canComment()) return;
    target.dispatch({ effects: setDraft.of({ from: main.from, to: main.to }) });
    showPanel();
    draft.open({
      quote: target.state.sliceDoc(main.from, main.to),
      submit: submitDraft,
      onClose: (posted) => {
        // Posted: the selection has done its job (its "Comment" button goes with it).
        const selection = posted ? { anchor: view.state.selection.main.to } : undefined;
        view.dispatch({ effects: setDraft.of(null), selection });
        if (!posted) view.focus();
      },
    });
  };

  if (data.canComment) {
    const hint = pane.querySelector("[data-comment-hint]");
    if (hint) hint.hidden = false;
  }
  return {
    threads,
    showSide,
    /** The text of a thread's highlighted passage, as the editor has it now (tests). */
    highlightedText(threadId) {
      const mark = view.state.field(commentsField).marks.get(threadId);
      return mark ? view.state.sliceDoc(mark.from, mark.to) : null;
    },
  };
}
