// The client state machine against a fake socket and server: in-flight/buffer, acks,
// remote ops, reconnect with ops_since, resubmission, persistence and the conflict stop;
// then this project's extensions: frame parts, rights that change, topic frames.
// Run: node --test frontend/tests/

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { CollabClient, SIGNED_OUT_REASONS, storageKey } from "../client.js";
import { apply, cpLength } from "../ot.js";
import { FakeClock, FakeServer, MemoryStorage, Network, TextDoc, splitFrame } from "./fakes.mjs";

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function setup({ text = "hello", clients = 1, keepFrom = 0, storage = null } = {}) {
  const clock = new FakeClock();
  const server = new FakeServer(text, { keepFrom });
  const network = new Network(server);
  const made = [];
  for (let i = 0; i < clients; i++) made.push(makeClient({ clock, server, network, i, storage }));
  return { clock, server, network, clients: made };
}

function makeClient({ clock, server, network, i, storage, userId = i + 1, canEdit = true }) {
  const url = `ws://test/${i}`;
  network.users.set(url, { userId, canEdit });
  const doc = new TextDoc(server.text);
  const client = new CollabClient({
    documentId: "1",
    userId,
    url,
    doc,
    revision: server.revision,
    storage: storage ?? new MemoryStorage(),
    WebSocket: network.WebSocket,
    isOnline: () => network.online,
    timers: clock.api,
    random: mulberry32(i + 1),
  });
  client.testDoc = doc;
  return client;
}

/** An op inserting `text` at code point `pos` of `doc`. */
function ins(doc, pos, text) {
  return [pos, text, cpLength(doc) - pos].filter((c) => c !== 0);
}

function del(doc, pos, n) {
  return [pos, -n, cpLength(doc) - pos - n].filter((c) => c !== 0);
}

/** What the editor does when the user types: change the local text, tell the client. */
function type(client, ops) {
  client.testDoc.text = apply(client.testDoc.text, ops);
  client.localEdit(ops);
}

function connectAll({ clients, network }) {
  for (const client of clients) client.start();
  network.deliverAll();
}

