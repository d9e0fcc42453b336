// The document page's socket (frontend/topic-socket.js): signs in with the page's cookie,
// follows the document's topic, resumes after the last frame on every reconnect, and stops
// for good when the reader may no longer read the document or is signed out.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { TopicSocket } from "../topic-socket.js";
import { FakeClock } from "./fakes.mjs";

/** Sockets the test opens, answers and closes by hand. */
function fakeSockets() {
  const opened = [];
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      opened.push(this);
    }

    send(text) {
      this.sent.push(JSON.parse(text));
    }

    close() {
      this.readyState = 3;
    }

    open() {
      this.readyState = 1;
      this.onopen?.();
    }

    push(frame) {
      this.onmessage?.({ data: JSON.stringify(frame) });
    }

    drop(code = 1006) {
      this.readyState = 3;
      this.onclose?.({ code });
    }
  }
  return { opened, FakeWebSocket };
}

function setup({ since = () => null } = {}) {
  const clock = new FakeClock();
  const { opened, FakeWebSocket } = fakeSockets();
  const socket = new TopicSocket({
    url: "ws://test/ws/collab/",
    document: 12,
    since,
    WebSocket: FakeWebSocket,
    timers: clock.api,
    random: () => 0.5,
  });
  const seen = { comment: [], subscribed: [], status: [] };
  for (const kind of Object.keys(seen)) socket.on(kind, (frame) => seen[kind].push(frame));
  return { clock, opened, socket, seen };
}

function connect(ws) {
  ws.open();
  ws.push({ type: "authenticated", user: { id: 7, username: "ada" }, topics: ["user:7"] });
}

describe("the document page's socket", () => {
  test("signs in with the cookie, subscribes, and passes on the topic's frames", () => {
    const { opened, socket, seen } = setup();
    socket.start();
    connect(opened[0]);
    assert.deepEqual(opened[0].sent, [
      { type: "authenticate" },
      { type: "subscribe", document: 12 },
    ]);
    assert.equal(socket.status, "connecting");
    opened[0].push({ type: "subscribed", document: 12, topic: "doc:12", backlog_complete: true });
    assert.equal(socket.status, "connected");
    opened[0].push({ type: "comment", topic: "doc:12", id: 5, event: "created", comment: {} });
    assert.deepEqual(seen.comment.map((f) => f.id), [5]);
    assert.equal(seen.subscribed.length, 1);
  });

  test("after a dropped connection it resumes after the last frame it has", () => {
    let last = null;
    const { clock, opened, socket } = setup({ since: () => last });
    socket.start();
    connect(opened[0]);
    opened[0].push({ type: "subscribed", document: 12, backlog_complete: true });
    last = 41;
    opened[0].drop();
    assert.equal(socket.status, "reconnecting");
    clock.advance(1000);
    connect(opened[1]);
    assert.deepEqual(opened[1].sent.at(-1), { type: "subscribe", document: 12, since: 41 });
  });

  test("a reader who may no longer read the document stops for good, with the reason", () => {
    const { clock, opened, socket } = setup();
    socket.start();
    connect(opened[0]);
    opened[0].push({
      type: "unsubscribed",
      document: 12,
      topic: "doc:12",
      reason: "forbidden",
      message: "You may no longer read this document.",
    });
    assert.equal(socket.status, "forbidden");
    assert.equal(socket.message, "You may no longer read this document.");
    clock.advance(60000);
    assert.equal(opened.length, 1, "no reconnect");
  });

  test("a document that is not there (or not readable) stops it too", () => {
    const { opened, socket } = setup();
    socket.start();
    connect(opened[0]);
    opened[0].push({ type: "error", code: "not_found", document: 12, message: "no such document" });
    assert.equal(socket.status, "forbidden");
  });

  test("signed out: stops and says so instead of retrying", () => {
    const { clock, opened, socket } = setup();
    socket.start();
    opened[0].open();
    opened[0].push({ type: "error", code: "not_authenticated", message: "sign in" });
    opened[0].drop(4401);
    assert.equal(socket.status, "signed_out");
    clock.advance(60000);
    assert.equal(opened.length, 1);
  });

  test("an account signed out everywhere while reading is told apart from lost access", () => {
    const { opened, socket } = setup();
    socket.start();
    connect(opened[0]);
    opened[0].push({ type: "error", code: "forbidden", reason: "signed_out", message: "Sign in" });
    opened[0].drop(4403);
    assert.equal(socket.status, "signed_out");
  });
});
