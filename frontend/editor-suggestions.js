// Suggestion mode in the live editor, as in Google Docs' "Suggesting": with the "Suggest"
// switch on (always on for people who may read but not edit), what the person types never
// changes the shared text. Each edit becomes a draft drawn in place — the replaced passage
// struck through in red, the typed text underlined in green after it — and after a pause
// (or on leaving the editor, or on typing elsewhere) the draft is sent to the suggestions
// API, which files it in the person's suggestions proposal. Going on typing at one of one's
// own pending suggestions rewrites it (`replaces`).
//
// Everyone on the page sees every pending suggestion in the text, live (the `suggestion`
// notices of the document's topic, and the list read again on every (re)connection). A
// click on one opens a small popover; the list under the text has them all. The document's
// editors accept or reject each (or all of a person's at once); an author withdraws theirs.
// An accepted suggestion comes back through the socket as an ordinary revision.
//
// Positions: the server's are code points in its text at `revision`; they are mapped to
// this editor's text through the client (client.localPosition) and then move with every
// change, by the server's rule: text typed before a passage moves it, text typed at its
// edges stays outside, an edit inside it drops it here (the server marks it outdated). A
// draft goes back the other way (client.serverRange) at the client's revision.
//
// editorSuggestions() gives the CodeMirror extension (the view needs it when it is created)
// and the read-only rule; mountEditorSuggestions() wires it to the client and the page
// (#editor-suggestions-data and the switch and list of the panel template
// contributions/suggestions/_editor_panel.html).

import { EditorState, StateEffect, StateField, Transaction } from "@codemirror/state";
import { Decoration, EditorView, WidgetType, keymap, showTooltip } from "@codemirror/view";

import { cpOffset, offsetOf } from "./cm-sync.js";
import { $, el } from "./dom-helpers.js";
import { remoteChange } from "./editor-view.js";
import { SuggestionStore, describe, foldEdit, isEmptyDraft, touches } from "./suggestion-model.js";
import { SuggestionsApi } from "./suggestions-api.js";

const FLUSH_MS = 700; // a pause this long sends the draft
const SETTLE_MS = 3000; // waiting for my unsaved edits before sending a suggestion
const RELOAD_DELAY_MS = 300;
const STOPPED = new Set(["conflict", "not_found", "signed_out"]);

export const placeMarks = StateEffect.define(); // [{id, from, to, text, mine}] (UTF-16)
export const removeMarks = StateEffect.define(); // [id]
export const setDraft = StateEffect.define(); // {from, to, text, replaces?} | null
const sendDraft = StateEffect.define(); // {key, draft}: the draft leaves for the server
const answered = StateEffect.define(); // key: the server answered for it
const setActive = StateEffect.define(); // id | null

/**
 * A passage [from, to) through a change set, by the server's rule (suggestions.py): null
 * when the changes delete any of it or insert inside it; text at its edges stays outside;
 * an empty passage moves like another person's cursor.
 */
export function passageThrough(changes, from, to) {
  if (from === to) {
    const at = changes.mapPos(from, -1);
    return { from: at, to: at };
  }
  let inside = false;
  changes.iterChangedRanges((fromA, toA) => {
    if ((fromA < to && toA > from) || (fromA === toA && fromA > from && fromA < to)) {
      inside = true;
    }
  });
  return inside ? null : { from: changes.mapPos(from, 1), to: changes.mapPos(to, -1) };
}

/** My draft through someone else's change: it stays mine whatever they do around it. */
function draftThrough(changes, draft) {
  if (draft.from === draft.to) {
    const at = changes.mapPos(draft.from, -1);
    return { ...draft, from: at, to: at };
  }
  const from = changes.mapPos(draft.from, 1);
  return { ...draft, from, to: Math.max(from, changes.mapPos(draft.to, -1)) };
}

