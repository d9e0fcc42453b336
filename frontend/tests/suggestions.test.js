// Suggestion mode's pure parts (suggestion-model.js) and its CodeMirror state
// (editor-suggestions.js) without a browser: what typing does to the draft, the pending
// suggestions as notices change them, and passages that move with the text exactly as the
// server moves them (contributions/proposals/suggestions.py: passage_after).

import assert from "node:assert/strict";
import { test } from "node:test";

import { ChangeSet, EditorSelection, EditorState } from "@codemirror/state";

import {
  editorSuggestions,
  passageThrough,
  placeMarks,
  suggestionsField,
} from "../editor-suggestions.js";
import { remoteChange } from "../editor-view.js";
import { transformRange } from "../ot.js";
import {
  SuggestionStore,
  describe,
  foldEdit,
  isEmptyDraft,
  touches,
} from "../suggestion-model.js";
import { SuggestionsApi } from "../suggestions-api.js";

// --- drafts ------------------------------------------------------------------------------------

test("typing at the caret appends to the draft and Backspace takes it back", () => {
  let { draft, flush } = foldEdit(null, { from: 5, to: 5, text: "a" });
  assert.deepEqual(draft, { from: 5, to: 5, text: "a" });
  assert.equal(flush, null);
  ({ draft } = foldEdit(draft, { from: 5, to: 5, text: "b" }));
  assert.deepEqual(draft, { from: 5, to: 5, text: "ab" });
  ({ draft } = foldEdit(draft, { from: 4, to: 5, text: "" }));
  assert.deepEqual(draft, { from: 5, to: 5, text: "a" });
  ({ draft } = foldEdit(draft, { from: 4, to: 5, text: "" }));
  assert.equal(draft, null, "typed and taken back: nothing left to suggest");
});

test("Backspace past the typed text strikes out the text before the passage", () => {
  let { draft } = foldEdit(null, { from: 8, to: 10, text: "" }); // "Delete" a selection
  ({ draft } = foldEdit(draft, { from: 9, to: 10, text: "" })); // Backspace at the caret
  assert.deepEqual(draft, { from: 7, to: 10, text: "" });
  ({ draft } = foldEdit(draft, { from: 10, to: 10, text: "new" }));
  assert.deepEqual(draft, { from: 7, to: 10, text: "new" });
});

test("Delete at the caret strikes out the text after the passage", () => {
  let { draft } = foldEdit(null, { from: 3, to: 3, text: "x" });
  ({ draft } = foldEdit(draft, { from: 3, to: 4, text: "" }));
  assert.deepEqual(draft, { from: 3, to: 4, text: "x" });
});

test("typing elsewhere sends the draft as it was and starts another", () => {
  const first = { from: 3, to: 4, text: "x" };
  const { draft, flush } = foldEdit(first, { from: 20, to: 20, text: "y" });
  assert.deepEqual(flush, first);
  assert.deepEqual(draft, { from: 20, to: 20, text: "y" });
});

test("an edit overlapping the draft joins it", () => {
  const { draft, flush } = foldEdit({ from: 5, to: 9, text: "ab" }, { from: 7, to: 12, text: "c" });
  assert.equal(flush, null);
  assert.deepEqual(draft, { from: 5, to: 12, text: "abc" });
  const before = foldEdit({ from: 5, to: 9, text: "ab" }, { from: 3, to: 5, text: "z" });
  assert.deepEqual(before.draft, { from: 3, to: 9, text: "zab" });
});

test("a rewrite of my pending suggestion is kept even when emptied (it is withdrawn)", () => {
  const rewrite = { from: 5, to: 5, text: "a", replaces: 7 };
  const { draft } = foldEdit(rewrite, { from: 4, to: 5, text: "" });
  assert.deepEqual(draft, { from: 5, to: 5, text: "", replaces: 7 });
  assert.equal(isEmptyDraft(draft), true);
});

test("an edit touches a passage at either edge or inside, not elsewhere", () => {
  const passage = { from: 5, to: 9 };
  assert.equal(touches(passage, { from: 9, to: 9 }), true);
  assert.equal(touches(passage, { from: 4, to: 5 }), true);
  assert.equal(touches(passage, { from: 6, to: 7 }), true);
  assert.equal(touches(passage, { from: 10, to: 11 }), false);
  assert.equal(touches(passage, { from: 1, to: 4 }), false);
});

