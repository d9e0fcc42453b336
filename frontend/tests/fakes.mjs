// Test doubles for the client state machine: a server that speaks the protocol (with the
// same OT as collaboration/commit.py), sockets on a network the test steps by hand, a
// manual clock and an in-memory Storage.

import { InvalidOperation, apply, normalize, transform } from "../ot.js";

/** `text` as `count` frame_part frames (JSON texts), as collaboration/consumers/outbox.py. */
export function splitFrame(text, count) {
  const size = Math.ceil(text.length / count);
  const parts = [];
  for (let index = 0; index < count; index++) {
    const data = text.slice(index * size, (index + 1) * size);
    parts.push(JSON.stringify({ type: "frame_part", index, count, data }));
  }
  return parts;
}

export class FakeClock {
  constructor() {
    this.time = 1_000_000;
    this.timers = new Map();
    this.next = 1;
  }

  get api() {
    return {
      setTimeout: (fn, ms) => {
        const id = this.next++;
        this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
        return id;
      },
      clearTimeout: (id) => this.timers.delete(id),
      now: () => this.time,
    };
  }

  /** Moves time forward, running every timer that falls due, in order. */
  advance(ms) {
    const end = this.time + ms;
    for (;;) {
      let dueId = null;
      let due = null;
      for (const [id, timer] of this.timers) {
        if (timer.at <= end && (due === null || timer.at < due.at)) {
          dueId = id;
          due = timer;
        }
      }
      if (due === null) break;
      this.timers.delete(dueId);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = end;
  }
}

export class MemoryStorage {
  constructor() {
    this.items = new Map();
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
  removeItem(key) {
    this.items.delete(key);
  }
}

export class TextDoc {
  constructor(text = "") {
    this.text = text;
    this.remote = [];
  }
  getText() {
    return this.text;
  }
  setText(text) {
    this.text = text;
  }
  applyRemote(ops) {
    this.text = apply(this.text, ops);
    this.remote.push(ops);
  }
}

/** The server's document: revisions, the op log, client_op_id dedup, transform on commit. */
export class FakeServer {
  constructor(text = "", { keepFrom = 0 } = {}) {
    this.text = text;
    this.revision = 0;
    this.log = []; // {revision, ops, client_op_id, user_id}
    this.committed = new Map(); // client_op_id -> revision
    this.keepFrom = keepFrom; // ops after this revision are kept (older: revision_too_old)
    this.sockets = new Set();
    this.received = [];
    // Frames longer than this many characters go as `splitInto` frame_part frames to a
    // socket that asked for them (0: never split).
    this.splitAbove = 0;
    this.splitInto = 3;
  }

  /** Commits `ops` as another user would (through REST, say) and broadcasts it. */
  commit(ops, { userId = 99, clientOpId = `server-${this.revision + 1}` } = {}) {
    ops = normalize(ops);
    this.text = apply(this.text, ops);
    this.revision += 1;
    const entry = { revision: this.revision, ops, client_op_id: clientOpId, user_id: userId };
    this.log.push(entry);
    this.committed.set(clientOpId, this.revision);
    for (const conn of this.sockets) conn.toClient({ type: "edit", ...entry });
    return entry;
  }

  /** The user of `conn` may edit, or no longer may (docs/realtime-protocol.md). */
  setCanEdit(conn, canEdit) {
    conn.canEdit = canEdit;
    conn.toClient({
      type: "access_changed",
      can_edit: canEdit,
      reason: canEdit ? "edit_granted" : "edit_removed",
      message: canEdit
        ? "You may now edit this document."
        : "You may still read this document, but no longer edit it.",
    });
  }

  /** The user of `conn` may no longer read the document (or is signed out). */
  revoke(conn, reason, message) {
    conn.toClient({ type: "error", code: "forbidden", reason, message });
    conn.serverClose(4403);
  }

  opsAfter(revision) {
    return this.log.filter((entry) => entry.revision > revision);
  }

