// The live editor page (/docs/<slug>/edit): CodeMirror 6 + Markdown, a sanitised live
// preview, the OT client, remote cursors, participants, typing, chat, a connection badge,
// offline persistence and the "not syncing" conflict stop.
//
// Bundled by frontend/build.mjs into static/vendor/editor.bundle.js. The page passes its
// data in <script type="application/json" id="editor-data"> (CSP: no inline scripts).

import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { markdownKeymap, markdownLanguage } from "@codemirror/lang-markdown";
import { pythonLanguage } from "@codemirror/lang-python";
import {
  HighlightStyle,
  Language,
  LanguageSupport,
  bracketMatching,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { highlightSelectionMatches, search, searchKeymap } from "@codemirror/search";
import {
  Annotation,
  Compartment,
  EditorState,
  Prec,
  StateEffect,
  StateField,
  Transaction,
} from "@codemirror/state";
import {
  Decoration,
  EditorView,
  WidgetType,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  placeholder,
} from "@codemirror/view";
import { tags } from "@lezer/highlight";
import { parseCode } from "@lezer/markdown";
import DOMPurify from "dompurify";
import { Marked } from "marked";

import { CollabClient, SIGNED_OUT_REASONS, storageKey } from "./client.js";
import { changesToOps, cpCount, cpOffset, diffChange, offsetOf, opsToChanges } from "./cm-sync.js";
import { renderMath } from "./math.js";

const CURSOR_TTL_MS = 30000;
const CURSOR_THROTTLE_MS = 120;
const CURSOR_REFRESH_MS = 12000;
const TYPING_IDLE_MS = 2500;
const REMOTE_TYPING_TTL_MS = 6000;
const PREVIEW_DELAY_MS = 120;

const remoteChange = Annotation.define();

// --- remote cursors -----------------------------------------------------------------------

const setRemoteCursor = StateEffect.define(); // {userId, name, color, from, to, at}
const removeRemoteCursors = StateEffect.define(); // [userId, ...]

class CaretWidget extends WidgetType {
  constructor(name, color) {
    super();
    this.name = name;
    this.color = color;
  }

  eq(other) {
    return other.name === this.name && other.color === this.color;
  }

  toDOM() {
    const caret = document.createElement("span");
    caret.className = "cm-remote-caret";
    caret.style.borderColor = this.color;
    const label = document.createElement("span");
    label.className = "cm-remote-label";
    label.style.backgroundColor = this.color;
    label.textContent = this.name;
    caret.append(label);
    return caret;
  }

  ignoreEvent() {
    return true;
  }
}

const remoteCursors = StateField.define({
  create: () => new Map(),
  update(cursors, tr) {
    let next = cursors;
    if (tr.docChanged && cursors.size) {
      next = new Map();
      for (const [id, c] of cursors) {
        // Selections keep inserts at their edges outside; a caret follows typing at it.
        const from = tr.changes.mapPos(c.from, 1);
        const to = c.from === c.to ? from : tr.changes.mapPos(c.to, -1);
        next.set(id, { ...c, from: Math.min(from, to), to: Math.max(from, to) });
      }
    }
    for (const effect of tr.effects) {
      if (effect.is(setRemoteCursor)) {
        if (next === cursors) next = new Map(cursors);
        next.set(effect.value.userId, effect.value);
      } else if (effect.is(removeRemoteCursors)) {
        if (next === cursors) next = new Map(cursors);
        for (const id of effect.value) next.delete(id);
      }
    }
    return next;
  },
  provide: (field) =>
    EditorView.decorations.compute([field], (state) => {
      const ranges = [];
      const length = state.doc.length;
      for (const c of state.field(field).values()) {
        const from = Math.min(c.from, length);
        const to = Math.min(c.to, length);
        if (to > from) {
          ranges.push(
            Decoration.mark({
              class: "cm-remote-selection",
              attributes: { style: `background-color: ${c.color}33` },
            }).range(from, to),
          );
        }
        ranges.push(
          Decoration.widget({ widget: new CaretWidget(c.name, c.color), side: 1 }).range(to),
        );
      }
      return Decoration.set(ranges, true);
    }),
});

// --- look ---------------------------------------------------------------------------------

const highlight = HighlightStyle.define([
  { tag: tags.heading1, fontWeight: "700", fontSize: "1.25em" },
  { tag: tags.heading2, fontWeight: "700", fontSize: "1.12em" },
  { tag: [tags.heading3, tags.heading4, tags.heading5, tags.heading6], fontWeight: "700" },
  { tag: tags.strong, fontWeight: "700" },
  { tag: tags.emphasis, fontStyle: "italic" },
  { tag: tags.strikethrough, textDecoration: "line-through" },
  { tag: [tags.link, tags.url], color: "#3451b2", textDecoration: "underline" },
  {
    tag: tags.monospace,
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace",
    color: "#9a3412",
  },
  { tag: [tags.processingInstruction, tags.meta, tags.contentSeparator], color: "#8a94a6" },
  { tag: tags.quote, color: "#5b6675", fontStyle: "italic" },
  { tag: tags.list, color: "#3451b2" },
  { tag: tags.keyword, color: "#7c3aed" },
  { tag: [tags.string, tags.special(tags.string)], color: "#047857" },
  { tag: tags.comment, color: "#8a94a6", fontStyle: "italic" },
  { tag: [tags.number, tags.bool, tags.null], color: "#b45309" },
  { tag: [tags.function(tags.variableName), tags.definition(tags.variableName)], color: "#1d4ed8" },
]);

const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "15px", backgroundColor: "#fff" },
  ".cm-scroller": {
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
    lineHeight: "1.6",
  },
  ".cm-content": { padding: "12px 0" },
  ".cm-line": { padding: "0 14px" },
  ".cm-gutters": { backgroundColor: "#f7f8fa", color: "#9aa3b2", borderRight: "1px solid #e2e6ec" },
  ".cm-activeLine": { backgroundColor: "#f5f7ff" },
  ".cm-activeLineGutter": { backgroundColor: "#eef2ff", color: "#3451b2" },
  "&.cm-focused": { outline: "none" },
  ".cm-placeholder": { color: "#9aa3b2" },
});

