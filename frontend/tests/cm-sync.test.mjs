// UTF-16 (CodeMirror) <-> code points (the wire): random edits round-trip exactly.

import assert from "node:assert/strict";
import { test as nodeTest } from "node:test";

import { apply, cpLength } from "../ot.js";

// Needs the npm packages (`make js-deps`); without them these tests skip, not fail.
let codemirror = null;
let sync = null;
try {
  codemirror = await import("@codemirror/state");
  sync = await import("../cm-sync.js");
} catch {
  codemirror = null;
}
const skip = codemirror ? false : "@codemirror/state is not installed (run `npm ci`)";
const test = (name, fn) => nodeTest(name, { skip }, fn);
const { ChangeSet, EditorState, Text } = codemirror ?? {};
const { changesToOps, cpOffset, diffChange, offsetOf, opsToChanges } = sync ?? {};

const PIECES = ["a", "b", " ", "\n", "😀", "𝔸", "漢", "é", "👩‍💻", "\r"];

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
  const n = Math.floor(random() * max);
  for (let i = 0; i < n; i++) out += PIECES[Math.floor(random() * PIECES.length)];
  return out;
}

/** Offsets of code point boundaries (CodeMirror never splits a pair). */
function boundaries(text) {
  const out = [0];
  let i = 0;
  for (const ch of text) {
    i += ch.length;
    out.push(i);
  }
  return out;
}

function state(text) {
  return EditorState.create({ doc: text, extensions: [EditorState.lineSeparator.of("\n")] });
}

test("a CodeMirror change set becomes the op that gives the same text", () => {
  const random = rng(1);
  for (let i = 0; i < 2000; i++) {
    const text = randomText(random, 12);
    const s = state(text);
    const marks = boundaries(text);
    const specs = [];
    let at = 0;
    for (let k = 0; k < 3; k++) {
      const choices = marks.filter((m) => m >= at);
      if (!choices.length) break;
      const from = choices[Math.floor(random() * choices.length)];
      const rest = marks.filter((m) => m >= from);
      const to = random() < 0.5 ? from : rest[Math.floor(random() * rest.length)];
      specs.push({ from, to, insert: randomText(random, 3) });
      at = to + 1;
    }
    const tr = s.update({ changes: specs });
    const ops = changesToOps(tr.changes, s.doc);
    assert.equal(apply(text, ops), tr.state.doc.toString(), JSON.stringify({ text, specs }));
  }
});

test("a wire op becomes CodeMirror changes that give the same text", () => {
  const random = rng(2);
  for (let i = 0; i < 2000; i++) {
    const text = randomText(random, 12);
    const n = cpLength(text);
    const ops = [];
    let left = n;
    while (left > 0 || (ops.length === 0 && random() < 0.5)) {
      const r = random();
      if (r < 0.3) ops.push(randomText(random, 3) || "x");
      else if (left > 0) {
        const k = 1 + Math.floor(random() * left);
        ops.push(r < 0.65 ? k : -k);
        left -= k;
      }
      if (left === 0) break;
    }
    const s = state(text);
    const tr = s.update({ changes: opsToChanges(ops, s.doc) });
    assert.equal(tr.state.doc.toString(), apply(text, ops), JSON.stringify({ text, ops }));
  }
});

test("an op of the wrong length is refused, not half applied", () => {
  const s = state("a😀b");
  assert.throws(() => opsToChanges([4], s.doc));
  assert.throws(() => opsToChanges([2, "x"], s.doc));
  assert.deepEqual(opsToChanges([], s.doc), []);
});

test("positions convert between UTF-16 and code points", () => {
  const doc = Text.of(["a😀b", "漢𝔸"]);
  assert.equal(cpOffset(doc, 3), 2); // after the emoji
  assert.equal(offsetOf(doc, 2), 3);
  assert.equal(cpOffset(doc, 5), 4); // after the line break
  assert.equal(offsetOf(doc, 6), doc.length);
  assert.equal(cpOffset(doc, doc.length), 6);
});

test("diffChange keeps surrogate pairs whole", () => {
  const cases = [
    ["a😀b", "a😃b"],
    ["", "x"],
    ["same", "same"],
    ["aaa", "aa"],
    ["😀😀", "😀"],
    ["x😀", "x😁"],
  ];
  for (const [a, b] of cases) {
    const change = diffChange(a, b);
    if (a === b) {
      assert.equal(change, null);
      continue;
    }
    const result = ChangeSet.of([change], a.length)
      .apply(Text.of([a]))
      .toString();
    assert.equal(result, b);
    assert.ok(!/[\uDC00-\uDFFF]/.test(change.insert[0] ?? ""), `${a} -> ${b}`);
  }
});