  handle(conn, frame) {
    this.received.push(frame);
    if (!conn.user) {
      if (frame.type !== "authenticate") {
        conn.toClient({ type: "error", code: "not_authenticated", message: "authenticate first" });
        conn.serverClose(4401);
        return;
      }
      conn.user = conn.userId;
      conn.framePartsAccepted = frame.frame_parts === true;
      const reply = {
        type: "authenticated",
        user: { id: conn.userId, username: `user${conn.userId}` },
        document_id: "1",
        revision: this.revision,
        content: this.text,
        can_edit: conn.canEdit,
        participants: [],
        color: "#e6194b",
      };
      const since = frame.revision;
      if (Number.isInteger(since) && since < this.revision) {
        if (since >= this.keepFrom) {
          reply.ops_since = this.opsAfter(since).map((e) => ({ ...e }));
        } else {
          reply.ops_since = [];
          reply.ops_since_complete = false;
        }
      }
      conn.toClient(reply);
      this.sockets.add(conn);
      return;
    }
    if (frame.type === "ping") {
      conn.toClient({ type: "pong" });
      return;
    }
    if (frame.type !== "edit") return;
    const id = frame.client_op_id;
    if (!conn.canEdit) {
      conn.toClient({ type: "error", code: "forbidden", message: "read only", client_op_id: id });
      return;
    }
    if (this.committed.has(id)) {
      conn.toClient({ type: "ack", client_op_id: id, revision: this.committed.get(id) });
      return;
    }
    if (this.rateLimitNext) {
      this.rateLimitNext = false;
      conn.toClient({
        type: "error",
        code: "rate_limited",
        message: "slow down",
        retry_after_ms: 200,
        client_op_id: id,
      });
      return;
    }
    if (frame.revision < this.keepFrom) {
      conn.toClient({
        type: "error",
        code: "revision_too_old",
        message: "reload",
        client_op_id: id,
      });
      return;
    }
    try {
      if (frame.revision > this.revision) throw new InvalidOperation("revision ahead");
      let ops = normalize(frame.edit.ops);
      for (const entry of this.opsAfter(frame.revision)) [ops] = transform(ops, entry.ops);
      this.text = apply(this.text, ops);
      this.revision += 1;
      const entry = { revision: this.revision, ops, client_op_id: id, user_id: conn.userId };
      this.log.push(entry);
      this.committed.set(id, this.revision);
      for (const other of this.sockets) {
        if (other === conn)
          other.toClient({ type: "ack", client_op_id: id, revision: this.revision });
        else other.toClient({ type: "edit", ...entry });
      }
    } catch (error) {
      conn.toClient({
        type: "error",
        code: "invalid_operation",
        message: String(error.message),
        client_op_id: id,
      });
    }
  }
}

/**
 * Sockets between clients and one FakeServer. Nothing is delivered until the test calls
 * step()/deliverAll(), so it decides every interleaving.
 */
export class Network {
  constructor(server) {
    this.server = server;
    this.connections = [];
    this.users = new Map(); // url -> {userId, canEdit}
    this.online = true;
    const network = this;
    this.WebSocket = class {
      constructor(url) {
        this.url = url;
        this.readyState = 0;
        this.sent = [];
        const who = network.users.get(url) ?? { userId: 1, canEdit: true };
        this.conn = network.open(this, who);
      }
      send(text) {
        if (this.readyState !== 1) throw new Error("socket not open");
        this.sent.push(JSON.parse(text));
        this.conn.fromClient.push(text);
      }
      close() {
        if (this.readyState >= 2) return;
        this.readyState = 3;
        this.conn.closeFromClient();
      }
    };
  }

  open(socket, who) {
    const server = this.server;
    const conn = {
      socket,
      userId: who.userId,
      canEdit: who.canEdit,
      user: null,
      fromClient: [],
      toClientQueue: [],
      pendingOpen: true,
      closed: false,
      framePartsAccepted: false,
      toClient(frame) {
        if (this.closed) return;
        const text = JSON.stringify(frame);
        if (!this.framePartsAccepted || !server.splitAbove || text.length <= server.splitAbove) {
          this.toClientQueue.push(text);
          return;
        }
        for (const part of splitFrame(text, server.splitInto)) this.toClientQueue.push(part);
      },
      serverClose(code) {
        this.closed = true;
        server.sockets.delete(this);
        this.toClientQueue.push({ close: code });
      },
      closeFromClient() {
        this.closed = true;
        server.sockets.delete(this);
      },
    };
    this.connections.push(conn);
    return conn;
  }

  /** Actions that can happen next: [kind, conn]. */
  ready() {
    const actions = [];
    for (const conn of this.connections) {
      if (conn.pendingOpen) actions.push(["open", conn]);
      else {
        if (conn.fromClient.length && !conn.closed) actions.push(["up", conn]);
        if (conn.toClientQueue.length && conn.socket.readyState === 1) actions.push(["down", conn]);
      }
    }
    return actions;
  }

  run([kind, conn]) {
    const socket = conn.socket;
    if (kind === "open") {
      conn.pendingOpen = false;
      if (socket.readyState !== 0) return;
      if (!this.online) {
        socket.readyState = 3;
        socket.onclose?.({ code: 1006 });
        return;
      }
      socket.readyState = 1;
      socket.onopen?.();
    } else if (kind === "up") {
      const text = conn.fromClient.shift();
      this.server.handle(conn, JSON.parse(text));
    } else {
      const item = conn.toClientQueue.shift();
      if (typeof item === "object") {
        socket.readyState = 3;
        socket.onclose?.({ code: item.close });
      } else {
        socket.onmessage?.({ data: item });
      }
    }
  }

  step(random = Math.random) {
    const actions = this.ready();
    if (!actions.length) return false;
    this.run(actions[Math.floor(random() * actions.length)]);
    return true;
  }

  deliverAll(limit = 100000) {
    let n = 0;
    while (this.step(() => 0)) {
      if (++n > limit) throw new Error("network never went quiet");
    }
  }

  /** The connection breaks: frames in the air are lost (some uplink ones may arrive). */
  cut(conn, { keepUplink = 0 } = {}) {
    if (conn.closed && conn.socket.readyState === 3) return;
    for (let i = 0; i < keepUplink && conn.fromClient.length; i++) {
      this.server.handle(conn, JSON.parse(conn.fromClient.shift()));
    }
    conn.closed = true;
    conn.fromClient.length = 0;
    conn.toClientQueue.length = 0;
    this.server.sockets.delete(conn);
    const socket = conn.socket;
    if (socket.readyState < 2) {
      socket.readyState = 3;
      socket.onclose?.({ code: 1006 });
    }
  }

  live() {
    return this.connections.filter((c) => !c.closed && c.socket.readyState === 1);
  }
}
