// What every socket a page opens without joining a document shares (the document page's
// comments, room chat, an AMA's queue, the notification bell): it signs in with the page's
// session cookie, and stops for good, saying why, when the server closes it as signed out
// (4401) or forbidden (4403), or when the page calls stopFor.

import { Connection } from "./connection.js";

export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_FORBIDDEN = 4403;
const SIGNED_OUT_REASONS = ["signed_out", "account_disabled", "account_suspended"];

export class PageSocket extends Connection {
  constructor(options) {
    super(options);
    this.message = null; // the server's words when it stopped the socket for good
  }

  /** The first frame; subclasses add fields (e.g. user_since). */
  authenticateFrame() {
    return { type: "authenticate" };
  }

  onOpen() {
    this.sendFrame(this.authenticateFrame());
  }

  /** An `error` frame that says why the server is about to close the socket. */
  rememberClosingError(frame) {
    if (frame?.type === "error" && (frame.reason || frame.code === "not_authenticated")) {
      this.closingError = { code: frame.code, reason: frame.reason, message: frame.message };
    }
  }

  stopFor(status, message = null) {
    this.message = typeof message === "string" && message ? message : null;
    this.stopped = true;
    this.clearTimers();
    this.closeSocket();
    this.setStatus(status);
  }

  closedForGood(code) {
    if (code === CLOSE_UNAUTHENTICATED) {
      this.stopFor("signed_out", null);
      return true;
    }
    if (code === CLOSE_FORBIDDEN) {
      const signedOut = SIGNED_OUT_REASONS.includes(this.closingError?.reason);
      this.stopFor(signedOut ? "signed_out" : "forbidden", this.closingError?.message);
      return true;
    }
    return false;
  }
}
