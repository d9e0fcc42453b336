// The frame_part assembler on its own: parts in order make the frame; a wrong index, a
// changed count, non-string data or another frame in between break the sequence.
// Run: node --test frontend/tests/

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { FrameParts } from "../frame-parts.js";
import { splitFrame } from "./fakes.mjs";

/** `frame` as `count` frame_part frames (objects, as the client has them after JSON.parse). */
function partsOf(frame, count) {
  return splitFrame(JSON.stringify(frame), count).map((text) => JSON.parse(text));
}

describe("FrameParts", () => {
  test("parts in order make the frame, and the next frame starts afresh", () => {
    const parts = new FrameParts();
    const frame = { type: "authenticated", content: "hello 😀 world", revision: 3 };
    const [p0, p1, p2] = partsOf(frame, 3);
    assert.equal(parts.pending, false);
    assert.equal(parts.add(p0), null);
    assert.equal(parts.pending, true);
    assert.equal(parts.add(p1), null);
    assert.deepEqual(parts.add(p2), { frame });
    assert.equal(parts.pending, false);
    const [only] = partsOf({ type: "pong" }, 1);
    assert.deepEqual(parts.add(only), { frame: { type: "pong" } });
  });

  test("a part with the wrong index breaks the sequence and forgets the partial frame", () => {
    const parts = new FrameParts();
    const [p0, , p2] = partsOf({ type: "chat_message", message: "hi there" }, 3);
    assert.equal(parts.add(p0), null);
    assert.deepEqual(parts.add(p2), { broken: "bad_index" });
    assert.equal(parts.pending, false);
    // A sequence that does not start at 0 is broken too.
    assert.deepEqual(new FrameParts().add(p2), { broken: "bad_index" });
    assert.deepEqual(new FrameParts().add({ ...p0, index: "0" }), { broken: "bad_index" });
  });

  test("a count that changes midway, or is not a positive integer, breaks it", () => {
    const parts = new FrameParts();
    const [p0, p1] = partsOf({ type: "chat_message", message: "hi there" }, 2);
    assert.equal(parts.add(p0), null);
    assert.deepEqual(parts.add({ ...p1, count: 3 }), { broken: "bad_count" });
    assert.equal(parts.pending, false);
    for (const count of [0, -1, 1.5, "1", null, undefined]) {
      assert.deepEqual(new FrameParts().add({ ...p0, count }), { broken: "bad_count" }, count);
    }
  });

  test("data that is not a string breaks it", () => {
    const parts = new FrameParts();
    const [p0, p1] = partsOf({ type: "chat_message", message: "hi there" }, 2);
    assert.equal(parts.add(p0), null);
    assert.deepEqual(parts.add({ ...p1, data: 5 }), { broken: "bad_data" });
    assert.equal(parts.pending, false);
    for (const data of [null, undefined, {}, ["{}"]]) {
      assert.deepEqual(new FrameParts().add({ ...p0, count: 1, data }), { broken: "bad_data" });
    }
  });

  test("another frame between two parts breaks it", () => {
    const parts = new FrameParts();
    const [p0] = partsOf({ type: "chat_message", message: "hi there" }, 2);
    assert.equal(parts.add(p0), null);
    assert.deepEqual(parts.add({ type: "pong" }), { broken: "interrupted" });
    assert.equal(parts.pending, false);
    assert.deepEqual(new FrameParts().add(null), { broken: "interrupted" });
  });

  test("joined text that is not a frame breaks it", () => {
    const one = (data) => new FrameParts().add({ type: "frame_part", index: 0, count: 1, data });
    assert.deepEqual(one("{not json"), { broken: "not_json" });
    assert.deepEqual(one("null"), { broken: "not_a_frame" });
    assert.deepEqual(one('"text"'), { broken: "not_a_frame" });
    assert.deepEqual(one("5"), { broken: "not_a_frame" });
    // Parts do not nest.
    assert.deepEqual(one(splitFrame("{}", 1)[0]), { broken: "not_a_frame" });
  });

  test("reset forgets a half-received frame", () => {
    const parts = new FrameParts();
    const [p0, p1] = partsOf({ type: "chat_message", message: "hi there" }, 2);
    parts.add(p0);
    parts.reset();
    assert.equal(parts.pending, false);
    assert.deepEqual(parts.add(p1), { broken: "bad_index" }, "the rest is not a frame start");
  });

  test("a 1,000,000-character frame is joined whole, quickly", () => {
    const content = "Attention is all you need. 😀\n".repeat(36000);
    assert.ok(content.length > 1_000_000);
    const frame = { type: "authenticated", content, revision: 1 };
    const split = partsOf(frame, 40);
    const parts = new FrameParts();
    const started = performance.now();
    let joined = null;
    for (const part of split) joined = parts.add(part);
    const elapsed = performance.now() - started;
    assert.equal(joined.frame.content, content);
    assert.equal(joined.frame.revision, 1);
    assert.equal(parts.pending, false);
    assert.ok(elapsed < 1000, `took ${Math.round(elapsed)} ms`);
  });
});