/** The one replacement a (possibly multi-range) change set makes: {from, to, text}. */
function wholeChange(tr) {
  let from = Infinity;
  let to = -1;
  let fromB = Infinity;
  let toB = -1;
  tr.changes.iterChanges((fA, tA, fB, tB) => {
    from = Math.min(from, fA);
    to = Math.max(to, tA);
    fromB = Math.min(fromB, fB);
    toB = Math.max(toB, tB);
  });
  return { from, to, text: tr.newDoc.sliceString(fromB, toB) };
}

class InsertWidget extends WidgetType {
  constructor(text, className, id) {
    super();
    this.text = text;
    this.className = className;
    this.id = id;
  }

  eq(other) {
    return other.text === this.text && other.className === this.className && other.id === this.id;
  }

  toDOM() {
    const node = el("span", this.className, this.text);
    if (this.id !== null) node.dataset.suggestion = String(this.id);
    node.setAttribute("aria-label", `suggested text: ${this.text}`);
    return node;
  }

  ignoreEvent() {
    return false;
  }
}

function decorate(ranges, passage, { id, classes, side }) {
  const extra = classes ? ` ${classes}` : "";
  const attributes = id === null ? undefined : { "data-suggestion": String(id) };
  if (passage.to > passage.from) {
    ranges.push(
      Decoration.mark({ class: `cm-suggest-del${extra}`, attributes }).range(
        passage.from,
        passage.to,
      ),
    );
  }
  if (passage.text) {
    const widget = new InsertWidget(passage.text, `cm-suggest-ins${extra}`, id);
    ranges.push(Decoration.widget({ widget, side }).range(passage.to));
  }
}

/** Suggestions in the editor: server ones (id -> passage), my draft, drafts on their way. */
export const suggestionsField = StateField.define({
  create: () => ({ marks: new Map(), draft: null, sending: new Map(), active: null }),
  update(value, tr) {
    let { marks, draft, sending, active } = value;
    if (tr.docChanged) {
      const moved = new Map();
      for (const [id, mark] of marks) {
        const next = passageThrough(tr.changes, mark.from, mark.to);
        if (next) moved.set(id, { ...mark, ...next });
      }
      marks = moved;
      if (draft) draft = draftThrough(tr.changes, draft);
      if (sending.size) {
        sending = new Map([...sending].map(([key, d]) => [key, draftThrough(tr.changes, d)]));
      }
    }
    for (const effect of tr.effects) {
      if (effect.is(placeMarks)) {
        marks = new Map(marks);
        for (const mark of effect.value) marks.set(mark.id, mark);
      } else if (effect.is(removeMarks)) {
        marks = new Map(marks);
        for (const id of effect.value) marks.delete(id);
      } else if (effect.is(setDraft)) {
        draft = effect.value;
      } else if (effect.is(sendDraft)) {
        sending = new Map(sending).set(effect.value.key, effect.value.draft);
      } else if (effect.is(answered)) {
        sending = new Map(sending);
        sending.delete(effect.value);
      } else if (effect.is(setActive)) {
        active = effect.value;
      }
    }
    if (active !== null && !marks.has(active)) active = null;
    const same =
      marks === value.marks &&
      draft === value.draft &&
      sending === value.sending &&
      active === value.active;
    return same ? value : { marks, draft, sending, active };
  },
  provide: (field) =>
    EditorView.decorations.compute([field], (state) => {
      const { marks, draft, sending, active } = state.field(field);
      const length = state.doc.length;
      const clamp = (p) => ({ ...p, from: Math.min(p.from, length), to: Math.min(p.to, length) });
      const ranges = [];
      for (const [id, mark] of marks) {
        const classes = [
          mark.mine ? "cm-suggest-mine" : "",
          id === active ? "cm-suggest-active" : "",
        ]
          .filter(Boolean)
          .join(" ");
        decorate(ranges, clamp(mark), { id, classes, side: -2 });
      }
      for (const pending of sending.values()) {
        decorate(ranges, clamp(pending), { id: null, classes: "cm-suggest-sending", side: -2 });
      }
      if (draft && !isEmptyDraft(draft)) {
        decorate(ranges, clamp(draft), { id: null, classes: "cm-suggest-draft", side: -1 });
      }
      return Decoration.set(ranges, true);
    }),
});

