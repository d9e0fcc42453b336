// The browser side of the realtime protocol (shared/docs/realtime-protocol.md): CollabClient,
// what the editor page talks to. It is built in three layers, each a module:
//   connection.js  one WebSocket kept open: reconnects with backoff, offline waits, pings,
//                  frames in and out (large ones joined from frame_part frames)
//   edit-sync.js   my edits against the server's: in flight, buffered, rebased, acknowledged,
//                  kept in storage, and the "conflict" stop when they cannot be sent
//   client.js      (this one) reads the server's frames and the user's rights: authenticate,
//                  access changes, errors, close codes, presence, typing, chat and topics
//
// None of them touches the DOM or CodeMirror: the page passes a `doc` adapter
// ({getText(), setText(text), applyRemote(ops)}), a WebSocket constructor, a storage and
// timers, so node's test runner can drive it with fakes (frontend/tests/client.test.mjs).
// Positions and operations here are in code points, as on the wire.
//
// It also speaks this project's extensions (docs/realtime-protocol.md): large frames come
// as `frame_part`s and are joined (connection.js); rights may change while the socket is open
// (`access_changed`, or an `error` with a `reason` followed by close 4403); frames of the
// user's, rooms' and the document's topics are passed on as "topic" events.

import { EditSync } from "./edit-sync.js";

export { STORAGE_PREFIX, storageKey } from "./saved-edits.js";

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

// Frames of a topic (the user's, a room's, the document's: comment activity): no state
// here, the page decides what to show.
const TOPIC_FRAMES = new Set([
  "notification",
  "room_message",
  "comment",
  "suggestion",
  "proposal",
  "subscribed",
  "unsubscribed",
]);

export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_NOT_FOUND = 4404;

export class CollabClient extends EditSync {
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
   * @param {() => object} [options.authenticateExtras]  more fields for each authenticate
   *   frame (e.g. `doc_since`, to resume the document's topic after a reconnect)
   */
  constructor(options) {
    super(options); // the socket's options (connection.js) and the edits' (edit-sync.js)
    this.authenticateExtras = options.authenticateExtras ?? (() => ({}));
    this.canEdit = options.canEdit ?? true;
    // The server's latest word on this user's rights: an `access_changed`, or the `error`
    // that came before it closed the socket for good (then accessLost is true).
    this.accessReason = null;
    this.accessMessage = null;
    this.accessLost = false;
    this.user = null;
    this.color = null;
    this.participants = [];
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

  // --- the socket -----------------------------------------------------------------------

  onOpen() {
    const frame = { ...this.authenticateExtras(), type: "authenticate" };
    frame.document_id = this.documentId;
    frame.revision = this.revision;
    frame.frame_parts = true; // a whole document may not fit in one message
    this.sendFrame(frame);
  }

  /** The server closed the socket: for some codes that is final (see connection.js). */
  closedForGood(code) {
    const reason = this.closingError?.reason;
    const final = [CLOSE_UNAUTHENTICATED, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND].includes(code);
    if (final && ACCESS_LOST_REASONS.has(reason)) {
      this.onAccessLost(reason, this.closingError.message);
      return true;
    }
    if (code === CLOSE_UNAUTHENTICATED) {
      this.stopped = true;
      this.save();
      this.setStatus("signed_out");
      return true;
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
      return true;
    }
    return false;
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

  // --- frames from the server -----------------------------------------------------------

  receive(frame) {
    frame = this.joinParts(frame);
    if (frame === null) return;
    switch (frame?.type) {
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
    if (!this.rejoin(frame)) return; // a conflict: nothing more to do on this socket
    // Edits kept from before rights were lost would only be refused: stop, text kept.
    if (!this.canEdit && this.hasPending()) {
      this.enterConflict(
        "forbidden",
        this.accessMessage ?? "You may no longer edit this document.",
      );
      return;
    }

    this.established();
    this.setStatus("connected");
    this.emit("authenticated", frame);
    this.emit("status", this.snapshot());
    this.schedulePing();
    this.flush(true);
    this.save();
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
    if (!id && frame.room === undefined && frame.document === undefined) {
      // Maybe the last word before the server closes the socket (kept for closedForGood).
      this.closingError = {
        code: frame.code,
        reason: typeof frame.reason === "string" ? frame.reason : null,
        message: typeof frame.message === "string" ? frame.message : null,
      };
    }
    this.emit("server_error", frame);
  }

  // --- typing and chat ------------------------------------------------------------------

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
}
