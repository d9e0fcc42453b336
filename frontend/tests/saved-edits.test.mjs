// The stored form of pending edits, on its own (client.test.mjs covers saving and restoring
// inside the whole state machine).
// Run: node --test frontend/tests/

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { STORAGE_PREFIX, readSavedEdits, savedEditsJson, storageKey } from "../saved-edits.js";
import { MemoryStorage } from "./fakes.mjs";

const pending = {
  documentId: "7",
  userId: 3,
  revision: 12,
  inflight: { id: "abc-1", ops: [5, " world"], count: 2, sentAt: 1000 },
  buffer: { ops: ["!", 11], count: 1 },
  text: "!hello world",
  savedAt: 2000,
};

describe("saved edits", () => {
  test("one key per document, user and (when given) tab", () => {
    assert.equal(storageKey("7", 3), `${STORAGE_PREFIX}:7:3`);
    assert.equal(storageKey(7, 3, "t1"), `${STORAGE_PREFIX}:7:3:t1`);
  });

  test("what is written is read back, without the in-flight op's send time", () => {
    const storage = new MemoryStorage();
    storage.setItem("k", savedEditsJson(pending));
    const saved = readSavedEdits(storage, "k", "7");
    assert.equal(saved.v, 1);
    assert.deepEqual(saved.inflight, { id: "abc-1", ops: [5, " world"], count: 2 });
    assert.deepEqual(saved.buffer, pending.buffer);
    assert.equal(saved.text, "!hello world");
    assert.equal(saved.revision, 12);
    assert.equal(
      JSON.parse(savedEditsJson({ ...pending, inflight: null, buffer: null })).inflight,
      null,
    );
  });

  test("nothing usable reads as null", () => {
    const storage = new MemoryStorage();
    assert.equal(readSavedEdits(null, "k", "7"), null, "no storage");
    assert.equal(readSavedEdits(storage, "k", "7"), null, "nothing stored");
    storage.setItem("k", savedEditsJson(pending));
    assert.equal(readSavedEdits(storage, "k", "8"), null, "another document");
    const stored = JSON.parse(savedEditsJson(pending));
    for (const broken of [
      "{not json",
      "null",
      JSON.stringify({ ...stored, v: 2 }),
      JSON.stringify({ ...stored, text: 5 }),
      JSON.stringify({ ...stored, revision: "12" }),
    ]) {
      storage.setItem("k", broken);
      assert.equal(readSavedEdits(storage, "k", "7"), null, broken);
    }
    const blocked = {
      getItem() {
        throw new Error("SecurityError");
      },
    };
    assert.equal(readSavedEdits(blocked, "k", "7"), null, "storage that throws");
  });
});