describe("CollabClient", () => {
  test("authenticates with the document id and the revision it has", () => {
    const env = setup();
    const [client] = env.clients;
    client.start();
    assert.equal(client.status, "connecting");
    env.network.deliverAll();
    const first = env.server.received[0];
    assert.deepEqual(first, {
      type: "authenticate",
      document_id: "1",
      revision: 0,
      frame_parts: true,
    });
    assert.equal(client.status, "connected");
    assert.equal(client.testDoc.text, "hello");
  });

  test("one op in flight, later edits buffered and composed, sent after the ack", () => {
    const env = setup();
    connectAll(env);
    const [client] = env.clients;
    const socket = env.network.connections[0].socket;
    type(client, ins("hello", 5, " world"));
    type(client, ins("hello world", 11, "!"));
    type(client, ins("hello world!", 0, "😀"));
    const edits = () => socket.sent.filter((f) => f.type === "edit");
    assert.equal(edits().length, 1, "only one op in flight");
    assert.deepEqual(edits()[0].edit.ops, [5, " world"]);
    assert.equal(edits()[0].revision, 0);
    assert.equal(client.pendingCount(), 3);
    assert.deepEqual(client.buffer.ops, ["😀", 11, "!"]);
    env.network.deliverAll();
    assert.equal(edits().length, 2);
    assert.equal(edits()[1].revision, 1);
    assert.deepEqual(edits()[1].edit.ops, ["😀", 11, "!"]);
    assert.notEqual(edits()[1].client_op_id, edits()[0].client_op_id);
    assert.equal(client.pendingCount(), 0);
    assert.equal(client.revision, 2);
    assert.equal(env.server.text, "😀hello world!");
  });

  test("remote ops are transformed against in-flight and buffer; own insert first on ties", () => {
    const env = setup({ text: "ab", clients: 2 });
    connectAll(env);
    const [a, b] = env.clients;
    type(a, ins("ab", 1, "X")); // in flight
    type(a, ins("aXb", 2, "Y")); // buffered
    type(b, ins("ab", 1, "Z")); // concurrent, same position
    // Deliver B's edit to the server first, then everything.
    const connB = env.network.connections[1];
    env.network.run(["up", connB]);
    env.network.deliverAll();
    assert.equal(env.server.text, a.testDoc.text);
    assert.equal(env.server.text, b.testDoc.text);
    // B committed first; A's later-committed insert lands before it (server tie-break) and
    // A's own client transformation agrees (its insert first).
    assert.equal(env.server.text, "aXYZb");
  });

  test("a dropped in-flight op is resent with the same client_op_id and applied once", () => {
    const env = setup();
    connectAll(env);
    const [client] = env.clients;
    type(client, ins("hello", 0, ">"));
    const conn = env.network.connections[0];
    const id = conn.socket.sent.find((f) => f.type === "edit").client_op_id;
    env.network.cut(conn); // lost before the server saw it
    assert.equal(client.status, "reconnecting");
    type(client, ins(">hello", 6, "<")); // typing on while disconnected
    env.clock.advance(20000);
    env.network.deliverAll();
    const resent = env.network.connections[1].socket.sent.filter((f) => f.type === "edit");
    assert.equal(resent[0].client_op_id, id);
    assert.equal(env.server.text, ">hello<");
    assert.equal(client.testDoc.text, ">hello<");
    assert.equal(client.pendingCount(), 0);
  });

  test("ops_since containing the in-flight op IS the ack: nothing is sent twice", () => {
    const env = setup({ clients: 2 });
    connectAll(env);
    const [a, b] = env.clients;
    type(a, ins("hello", 5, "!"));
    const conn = env.network.connections[0];
    env.network.cut(conn, { keepUplink: 1 }); // the server committed it; the ack was lost
    env.network.deliverAll();
    type(b, ins("hello!", 0, "B:"));
    env.network.deliverAll();
    type(a, ins("hello!", 0, "A:")); // offline edit, buffered
    env.clock.advance(20000);
    env.network.deliverAll();
    const sent = env.network.connections[2].socket.sent;
    const auth = sent[0];
    assert.equal(auth.revision, 0);
    const edits = sent.filter((f) => f.type === "edit");
    assert.equal(edits.length, 1, "the acknowledged op is not resent");
    assert.equal(env.server.log.length, 3);
    assert.equal(env.server.text, "A:B:hello!");
    assert.equal(a.testDoc.text, env.server.text);
    assert.equal(b.testDoc.text, env.server.text);
  });

  test("a duplicate ack after a resend is ignored", () => {
    const env = setup();
    connectAll(env);
    const [client] = env.clients;
    type(client, ins("hello", 0, "x"));
    client.receive({ type: "ack", client_op_id: "someone-else", revision: 7 });
    assert.equal(client.inflight !== null, true);
    env.network.deliverAll();
    client.receive({ type: "ack", client_op_id: client.clientId + "-1", revision: 1 });
    assert.equal(client.revision, 1);
    assert.equal(client.status, "connected");
  });

  test("pending edits survive a reload and are resubmitted with their ids", () => {
    const storage = new MemoryStorage();
    const env = setup({ storage });
    connectAll(env);
    const [first] = env.clients;
    type(first, ins("hello", 5, " offline"));
    const id = env.network.connections[0].socket.sent.find((f) => f.type === "edit").client_op_id;
    env.network.online = false;
    env.network.cut(env.network.connections[0]);
    type(first, ins("hello offline", 0, "1 "));
    type(first, ins("1 hello offline", 15, " 😀"));
    const saved = JSON.parse(storage.getItem(storageKey("1", 1)));
    assert.equal(saved.inflight.id, id);
    assert.equal(saved.text, "1 hello offline 😀");
    first.stop(); // the page goes away

    // The reloaded page starts from the (stale) server copy it was served with.
    env.network.online = true;
    const second = makeClient({ ...env, i: 0, storage });
    assert.equal(second.restore(), true);
    assert.equal(second.testDoc.text, "1 hello offline 😀");
    assert.equal(second.pendingCount(), 3);
    second.start();
    env.network.deliverAll();
    const sent = env.network.connections.at(-1).socket.sent.filter((f) => f.type === "edit");
    assert.equal(sent[0].client_op_id, id);
    assert.equal(env.server.text, "1 hello offline 😀");
    assert.equal(second.testDoc.text, env.server.text);
    env.clock.advance(1000);
    assert.equal(storage.getItem(storageKey("1", 1)), null, "nothing pending, nothing stored");
  });

  test("revision_too_old for the in-flight op stops syncing and keeps the text", () => {
    const env = setup();
    connectAll(env);
    const [client] = env.clients;
    env.server.keepFrom = 5; // the server forgot the history the op is based on
    const conflicts = [];
    client.on("conflict", (c) => conflicts.push(c));
    type(client, ins("hello", 5, " mine"));
    env.network.deliverAll();
    assert.equal(client.status, "conflict");
    assert.equal(conflicts[0].code, "revision_too_old");
    assert.equal(conflicts[0].text, "hello mine");
    assert.equal(client.testDoc.text, "hello mine", "the text is kept");
    assert.throws(() => client.localEdit(["x", 10]));
    assert.equal(env.server.text, "hello");
    env.clock.advance(60000);
    env.network.deliverAll();
    assert.equal(env.network.connections.length, 1, "no reconnect after a conflict");
  });

  test("invalid_operation for the in-flight op stops syncing", () => {
    const env = setup();
    connectAll(env);
    const [client] = env.clients;
    client.receive({
      type: "error",
      code: "invalid_operation",
      message: "x",
      client_op_id: "nope",
    });
    assert.equal(client.status, "connected", "errors for other ops do not stop it");
    type(client, ins("hello", 0, "a"));
    client.receive({
      type: "error",
      code: "invalid_operation",
      message: "ops length 12 does not match",
      client_op_id: client.inflight.id,
    });
    assert.equal(client.status, "conflict");
  });

  test("ops_since_complete false with pending edits is a conflict, without them a reload", () => {
    const env = setup({ clients: 2 });
    connectAll(env);
    const [a, b] = env.clients;
    env.network.cut(env.network.connections[0]);
    type(a, ins("hello", 0, "offline "));
    type(b, ins("hello", 5, "!"));
    env.network.deliverAll();
    env.server.keepFrom = 1;
    env.clock.advance(20000);
    env.network.deliverAll();
    assert.equal(a.status, "conflict");
    assert.equal(a.conflict.code, "history_gone");
    assert.equal(a.testDoc.text, "offline hello");

    // Without pending edits the client just takes the server's text.
    env.network.cut(env.network.connections.find((c) => c.socket.url.endsWith("/1") && !c.closed));
    const c = makeClient({ ...env, i: 2 });
    c.start();
    env.network.deliverAll();
    type(c, ins("hello!", 6, "?"));
    env.network.deliverAll();
    env.server.keepFrom = env.server.revision;
    assert.equal(b.testDoc.text, "hello!");
    env.clock.advance(20000);
    env.network.deliverAll();
    assert.equal(b.status, "connected");
    assert.equal(b.testDoc.text, "hello!?");
    assert.equal(b.revision, env.server.revision);
  });

  test("rate_limited: the same op is sent again after retry_after_ms", () => {
    const env = setup();
    connectAll(env);
    const [client] = env.clients;
    env.server.rateLimitNext = true;
    type(client, ins("hello", 0, "a"));
    env.network.deliverAll();
    assert.equal(env.server.text, "hello");
    env.clock.advance(250);
    env.network.deliverAll();
    assert.equal(env.server.text, "ahello");
    const edits = env.network.connections[0].socket.sent.filter((f) => f.type === "edit");
    assert.equal(edits.length, 2);
    assert.equal(edits[0].client_op_id, edits[1].client_op_id);
  });

  test("going offline closes the socket; online reconnects at once", () => {
    const env = setup();
    connectAll(env);
    const [client] = env.clients;
    const statuses = [];
    client.on("status", (s) => statuses.push(s.status));
    env.network.online = false;
    client.goOffline();
    assert.equal(client.status, "offline");
    type(client, ins("hello", 0, "x"));
    assert.equal(client.snapshot().pending, 1);
    env.network.online = true;
    client.goOnline();
    env.network.deliverAll();
    assert.equal(client.status, "connected");
    assert.equal(env.server.text, "xhello");
    assert.ok(statuses.includes("reconnecting"));
  });

  test("close 4401 means signed out: no reconnect loop, pending edits stay stored", () => {
    const storage = new MemoryStorage();
    const env = setup({ storage });
    connectAll(env);
    const [client] = env.clients;
    env.network.cut(env.network.connections[0]);
    type(client, ins("hello", 0, "x"));
    client.onClose(4401);
    assert.equal(client.status, "signed_out");
    assert.ok(storage.getItem(storageKey("1", 1)));
    env.clock.advance(100000);
    assert.equal(env.network.connections.length, 1);
  });

  test("cursor positions go out in server coordinates and come in through pending ops", () => {
    const env = setup({ text: "0123456789", clients: 2 });
    connectAll(env);
    const [a, b] = env.clients;
    type(a, ins("0123456789", 2, "😀😀")); // in flight, not yet acked
    a.sendCursor({ anchor: 8, head: 8, line: 1, column: 8 });
    const cursor = env.network.connections[0].socket.sent.find((f) => f.type === "cursor_update");
    assert.equal(cursor.revision, 0);
    assert.equal(cursor.cursor.selection_start, 6, "mapped back through the unacked insert");
    // B's cursor at 5 in revision 0 is at 7 in A's text (after A's own insert at 2).
    assert.equal(a.localPosition(5, 0), 7);
    env.network.deliverAll();
    assert.equal(b.localPosition(5, 0), 7, "moved forward through history");
    assert.equal(b.localPosition(5, 99), null, "from the future: wait");
  });

  test("random concurrent editing with drops converges and loses nothing", () => {
    for (let seed = 1; seed <= 25; seed++) {
      const rng = mulberry32(seed);
      const env = setup({ text: "start 😀 中文\n", clients: 3 });
      connectAll(env);
      let marker = 0xe000; // one unique private-use code point per insert
      const inserted = [];
      for (let step = 0; step < 400; step++) {
        const r = rng();
        const client = env.clients[Math.floor(rng() * env.clients.length)];
        if (r < 0.3) {
          const text = client.testDoc.text;
          const pos = Math.floor(rng() * (cpLength(text) + 1));
          const ch = String.fromCodePoint(marker++);
          inserted.push(ch);
          type(client, ins(text, pos, rng() < 0.3 ? `${ch}😀` : ch));
        } else if (r < 0.33) {
          const live = env.network.live();
          if (live.length) {
            const conn = live[Math.floor(rng() * live.length)];
            env.network.cut(conn, { keepUplink: Math.floor(rng() * 3) });
          }
        } else if (r < 0.37) {
          env.clock.advance(Math.floor(rng() * 3000));
        } else {
          env.network.step(rng);
        }
      }
      // Heal: let every client reconnect and everything arrive.
      for (let round = 0; round < 10; round++) {
        env.clock.advance(20000);
        env.network.deliverAll();
      }
      for (const client of env.clients) {
        assert.equal(client.status, "connected", `seed ${seed}`);
        assert.equal(client.pendingCount(), 0, `seed ${seed}`);
        assert.equal(client.testDoc.text, env.server.text, `seed ${seed}`);
        assert.equal(client.revision, env.server.revision, `seed ${seed}`);
      }
      for (const ch of inserted) {
        const count = env.server.text.split(ch).length - 1;
        assert.equal(count, 1, `seed ${seed}: ${ch.codePointAt(0).toString(16)} x${count}`);
      }
      const ids = env.server.log.map((e) => e.client_op_id);
      assert.equal(new Set(ids).size, ids.length, "no op committed twice");
    }
  });

  test("random edits with deletes converge", () => {
    for (let seed = 100; seed < 120; seed++) {
      const rng = mulberry32(seed);
      const env = setup({ text: "abc😀def中文ghi\n", clients: 3 });
      connectAll(env);
      for (let step = 0; step < 300; step++) {
        const client = env.clients[Math.floor(rng() * 3)];
        const r = rng();
        const text = client.testDoc.text;
        const n = cpLength(text);
        if (r < 0.2 && n > 3) {
          const pos = Math.floor(rng() * (n - 1));
          type(client, del(text, pos, 1 + Math.floor(rng() * Math.min(3, n - pos - 1))));
        } else if (r < 0.4) {
          const piece = Array.from("x😀y中")
            .slice(0, 1 + Math.floor(rng() * 4))
            .join("");
          type(client, ins(text, Math.floor(rng() * (n + 1)), piece));
        } else if (r < 0.42) {
          const live = env.network.live();
          if (live.length)
            env.network.cut(live[Math.floor(rng() * live.length)], { keepUplink: 1 });
        } else if (r < 0.45) {
          env.clock.advance(2000);
        } else {
          env.network.step(rng);
        }
      }
      for (let round = 0; round < 10; round++) {
        env.clock.advance(20000);
        env.network.deliverAll();
      }
      for (const client of env.clients) {
        assert.equal(client.testDoc.text, env.server.text, `seed ${seed}`);
      }
    }
  });
});