const theme = EditorView.baseTheme({
  ".cm-suggest-del": {
    color: "#b42318",
    backgroundColor: "#fef3f2",
    textDecoration: "line-through",
    textDecorationColor: "#d92d20",
    cursor: "pointer",
  },
  ".cm-suggest-ins": {
    color: "#067647",
    backgroundColor: "#ecfdf3",
    textDecoration: "underline",
    textDecorationColor: "#12b76a",
    textDecorationThickness: "2px",
    cursor: "pointer",
  },
  ".cm-suggest-draft, .cm-suggest-sending": { outline: "1px dashed #12b76a", cursor: "text" },
  ".cm-suggest-active": { outline: "2px solid #3451b2", borderRadius: "2px" },
  ".cm-tooltip.cm-suggest-popover": {
    padding: ".5rem .65rem",
    maxWidth: "min(22rem, 90vw)",
    borderRadius: "8px",
    fontSize: ".88rem",
    backgroundColor: "#fff",
    boxShadow: "0 4px 16px rgba(16, 24, 40, .12)",
  },
  ".cm-suggest-popover p": { margin: "0 0 .4rem" },
  ".cm-suggest-popover .actions": { display: "flex", gap: ".4rem", flexWrap: "wrap" },
});

/**
 * The editor extension, created before the view, and the read-only rule: while suggesting,
 * people who may not edit may type too (their typing never reaches the text).
 */
export function editorSuggestions() {
  const hooks = {
    suggesting: () => false, // set by mount
    canType: () => false,
    popover: null,
    onDraft: null,
    onSend: null,
    onEscape: null,
  };
  let nextKey = 1;

  // Edits typed while suggesting become the draft; the text stays as it is.
  const intercept = EditorState.transactionFilter.of((tr) => {
    if (!hooks.suggesting() || !tr.docChanged || tr.annotation(remoteChange)) return tr;
    // Undo would bring back edits made before suggesting, as suggestions: nothing to undo.
    if (tr.isUserEvent("undo") || tr.isUserEvent("redo")) return {};
    const change = wholeChange(tr);
    const state = tr.startState.field(suggestionsField);
    const effects = [];
    let draft = state.draft;
    if (isEmptyDraft(draft) || !touches(draft, change)) {
      // Typing on at one of my pending suggestions rewrites it.
      const mine = [...state.marks].find(([, mark]) => mark.mine && touches(mark, change));
      if (mine) {
        const [id, mark] = mine;
        if (!isEmptyDraft(draft) || draft?.replaces) {
          effects.push(sendDraft.of({ key: nextKey++, draft }));
        }
        draft = { from: mark.from, to: mark.to, text: mark.text, replaces: id };
        effects.push(removeMarks.of([id]));
      }
    }
    const folded = foldEdit(draft, change);
    if (folded.flush) effects.push(sendDraft.of({ key: nextKey++, draft: folded.flush }));
    effects.push(setDraft.of(folded.draft));
    const caret = folded.draft?.to ?? draft?.to ?? change.from;
    return {
      effects,
      selection: { anchor: Math.min(caret, tr.startState.doc.length) },
      scrollIntoView: true,
      userEvent: tr.annotation(Transaction.userEvent),
    };
  });

  const popover = StateField.define({
    create: () => null,
    update(value, tr) {
      const { active, marks } = tr.state.field(suggestionsField);
      const mark = active === null ? null : marks.get(active);
      if (!mark) return null;
      if (value && value.id === active && value.pos === mark.from) return value;
      return {
        id: active,
        pos: mark.from,
        above: true,
        strictSide: false,
        arrow: false,
        create: () => {
          const dom = hooks.popover?.(active) ?? el("div");
          dom.classList.add("cm-suggest-popover");
          return { dom };
        },
      };
    },
    provide: (field) => showTooltip.from(field),
  });

  const extension = [
    suggestionsField,
    popover,
    intercept,
    theme,
    keymap.of([
      {
        key: "Escape",
        run: (view) => hooks.onEscape?.(view) ?? false,
      },
    ]),
    EditorView.domEventHandlers({
      mousedown(event, view) {
        if (event.target.closest?.(".cm-suggest-popover")) return false; // its buttons
        const node = event.target.closest?.("[data-suggestion]");
        const id = node && view.dom.contains(node) ? Number(node.dataset.suggestion) : null;
        if (view.state.field(suggestionsField).active !== id) {
          view.dispatch({ effects: setActive.of(id) });
        }
        return false;
      },
      focusout(_event, view) {
        // Leaving the editor (not for its own popover) sends what was typed.
        setTimeout(() => {
          if (!view.dom.contains(document.activeElement)) hooks.onDraft?.(view, "now");
        }, 0);
        return false;
      },
    }),
    EditorView.updateListener.of((update) => {
      for (const tr of update.transactions) {
        for (const effect of tr.effects) {
          if (effect.is(sendDraft)) hooks.onSend?.(effect.value.key);
          else if (effect.is(setDraft)) hooks.onDraft?.(update.view, "later");
        }
      }
    }),
  ];

  let setViewReadOnly = null;
  let wanted = true;
  return {
    extension,
    hooks,
    nextKey: () => nextKey++,
    /** Wraps the view's read-only switch so that suggesting can keep the editor writable. */
    readOnlyFilter(set) {
      setViewReadOnly = set;
      return (value) => {
        wanted = value;
        set(value && !hooks.canType());
      };
    },
    /** Applies the read-only rule again (the mode or the connection changed). */
    applyReadOnly() {
      setViewReadOnly?.(wanted && !hooks.canType());
    },
  };
}