// GFM Markdown with Python in ```python blocks. Built from lang-markdown's parts rather than
// its markdown() helper, which would pull HTML, CSS and JavaScript parsers into the bundle.
function markdownSupport() {
  const parser = markdownLanguage.parser.configure(
    parseCode({
      codeParser: (info) => (/^(py|python)\b/i.test(info) ? pythonLanguage.parser : null),
    }),
  );
  const language = new Language(markdownLanguage.data, parser, [], "markdown");
  return new LanguageSupport(language, [Prec.high(keymap.of(markdownKeymap))]);
}

// TeX stays TeX, wrapped as the server wraps it (collaboration/markdown.py's dollarmath):
// <span class="math inline"> and <div class="math block">, so preview and page look alike.
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const mathExtensions = [
  {
    name: "mathBlock",
    level: "block",
    start(src) {
      const index = src.search(/^\$\$/m);
      return index < 0 ? undefined : index;
    },
    tokenizer(src) {
      const match = /^\$\$([\s\S]+?)\$\$[ \t]*(?:\n|$)/.exec(src);
      if (match) return { type: "mathBlock", raw: match[0], text: match[1].trim() };
      return undefined;
    },
    renderer: (token) => `<div class="math block">${escapeHtml(token.text)}</div>\n`,
  },
  {
    name: "mathInline",
    level: "inline",
    start(src) {
      const index = src.indexOf("$");
      return index < 0 ? undefined : index;
    },
    tokenizer(src) {
      // Like allow_digits=False on the server: "$5 and $10" is not math.
      const match = /^\$(?![\s$\d])((?:\\.|[^$\\\n])+?)(?<!\s)\$(?!\d)/.exec(src);
      if (match) return { type: "mathInline", raw: match[0], text: match[1] };
      return undefined;
    },
    renderer: (token) => `<span class="math inline">${escapeHtml(token.text)}</span>`,
  },
];

// --- helpers --------------------------------------------------------------------------------