/** Records what a client emits. */
function record(client, ...events) {
  const seen = Object.fromEntries(events.map((name) => [name, []]));
  for (const name of events) client.on(name, (payload) => seen[name].push(payload));
  return seen;
}

describe("CollabClient: large frames", () => {
  test("a frame in 3 parts is joined and handled as the authenticated frame", () => {
    const env = setup({ text: "hello" });
    const [client] = env.clients;
    env.server.commit([5, " 😀 world"]); // the page was served at revision 0
    env.server.splitAbove = 50;
    const seen = record(client, "authenticated", "server_error");
    client.start();
    const conn = env.network.connections[0];
    env.network.run(["open", conn]);
    env.network.run(["up", conn]);
    assert.equal(conn.framePartsAccepted, true);
    const parts = conn.toClientQueue.map((text) => JSON.parse(text));
    assert.deepEqual(
      parts.map((p) => [p.type, p.index, p.count]),
      [
        ["frame_part", 0, 3],
        ["frame_part", 1, 3],
        ["frame_part", 2, 3],
      ],
    );
    assert.equal(JSON.parse(parts.map((p) => p.data).join("")).type, "authenticated");
    env.network.deliverAll();
    assert.equal(seen.authenticated.length, 1);
    assert.equal(seen.server_error.length, 0);
    assert.equal(client.status, "connected");
    assert.equal(client.testDoc.text, "hello 😀 world");
    assert.equal(client.revision, 1);
  });

  test("a document over 1,000,000 characters comes in 3 parts, quickly", () => {
    const env = setup({ text: "hello" });
    const [client] = env.clients;
    const big = "Attention is all you need. 😀\n".repeat(36000); // > 1,000,000 characters
    assert.ok(big.length > 1_000_000);
    env.server.commit([-5, big]); // content and ops_since both carry it: about 2 MB of JSON
    env.server.splitAbove = 1_000_000;
    const parts = [];
    const started = performance.now();
    client.start();
    env.network.run(["open", env.network.connections[0]]);
    env.network.run(["up", env.network.connections[0]]);
    parts.push(...env.network.connections[0].toClientQueue);
    env.network.deliverAll();
    const elapsed = performance.now() - started;
    assert.equal(parts.length, 3);
    assert.deepEqual(
      parts.map((p) => JSON.parse(p)).map(({ index, count }) => [index, count]),
      [
        [0, 3],
        [1, 3],
        [2, 3],
      ],
    );
    assert.equal(client.status, "connected");
    assert.equal(client.testDoc.text, big);
    assert.equal(client.revision, 1);
    assert.ok(elapsed < 2000, `took ${Math.round(elapsed)} ms`);
  });

  test("a part out of order drops the connection; no partial frame is applied", () => {
    const env = setup({ text: "hello" });
    const [client] = env.clients;
    env.server.commit([5, " world"]);
    env.server.splitAbove = 50;
    client.start();
    const conn = env.network.connections[0];
    env.network.run(["open", conn]);
    env.network.run(["up", conn]); // the server queues authenticated as 3 parts
    assert.equal(conn.toClientQueue.length, 3);
    const [p0, p1, p2] = conn.toClientQueue;
    conn.toClientQueue.splice(0, 3, p0, p2, p1);
    env.network.run(["down", conn]);
    assert.equal(client.frameParts.pending, true, "part 0 is held");
    env.network.run(["down", conn]); // part 2 where part 1 belongs
    assert.equal(client.frameParts.pending, false, "the partial frame is gone");
    assert.equal(client.status, "connecting", "dropped, reconnecting");
    assert.equal(client.live, false);
    assert.equal(client.testDoc.text, "hello", "nothing of the broken frame applied");
    assert.equal(client.revision, 0);
    // The reconnect resyncs.
    env.clock.advance(20000);
    env.network.deliverAll();
    assert.equal(env.network.connections.length, 2);
    assert.equal(client.status, "connected");
    assert.equal(client.testDoc.text, "hello world");
  });

  test("malformed parts never throw; a frame between parts breaks the sequence", () => {
    const env = setup({ text: "hello" });
    connectAll(env);
    const [client] = env.clients;
    const socket = env.network.connections[0].socket;
    const bad = [
      { type: "frame_part", index: 0, count: 2, data: 5 },
      { type: "frame_part", index: 1, count: 2, data: "x" },
      { type: "frame_part", index: 0, count: 0, data: "" },
      { type: "frame_part", index: "0", count: "1", data: "{}" },
      { type: "frame_part", index: 0, count: 1, data: "{not json" },
      { type: "frame_part", index: 0, count: 1, data: "null" },
      { type: "frame_part", index: 0, count: 1, data: splitFrame("{}", 1)[0] },
    ];
    for (const frame of bad) {
      const current = env.network.connections.at(-1).socket;
      assert.doesNotThrow(() => current.onmessage({ data: JSON.stringify(frame) }));
      assert.equal(client.frameParts.pending, false);
      assert.notEqual(client.status, "connected", JSON.stringify(frame));
      env.clock.advance(20000);
      env.network.deliverAll();
      assert.equal(client.status, "connected");
    }
    // Another frame between two parts of one frame.
    const current = env.network.connections.at(-1).socket;
    const [first] = splitFrame(JSON.stringify({ type: "pong" }), 2);
    current.onmessage({ data: first });
    current.onmessage({ data: JSON.stringify({ type: "pong" }) });
    assert.equal(client.frameParts.pending, false);
    assert.equal(client.status, "reconnecting");
    assert.equal(client.socket, null, "dropped");
    assert.notEqual(socket, current);
  });

  test("the socket closing mid-frame discards the partial frame", () => {
    const env = setup({ text: "hello" });
    connectAll(env);
    const [client] = env.clients;
    const conn = env.network.connections[0];
    const [first, second] = splitFrame(JSON.stringify({ type: "chat_message", message: "hi" }), 2);
    const seen = record(client, "chat");
    conn.socket.onmessage({ data: first });
    env.network.cut(conn);
    assert.equal(client.frameParts.pending, false);
    env.clock.advance(20000);
    env.network.deliverAll();
    const fresh = env.network.connections.at(-1).socket;
    fresh.onmessage({ data: second }); // the rest, on the new socket: not a frame start
    assert.equal(seen.chat.length, 0);
  });
});

