// The bell's socket (frontend/notifications-socket.js): authenticates with `user_since`,
// resumes after the last notification it saw on every reconnect, and passes each
// notification on once even when a backlog and a live frame overlap.

import assert from "node:assert/strict";
import { test } from "node:test";

import { NotificationSocket } from "../notifications-socket.js";
import { FakeClock } from "./fakes.mjs";

function setup(since) {
  const clock = new FakeClock();
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
  const socket = new NotificationSocket({
    url: "ws://test/ws/collab/",
    since,
    WebSocket: FakeWebSocket,
    timers: clock.api,
    random: () => 0.5,
  });
  const got = [];
  socket.on("notification", (frame) => got.push(frame.id));
  return { clock, opened, socket, got };
}

test("resumes after the last id seen, and passes each notification on once", () => {
  const { clock, opened, socket, got } = setup(10);
  socket.start();
  opened[0].open();
  assert.deepEqual(opened[0].sent[0], { type: "authenticate", frame_parts: true, user_since: 10 });
  opened[0].push({ type: "authenticated", user: { id: 7 } });
  for (const id of [10, 11, 12, 12]) opened[0].push({ type: "notification", id, unread_count: 1 });
  assert.deepEqual(got, [11, 12]);
  opened[0].drop();
  clock.advance(60000);
  opened[1].open();
  assert.equal(opened[1].sent[0].user_since, 12);
  opened[1].push({ type: "authenticated", user: { id: 7 } });
  opened[1].push({ type: "notification", id: 13, unread_count: 2 });
  assert.deepEqual(got, [11, 12, 13]);
  socket.stop();
});

test("a signed-out socket stops for good", () => {
  const { clock, opened, socket } = setup(null);
  const statuses = [];
  socket.on("status", ({ status }) => statuses.push(status));
  socket.start();
  opened[0].open();
  assert.equal(opened[0].sent[0].user_since, undefined);
  opened[0].drop(4401);
  clock.advance(60000);
  assert.equal(opened.length, 1);
  assert.ok(statuses.includes("signed_out"));
});