function $(id) {
  return document.getElementById(id);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

function initials(name) {
  return (name || "?").slice(0, 2).toUpperCase();
}

function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function throttle(fn, ms) {
  let timer = null;
  let last = 0;
  return () => {
    const wait = last + ms - Date.now();
    if (wait <= 0 && timer === null) {
      last = Date.now();
      fn();
    } else if (timer === null) {
      timer = setTimeout(
        () => {
          timer = null;
          last = Date.now();
          fn();
        },
        Math.max(wait, 0),
      );
    }
  };
}

/** Holds the page-wide Web Lock for this document so only one tab uses the shared slot. */
async function chooseStorageKey(documentId, userId) {
  const primary = storageKey(documentId, userId);
  const locks = navigator.locks;
  if (!locks?.request) return primary;
  const granted = await new Promise((resolve) => {
    // Wait a moment for the lock: on a reload the previous page may still be letting go.
    const options =
      typeof AbortSignal.timeout === "function"
        ? { signal: AbortSignal.timeout(1500) }
        : { ifAvailable: true };
    locks
      .request(primary, options, (lock) => {
        if (!lock) {
          resolve(false);
          return undefined;
        }
        resolve(true);
        return new Promise(() => {}); // held until this page goes away
      })
      .catch(() => resolve(false));
  });
  if (granted) return primary;
  // Another tab of the same user edits this document: keep this tab's edits apart.
  let tab = sessionStorage.getItem("learnai.tab");
  if (!tab) {
    tab = Math.random().toString(36).slice(2, 10);
    sessionStorage.setItem("learnai.tab", tab);
  }
  return storageKey(documentId, userId, tab);
}

function safeStorage() {
  try {
    const probe = "learnai.probe";
    localStorage.setItem(probe, "1");
    localStorage.removeItem(probe);
    return localStorage;
  } catch {
    return null;
  }
}

// --- the page ---------------------------------------------------------------------------------

async function main() {
  const dataNode = $("editor-data");
  const root = $("editor-root");
  if (!dataNode || !root) return;
  const data = JSON.parse(dataNode.textContent);
  const me = data.user;

  // --- preview ---
  const md = new Marked({ gfm: true, breaks: false, async: false });
  md.use({ extensions: mathExtensions });
  const preview = $("preview");
  let previewTimer = null;
  function renderPreview() {
    previewTimer = null;
    if (!preview) return;
    const html = md.parse(view.state.doc.toString());
    preview.innerHTML = DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
    for (const link of preview.querySelectorAll("a[href]")) {
      link.setAttribute("rel", "noopener noreferrer nofollow");
      link.setAttribute("target", "_blank");
    }
    renderMath(preview);
  }
  function schedulePreview() {
    if (previewTimer === null) previewTimer = setTimeout(renderPreview, PREVIEW_DELAY_MS);
  }

  // --- the editor ---
  const editable = new Compartment();
  let client = null;
  const host = $("editor");
  // Which storage slot this tab uses is settled before anyone can type.
  const key = await chooseStorageKey(data.documentId, me.id);
  host.textContent = "";

  const updateListener = EditorView.updateListener.of((update) => {
    if (update.docChanged) schedulePreview();
    let local = false;
    for (const tr of update.transactions) {
      if (!tr.docChanged || tr.annotation(remoteChange)) continue;
      local = true;
      client?.localEdit(changesToOps(tr.changes, tr.startState.doc));
    }
    if (local) noteTyping();
    if (update.selectionSet || local) sendCursorSoon();
  });

  const view = new EditorView({
    parent: host,
    state: EditorState.create({
      doc: data.content,
      extensions: [
        EditorState.lineSeparator.of("\n"), // "\r" stays a character: lengths match the server
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        search({ top: true }),
        markdownSupport(),
        syntaxHighlighting(highlight),
        EditorView.lineWrapping,
        placeholder("Start writing Markdown…"),
        keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap, indentWithTab]),
        EditorView.clipboardInputFilter.of((text) => text.replace(/\r\n?/g, "\n")),
        EditorView.contentAttributes.of({ "aria-label": "Document source (Markdown)" }),
        editable.of(readOnlyExtensions(true)), // until pending edits are restored
        remoteCursors,
        theme,
        updateListener,
      ],
    }),
  });

  function readOnlyExtensions(readOnly) {
    return [EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)];
  }

  let readOnly = true;
  function setReadOnly(value) {
    if (value === readOnly) return;
    readOnly = value;
    view.dispatch({ effects: editable.reconfigure(readOnlyExtensions(value)) });
    root.classList.toggle("is-readonly", value);
  }
  root.classList.toggle("is-readonly", readOnly);

  // The client's view of the text.
  const doc = {
    getText: () => view.state.doc.toString(),
    setText(text) {
      const change = diffChange(view.state.doc.toString(), text);
      if (!change) return;
      view.dispatch({
        changes: change,
        annotations: [remoteChange.of(true), Transaction.addToHistory.of(false)],
      });
    },
    applyRemote(ops) {
      const changes = opsToChanges(ops, view.state.doc);
      if (!changes.length) return;
      view.dispatch({
        changes,
        annotations: [remoteChange.of(true), Transaction.addToHistory.of(false)],
      });
    },
  };

  const wsScheme = location.protocol === "https:" ? "wss:" : "ws:";
  const storage = safeStorage();
  client = new CollabClient({
    documentId: data.documentId,
    userId: me.id,
    url: `${wsScheme}//${location.host}${data.wsPath}`,
    doc,
    revision: data.revision,
    canEdit: data.canEdit,
    storage,
    storageKey: key,
    isOnline: () => navigator.onLine !== false,
  });

  // --- connection badge ---
  const badge = $("conn-badge");
  const badgeText = badge.querySelector(".conn-text");
  function renderBadge() {
    const { status, pending } = client.snapshot();
    const unsaved = pending ? ` · ${plural(pending, "edit", "edits")} not saved yet` : "";
    const texts = {
      idle: "Starting…",
      connecting: "Connecting…",
      connected: pending
        ? `Saving ${plural(pending, "edit", "edits")}…`
        : "Connected · all changes saved",
      reconnecting: `Reconnecting…${unsaved}`,
      offline: pending
        ? `Offline · ${plural(pending, "edit", "edits")} kept in this browser`
        : "Offline",
      conflict: "Not syncing",
      signed_out: `Signed out${unsaved}`,
      not_found: "Document unavailable",
      closed: "Closed",
    };
    badge.dataset.state = status === "connected" && pending ? "saving" : status;
    badge.dataset.pending = String(pending);
    badgeText.textContent = texts[status] ?? status;
    root.dataset.state = status;
    const chatSend = $("chat-send");
    if (chatSend) chatSend.disabled = status !== "connected";
  }
  client.on("status", renderBadge);
  client.on("storage_error", () => {
    badge.title = "This browser would not store your unsaved edits (storage full or blocked).";
  });

  // --- participants ---
  const participantsEl = $("participants");
  let participants = [];
  function renderParticipants() {
    participantsEl.textContent = "";
    for (const p of participants) {
      const item = el("li", "participant");
      item.title = p.user_id === me.id ? `${p.username} (you)` : p.username;
      const avatar = el("span", "avatar-dot", initials(p.username));
      avatar.style.backgroundColor = p.color;
      item.append(
        avatar,
        el("span", "participant-name", p.user_id === me.id ? `${p.username} (you)` : p.username),
      );
      participantsEl.append(item);
    }
    const count = $("participant-count");
    if (count)
      count.textContent = participants.length
        ? plural(participants.length, "person", "people") + " here"
        : "";
  }

  // --- remote cursors ---
  const cursorSeen = new Map(); // userId -> last refresh (ms)
  const parkedCursors = new Map(); // userId -> frame from a revision not here yet
  function placeCursor(frame) {
    const c = frame.cursor ?? {};
    const start = Number.isInteger(c.selection_start) ? c.selection_start : null;
    const end = Number.isInteger(c.selection_end) ? c.selection_end : start;
    if (start === null || frame.user_id === me.id) return;
    const revision = Number.isInteger(frame.revision) ? frame.revision : client.revision;
    const from = client.localPosition(start, revision);
    const to = client.localPosition(end, revision);
    if (from === null || to === null) {
      if (revision > client.revision) parkedCursors.set(frame.user_id, frame);
      return;
    }
    parkedCursors.delete(frame.user_id);
    const d = view.state.doc;
    const a = offsetOf(d, Math.min(from, to));
    const b = offsetOf(d, Math.max(from, to));
    cursorSeen.set(frame.user_id, Date.now());
    view.dispatch({
      effects: setRemoteCursor.of({
        userId: frame.user_id,
        name: frame.username ?? `user ${frame.user_id}`,
        color: frame.color ?? "#5b6675",
        from: a,
        to: b,
      }),
    });
  }
  client.on("cursor", placeCursor);
  client.on("remote", () => {
    for (const frame of [...parkedCursors.values()]) placeCursor(frame);
  });
  client.on("ack", () => {
    for (const frame of [...parkedCursors.values()]) placeCursor(frame);
    // A selection over my own unacknowledged text went out collapsed (the server had no
    // such text yet); now that it has, send the real one.
    if (client.pendingCount() === 0) sendCursorSoon();
  });
  function dropCursors(userIds) {
    const ids = userIds.filter((id) => view.state.field(remoteCursors).has(id));
    for (const id of userIds) {
      cursorSeen.delete(id);
      parkedCursors.delete(id);
    }
    if (ids.length) view.dispatch({ effects: removeRemoteCursors.of(ids) });
  }
  setInterval(() => {
    const now = Date.now();
    const stale = [...cursorSeen].filter(([, at]) => now - at > CURSOR_TTL_MS).map(([id]) => id);
    if (stale.length) dropCursors(stale);
    expireTyping();
  }, 2000);

  const sendCursorSoon = throttle(() => {
    if (!client) return;
    const { anchor, head } = view.state.selection.main;
    const d = view.state.doc;
    const line = d.lineAt(head);
    client.sendCursor({
      anchor: cpOffset(d, anchor),
      head: cpOffset(d, head),
      line: line.number,
      column: cpCount(d, line.from, head),
    });
  }, CURSOR_THROTTLE_MS);
  // Others drop cursors not refreshed for 30 s (that is how a vanished user's cursor goes
  // away); refresh ours while we are here, even when it does not move.
  setInterval(sendCursorSoon, CURSOR_REFRESH_MS);

  // --- typing ---
  let typingTimer = null;
  let typingSent = false;
  function noteTyping() {
    if (!typingSent) typingSent = client.sendTyping(true);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => {
      if (typingSent) client.sendTyping(false);
      typingSent = false;
    }, TYPING_IDLE_MS);
  }
  const typingUsers = new Map(); // userId -> {name, at}
  const typingEl = $("typing");
  function renderTyping() {
    const names = [...typingUsers.values()].map((t) => t.name);
    if (!names.length) typingEl.textContent = "";
    else if (names.length === 1) typingEl.textContent = `${names[0]} is typing…`;
    else if (names.length === 2) typingEl.textContent = `${names[0]} and ${names[1]} are typing…`;
    else typingEl.textContent = `${names.length} people are typing…`;
  }
  function expireTyping() {
    const now = Date.now();
    let changed = false;
    for (const [id, t] of typingUsers) {
      if (now - t.at > REMOTE_TYPING_TTL_MS) {
        typingUsers.delete(id);
        changed = true;
      }
    }
    if (changed) renderTyping();
  }
  client.on("typing", (frame) => {
    if (frame.user_id === me.id) return;
    if (frame.is_typing) typingUsers.set(frame.user_id, { name: frame.username, at: Date.now() });
    else typingUsers.delete(frame.user_id);
    renderTyping();
  });

  client.on("authenticated", (frame) => {
    participants = frame.participants ?? [];
    renderParticipants();
    renderAccess();
    sendCursorSoon();
  });
  client.on("presence", (frame) => {
    participants = frame.participants ?? participants;
    renderParticipants();
    if (frame.event === "leave" && frame.user) {
      const id = frame.user.user_id;
      if (!participants.some((p) => p.user_id === id)) {
        dropCursors([id]);
        typingUsers.delete(id);
        renderTyping();
      }
    }
  });

  // --- chat ---
  const chatLog = $("chat-log");
  const chatIds = new Set();
  const unread = {
    count: 0,
    el: $("chat-unread"),
    bump() {
      if (root.dataset.view === "chat" || window.matchMedia("(min-width: 64rem)").matches) return;
      this.count += 1;
      this.render();
    },
    reset() {
      this.count = 0;
      this.render();
    },
    render() {
      if (this.el) this.el.textContent = this.count ? String(this.count) : "";
    },
  };
  function chatItem(message) {
    const item = el("li", "chat-item");
    if (message.user?.id === me.id) item.classList.add("mine");
    const head = el("div", "chat-meta");
    const who = el("strong", "chat-user", message.user?.username ?? "someone");
    const color = message.color ?? participants.find((p) => p.user_id === message.user?.id)?.color;
    if (color) who.style.color = color;
    const when = el("time", "chat-time", formatTime(message.created_at));
    if (message.created_at) when.dateTime = message.created_at;
    head.append(who, when);
    let body;
    if (message.message_type === "code") {
      body = el("pre", "chat-code");
      body.append(el("code", "", message.message));
    } else {
      body = el("p", "chat-text", message.message);
    }
    item.append(head, body);
    return item;
  }
  function addChat(message, { prepend = false } = {}) {
    if (message.id != null) {
      if (chatIds.has(message.id)) return;
      chatIds.add(message.id);
    }
    const empty = $("chat-empty");
    if (empty) empty.remove();
    const item = chatItem(message);
    if (prepend) chatLog.prepend(item);
    else {
      const nearBottom = chatLog.scrollHeight - chatLog.scrollTop - chatLog.clientHeight < 60;
      chatLog.append(item);
      if (nearBottom || message.user?.id === me.id) chatLog.scrollTop = chatLog.scrollHeight;
    }
  }
  client.on("chat", (frame) => {
    addChat(frame);
    if (frame.user?.id !== me.id) unread.bump();
  });

  const olderButton = $("chat-older");
  let olderCursor = null;
  async function loadChat(before = null) {
    if (!data.chatUrl) return;
    const url = new URL(data.chatUrl, location.href);
    if (before) url.searchParams.set("before", before);
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(String(response.status));
      const body = await response.json();
      const results = Array.isArray(body) ? body : (body.results ?? []);
      if (before) {
        for (const message of [...results].reverse()) addChat(message, { prepend: true });
      } else {
        for (const message of results) addChat(message);
        chatLog.scrollTop = chatLog.scrollHeight;
      }
      olderCursor = body.has_more && body.before ? body.before : null;
      if (olderButton) olderButton.hidden = olderCursor === null;
    } catch {
      if (!before) {
        const empty = $("chat-empty");
        if (empty)
          empty.textContent =
            "Chat history is not available right now; new messages still appear here.";
      }
    }
  }
  olderButton?.addEventListener("click", () => olderCursor && loadChat(olderCursor));

  const chatForm = $("chat-form");
  const chatInput = $("chat-input");
  chatForm?.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = chatInput.value.trim();
    if (!text) return;
    const codeToggle = $("chat-code");
    const type = codeToggle?.checked ? "code" : "text";
    if (client.sendChat(text, type)) {
      chatInput.value = "";
      if (codeToggle) codeToggle.checked = false;
    } else {
      chatInput.setCustomValidity("You are offline: chat needs a connection.");
      chatInput.reportValidity();
      setTimeout(() => chatInput.setCustomValidity(""), 3000);
    }
  });
  client.on("server_error", (frame) => {
    if (frame.code === "rate_limited" && !frame.client_op_id) {
      chatInput?.setCustomValidity("Slow down a little, then send again.");
      chatInput?.reportValidity();
      setTimeout(() => chatInput?.setCustomValidity(""), 3000);
    }
  });

  // --- rights that change while the page is open ---
  // The server may take the right to edit away (the socket stays, read-only), give it
  // back, or take the document away altogether (the socket closes): the editor follows at
  // once and #access-banner says why, in the server's words.
  const accessBanner = $("access-banner");
  const accessText = $("access-message");
  const accessSignIn = $("access-signin");
  const readonlyBanner = $("readonly-banner"); // only on pages served read-only
  function renderAccess() {
    const { status, canEdit, accessReason, accessMessage, accessLost } = client.snapshot();
    setReadOnly(!canEdit || status === "conflict" || status === "not_found");
    let message = null;
    if (accessLost) message = accessMessage ?? "You no longer have access to this document.";
    else if (!canEdit && accessMessage) message = accessMessage;
    else if (!canEdit && !readonlyBanner && status === "connected")
      message = "You may read this document, but no longer edit it."; // changed while away
    if (readonlyBanner) readonlyBanner.hidden = canEdit || message !== null;
    if (!accessBanner) return;
    const signIn = accessLost && SIGNED_OUT_REASONS.has(accessReason);
    accessBanner.hidden = message === null;
    accessBanner.dataset.reason = message === null ? "" : (accessReason ?? "read_only");
    accessBanner.classList.toggle("danger", accessLost);
    accessBanner.classList.toggle("warn", !accessLost);
    if (accessText.textContent !== (message ?? "")) accessText.textContent = message ?? "";
    if (accessSignIn) accessSignIn.hidden = !signIn;
  }
  client.on("access", renderAccess);
  client.on("status", renderAccess);

  // --- stopping safely ---
  client.on("conflict", (conflict) => {
    setReadOnly(true);
    const banner = $("conflict-banner");
    $("conflict-message").textContent = conflict.message;
    $("conflict-text").value = conflict.text;
    banner.hidden = false;
    banner.scrollIntoView({ block: "nearest" });
    renderBadge();
  });
  $("conflict-copy")?.addEventListener("click", async () => {
    const area = $("conflict-text");
    const button = $("conflict-copy");
    try {
      await navigator.clipboard.writeText(area.value);
    } catch {
      area.select();
      document.execCommand?.("copy");
    }
    button.textContent = "Copied";
    setTimeout(() => {
      button.textContent = "Copy my text";
    }, 2000);
  });
  $("conflict-reload")?.addEventListener("click", () => {
    const area = $("conflict-text");
    const ok =
      !area.value ||
      window.confirm(
        "Reload the latest version? Your text above will be gone unless you copied it.",
      );
    if (!ok) return;
    client.discardPending();
    location.reload();
  });
  client.on("status", ({ status, accessLost }) => {
    // When the server said why, #access-banner says it; these are for when it did not.
    const signedOut = $("signedout-banner");
    if (signedOut) signedOut.hidden = status !== "signed_out" || accessLost;
    const gone = $("gone-banner");
    if (gone) gone.hidden = status !== "not_found" || accessLost;
  });

  // --- network and page lifecycle ---
  window.addEventListener("offline", () => client.goOffline());
  window.addEventListener("online", () => client.goOnline());
  window.addEventListener("pagehide", () => client.save());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") client.save();
  });

  // Views on phones: Write / Preview / Chat tabs.
  for (const tab of root.querySelectorAll("[data-show]")) {
    tab.addEventListener("click", () => {
      root.dataset.view = tab.dataset.show;
      for (const other of root.querySelectorAll("[data-show]")) {
        other.setAttribute("aria-selected", String(other === tab));
      }
      if (tab.dataset.show === "chat") unread.reset();
      if (tab.dataset.show === "preview") renderPreview();
    });
  }

  if (client.restore()) {
    const note = $("restored-note");
    if (note) {
      note.hidden = false;
      const edits = plural(client.pendingCount(), "edit", "edits");
      note.textContent = `Restored ${edits} you made while offline; they are sent when the connection is back.`;
      setTimeout(() => {
        note.hidden = true;
      }, 8000);
    }
  }
  setReadOnly(!data.canEdit);
  renderParticipants();
  renderBadge();
  renderAccess();
  renderPreview();
  client.start();
  loadChat();

  // For the browser tests and for debugging from the console.
  window.learnaiEditor = { client, view };
}

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => {
    main();
    registerServiceWorker();
  });
} else {
  main();
  registerServiceWorker();
}
