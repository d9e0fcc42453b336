// The user's topic over one socket without a document (docs/realtime-protocol.md,
// "Authenticating" and "Topics"): signs in with the page's session cookie, resumes after
// the last notification id it saw (`user_since`) on every reconnect, so a tab that was
// away gets what it missed once, then live frames. Touches no DOM (node's tests drive it).
//
// Events: "notification" (a frame: id, kind, title, url, unread_count, ...), "status".

import { Connection } from "./connection.js";

const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_FORBIDDEN = 4403;

export class NotificationSocket extends Connection {
  /**
   * @param {object} options  Connection's, plus:
   * @param {number|null} [options.since]  the newest notification id the page showed
   */
  constructor(options) {
    super(options);
    this.lastId = Number.isInteger(options.since) ? options.since : null;
  }

  onOpen() {
    const frame = { type: "authenticate", frame_parts: true };
    if (this.lastId !== null) frame.user_since = this.lastId;
    this.sendFrame(frame);
  }

  receive(frame) {
    frame = this.joinParts(frame);
    if (frame === null) return;
    if (frame?.type === "authenticated") {
      this.established();
      this.schedulePing();
      this.setStatus("connected");
      // Nothing seen yet: from now on (later reconnects resume from here).
      if (this.lastId === null) this.lastId = 0;
      return;
    }
    if (frame?.type === "notification" && Number.isInteger(frame.id)) {
      if (this.lastId !== null && frame.id <= this.lastId) return; // seen already
      this.lastId = frame.id;
      this.emit("notification", frame);
    }
  }

  closedForGood(code) {
    if (code === CLOSE_UNAUTHENTICATED || code === CLOSE_FORBIDDEN) {
      this.stopped = true;
      this.clearTimers();
      this.setStatus("signed_out");
      return true;
    }
    return false;
  }
}
