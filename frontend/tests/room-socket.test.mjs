// The room chat's socket and log (frontend/room-socket.js, room-log.js): subscribe with
// `since`, resume after the last topic frame on every reconnect, and keep each message
// once, in its newest state, whatever order REST answers and topic frames arrive in.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { RoomLog } from "../room-log.js";
import { RoomSocket } from "../room-socket.js";
import { FakeClock } from "./fakes.mjs";

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

function setup(since = 40) {
  const clock = new FakeClock();
  const { opened, FakeWebSocket } = fakeSockets();
  const log = new RoomLog({ since, messages: [message(40, "seen")] });
  const socket = new RoomSocket({
    url: "ws://test/ws/collab/",
    room: 5,
    since: () => log.lastTopicId,
    WebSocket: FakeWebSocket,
    timers: clock.api,
    random: () => 0.5,
  });
  const seen = { frame: [], refused: [], status: [] };
  for (const kind of Object.keys(seen)) socket.on(kind, (x) => seen[kind].push(x));
  socket.on("frame", (frame) => log.apply(frame));
  return { clock, opened, socket, seen, log };
}

function message(id, text, extra = {}) {
  return {
    type: "room_message",
    id,
    room: 5,
    user: { id: 7, username: "ada" },
    message: text,
    message_type: "text",
    html: `<p>${text}</p>`,
    created_at: "2026-12-03T10:00:00Z",
    edited_at: null,
    deleted: false,
    ...extra,
  };
}

function connect(ws) {
  ws.open();
  ws.push({ type: "authenticated", user: { id: 7, username: "ada" }, topics: ["user:7"] });
  ws.push({ type: "subscribed", room: 5, topic: "room:5", can_post: true, backlog_complete: true });
}

describe("the room chat's socket", () => {
  test("subscribes from the page's last id, then from the last frame after a reconnect", () => {
    const { clock, opened, socket, seen, log } = setup();
    socket.start();
    connect(opened[0]);
    assert.deepEqual(opened[0].sent, [
      { type: "authenticate" },
      { type: "subscribe", room: 5, since: 40 },
    ]);
    assert.equal(socket.status, "connected");
    opened[0].push({ ...message(41, "hello"), topic: "room:5" });
    opened[0].push({ type: "pong" });
    opened[0].push({ ...message(99, "another room"), room: 6 });
    assert.deepEqual(
      seen.frame.map((f) => f.id),
      [41],
    );

    opened[0].drop();
    assert.equal(socket.status, "reconnecting");
    clock.advance(1000);
    connect(opened[1]);
    assert.deepEqual(opened[1].sent[1], { type: "subscribe", room: 5, since: 41 });
    // The missed frames, in order: a message, an edit, a deletion.
    opened[1].push({ ...message(42, "typo"), topic: "room:5" });
    opened[1].push({
      type: "room_message_edited",
      id: 43,
      room: 5,
      message_id: 42,
      message: "fixed",
      html: "<p>fixed</p>",
      edited_at: "2026-12-03T10:01:00Z",
      topic: "room:5",
    });
    opened[1].push({ type: "room_message_deleted", id: 44, room: 5, message_id: 41 });
    assert.deepEqual(
      log.messages().map((m) => [m.id, m.message, m.deleted]),
      [
        [40, "seen", false],
        [41, "", true],
        [42, "fixed", false],
      ],
    );
    assert.equal(log.lastTopicId, 44);
  });

  test("stops for good when the room is no longer readable, and passes on refusals", () => {
    const { opened, socket, seen } = setup();
    socket.start();
    connect(opened[0]);
    opened[0].push({ type: "error", code: "rate_limited", room: 5, retry_after_ms: 300 });
    assert.equal(seen.refused[0].code, "rate_limited");
    opened[0].push({
      type: "unsubscribed",
      room: 5,
      topic: "room:5",
      reason: "forbidden",
      message: "You may no longer read this room.",
    });
    assert.equal(socket.status, "forbidden");
    assert.equal(socket.message, "You may no longer read this room.");
    assert.equal(opened.length, 1);
  });

  test("a room that is not found, or a sign-in that ended, stops it too", () => {
    const { opened, socket } = setup();
    socket.start();
    opened[0].open();
    opened[0].push({ type: "authenticated", user: { id: 7, username: "ada" } });
    opened[0].push({ type: "error", code: "not_found", room: 5, message: "there is no such room" });
    assert.equal(socket.status, "forbidden");

    const second = setup();
    second.socket.start();
    connect(second.opened[0]);
    second.opened[0].push({ type: "error", code: "forbidden", reason: "signed_out" });
    second.opened[0].drop(4403);
    assert.equal(second.socket.status, "signed_out");
  });
});

describe("the room chat's log", () => {
  test("a message from REST and the same one from the topic are kept once", () => {
    const log = new RoomLog({ since: 10 });
    assert.equal(log.upsert(message(12, "mine")), true); // the POST answer
    assert.equal(log.lastTopicId, 10); // a REST answer does not move the resume point
    assert.deepEqual(log.apply(message(11, "theirs")), { changed: true, id: 11 });
    assert.deepEqual(log.apply(message(12, "mine")), { changed: false, id: 12 });
    assert.deepEqual(log.apply(message(11, "theirs")), { changed: false, id: null }); // replay
    assert.deepEqual(
      log.messages().map((m) => m.id),
      [11, 12],
    );
  });

  test("an older state never overwrites a newer one, and deletion is final", () => {
    const log = new RoomLog({ since: 1 });
    log.apply(message(2, "v1"));
    log.upsert(message(2, "v3", { edited_at: "2026-12-03T10:03:00Z" })); // PATCH answer
    log.apply({
      type: "room_message_edited",
      id: 3,
      room: 5,
      message_id: 2,
      message: "v2",
      html: "<p>v2</p>",
      edited_at: "2026-12-03T10:02:00Z",
    });
    assert.equal(log.get(2).message, "v3");
    log.apply({ type: "room_message_deleted", id: 5, room: 5, message_id: 2 });
    log.upsert(message(2, "v3", { edited_at: "2026-12-03T10:03:00Z" })); // a late REST page
    assert.deepEqual([log.get(2).deleted, log.get(2).message, log.get(2).html], [true, "", ""]);
    // Events of other apps move the resume point and change no message.
    assert.deepEqual(log.apply({ type: "ama_queue", id: 6, room: 5 }), {
      changed: false,
      id: null,
    });
    assert.equal(log.lastTopicId, 6);
  });

  test("older pages come before, and an edit of a message not loaded is skipped", () => {
    const log = new RoomLog({ since: 50, messages: [message(48, "b"), message(50, "c")] });
    log.upsert(message(47, "a"));
    assert.equal(log.oldestId(), 47);
    assert.deepEqual(
      log.apply({ type: "room_message_edited", id: 51, room: 5, message_id: 3, message: "x" }),
      { changed: false, id: null },
    );
    assert.deepEqual(
      log.messages().map((m) => m.message),
      ["a", "b", "c"],
    );
  });
});
