// The writing assistant's stream reading: server-sent events split across chunks arrive
// whole and in order, errors before the stream become one readable message, and a stream
// cut off before its end says the service failed.
import assert from "node:assert/strict";
import { test } from "node:test";

import { askAssistant, parseEvents } from "../editor-assist.js";

function streamOf(chunks, { status = 200, json = null } = {}) {
  const encoder = new TextEncoder();
  return {
    ok: status >= 200 && status < 300,
    status,
    json: async () => json,
    body: new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    }),
  };
}

test("events split anywhere across chunks arrive whole and in order", async () => {
  const text =
    'event: progress\ndata: {"state": "waiting"}\n\n' +
    'event: delta\ndata: {"text": "Soft"}\n\n' +
    'event: delta\ndata: {"text": "max ✓"}\n\n' +
    'event: done\ndata: {"text": "Softmax ✓"}\n\n';
  const chunks = [];
  for (let i = 0; i < text.length; i += 7) chunks.push(text.slice(i, i + 7));
  const seen = [];
  await askAssistant({
    url: "/api/documents/1/assist",
    body: { action: "explain", start: 0, end: 4, revision: 3 },
    fetch: async () => streamOf(chunks),
    onEvent: (event) => seen.push(event),
  });
  assert.deepEqual(
    seen.map((e) => e.name),
    ["progress", "delta", "delta", "done"],
  );
  assert.equal(seen.map((e) => e.data.text ?? "").join(""), "Softmax ✓Softmax ✓");
});

test("a refusal before the stream is one readable error", async () => {
  const seen = [];
  await askAssistant({
    url: "/x",
    body: {},
    fetch: async () =>
      streamOf([], {
        status: 429,
        json: { error: { code: "throttled", message: "Try again later.", fields: {} } },
      }),
    onEvent: (event) => seen.push(event),
  });
  assert.equal(seen.length, 1);
  assert.equal(seen[0].name, "error");
  assert.match(seen[0].data.message, /later/);
});

test("a stream cut off before done or error says the assistant failed", async () => {
  const seen = [];
  await askAssistant({
    url: "/x",
    body: {},
    fetch: async () => streamOf(['event: delta\ndata: {"text": "Half"}\n\n']),
    onEvent: (event) => seen.push(event),
  });
  assert.deepEqual(
    seen.map((e) => e.name),
    ["delta", "error"],
  );
});

test("a network failure is reported, not thrown", async () => {
  const seen = [];
  await askAssistant({
    url: "/x",
    body: {},
    fetch: async () => {
      throw new TypeError("network down");
    },
    onEvent: (event) => seen.push(event),
  });
  assert.equal(seen[0].name, "error");
});

test("malformed events are skipped and the unfinished rest is kept", () => {
  const { events, rest } = parseEvents('event: delta\ndata: {bad\n\nevent: done\ndata: {"text": "ok"}\n\nevent: del');
  assert.deepEqual(events, [{ name: "done", data: { text: "ok" } }]);
  assert.equal(rest, "event: del");
});
