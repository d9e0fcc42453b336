// A socket that follows an AMA's room (docs/realtime-protocol.md, "Rooms" and "AMA
// sessions"): signs in with the page's session cookie, subscribes to the room, and resumes
// after the last room frame id it was given on every reconnect, so no queue change is lost
// or applied twice. It touches no DOM (node's tests drive it with fakes).
//
// Events: "subscribed", "frame" (every frame of the room: ama_question, ama_state,
// ama_question_deleted, room_message, ...), "status" ({status}).

import { PageSocket } from "./page-socket.js";

export class AmaSocket extends PageSocket {
  /**
   * @param {object} options  Connection's, plus:
   * @param {number} options.room  the room's id
   * @param {number|null} options.since  the last room frame id the page was rendered with
   */
  constructor(options) {
    super(options);
    this.room = options.room;
    this.lastId = Number.isInteger(options.since) ? options.since : null;
  }

  receive(frame) {
    frame = this.joinParts(frame);
    if (frame === null) return;
    switch (frame?.type) {
      case "authenticated": {
        this.established();
        this.schedulePing();
        const subscribe = { type: "subscribe", room: this.room };
        if (this.lastId !== null) subscribe.since = this.lastId;
        this.sendFrame(subscribe);
        break;
      }
      case "subscribed":
        if (frame.room === this.room) {
          this.setStatus("connected");
          this.emit("subscribed", frame);
        }
        break;
      case "unsubscribed":
        if (frame.room === this.room && frame.reason) this.stopFor("forbidden");
        break;
      case "error":
        if (frame.room === this.room && frame.code === "not_found") this.stopFor("forbidden");
        else this.rememberClosingError(frame);
        break;
      default:
        if (frame?.room === this.room && Number.isInteger(frame.id)) {
          if (this.lastId !== null && frame.id <= this.lastId) return; // seen already
          this.lastId = frame.id;
          this.emit("frame", frame);
        }
    }
  }
}
