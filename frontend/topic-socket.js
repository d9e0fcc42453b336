// A socket that follows a document's topic without joining the document (document pages:
// live comments; docs/realtime-protocol.md, "Documents"). It signs in with the page's
// session cookie, subscribes, resumes after the last frame id it was given on every
// reconnect, and stops for good when the server says this person may no longer read the
// document or is signed out. Like connection.js it touches no DOM (node's tests drive it).
//
// Events: "subscribed" (the server's frame), "comment" (a frame of the topic), "status"
// ({status}: connecting, connected, reconnecting, offline, signed_out, forbidden, closed).

import { PageSocket } from "./page-socket.js";

export class TopicSocket extends PageSocket {
  /**
   * @param {object} options  Connection's, plus:
   * @param {number|string} options.document  the document's id or slug
   * @param {() => number|null} options.since  the last frame id the page has (or null)
   */
  constructor(options) {
    super(options);
    this.document = options.document;
    this.since = options.since ?? (() => null);
  }

  receive(frame) {
    frame = this.joinParts(frame);
    if (frame === null) return;
    switch (frame?.type) {
      case "authenticated": {
        this.established();
        this.schedulePing();
        const subscribe = { type: "subscribe", document: this.document };
        const since = this.since();
        if (Number.isInteger(since)) subscribe.since = since;
        this.sendFrame(subscribe);
        break;
      }
      case "subscribed":
        this.setStatus("connected");
        this.emit("subscribed", frame);
        break;
      case "comment":
        this.emit("comment", frame);
        break;
      case "unsubscribed":
        if (frame.reason) this.stopFor("forbidden", frame.message);
        break;
      case "error":
        if (frame.document !== undefined && frame.code === "not_found") {
          this.stopFor("forbidden", "This document is no longer available to you.");
        } else {
          this.rememberClosingError(frame);
        }
        break;
      default:
        break; // pong, the user's topic, anything newer
    }
  }
}