/** Puts the switch in the editor's header and the list under the text. */
function placeControls(root) {
  const status = root.querySelector(".editor-status");
  const toggle = $("suggest-switch");
  if (status && toggle) {
    status.prepend(toggle);
    toggle.hidden = false;
  }
  const write = root.querySelector(".pane-write");
  const list = $("suggestions-list");
  const banner = $("suggest-banner");
  if (write && list) write.append(list);
  if (banner) root.querySelector(".editor-tabs")?.before(banner);
}

/**
 * Wires suggestion mode: `suggestions` from editorSuggestions() (its extension is in
 * `view`), the page's CollabClient, #editor-root and the page's suggestions data. Returns
 * {store, setSuggesting, flush, pendingText} for the page and its tests; null when the
 * page has no suggestions panel (a proposal's branch, nobody signed in).
 */
export function mountEditorSuggestions({ suggestions, client, view, root, data }) {
  if (!data) return null;
  placeControls(root);
  const store = new SuggestionStore();
  const api = new SuggestionsApi(data);
  const me = data.user;
  const toggle = $("suggest-toggle");
  const banner = $("suggest-banner");
  const list = $("suggestions-list");
  const items = $("suggestions-items");
  const count = $("suggestions-count");
  const status = $("suggestions-status");
  let suggesting = !data.canEdit;
  let loaded = false;

  const healthy = () => !STOPPED.has(client.status) && !client.accessLost;
  const canDecide = () => Boolean(client.canEdit && data.canDecide) && healthy();
  suggestions.hooks.suggesting = () => suggesting && healthy();
  suggestions.hooks.canType = () => suggesting && healthy();

  function say(message) {
    if (!status) return;
    status.textContent = message ?? "";
    status.hidden = !message;
    if (message && list) list.open = true;
  }

  // --- the switch -------------------------------------------------------------------------
  function setSuggesting(on) {
    if (!on && !data.canEdit) on = true; // people who may not edit only ever suggest
    if (!on) flush();
    suggesting = on;
    if (toggle) toggle.checked = on;
    root.classList.toggle("is-suggesting", on);
    if (banner) banner.hidden = !on || !data.canEdit;
    suggestions.applyReadOnly();
    renderList();
  }
  toggle?.addEventListener("change", () => setSuggesting(toggle.checked));
  const readonlyBanner = $("readonly-banner");
  if (readonlyBanner && !data.canEdit) {
    readonlyBanner.textContent =
      "You can read this document but not edit it. What you type here becomes suggestions: " +
      "everyone sees them, and the document's editors accept or reject them.";
  }

  // --- server suggestions in the text ----------------------------------------------------
  const parked = new Set(); // ids from a revision this client has not seen yet
  const waiting = new Map(); // id -> key of the sent draft drawn until the id is
  let reloadTimer = null;

  function beingRewritten() {
    const { draft, sending } = view.state.field(suggestionsField);
    const ids = new Set();
    if (draft?.replaces) ids.add(draft.replaces);
    for (const pending of sending.values()) if (pending.replaces) ids.add(pending.replaces);
    return ids;
  }

  function placement(suggestion) {
    const revision = Number.isInteger(suggestion.revision) ? suggestion.revision : client.revision;
    if (revision > client.revision) return "later";
    const point = suggestion.start === suggestion.end;
    const start = client.localPosition(suggestion.start, revision, !point);
    const end = point ? start : client.localPosition(suggestion.end, revision, false);
    if (start === null || end === null) return null;
    const doc = view.state.doc;
    const from = offsetOf(doc, Math.min(start, end));
    const to = point ? from : offsetOf(doc, Math.max(start, end));
    const mine = suggestion.author?.id === me.id;
    return { id: suggestion.id, from, to, text: suggestion.text, mine };
  }

  function place(ids) {
    const marks = [];
    const gone = [];
    const skip = beingRewritten();
    for (const id of ids) {
      parked.delete(id);
      const suggestion = store.get(id);
      if (!suggestion || skip.has(id)) {
        gone.push(id);
        continue;
      }
      const where = placement(suggestion);
      if (where === "later") parked.add(id);
      else if (where === null) {
        gone.push(id);
        scheduleReload(); // read again: it comes at a revision this client has
      } else marks.push(where);
    }
    const effects = [];
    for (const id of ids) {
      if (waiting.has(id) && !parked.has(id)) {
        effects.push(answered.of(waiting.get(id)));
        waiting.delete(id);
      }
    }
    if (marks.length) effects.push(placeMarks.of(marks));
    if (gone.length) effects.push(removeMarks.of(gone));
    if (effects.length) view.dispatch({ effects });
  }

  function placeAll() {
    const shown = [...view.state.field(suggestionsField).marks.keys()];
    place([...new Set([...shown, ...store.items.keys()])]);
    renderList();
  }

  const placeParked = () => parked.size && place([...parked]);
  client.on("remote", placeParked);
  client.on("ack", placeParked);

  async function load() {
    try {
      store.load(await api.pending());
      loaded = true;
      say(null);
    } catch (error) {
      say(`Suggestions could not be loaded: ${error.message}`);
    }
    placeAll();
  }

  function scheduleReload() {
    if (reloadTimer !== null) return;
    reloadTimer = setTimeout(() => {
      reloadTimer = null;
      load();
    }, RELOAD_DELAY_MS);
  }

  client.on("topic", (frame) => {
    if (frame.type === "suggestion") {
      const id = store.applyFrame(frame);
      if (id !== null && loaded) {
        place([id]);
        renderList();
      }
    } else if (frame.type === "proposal" && frame.proposal?.kind === "suggestions") {
      if (["merged", "closed"].includes(frame.proposal.state)) {
        const ids = store.dropProposal(frame.proposal.id);
        if (ids.length) place(ids);
        renderList();
      } else if (frame.event === "reopened") {
        scheduleReload();
      }
    }
  });
  // Notices are live only: the list is read again on every (re)connection.
  client.on("authenticated", () => load());
  client.on("status", () => {
    suggestions.applyReadOnly();
    renderList();
  });

  // --- drafts -------------------------------------------------------------------------------
  let flushTimer = null;
  let queue = Promise.resolve();

  function flush() {
    if (flushTimer !== null) clearTimeout(flushTimer);
    flushTimer = null;
    const { draft } = view.state.field(suggestionsField);
    if (!draft) return;
    if (isEmptyDraft(draft) && !draft.replaces) {
      view.dispatch({ effects: setDraft.of(null) });
      return;
    }
    view.dispatch({
      effects: [sendDraft.of({ key: suggestions.nextKey(), draft }), setDraft.of(null)],
    });
  }

  suggestions.hooks.onDraft = (_view, when) => {
    if (restoring) return;
    if (when === "now") {
      flush();
      return;
    }
    if (flushTimer !== null) clearTimeout(flushTimer);
    flushTimer = view.state.field(suggestionsField).draft ? setTimeout(flush, FLUSH_MS) : null;
  };

  suggestions.hooks.onEscape = () => {
    const { draft, active } = view.state.field(suggestionsField);
    if (draft) {
      if (flushTimer !== null) clearTimeout(flushTimer);
      flushTimer = null;
      view.dispatch({ effects: setDraft.of(null) });
      if (draft.replaces) place([draft.replaces]); // as it was before
      return true;
    }
    if (active !== null) {
      view.dispatch({ effects: setActive.of(null) });
      return true;
    }
    return false;
  };

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

  // A draft the server could not take for a passing reason (offline, busy) comes back as
  // the draft, sent again on the next pause in typing or on leaving the editor.
  const TRANSIENT = (status) => status === 0 || status === 429 || status >= 500;
  let restoring = false;

  async function send(key) {
    await settle();
    const draft = view.state.field(suggestionsField).sending.get(key);
    if (!draft) return;
    const doc = view.state.doc;
    const [start, end] = client.serverRange(cpOffset(doc, draft.from), cpOffset(doc, draft.to));
    const body = { start, end, text: draft.text, revision: client.revision };
    if (draft.replaces) body.replaces = draft.replaces;
    try {
      const suggestion = await api.create(body);
      if (store.put(suggestion)) {
        waiting.set(suggestion.id, key); // drawn as sent until drawn as the server has it
        place([suggestion.id]);
      } else {
        view.dispatch({ effects: answered.of(key) });
        place([suggestion.id]);
      }
      say(null);
    } catch (error) {
      const now = view.state.field(suggestionsField);
      const current = now.sending.get(key) ?? draft;
      const effects = [answered.of(key)];
      if (TRANSIENT(error.status) && !now.draft) {
        effects.push(setDraft.of(current));
        say(`Your suggestion is not sent yet: ${error.message} It is sent again when you type.`);
      } else {
        say(`Your suggestion was not saved: ${error.message}`);
      }
      restoring = true;
      view.dispatch({ effects });
      restoring = false;
      if (draft.replaces && effects.length === 1) place([draft.replaces]); // it stands as it was
    }
    renderList();
  }

  suggestions.hooks.onSend = (key) => {
    queue = queue.then(() => send(key)).catch(() => {});
  };

  // Leaving the page: what was typed goes now (as far as the page lives on).
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flush();
  });

  // --- deciding -----------------------------------------------------------------------------
  async function act(action, id) {
    try {
      const done = await action(id);
      const ids = done && Number.isInteger(done.id) ? [done.id] : [];
      if (ids.length) {
        store.put(done); // accepted or rejected: forgotten
        place(ids);
      } else {
        scheduleReload();
      }
      say(null);
    } catch (error) {
      say(error.message);
      if (error.status === 409 || error.status === 404) scheduleReload();
    }
    renderList();
  }

  function decisionButtons(suggestion, { small = true } = {}) {
    const buttons = [];
    const mine = suggestion.author?.id === me.id;
    if (canDecide()) {
      const accept = el("button", small ? "small" : "", "Accept");
      accept.type = "button";
      accept.addEventListener("click", () => act((id) => api.accept(id), suggestion.id));
      buttons.push(accept);
    }
    if (canDecide() || mine) {
      const label = mine && !canDecide() ? "Withdraw" : "Reject";
      const reject = el("button", `secondary${small ? " small" : ""}`, label);
      reject.type = "button";
      reject.addEventListener("click", () => act((id) => api.reject(id), suggestion.id));
      buttons.push(reject);
    }
    return buttons;
  }

  function showInText(id) {
    const mark = view.state.field(suggestionsField).marks.get(id);
    if (!mark) return;
    view.dispatch({
      effects: [setActive.of(id), EditorView.scrollIntoView(mark.from, { y: "center" })],
    });
  }

  suggestions.hooks.popover = (id) => {
    const suggestion = store.get(id);
    const dom = el("div");
    dom.setAttribute("role", "dialog");
    if (!suggestion) return dom;
    const who =
      suggestion.author?.id === me.id ? "You suggest" : `${suggestion.author?.username} suggests`;
    dom.append(el("p", "", `${who}: ${describe(suggestion)}.`));
    const actions = el("div", "actions");
    actions.append(...decisionButtons(suggestion));
    if (actions.childElementCount) dom.append(actions);
    return dom;
  };

  // --- the list under the text ----------------------------------------------------------------
  // For editors the list opens by itself when there is something to decide, until they
  // open or close it themselves.
  let listChosen = false;
  list?.querySelector("summary")?.addEventListener("click", () => {
    listChosen = true;
  });

  function renderList() {
    if (!list || !items) return;
    const pending = store.pending();
    if (count) count.textContent = String(pending.length);
    list.hidden = !loaded || (pending.length === 0 && !suggesting);
    if (!listChosen && canDecide() && pending.length) list.open = true;
    items.textContent = "";
    if (!pending.length) {
      items.append(
        el(
          "p",
          "muted small",
          suggesting
            ? "No suggestions yet. Type in the text to suggest a change."
            : "No suggestions.",
        ),
      );
      return;
    }
    for (const group of store.byProposal()) {
      const section = el("section", "suggestion-group");
      const head = el("p", "small");
      const title = `#${group.proposal.number} · suggestions by ${group.author?.username}`;
      const link = el("a", "", title);
      link.href = group.proposal.url;
      head.append(link);
      if (canDecide() && group.suggestions.length > 1) {
        const all = el("span", "actions");
        const acceptAll = el("button", "small", "Accept all");
        acceptAll.type = "button";
        const proposalId = group.proposal.id;
        acceptAll.addEventListener("click", () => act((id) => api.acceptAll(id), proposalId));
        const rejectAll = el("button", "secondary small", "Reject all");
        rejectAll.type = "button";
        rejectAll.addEventListener("click", () => act((id) => api.rejectAll(id), proposalId));
        all.append(" ", acceptAll, rejectAll);
        head.append(all);
      }
      section.append(head);
      const ul = el("ul", "doc-list");
      for (const suggestion of group.suggestions) {
        const li = el("li", "suggestion-item");
        const show = el("button", "link-button small", describe(suggestion));
        show.type = "button";
        show.addEventListener("click", () => showInText(suggestion.id));
        const actions = el("span", "actions");
        actions.append(...decisionButtons(suggestion));
        li.append(show, " ", actions);
        ul.append(li);
      }
      section.append(ul);
      items.append(section);
    }
  }

  setSuggesting(suggesting);
  if (toggle && !data.canEdit) toggle.disabled = true;

  return {
    store,
    setSuggesting,
    flush,
    /** The draft being typed, as the editor draws it (tests). */
    draft: () => view.state.field(suggestionsField).draft,
    /** Where a suggestion is drawn in the text now, or null (tests). */
    placed: (id) => view.state.field(suggestionsField).marks.get(id) ?? null,
  };
}
