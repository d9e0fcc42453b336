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

import { PageSocket } from "./page-socket.js";

export class RoomSocket extends PageSocket {
  /**
   * @param {object} options  Connection's, plus:
   * @param {number} options.room  the room's id
   * @param {() => number|null} options.since  the last topic frame id the page has (or null)
   */
  constructor(options) {
    super(options);
    this.room = options.room;
    this.since = options.since ?? (() => null);
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
      this.rememberClosingError(frame);
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
}
