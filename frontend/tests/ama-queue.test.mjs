// The AMA queue's rules (frontend/ama-queue.js) and its room socket (frontend/ama-socket.js):
// the order the server lists (votes, then oldest), who keeps which question after a frame,
// and a socket that resumes after the last frame it saw, applying nothing twice.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { applyFrame, countdownText, queueOrder } from "../ama-queue.js";
import { AmaSocket } from "../ama-socket.js";
import { FakeClock } from "./fakes.mjs";

const q = (id, score, minute, extra = {}) => ({
  id,
  score,
  status: "open",
  created_at: `2026-12-03T10:${String(minute).padStart(2, "0")}:00Z`,
  author: { id: 100 + id, username: `u${id}` },
  content: `question ${id}`,
  ...extra,
});

function queueOf(...questions) {
  return new Map(questions.map((question) => [question.id, question]));
}

describe("the queue", () => {
  test("orders by votes, then the oldest first, then the lowest id", () => {
    const queue = queueOf(q(1, 0, 1), q(2, 3, 5), q(3, 3, 2), q(4, 0, 1));
    assert.deepEqual(queueOrder(queue), [3, 2, 1, 4]);
  });

  test("an up-vote frame moves a question up", () => {
    const queue = queueOf(q(1, 1, 1), q(2, 1, 2), q(3, 2, 3));
    applyFrame(queue, { type: "ama_question", question: q(2, 3, 2) });
    assert.deepEqual(queueOrder(queue), [2, 3, 1]);
  });

  test("a new question joins; merged and withdrawn ones leave", () => {
    const queue = queueOf(q(1, 0, 1));
    applyFrame(queue, { type: "ama_question", question: q(2, 0, 2) });
    assert.deepEqual(queueOrder(queue), [1, 2]);
    const merged = applyFrame(queue, {
      type: "ama_question",
      question: q(2, 0, 2, { status: "merged", merged_into: 1 }),
    });
    assert.equal(merged.removed, true);
    applyFrame(queue, { type: "ama_question_deleted", question_id: 1 });
    assert.deepEqual(queueOrder(queue), []);
  });

  test("a hidden question leaves other people's queues, stays with its text for moderators", () => {
    const hiddenFrame = {
      type: "ama_question",
      question: q(1, 0, 1, { status: "hidden", content: "", author: null }),
    };
    const reader = queueOf(q(1, 0, 1));
    assert.equal(applyFrame(reader, hiddenFrame, { userId: 7 }).removed, true);
    const moderator = queueOf(q(1, 0, 1));
    const change = applyFrame(moderator, hiddenFrame, { canRun: true, userId: 9 });
    assert.equal(change.removed, false);
    assert.equal(moderator.get(1).content, "question 1");
    assert.equal(moderator.get(1).status, "hidden");
  });

  test("state frames are passed on", () => {
    const change = applyFrame(new Map(), { type: "ama_state", state: "live", answering_now: 4 });
    assert.equal(change.state.answering_now, 4);
    assert.equal(applyFrame(new Map(), { type: "room_message" }), null);
  });

  test("the countdown", () => {
    assert.equal(countdownText(-5), "Starting now");
    assert.equal(countdownText(40_000), "Starts in 40 s");
    assert.equal(countdownText(5 * 60_000), "Starts in 5 min");
    assert.equal(countdownText((2 * 60 + 5) * 60_000), "Starts in 2 h 5 min");
    assert.equal(countdownText(3 * 86_400_000), "Starts in 3 d 0 h");
  });
});

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

describe("the room socket", () => {
  function setup(since = 40) {
    const clock = new FakeClock();
    const { opened, FakeWebSocket } = fakeSockets();
    const socket = new AmaSocket({
      url: "ws://test/ws/collab/",
      room: 5,
      since,
      WebSocket: FakeWebSocket,
      timers: clock.api,
      random: () => 0.5,
    });
    const frames = [];
    socket.on("frame", (frame) => frames.push(frame));
    return { clock, opened, socket, frames };
  }

  function connect(ws) {
    ws.open();
    assert.deepEqual(ws.sent.at(-1), { type: "authenticate" });
    ws.push({ type: "authenticated", user: { id: 1 } });
  }

  test("subscribes from the page's last id and resumes after the last frame seen", () => {
    const { clock, opened, socket, frames } = setup(40);
    socket.start();
    connect(opened[0]);
    assert.deepEqual(opened[0].sent.at(-1), { type: "subscribe", room: 5, since: 40 });
    opened[0].push({ type: "subscribed", room: 5, topic: "room:5" });
    assert.equal(socket.status, "connected");
    opened[0].push({ type: "ama_question", room: 5, id: 41, question: q(1, 1, 1) });
    opened[0].push({ type: "ama_question", room: 5, id: 41, question: q(1, 1, 1) }); // twice
    opened[0].push({ type: "ama_question", room: 6, id: 42, question: q(9, 1, 1) }); // other room
    assert.deepEqual(
      frames.map((f) => f.id),
      [41],
    );

    opened[0].drop();
    clock.advance(60_000);
    connect(opened[1]);
    assert.deepEqual(opened[1].sent.at(-1), { type: "subscribe", room: 5, since: 41 });
    opened[1].push({ type: "ama_state", room: 5, id: 43, state: "live" });
    assert.deepEqual(
      frames.map((f) => f.id),
      [41, 43],
    );
  });

  test("stops for good when the room is gone for this person", () => {
    const { opened, socket } = setup(null);
    socket.start();
    connect(opened[0]);
    assert.deepEqual(opened[0].sent.at(-1), { type: "subscribe", room: 5 });
    opened[0].push({ type: "error", code: "not_found", room: 5 });
    assert.equal(socket.status, "forbidden");
  });
});