describe("CollabClient: rights that change", () => {
  test("access_changed false then true flips canEdit and tells the page", () => {
    const env = setup();
    connectAll(env);
    const [client] = env.clients;
    const conn = env.network.connections[0];
    const seen = record(client, "access", "status", "conflict");
    env.server.setCanEdit(conn, false);
    env.network.deliverAll();
    assert.equal(client.canEdit, false);
    assert.deepEqual(seen.access[0], {
      canEdit: false,
      reason: "edit_removed",
      message: "You may still read this document, but no longer edit it.",
    });
    const removed = seen.status.at(-1);
    assert.equal(removed.status, "connected");
    assert.equal(removed.canEdit, false);
    assert.equal(removed.accessReason, "edit_removed");
    assert.equal(removed.accessMessage, "You may still read this document, but no longer edit it.");
    assert.equal(removed.accessLost, false);

    env.server.setCanEdit(conn, true);
    env.network.deliverAll();
    assert.equal(client.canEdit, true);
    assert.equal(seen.access[1].canEdit, true);
    assert.equal(seen.access[1].reason, "edit_granted");
    assert.equal(seen.status.at(-1).canEdit, true);
    // Editable again without a reload: the next edit is committed.
    type(client, ins("hello", 5, "!"));
    env.network.deliverAll();
    assert.equal(env.server.text, "hello!");
    assert.equal(seen.conflict.length, 0);
    assert.equal(env.network.connections.length, 1, "the socket stayed open throughout");
  });

  test("an edit answered forbidden after access_changed false keeps the text", () => {
    const storage = new MemoryStorage();
    const env = setup({ storage });
    connectAll(env);
    const [client] = env.clients;
    const conn = env.network.connections[0];
    type(client, ins("hello", 5, " mine")); // sent before the change reached the client
    env.server.setCanEdit(conn, false); // access_changed goes down before the refusal
    env.network.deliverAll();
    assert.equal(client.status, "conflict");
    assert.equal(client.conflict.code, "forbidden");
    assert.equal(
      client.conflict.message,
      "You may still read this document, but no longer edit it.",
      "the user sees why, in the server's words",
    );
    assert.equal(client.conflict.text, "hello mine");
    assert.equal(client.testDoc.text, "hello mine");
    assert.equal(env.server.text, "hello");
    const saved = JSON.parse(storage.getItem(storageKey("1", 1)));
    assert.equal(saved.text, "hello mine", "still stored");
  });

  test("forbidden with a reason, then close 4403: no reconnect, reason and message kept", () => {
    const env = setup();
    connectAll(env);
    const [client] = env.clients;
    const seen = record(client, "access", "status", "server_error");
    const message = "You no longer have access to this document.";
    env.server.revoke(env.network.connections[0], "access_removed", message);
    env.network.deliverAll();
    assert.equal(client.status, "not_found");
    assert.equal(client.canEdit, false);
    const snapshot = client.snapshot();
    assert.equal(snapshot.accessReason, "access_removed");
    assert.equal(snapshot.accessMessage, message);
    assert.equal(snapshot.accessLost, true);
    assert.deepEqual(seen.access.at(-1), { canEdit: false, reason: "access_removed", message });
    assert.equal(seen.status.at(-1).accessMessage, message);
    assert.equal(seen.server_error.length, 1);
    env.clock.advance(600000);
    env.network.deliverAll();
    assert.equal(env.network.connections.length, 1, "stopped for good");
  });

  test("signed-out reasons end in signed_out; deleted documents in not_found", () => {
    for (const reason of [...SIGNED_OUT_REASONS, "document_deleted"]) {
      const env = setup();
      connectAll(env);
      const [client] = env.clients;
      env.server.revoke(env.network.connections[0], reason, `because ${reason}`);
      env.network.deliverAll();
      const expected = reason === "document_deleted" ? "not_found" : "signed_out";
      assert.equal(client.status, expected, reason);
      assert.equal(client.snapshot().accessReason, reason);
      assert.equal(client.snapshot().accessMessage, `because ${reason}`);
      env.clock.advance(600000);
      env.network.deliverAll();
      assert.equal(env.network.connections.length, 1, reason);
    }
  });

  test("losing access with pending edits: kept in storage and shown as a conflict", () => {
    const storage = new MemoryStorage();
    const env = setup({ storage });
    connectAll(env);
    const [client] = env.clients;
    const conn = env.network.connections[0];
    const message = "You were signed out. Sign in again to continue.";
    env.server.revoke(conn, "signed_out", message); // queued before the edit goes up
    type(client, ins("hello", 0, "unsaved "));
    env.network.deliverAll();
    assert.equal(client.status, "conflict");
    assert.equal(client.conflict.message, message);
    assert.equal(client.conflict.text, "unsaved hello");
    const snapshot = client.snapshot();
    assert.equal(snapshot.accessReason, "signed_out");
    assert.equal(snapshot.accessLost, true);
    const saved = JSON.parse(storage.getItem(storageKey("1", 1)));
    assert.equal(saved.text, "unsaved hello");
    assert.equal(env.server.text, "hello");
    env.clock.advance(600000);
    assert.equal(env.network.connections.length, 1);
  });

  test("a 4403 without a reason still behaves as before", () => {
    const env = setup();
    connectAll(env);
    const [client] = env.clients;
    client.receive({ type: "error", code: "rate_limited", message: "slow down" });
    env.network.connections[0].serverClose(4403);
    env.network.deliverAll();
    assert.equal(client.status, "not_found");
    assert.equal(client.snapshot().accessLost, false);
    assert.equal(client.snapshot().accessReason, null);
  });
});

