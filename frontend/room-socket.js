// A socket that follows one room's topic (study group and AMA chat; docs/realtime-protocol.md,
// "Rooms"). It signs in with the page's session cookie, subscribes with `since` (the last
// topic frame id the page has) on every connect, so a reconnect brings exactly what was
// missed, and stops for good when the person may no longer read the room or is signed out.
// Like connection.js it touches no DOM (node's tests drive it).
//
// Events: "subscribed" (the server's frame), "frame" (every frame of the room's topic, in
// id order: room_message, room_message_edited, room_message_deleted, app events), "refused"
// (an error frame about this room: rate_limited, forbidden...), "status" ({status}:
// connecting, connected, reconnecting, offline, signed_out, forbidden, closed).

import { Connection } from "./connection.js";

const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_FORBIDDEN = 4403;

export class RoomSocket extends Connection {
  /**
   * @param {object} options  Connection's, plus:
   * @param {number} options.room  the room's id
   * @param {() => number|null} options.since  the last topic frame id the page has (or null)
   */
  constructor(options) {
    super(options);
    this.room = options.room;
    this.since = options.since ?? (() => null);
    this.message = null; // the server's words when it stopped the socket for good
  }

  onOpen() {
    this.sendFrame({ type: "authenticate" });
  }

  receive(frame) {
    frame = this.joinParts(frame);
    if (frame === null) return;
    if (frame?.type === "authenticated") {
      this.established();
      this.schedulePing();
      const subscribe = { type: "subscribe", room: this.room };
      const since = this.since();
      if (Number.isInteger(since)) subscribe.since = since;
      this.sendFrame(subscribe);
      return;
    }
    if (frame?.room !== this.room) {
      if (frame?.type === "error" && (frame.reason || frame.code === "not_authenticated")) {
        this.closingError = { code: frame.code, reason: frame.reason, message: frame.message };
      }
      return; // pong, the user's topic, other rooms
    }
    switch (frame.type) {
      case "subscribed":
        this.setStatus("connected");
        this.emit("subscribed", frame);
        break;
      case "unsubscribed":
        if (frame.reason) this.stopFor("forbidden", frame.message);
        break;
      case "error":
        if (frame.code === "not_found" && frame.message_id === undefined) {
          this.stopFor("forbidden", "This chat is no longer available to you.");
        } else {
          this.emit("refused", frame);
        }
        break;
      default:
        if (Number.isInteger(frame.id)) this.emit("frame", frame);
    }
  }

  stopFor(status, message) {
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
      const reason = this.closingError?.reason;
      const signedOut = ["signed_out", "account_disabled", "account_suspended"].includes(reason);
      this.stopFor(signedOut ? "signed_out" : "forbidden", this.closingError?.message);
      return true;
    }
    return false;
  }
}
