// A server process that drains (a deploy, a scale-down) closes its sockets with 1012 "service
// restart" once it answered every edit it took (config/drain.py). The editor must come back
// within a second, on whichever process answers, and lose nothing.
// Run: node --test frontend/tests/

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { CollabClient } from "../client.js";
import { CLOSE_SERVICE_RESTART, restartDelay } from "../connection.js";
import { apply, cpLength } from "../ot.js";
import { FakeClock, FakeServer, MemoryStorage, Network, TextDoc } from "./fakes.mjs";

function setup(text = "hello") {
  const clock = new FakeClock();
  const server = new FakeServer(text);
  const network = new Network(server);
  const doc = new TextDoc(text);
  const client = new CollabClient({
    documentId: "1",
    userId: 1,
    url: "ws://test/0",
    doc,
    revision: 0,
    storage: new MemoryStorage(),
    WebSocket: network.WebSocket,
    isOnline: () => true,
    timers: clock.api,
    random: () => 0.999,
  });
  client.start();
  network.deliverAll();
  return { clock, server, network, client, doc };
}

function type(client, doc, pos, text) {
  const ops = [pos, text, cpLength(doc.text) - pos].filter((c) => c !== 0);
  doc.text = apply(doc.text, ops);
  client.localEdit(ops);
}

/** The server drains: the edit frames still on their way are not taken, then 1012. */
function drain(network, conn) {
  conn.fromClient.length = 0;
  conn.serverClose(CLOSE_SERVICE_RESTART);
  network.deliverAll();
}

describe("a server restart (close 1012)", () => {
  test("reconnects within a second and resends the unanswered edit, applied once", () => {
    const { clock, server, network, client, doc } = setup();
    type(client, doc, 5, " world");
    const [first] = network.connections;
    const sentId = first.socket.sent.find((f) => f.type === "edit").client_op_id;
    drain(network, first);
    assert.equal(client.status, "reconnecting", "not signed out, not stopped");
    clock.advance(999);
    assert.equal(network.connections.length, 2, "a new socket within the second");
    network.deliverAll();
    const resent = network.connections[1].socket.sent.find((f) => f.type === "edit");
    assert.equal(resent.client_op_id, sentId, "the same edit, not a new one");
    assert.equal(server.text, "hello world");
    assert.equal(doc.text, "hello world");
    assert.equal(client.pendingCount(), 0);
    assert.equal(client.status, "connected");
  });

  test("an edit the server answered before closing is not sent again", () => {
    const { clock, server, network, client, doc } = setup();
    type(client, doc, 0, ">");
    network.deliverAll(); // committed and acked
    drain(network, network.connections[0]);
    type(client, doc, 1, "<"); // typed while reconnecting
    clock.advance(1000);
    network.deliverAll();
    const edits = network.connections[1].socket.sent.filter((f) => f.type === "edit");
    assert.deepEqual(
      edits.map((f) => f.edit.ops),
      [[1, "<", 5]],
    );
    assert.equal(server.text, "><hello");
    assert.equal(server.log.length, 2);
  });

  test("restarts one after another never slow the reconnect down, unlike failures", () => {
    const { clock, network, client } = setup();
    for (let round = 1; round <= 6; round++) {
      drain(network, network.connections.at(-1));
      clock.advance(999);
      assert.equal(network.connections.length, round + 1, `restart ${round}`);
      network.deliverAll();
      assert.equal(client.status, "connected");
    }
    // A lost connection that keeps failing backs off instead (500 ms, 1 s, 2 s, ...).
    network.online = false;
    network.cut(network.connections.at(-1));
    const before = network.connections.length;
    clock.advance(999);
    assert.equal(network.connections.length, before + 1, "the first attempt is as quick");
    network.deliverAll(); // it fails: the network is down
    clock.advance(999);
    assert.equal(network.connections.length, before + 1, "the second attempt waits longer");
  });

  test("the clients of one process spread their reconnects over the second", () => {
    const randoms = [0, 0.13, 0.5, 0.77, 0.999];
    const delays = randoms.map((r) => restartDelay(() => r));
    assert.deepEqual(delays, [0, 130, 500, 770, 999]);
    assert.equal(new Set(delays).size, delays.length);
  });
});