test("suggestions are described in words, one line, shortened", () => {
  assert.equal(describe({ original: "teh", text: "the" }), "Replace “teh” with “the”");
  assert.equal(describe({ original: "", text: "a\nb" }), "Insert “a↵b”");
  assert.equal(describe({ original: "x".repeat(100), text: "" }), `Delete “${"x".repeat(59)}…”`);
});

// --- the pending suggestions -----------------------------------------------------------------

function suggestion(id, fields = {}) {
  return {
    id,
    start: id * 10,
    end: id * 10 + 3,
    revision: 4,
    original: "abc",
    text: "x",
    state: "pending",
    author: { id: 2, username: "rita" },
    proposal: { id: 1, number: 3, state: "open", url: "/proposals/1/" },
    ...fields,
  };
}

test("notices add, change and remove suggestions; a decided one never comes back", () => {
  const store = new SuggestionStore();
  store.load([suggestion(2), suggestion(1)]);
  assert.deepEqual(store.pending().map((s) => s.id), [1, 2]);
  const notice = (event, id, fields) => ({
    type: "suggestion",
    event,
    suggestion: suggestion(id, fields),
  });
  assert.equal(store.applyFrame(notice("updated", 1, { text: "yz" })), 1);
  assert.equal(store.get(1).text, "yz");
  store.applyFrame(notice("accepted", 1, { state: "accepted" }));
  assert.equal(store.get(1), null);
  // A late "created" from another server process does not bring it back.
  store.applyFrame(notice("created", 1));
  assert.equal(store.get(1), null);
  assert.equal(store.applyFrame({ type: "comment", id: 4 }), null);
  store.applyFrame(notice("outdated", 2, { state: "outdated" }));
  assert.deepEqual(store.pending(), []);
});

test("suggestions are grouped by proposal, and a closed proposal's are dropped", () => {
  const store = new SuggestionStore();
  const other = { id: 9, number: 1, state: "open", url: "/proposals/9/" };
  store.load([
    suggestion(1),
    suggestion(2, { proposal: other, author: { id: 5, username: "olga" } }),
    suggestion(3),
  ]);
  const groups = store.byProposal();
  assert.deepEqual(groups.map((g) => g.proposal.number), [1, 3]);
  assert.deepEqual(groups[1].suggestions.map((s) => s.id), [1, 3]);
  assert.deepEqual(store.dropProposal(1), [1, 3]);
  assert.deepEqual(store.pending().map((s) => s.id), [2]);
});

test("the API client sends the draft and reads every page of the list", async () => {
  const calls = [];
  const pages = {
    "http://localhost/api/documents/4/suggestions?page_size=100": {
      results: [suggestion(1)],
      next: "http://localhost/api/documents/4/suggestions?page=2&page_size=100",
    },
    "http://localhost/api/documents/4/suggestions?page=2&page_size=100": {
      results: [suggestion(2)],
      next: null,
    },
  };
  const fetch = async (url, options) => {
    calls.push([options.method, url, options.body && JSON.parse(options.body)]);
    const refused = {
      error: { code: "outdated", message: "Someone edited that passage meanwhile.", fields: {} },
    };
    const ok = options.method === "GET";
    const body = ok ? pages[url] : refused;
    return { ok, status: ok ? 200 : 409, json: async () => body };
  };
  const api = new SuggestionsApi({
    listUrl: "/api/documents/4/suggestions",
    acceptUrl: "/api/suggestions/{id}/accept",
    rejectUrl: "/api/suggestions/{id}/reject",
    acceptAllUrl: "/api/proposals/{id}/suggestions/accept-all",
    rejectAllUrl: "/api/proposals/{id}/suggestions/reject-all",
    fetch,
  });
  assert.deepEqual((await api.pending()).map((s) => s.id), [1, 2]);
  await assert.rejects(api.create({ start: 1, end: 2, text: "x", revision: 3 }), {
    message: "Someone edited that passage meanwhile.",
    status: 409,
  });
  await assert.rejects(api.accept(7));
  assert.deepEqual(calls.slice(2), [
    ["POST", "/api/documents/4/suggestions", { start: 1, end: 2, text: "x", revision: 3 }],
    ["POST", "/api/suggestions/7/accept", undefined],
  ]);
});

