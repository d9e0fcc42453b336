// The browser side of the realtime protocol (shared/docs/realtime-protocol.md).
//
// One operation in flight at a time; later local edits are composed into a buffer; remote
// operations are transformed against both (own in-flight/buffer on the LEFT of transform,
// so at equal positions our insert goes first, exactly as the server decides). Pending
// edits are kept in storage (localStorage) with their client_op_id, so they survive a
// dropped connection and a reload, and are resubmitted with the same id on reconnect: the
// server applies nothing twice. When the server can no longer take them, the client stops
// syncing and says so ("conflict") instead of dropping text.
//
// This module touches no DOM and no CodeMirror: the page passes a `doc` adapter
// ({getText(), setText(text), applyRemote(ops)}), a WebSocket constructor, a storage and
// timers, so node's test runner can drive it with fakes (frontend/tests/client.test.mjs).
// Positions and operations here are in code points, as on the wire.
//
// It also speaks this project's extensions (docs/realtime-protocol.md): large frames come
// as `frame_part`s and are joined here; rights may change while the socket is open
// (`access_changed`, or an `error` with a `reason` followed by close 4403); frames of the
// user's and rooms' topics are passed on as "topic" events.

import { apply, compose, cpLength, normalize, transform, transformPosition } from "./ot.js";

export const STORAGE_PREFIX = "learnai.collab.v1";
const HISTORY_SIZE = 200; // recent server ops, to move slightly stale remote cursors forward
const PING_EVERY_MS = 20000;
const DEAD_AFTER_MS = 45000; // no frame at all for this long: the socket is dead
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const OFFLINE_RETRY_MS = 30000;
const SYNC_SAVE_LIMIT = 200000; // bigger texts are saved at most every SAVE_THROTTLE_MS
const SAVE_THROTTLE_MS = 300;

// Errors for our in-flight op that no resubmission can fix.
const FATAL_EDIT_ERRORS = new Set([
  "revision_too_old",
  "invalid_operation",
  "document_too_large",
  "message_too_large",
  "forbidden",
  "not_found",
]);

// Why the server closed the socket for good (error `reason` before close 4403). For these
// the user must sign in again; for the others the document is gone from them.
export const SIGNED_OUT_REASONS = new Set(["signed_out", "account_disabled", "account_suspended"]);
export const ACCESS_LOST_REASONS = new Set([
  ...SIGNED_OUT_REASONS,
  "access_removed",
  "document_deleted",
]);

// Frames of a user's or a room's topic: no state here, the page decides what to show.
const TOPIC_FRAMES = new Set(["notification", "room_message", "subscribed", "unsubscribed"]);

export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_NOT_FOUND = 4404;

export function storageKey(documentId, userId, tab = "") {
  return `${STORAGE_PREFIX}:${documentId}:${userId}${tab ? `:${tab}` : ""}`;
}

