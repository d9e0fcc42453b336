// The user's topic over one socket without a document (docs/realtime-protocol.md,
// "Authenticating" and "Topics"): signs in with the page's session cookie, resumes after
// the last notification id it saw (`user_since`) on every reconnect, so a tab that was
// away gets what it missed once, then live frames. Touches no DOM (node's tests drive it).
//
// Events: "notification" (a frame: id, kind, title, url, unread_count, ...), "status".

import { PageSocket } from "./page-socket.js";

export class NotificationSocket extends PageSocket {
  /**
   * @param {object} options  Connection's, plus:
   * @param {number|null} [options.since]  the newest notification id the page showed
   */
  constructor(options) {
    super(options);
    this.lastId = Number.isInteger(options.since) ? options.since : null;
  }

  authenticateFrame() {
    const frame = { type: "authenticate", frame_parts: true };
    if (this.lastId !== null) frame.user_since = this.lastId;
    return frame;
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
    this.rememberClosingError(frame);
    if (frame?.type === "notification" && Number.isInteger(frame.id)) {
      if (this.lastId !== null && frame.id <= this.lastId) return; // seen already
      this.lastId = frame.id;
      this.emit("notification", frame);
    }
  }
}
