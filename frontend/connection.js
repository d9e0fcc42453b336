// One WebSocket to the server, kept open: connect, reconnect with backoff, wait while the
// browser is offline, ping to notice a dead socket, send frames and parse the ones that come
// in, plus the listeners and the status the page watches. It knows nothing of documents:
// EditSync (edit-sync.js) and CollabClient (client.js) extend it with the protocol and fill
// in three hooks:
//   onOpen()            the socket is open: authenticate on it
//   receive(frame)      a parsed frame from the server
//   closedForGood(code) the server closed the socket: true when that ends the session
// Like the client, it touches no DOM: the WebSocket constructor, isOnline and the timers are
// passed in, so node's test runner drives it with fakes.

import { FrameParts } from "./frame-parts.js";

const PING_EVERY_MS = 20000;
const DEAD_AFTER_MS = 45000; // no frame at all for this long: the socket is dead
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const OFFLINE_RETRY_MS = 30000;
// A server process that is being replaced (a deploy, a scale-down) closes its sockets with
// 1012 "service restart" once it has answered every edit it took. That is no failure:
// reconnect at once, to whichever process the load balancer picks, spread over this window
// so that a process's clients do not all arrive at the same moment.
export const CLOSE_SERVICE_RESTART = 1012;
const RESTART_SPREAD_MS = 1000;

/** How long to wait after a 1012 "service restart" close: anywhere in the spread window. */
export function restartDelay(random) {
  return Math.floor(random() * RESTART_SPREAD_MS);
}

/** How long to wait before reconnect attempt `attempt` (0, 1, ...): backoff with ±25% jitter. */
export function backoffDelay(attempt, random) {
  const base = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
  return Math.round(base * (0.75 + random() * 0.5));
}

export class Connection {
  /**
   * @param {object} options
   * @param {string} options.url  the ws:// or wss:// URL
   * @param {Function} [options.WebSocket]
   * @param {() => boolean} [options.isOnline]
   * @param {{setTimeout: Function, clearTimeout: Function, now: () => number}} [options.timers]
   * @param {() => number} [options.random]
   */
  constructor(options) {
    this.url = options.url;
    this.WebSocket = options.WebSocket ?? globalThis.WebSocket;
    this.isOnline = options.isOnline ?? (() => true);
    const timers = options.timers ?? {};
    this.setTimeout = timers.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
    this.clearTimeout = timers.clearTimeout ?? ((id) => globalThis.clearTimeout(id));
    this.now = timers.now ?? (() => Date.now());
    this.random = options.random ?? Math.random;

    // idle, connecting, connected, reconnecting, offline, conflict, signed_out, not_found, closed
    // ("conflict" is final: the client stopped syncing, and only a reload starts it again).
    this.status = "idle";
    this.socket = null;
    this.live = false; // authenticated on the current socket
    this.stopped = false;
    this.everConnected = false;
    this.attempt = 0;
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.lastFrameAt = 0;
    this.frameParts = new FrameParts(); // a frame arriving as frame_part frames
    // {code, reason, message}: an error with no client_op_id on this socket, which may be the
    // server's last word before it closes it (set and read by the client).
    this.closingError = null;
    this.listeners = new Map();
  }

  // --- events ---------------------------------------------------------------------------

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

  snapshot() {
    return { status: this.status };
  }

  // --- connection -----------------------------------------------------------------------

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
    for (const name of ["reconnectTimer", "pingTimer"]) {
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
    this.frameParts.reset();
    this.closingError = null;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.lastFrameAt = this.now();
      this.onOpen();
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

  /** Hook: the socket is open. */
  onOpen() {}

  /** Hook: a frame from the server. */
  receive(_frame) {}

  closeSocket() {
    const socket = this.socket;
    this.socket = null;
    this.live = false;
    this.frameParts.reset();
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
    this.frameParts.reset(); // half a frame is no frame
    if (this.pingTimer !== null) {
      this.clearTimeout(this.pingTimer);
      this.pingTimer = null;
    }
    if (this.stopped || this.status === "conflict") return;
    if (this.closedForGood(code)) return;
    if (code === CLOSE_SERVICE_RESTART) {
      this.scheduleReconnect(restartDelay(this.random));
      return;
    }
    this.scheduleReconnect();
  }

  /** Hook: the server closed the socket with `code`; true if there is no coming back. */
  closedForGood(_code) {
    return false;
  }

  /** Reconnects after `delayMs`, or after the next backoff step (a failed attempt). */
  scheduleReconnect(delayMs = null) {
    if (this.stopped || this.status === "conflict") return;
    if (!this.isOnline()) {
      this.setStatus("offline");
      this.reconnectTimer = this.setTimeout(() => this.connect(), OFFLINE_RETRY_MS);
      return;
    }
    this.setStatus(this.everConnected ? "reconnecting" : "connecting");
    let delay = delayMs;
    if (delay === null) {
      delay = backoffDelay(this.attempt, this.random);
      this.attempt += 1;
    }
    if (this.reconnectTimer !== null) this.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  /** The socket is authenticated: frames may flow, and the backoff starts over. */
  established() {
    this.live = true;
    this.everConnected = true;
    this.attempt = 0;
  }

  /** The browser says the network is gone: treat the socket as lost (it may linger). */
  goOffline() {
    if (this.stopped || this.status === "conflict") return;
    this.closeSocket();
    this.clearTimers();
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

  // --- large frames ---------------------------------------------------------------------

  /**
   * Feeds a frame to the frame-part assembler when one is part of (or breaks) a split frame.
   * Returns the frame to handle: the one given, a whole frame joined from its parts, or null
   * (more parts to come, or the parts were broken and the connection is being dropped).
   */
  joinParts(frame) {
    if (frame?.type !== "frame_part" && !this.frameParts.pending) return frame;
    const joined = this.frameParts.add(frame);
    if (joined === null) return null;
    if (joined.broken) {
      this.partsBroken();
      return null;
    }
    return joined.frame;
  }

  partsBroken() {
    this.frameParts.reset();
    this.emit("server_error", { type: "error", code: "invalid_frame_part" });
    this.drop();
  }
}
