// Highlighted passages in the editor move with the text exactly as the server moves the
// comment's anchor (ot.py transform_range, mirrored by ot.js transformRange): text typed at
// either edge stays outside, text typed inside grows it, a passage deleted whole is gone.

import assert from "node:assert/strict";
import { test as nodeTest } from "node:test";

import { transformRange } from "../ot.js";

// Needs the npm packages (`make js-deps`); without them these tests skip, not fail.
let codemirror = null;
let comments = null;
let sync = null;
try {
  codemirror = await import("@codemirror/state");
  comments = await import("../editor-comments.js");
  sync = await import("../cm-sync.js");
} catch {
  codemirror = null;
}
const skip = codemirror ? false : "@codemirror packages are not installed (run `npm ci`)";
const test = (name, fn) => nodeTest(name, { skip }, fn);

const PIECES = ["a", "b", " ", "\n", "😀", "é", "漢"];

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomText(random, max) {
  let out = "";
  const n = 1 + Math.floor(random() * max);
  for (let i = 0; i < n; i++) out += PIECES[Math.floor(random() * PIECES.length)];
  return out;
}

function stateWith(text, cpFrom, cpTo) {
  const { EditorState } = codemirror;
  const state = EditorState.create({
    doc: text,
    extensions: [EditorState.lineSeparator.of("\n"), comments.commentsField],
  });
  const from = sync.offsetOf(state.doc, cpFrom);
  const to = sync.offsetOf(state.doc, cpTo);
  return state.update({ effects: comments.placeMarks.of([{ threadId: 1, from, to }]) }).state;
}

function markInCodePoints(state) {
  const mark = state.field(comments.commentsField).marks.get(1);
  if (!mark) return null;
  return { ...mark, start: sync.cpOffset(state.doc, mark.from), end: sync.cpOffset(state.doc, mark.to) };
}

/** A random insert or delete at code point boundaries (CodeMirror never splits a pair). */
function randomChange(random, state) {
  const length = sync.cpCount(state.doc, 0, state.doc.length);
  const at = Math.floor(random() * (length + 1));
  const from = sync.offsetOf(state.doc, at);
  if (random() < 0.55 || length === at) return { from, insert: randomText(random, 3) };
  const to = sync.offsetOf(state.doc, Math.min(length, at + 1 + Math.floor(random() * 4)));
  return { from, to };
}

test("a highlighted passage moves through every change as the server moves its anchor", () => {
  const random = rng(7);
  for (let trial = 0; trial < 400; trial++) {
    const text = randomText(random, 14);
    const length = [...text].length;
    const a = Math.floor(random() * length);
    const b = a + 1 + Math.floor(random() * (length - a));
    let state = stateWith(text, a, b);
    let expected = [a, b];
    for (let step = 0; step < 12; step++) {
      const change = randomChange(random, state);
      const tr = state.update({ changes: change });
      const ops = sync.changesToOps(tr.changes, state.doc);
      expected = transformRange(expected[0], expected[1], ops);
      state = tr.state;
      const mark = markInCodePoints(state);
      if (expected[0] === expected[1]) {
        // The server marks the thread outdated; the editor stops highlighting it.
        assert.ok(mark === null || mark.gone, `trial ${trial}: a deleted passage stays highlighted`);
        break;
      }
      assert.deepEqual([mark.start, mark.end], expected, `trial ${trial} step ${step}`);
    }
  }
});

test("text typed at the edges stays outside, text typed inside grows the passage", () => {
  const text = "Attention is all you need.";
  let state = stateWith(text, 13, 16); // "all"
  state = state.update({ changes: { from: 13, insert: "[" } }).state;
  state = state.update({ changes: { from: 17, insert: "]" } }).state;
  state = state.update({ changes: { from: 16, insert: "-" } }).state;
  const mark = markInCodePoints(state);
  assert.equal(state.sliceDoc(mark.from, mark.to), "al-l");
  assert.equal(state.doc.toString(), "Attention is [al-l] you need.");
});