describe("CollabClient: topics", () => {
  test("topic frames are emitted as topic, not as errors; unknown frames are ignored", () => {
    const env = setup();
    connectAll(env);
    const [client] = env.clients;
    const seen = record(client, "topic", "server_error", "chat");
    const conn = env.network.connections[0];
    const frames = [
      { type: "notification", topic: "user:1", id: 55, text: "hi" },
      {
        type: "room_message",
        topic: "room:5",
        id: 981,
        room: 5,
        user: { id: 7, username: "ada" },
        message: "Hello!",
        message_type: "text",
        created_at: "2026-12-03T10:11:12Z",
      },
      { type: "subscribed", room: 5, topic: "room:5", can_post: true, backlog_complete: true },
      { type: "unsubscribed", room: 5, topic: "room:5", reason: "forbidden", message: "gone" },
      { type: "something_newer", x: 1 },
    ];
    for (const frame of frames) conn.toClient(frame);
    env.network.deliverAll();
    assert.deepEqual(
      seen.topic.map((f) => f.type),
      ["notification", "room_message", "subscribed", "unsubscribed"],
    );
    assert.equal(seen.topic[1].message, "Hello!");
    assert.equal(seen.server_error.length, 0);
    assert.equal(seen.chat.length, 0);
    assert.equal(client.status, "connected");
  });
});