function randomId(random) {
  if (typeof globalThis.crypto?.randomUUID === "function") {
    return globalThis.crypto.randomUUID().replace(/-/g, "").slice(0, 16);
  }
  let out = "";
  for (let i = 0; i < 16; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

/** Position-only inverse of `ops`: maps positions in the new text back into the old one. */
function positionInverse(ops) {
  return ops.map((c) => (typeof c === "string" ? -cpLength(c) : c < 0 ? "x".repeat(-c) : c));
}

export class CollabClient {
  /**
   * @param {object} options
   * @param {string} options.documentId
   * @param {number|string} options.userId
   * @param {string} options.url  the ws:// or wss:// URL of /ws/collab/
   * @param {object} options.doc  {getText(): string, setText(text), applyRemote(ops)}
   * @param {number} options.revision  revision of the text the page started with
   * @param {boolean} [options.canEdit]  what the page was told (until the server says)
   * @param {Storage} [options.storage]
   * @param {string} [options.storageKey]  defaults to storageKey(documentId, userId)
   * @param {Function} [options.WebSocket]
   * @param {() => boolean} [options.isOnline]
   * @param {{setTimeout: Function, clearTimeout: Function, now: () => number}} [options.timers]
   * @param {() => number} [options.random]
   */
  constructor(options) {
    this.documentId = String(options.documentId);
    this.userId = options.userId;
    this.url = options.url;
    this.doc = options.doc;
    this.storage = options.storage ?? null;
    this.key = options.storageKey ?? storageKey(this.documentId, this.userId);
    this.WebSocket = options.WebSocket ?? globalThis.WebSocket;
    this.isOnline = options.isOnline ?? (() => true);
    const timers = options.timers ?? {};
    this.setTimeout = timers.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
    this.clearTimeout = timers.clearTimeout ?? ((id) => globalThis.clearTimeout(id));
    this.now = timers.now ?? (() => Date.now());
    this.random = options.random ?? Math.random;

    this.revision = options.revision ?? 0;
    this.inflight = null; // {id, ops, count, sentAt}: ops apply to the text at this.revision
    this.buffer = null; // {ops, count}: ops apply to the text after inflight
    this.clientId = randomId(this.random);
    this.counter = 0;
    this.canEdit = options.canEdit ?? true;
    // The server's latest word on this user's rights: an `access_changed`, or the `error`
    // that came before it closed the socket for good (then accessLost is true).
    this.accessReason = null;
    this.accessMessage = null;
    this.accessLost = false;
    this.closingError = null; // {code, reason, message}: an error with no client_op_id
    this.parts = null; // {count, chunks}: a frame arriving as frame_part frames
    this.user = null;
    this.color = null;
    this.participants = [];
    this.history = []; // [{revision, ops}] recent server ops, oldest first

    // idle, connecting, connected, reconnecting, offline, conflict, signed_out, not_found, closed
    this.status = "idle";
    this.conflict = null; // {code, message, text}
    this.socket = null;
    this.live = false; // authenticated on the current socket
    this.stopped = false;
    this.everConnected = false;
    this.attempt = 0;
    this.reconnectTimer = null;
    this.retryTimer = null;
    this.pingTimer = null;
    this.lastFrameAt = 0;
    this.saveTimer = null;
    this.listeners = new Map();
  }

  // --- events ------------------------------------------------------------------------------

  on(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(fn);
    return () => this.listeners.get(event)?.delete(fn);
  }

  emit(event, payload) {
    for (const fn of this.listeners.get(event) ?? []) {
      try {
        fn(payload);
      } catch (error) {
        // A broken listener must not break the protocol state machine.
        globalThis.console?.error?.(error);
      }
    }
  }

  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.emit("status", this.snapshot());
  }

  /** What the connection badge and the access banner show. */
  snapshot() {
    return {
      status: this.status,
      pending: this.pendingCount(),
      canEdit: this.canEdit,
      revision: this.revision,
      accessReason: this.accessReason,
      accessMessage: this.accessMessage,
      accessLost: this.accessLost,
    };
  }

  /** Number of local edits the server has not acknowledged yet. */
  pendingCount() {
    return (this.inflight?.count ?? 0) + (this.buffer?.count ?? 0);
  }

  hasPending() {
    return this.inflight !== null || this.buffer !== null;
  }

  // --- persistence -----------------------------------------------------------------------

  /** Loads pending edits a previous page (or a crash) left behind. True if there were any. */
  restore() {
    const saved = this.readSaved();
    if (!saved || (!saved.inflight && !saved.buffer)) return false;
    this.revision = saved.revision;
    this.inflight = saved.inflight ? { ...saved.inflight, sentAt: null } : null;
    this.buffer = saved.buffer;
    this.doc.setText(saved.text);
    this.emit("restored", { pending: this.pendingCount(), revision: this.revision });
    return true;
  }

  readSaved() {
    if (!this.storage) return null;
    try {
      const raw = this.storage.getItem(this.key);
      if (!raw) return null;
      const saved = JSON.parse(raw);
      if (saved?.v !== 1 || String(saved.documentId) !== this.documentId) return null;
      if (typeof saved.text !== "string" || !Number.isInteger(saved.revision)) return null;
      return saved;
    } catch {
      return null;
    }
  }

  /** Writes the pending state now (or removes it when nothing is pending). */
  save() {
    if (this.saveTimer !== null) {
      this.clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    if (!this.storage) return;
    try {
      if (!this.hasPending()) {
        this.storage.removeItem(this.key);
        return;
      }
      this.storage.setItem(
        this.key,
        JSON.stringify({
          v: 1,
          documentId: this.documentId,
          userId: this.userId,
          revision: this.revision,
          inflight: this.inflight && {
            id: this.inflight.id,
            ops: this.inflight.ops,
            count: this.inflight.count,
          },
          buffer: this.buffer,
          text: this.doc.getText(),
          savedAt: this.now(),
        }),
      );
    } catch (error) {
      this.emit("storage_error", error);
    }
  }

  scheduleSave(urgent = false) {
    if (urgent) {
      const text = this.doc.getText();
      if (text.length <= SYNC_SAVE_LIMIT) {
        this.save();
        return;
      }
    }
    if (this.saveTimer === null) {
      this.saveTimer = this.setTimeout(() => {
        this.saveTimer = null;
        this.save();
      }, SAVE_THROTTLE_MS);
    }
  }

  /** Forgets pending edits (after the user chose to reload the latest version). */
  discardPending() {
    this.inflight = null;
    this.buffer = null;
    this.save();
  }

  // --- connection ------------------------------------------------------------------------

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    this.clearTimers();
    this.closeSocket();
    if (this.status !== "conflict") this.setStatus("closed");
  }

  clearTimers() {
    for (const name of ["reconnectTimer", "retryTimer", "pingTimer"]) {
      if (this[name] !== null) {
        this.clearTimeout(this[name]);
        this[name] = null;
      }
    }
  }

  connect() {
    if (this.stopped || this.status === "conflict") return;
    this.clearTimers();
    if (!this.isOnline()) {
      this.setStatus("offline");
      this.reconnectTimer = this.setTimeout(() => this.connect(), OFFLINE_RETRY_MS);
      return;
    }
    this.closeSocket();
    this.setStatus(this.everConnected ? "reconnecting" : "connecting");
    let socket;
    try {
      socket = new this.WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.live = false;
    this.parts = null;
    this.closingError = null;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.lastFrameAt = this.now();
      const frame = { type: "authenticate", document_id: this.documentId };
      frame.revision = this.revision;
      frame.frame_parts = true; // a whole document may not fit in one message
      this.sendFrame(frame);
    };
    socket.onmessage = (event) => {
      if (socket !== this.socket) return;
      this.lastFrameAt = this.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.receive(frame);
    };
    socket.onclose = (event) => {
      if (socket !== this.socket) return;
      this.onClose(event?.code ?? 1006);
    };
    socket.onerror = () => {
      /* onclose follows */
    };
  }

  closeSocket() {
    const socket = this.socket;
    this.socket = null;
    this.live = false;
    this.parts = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        socket.close();
      } catch {
        /* already closed */
      }
    }
  }

  onClose(code) {
    this.socket = null;
    this.live = false;
    this.parts = null; // half a frame is no frame
    if (this.pingTimer !== null) {
      this.clearTimeout(this.pingTimer);
      this.pingTimer = null;
    }
    if (this.stopped || this.status === "conflict") return;
    const reason = this.closingError?.reason;
    const final = [CLOSE_UNAUTHENTICATED, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND].includes(code);
    if (final && ACCESS_LOST_REASONS.has(reason)) {
      this.onAccessLost(reason, this.closingError.message);
      return;
    }
    if (code === CLOSE_UNAUTHENTICATED) {
      this.stopped = true;
      this.save();
      this.setStatus("signed_out");
      return;
    }
    if (code === CLOSE_FORBIDDEN || code === CLOSE_NOT_FOUND) {
      this.stopped = true;
      if (this.hasPending()) {
        this.enterConflict(
          code === CLOSE_FORBIDDEN ? "forbidden" : "not_found",
          "The server no longer lets you edit this document.",
        );
      } else {
        this.setStatus("not_found");
      }
      return;
    }
    this.scheduleReconnect();
  }

  /** The server took this user's right to read (or their sign-in) away: stop for good. */
  onAccessLost(reason, message) {
    this.stopped = true;
    this.clearTimers();
    this.canEdit = false;
    this.accessReason = reason;
    this.accessMessage = typeof message === "string" && message ? message : null;
    this.accessLost = true;
    this.emit("access", { canEdit: false, reason, message: this.accessMessage });
    if (this.hasPending()) {
      // Kept in storage by enterConflict, so signing in again and reloading sends them.
      this.enterConflict(
        "forbidden",
        this.accessMessage ?? "The server no longer lets you edit this document.",
      );
      return;
    }
    this.save();
    const status = SIGNED_OUT_REASONS.has(reason) ? "signed_out" : "not_found";
    if (this.status === status) this.emit("status", this.snapshot());
    else this.setStatus(status);
  }

  scheduleReconnect() {
    if (this.stopped || this.status === "conflict") return;
    if (!this.isOnline()) {
      this.setStatus("offline");
      this.reconnectTimer = this.setTimeout(() => this.connect(), OFFLINE_RETRY_MS);
      return;
    }
    this.setStatus(this.everConnected ? "reconnecting" : "connecting");
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    const delay = Math.round(base * (0.75 + this.random() * 0.5));
    if (this.reconnectTimer !== null) this.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  /** The browser says the network is gone: treat the socket as lost (it may linger). */
  goOffline() {
    if (this.stopped || this.status === "conflict") return;
    this.closeSocket();
    this.clearTimers();
    this.save();
    this.setStatus("offline");
    this.reconnectTimer = this.setTimeout(() => this.connect(), OFFLINE_RETRY_MS);
  }

  /** The network is back: reconnect now. */
  goOnline() {
    if (this.stopped || this.status === "conflict") return;
    if (this.socket) return;
    this.attempt = 0;
    this.connect();
  }

  /** Drops the connection as a network failure would (tests, debugging). */
  drop() {
    const socket = this.socket;
    if (!socket) return;
    this.onClose(1006);
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    try {
      socket.close();
    } catch {
      /* ignore */
    }
  }

  sendFrame(frame) {
    const socket = this.socket;
    if (!socket || socket.readyState !== 1) return false;
    try {
      socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  schedulePing() {
    if (this.pingTimer !== null) this.clearTimeout(this.pingTimer);
    this.pingTimer = this.setTimeout(() => {
      this.pingTimer = null;
      if (!this.live) return;
      if (this.now() - this.lastFrameAt > DEAD_AFTER_MS) {
        this.drop();
        return;
      }
      this.sendFrame({ type: "ping" });
      this.schedulePing();
    }, PING_EVERY_MS);
  }

  // --- frames from the server ------------------------------------------------------------

  receive(frame) {
    if (this.parts !== null && frame?.type !== "frame_part") {
      // Parts of one frame come with nothing in between: this stream is broken.
      this.partsBroken();
      return;
    }
    switch (frame?.type) {
      case "frame_part":
        this.onFramePart(frame);
        break;
      case "access_changed":
        this.onAccessChanged(frame);
        break;
      case "authenticated":
        this.onAuthenticated(frame);
        break;
      case "ack":
        this.onAck(frame);
        break;
      case "edit":
        if (this.live) this.onRemoteFrame(frame);
        break;
      case "error":
        this.onError(frame);
        break;
      case "presence":
        if (Array.isArray(frame.participants)) this.participants = frame.participants;
        this.emit("presence", frame);
        break;
      case "cursor_update":
        this.emit("cursor", frame);
        break;
      case "typing":
        this.emit("typing", frame);
        break;
      case "chat_message":
        this.emit("chat", frame);
        break;
      default:
        if (TOPIC_FRAMES.has(frame?.type)) this.emit("topic", frame);
        break; // pong and anything newer
    }
  }

  /**
   * One part of a frame too large to come whole. Parts come in order (index 0..count-1),
   * one right after the other; their `data` joined is the frame's JSON text. Anything
   * else means parts were lost: the partial frame is dropped, and so is the connection,
   * so the reconnect resyncs instead of going on without that frame.
   */
  onFramePart(frame) {
    const { index, count, data } = frame;
    const expected = this.parts === null ? 0 : this.parts.chunks.length;
    const valid =
      Number.isInteger(count) &&
      count > 0 &&
      index === expected &&
      (this.parts === null || count === this.parts.count) &&
      typeof data === "string";
    if (!valid) {
      this.partsBroken();
      return;
    }
    if (this.parts === null) this.parts = { count, chunks: [] };
    this.parts.chunks.push(data);
    if (this.parts.chunks.length < count) return;
    const text = this.parts.chunks.join(""); // once, at the end: linear in the frame size
    this.parts = null;
    let whole;
    try {
      whole = JSON.parse(text);
    } catch {
      whole = null;
    }
    if (whole === null || typeof whole !== "object" || whole.type === "frame_part") {
      this.partsBroken();
      return;
    }
    this.receive(whole);
  }

  partsBroken() {
    this.parts = null;
    this.emit("server_error", { type: "error", code: "invalid_frame_part" });
    this.drop();
  }

  /** The right to edit went (the socket stays, read-only) or came back. */
  onAccessChanged(frame) {
    if (typeof frame.can_edit !== "boolean") return;
    this.canEdit = frame.can_edit;
    this.accessReason = typeof frame.reason === "string" ? frame.reason : null;
    this.accessMessage = typeof frame.message === "string" && frame.message ? frame.message : null;
    this.emit("access", {
      canEdit: this.canEdit,
      reason: this.accessReason,
      message: this.accessMessage,
    });
    // Pending edits are not dropped here: the server answers them `forbidden`, which stops
    // syncing with the text kept (onError).
    this.emit("status", this.snapshot());
  }

  onAuthenticated(frame) {
    this.user = frame.user ?? null;
    this.color = frame.color ?? null;
    const couldEdit = this.canEdit;
    this.canEdit = frame.can_edit !== false;
    if (this.canEdit !== couldEdit && this.accessReason !== null) {
      // Rights changed while we were away: an older explanation no longer holds.
      this.accessReason = null;
      this.accessMessage = null;
    }
    this.participants = Array.isArray(frame.participants) ? frame.participants : [];
    const opsSince = Array.isArray(frame.ops_since) ? frame.ops_since : null;
    const complete = opsSince !== null && frame.ops_since_complete !== false;

    if (this.hasPending()) {
      // Rebase what we have on what happened meanwhile, or stop: never drop or double it.
      if (frame.revision < this.revision) {
        this.enterConflict(
          "revision_ahead",
          "The server's copy is older than the one your edits were made on.",
        );
        return;
      }
      if (frame.revision > this.revision && !complete) {
        this.enterConflict(
          "history_gone",
          "The server no longer has the history needed to merge your offline edits.",
        );
        return;
      }
      try {
        for (const entry of opsSince ?? []) this.applyServerOp(entry);
      } catch (error) {
        this.enterConflict("merge_failed", `Your edits could not be merged (${error.message}).`);
        return;
      }
      if (this.revision !== frame.revision) {
        this.enterConflict("history_gone", "Some of the document's history is missing.");
        return;
      }
      const mine = compose(this.inflight?.ops ?? [], this.buffer?.ops ?? []);
      if (apply(frame.content, mine) !== this.doc.getText()) {
        this.enterConflict("mismatch", "Your copy no longer matches the server's.");
        return;
      }
      if (!this.canEdit && this.hasPending()) {
        this.enterConflict(
          "forbidden",
          this.accessMessage ?? "You may no longer edit this document.",
        );
        return;
      }
    } else {
      let synced = false;
      if (complete && frame.revision >= this.revision) {
        try {
          for (const entry of opsSince) this.applyServerOp(entry);
          synced = this.revision === frame.revision && this.doc.getText() === frame.content;
        } catch {
          synced = false;
        }
      } else if (frame.revision === this.revision) {
        synced = this.doc.getText() === frame.content;
      }
      if (!synced) {
        this.doc.setText(frame.content);
        this.revision = frame.revision;
        this.history = [];
      }
    }

    this.live = true;
    this.everConnected = true;
    this.attempt = 0;
    this.setStatus("connected");
    this.emit("authenticated", frame);
    this.emit("status", this.snapshot());
    this.schedulePing();
    this.flush(true);
    this.save();
  }

  onAck(frame) {
    if (!this.inflight || frame.client_op_id !== this.inflight.id) return; // a stale duplicate
    if (frame.revision !== this.revision + 1) {
      // Revisions arrive in order with no gap; if not, resync through a reconnect.
      this.drop();
      return;
    }
    this.acknowledge(frame.revision);
  }

  acknowledge(revision) {
    this.remember(revision, this.inflight.ops);
    this.revision = revision;
    this.inflight = null;
    this.emit("ack", { revision });
    this.flush(false);
    this.scheduleSave();
    this.emit("status", this.snapshot());
  }

  onRemoteFrame(frame) {
    if (!Number.isInteger(frame.revision) || frame.revision <= this.revision) return;
    if (frame.revision !== this.revision + 1) {
      this.drop(); // a gap: reconnect, and ops_since fills it
      return;
    }
    try {
      this.applyServerOp(frame);
    } catch (error) {
      this.enterConflict("merge_failed", `A remote edit could not be applied (${error.message}).`);
      return;
    }
    if (this.hasPending()) this.scheduleSave();
  }

  /** A committed server op at this.revision + 1 (from an edit frame or ops_since). */
  applyServerOp(entry) {
    const { revision } = entry;
    if (revision <= this.revision) return;
    if (revision !== this.revision + 1)
      throw new Error(`revision ${revision} after ${this.revision}`);
    if (this.inflight && entry.client_op_id === this.inflight.id) {
      this.acknowledge(revision); // our own op, seen after a reconnect: it IS the ack
      return;
    }
    let ops = normalize(entry.ops);
    if (this.inflight) {
      const [mine, theirs] = transform(this.inflight.ops, ops);
      this.inflight = { ...this.inflight, ops: mine };
      ops = theirs;
    }
    if (this.buffer) {
      const [mine, theirs] = transform(this.buffer.ops, ops);
      this.buffer = { ...this.buffer, ops: mine };
      ops = theirs;
    }
    this.remember(revision, normalize(entry.ops));
    this.revision = revision;
    this.doc.applyRemote(ops);
    this.emit("remote", { revision, ops, userId: entry.user_id });
  }

  remember(revision, ops) {
    this.history.push({ revision, ops });
    if (this.history.length > HISTORY_SIZE)
      this.history.splice(0, this.history.length - HISTORY_SIZE);
  }

  onError(frame) {
    const id = frame.client_op_id;
    if (id && this.inflight && id === this.inflight.id) {
      if (frame.code === "rate_limited" || frame.code === "internal_error") {
        const wait = Number.isFinite(frame.retry_after_ms) ? frame.retry_after_ms : 1000;
        if (this.retryTimer !== null) this.clearTimeout(this.retryTimer);
        this.retryTimer = this.setTimeout(
          () => {
            this.retryTimer = null;
            if (this.live && this.inflight?.id === id) this.sendInflight();
          },
          Math.max(50, wait),
        );
        return;
      }
      if (FATAL_EDIT_ERRORS.has(frame.code)) {
        const messages = {
          revision_too_old: "The server no longer keeps the version your edits were made on.",
          forbidden: "You may not edit this document.",
          not_found: "This document no longer exists.",
          document_too_large: "The document would grow past the size limit.",
          message_too_large: "Your pending change is too large to send at once.",
        };
        // Refused because the right to edit went: say so in the server's words.
        const accessMessage =
          frame.code === "forbidden" && !this.canEdit ? this.accessMessage : null;
        this.enterConflict(
          frame.code,
          accessMessage ??
            messages[frame.code] ??
            `The server refused your edit: ${frame.message ?? frame.code}.`,
        );
        return;
      }
    }
    if (!id && frame.room === undefined) {
      // Maybe the last word before the server closes the socket (kept for onClose).
      this.closingError = {
        code: frame.code,
        reason: typeof frame.reason === "string" ? frame.reason : null,
        message: typeof frame.message === "string" ? frame.message : null,
      };
    }
    this.emit("server_error", frame);
  }

  // --- local edits -----------------------------------------------------------------------

  /** The user changed the text: `ops` apply to the text before the change (code points). */
  localEdit(ops) {
    if (this.status === "conflict") throw new Error("the editor is not syncing");
    ops = normalize(ops);
    if (!ops.length || ops.every((c) => typeof c === "number" && c > 0)) return;
    // Unsent edits always go first, in the same op: buffer, then send it if nothing is in
    // flight (so a buffer left over from a rejoin can never be overtaken).
    this.buffer = this.buffer
      ? { ops: compose(this.buffer.ops, ops), count: this.buffer.count + 1 }
      : { ops, count: 1 };
    if (this.live && !this.inflight) this.flush(false);
    this.scheduleSave(true);
    this.emit("status", this.snapshot());
  }

  newInflight(ops, count) {
    this.counter += 1;
    return { id: `${this.clientId}-${this.counter}`, ops, count, sentAt: null };
  }

  /** Sends the in-flight op, or promotes the buffer when nothing is in flight. */
  flush(resend) {
    if (!this.live) return;
    if (this.inflight) {
      if (resend) this.sendInflight();
      return;
    }
    if (this.buffer) {
      this.inflight = this.newInflight(this.buffer.ops, this.buffer.count);
      this.buffer = null;
      this.sendInflight();
    }
  }

  sendInflight() {
    if (!this.inflight) return;
    this.inflight.sentAt = this.now();
    this.sendFrame({
      type: "edit",
      revision: this.revision,
      client_op_id: this.inflight.id,
      edit: { ops: this.inflight.ops },
    });
  }

  // --- awareness and chat ----------------------------------------------------------------

  /**
   * Sends my selection (code points in my local text). Positions are mapped back through
   * my unacknowledged edits, so they are positions in the server's text at this.revision.
   */
  sendCursor({ anchor, head, line, column }) {
    if (!this.live) return false;
    let from = Math.min(anchor, head);
    let to = Math.max(anchor, head);
    for (const pending of [this.buffer, this.inflight]) {
      if (!pending) continue;
      const inverse = positionInverse(pending.ops);
      from = transformPosition(from, inverse);
      to = transformPosition(to, inverse);
    }
    return this.sendFrame({
      type: "cursor_update",
      cursor: { line, column, selection_start: from, selection_end: to },
      revision: this.revision,
    });
  }

  /**
   * Where a remote cursor at server `revision` is in my local text now, or null when it is
   * from a revision I do not have yet or too old to move forward.
   */
  localPosition(position, revision, isOwn = false) {
    if (!Number.isInteger(revision)) revision = this.revision;
    if (revision > this.revision) return null;
    let pos = position;
    if (revision < this.revision) {
      const start = this.history.findIndex((h) => h.revision === revision + 1);
      if (start < 0) return null;
      for (const entry of this.history.slice(start)) pos = transformPosition(pos, entry.ops, isOwn);
    }
    if (this.inflight) pos = transformPosition(pos, this.inflight.ops, isOwn);
    if (this.buffer) pos = transformPosition(pos, this.buffer.ops, isOwn);
    return pos;
  }

  sendTyping(isTyping) {
    if (!this.live || !this.canEdit) return false;
    return this.sendFrame({ type: "typing", is_typing: Boolean(isTyping) });
  }

  sendChat(message, messageType = "text") {
    if (!this.live) return false;
    return this.sendFrame({
      type: "chat_message",
      chat: { message, message_type: messageType },
    });
  }

  // --- giving up safely ------------------------------------------------------------------

  /** Stops syncing; keeps the user's text (and the stored pending edits) for them to copy. */
  enterConflict(code, message) {
    if (this.status === "conflict") return;
    const text = this.doc.getText();
    this.save();
    this.conflict = { code, message, text };
    this.stopped = true;
    this.clearTimers();
    this.closeSocket();
    this.setStatus("conflict");
    this.emit("conflict", this.conflict);
  }
}