// --- passages in the editor ----------------------------------------------------------------------

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("a passage moves with the text as the server moves it, or is gone when edited inside", () => {
  const random = rng(7);
  for (let round = 0; round < 500; round++) {
    const text = "ab cd\nef gh ij\nk".slice(0, 1 + Math.floor(random() * 16));
    const start = Math.floor(random() * (text.length + 1));
    const end = start + Math.floor(random() * (text.length - start + 1));
    const at = Math.floor(random() * (text.length + 1));
    const insert = random() < 0.5;
    const stop = insert ? at : at + Math.floor(random() * (text.length - at + 1));
    const spec = insert ? { from: at, insert: "XY" } : { from: at, to: stop };
    const changes = ChangeSet.of(spec, text.length);
    const after = changes.apply(EditorState.create({ doc: text }).doc).toString();
    const moved = passageThrough(changes, start, end);
    const ops = insert ? [at, "XY", text.length - at] : [at, -(stop - at), text.length - stop];
    const inside = insert ? start < at && at < end : at < end && stop > start && stop > at;
    if (start < end && inside) {
      assert.equal(moved, null, JSON.stringify({ text, start, end, spec }));
    } else {
      const [from, to] = transformRange(start, end, ops.filter((c) => c !== 0));
      assert.deepEqual(moved, { from, to }, JSON.stringify({ text, start, end, spec }));
      assert.equal(after.slice(from, to), text.slice(start, end));
    }
  }
});

function suggestingState(doc) {
  const suggestions = editorSuggestions();
  suggestions.hooks.suggesting = () => true;
  const state = EditorState.create({ doc, extensions: [suggestions.extension] });
  return { state, suggestions };
}

function type(state, from, to, insert) {
  return state.update({
    changes: { from, to, insert },
    selection: EditorSelection.cursor(from + insert.length),
    userEvent: insert ? "input.type" : "delete.backward",
  }).state;
}

test("while suggesting, typing leaves the text alone and grows the draft", () => {
  let { state } = suggestingState("The quick fox.");
  state = type(state, 4, 9, "slow"); // "quick" selected, "slow" typed over it
  assert.equal(state.doc.toString(), "The quick fox.");
  assert.deepEqual(state.field(suggestionsField).draft, { from: 4, to: 9, text: "slow" });
  assert.equal(state.selection.main.head, 9, "the caret sits after the suggested text");
  state = type(state, 9, 9, "er");
  assert.deepEqual(state.field(suggestionsField).draft, { from: 4, to: 9, text: "slower" });
  // Someone else's edit before it moves the draft; the text changes for real.
  state = state.update({
    changes: { from: 0, insert: ">> " },
    annotations: remoteChange.of(true),
  }).state;
  assert.equal(state.doc.toString(), ">> The quick fox.");
  assert.deepEqual(state.field(suggestionsField).draft, { from: 7, to: 12, text: "slower" });
});

test("typing on at my pending suggestion rewrites it; others' stay as they are", () => {
  let { state } = suggestingState("The quick fox.");
  state = state.update({
    effects: placeMarks.of([
      { id: 7, from: 4, to: 9, text: "slow", mine: true },
      { id: 8, from: 10, to: 13, text: "cat", mine: false },
    ]),
  }).state;
  state = type(state, 9, 9, "er");
  const { draft, marks } = state.field(suggestionsField);
  assert.deepEqual(draft, { from: 4, to: 9, text: "slower", replaces: 7 });
  assert.deepEqual([...marks.keys()], [8]);
  state = type(state, 13, 13, "!"); // right after someone else's: a new draft of mine
  const after = state.field(suggestionsField);
  assert.deepEqual(after.draft, { from: 13, to: 13, text: "!" });
  assert.deepEqual([...after.sending.values()], [{ from: 4, to: 9, text: "slower", replaces: 7 }]);
  assert.equal(state.doc.toString(), "The quick fox.");
});

test("not suggesting, typing edits the text as always", () => {
  const suggestions = editorSuggestions();
  let state = EditorState.create({ doc: "abc", extensions: [suggestions.extension] });
  state = type(state, 3, 3, "d");
  assert.equal(state.doc.toString(), "abcd");
  assert.equal(state.field(suggestionsField).draft, null);
});

test("suggesting keeps the editor writable for people who may not edit", () => {
  const suggestions = editorSuggestions();
  const calls = [];
  const setReadOnly = suggestions.readOnlyFilter((value) => calls.push(value));
  setReadOnly(true);
  suggestions.hooks.canType = () => true;
  suggestions.applyReadOnly();
  setReadOnly(false);
  assert.deepEqual(calls, [true, false, false]);
});
