// My edits against the server's: the OT half of the realtime protocol client.
//
// One operation in flight at a time; later local edits are composed into a buffer; remote
// operations are transformed against both (own in-flight/buffer on the LEFT of transform,
// so at equal positions our insert goes first, exactly as the server decides). Pending
// edits are kept in storage (format in saved-edits.js) with their client_op_id, so they
// survive a dropped connection and a reload, and are resubmitted with the same id on
// reconnect: the server applies nothing twice. When the server can no longer take them,
// syncing stops and says so ("conflict") instead of dropping text.
//
// EditSync extends Connection (the socket) and is extended by CollabClient (client.js),
// which reads the frames and calls rejoin(), onAck(), onRemoteFrame() and friends here.
// Positions and operations are in code points, as on the wire.

import { Connection } from "./connection.js";
import { apply, compose, cpLength, normalize, transform, transformPosition } from "./ot.js";
import { readSavedEdits, savedEditsJson, storageKey } from "./saved-edits.js";

const HISTORY_SIZE = 200; // recent server ops, to move slightly stale remote cursors forward
const SYNC_SAVE_LIMIT = 200000; // bigger texts are saved at most every SAVE_THROTTLE_MS
const SAVE_THROTTLE_MS = 300;

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

export class EditSync extends Connection {
  /** Options as CollabClient's: documentId, userId, doc, revision, storage, storageKey. */
  constructor(options) {
    super(options);
    this.documentId = String(options.documentId);
    this.userId = options.userId;
    this.doc = options.doc;
    this.storage = options.storage ?? null;
    this.key = options.storageKey ?? storageKey(this.documentId, this.userId);

    this.revision = options.revision ?? 0;
    this.inflight = null; // {id, ops, count, sentAt}: ops apply to the text at this.revision
    this.buffer = null; // {ops, count}: ops apply to the text after inflight
    this.clientId = randomId(this.random);
    this.counter = 0;
    this.history = []; // [{revision, ops}] recent server ops, oldest first
    this.conflict = null; // {code, message, text}
    this.retryTimer = null; // resends the in-flight op the server asked us to retry
    this.saveTimer = null;
  }

  /** Number of local edits the server has not acknowledged yet. */
  pendingCount() {
    return (this.inflight?.count ?? 0) + (this.buffer?.count ?? 0);
  }

  hasPending() {
    return this.inflight !== null || this.buffer !== null;
  }

  // --- persistence ----------------------------------------------------------------------

  /** Loads pending edits a previous page (or a crash) left behind. True if there were any. */
  restore() {
    const saved = readSavedEdits(this.storage, this.key, this.documentId);
    if (!saved || (!saved.inflight && !saved.buffer)) return false;
    this.revision = saved.revision;
    this.inflight = saved.inflight ? { ...saved.inflight, sentAt: null } : null;
    this.buffer = saved.buffer;
    this.doc.setText(saved.text);
    this.emit("restored", { pending: this.pendingCount(), revision: this.revision });
    return true;
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
        savedEditsJson({
          documentId: this.documentId,
          userId: this.userId,
          revision: this.revision,
          inflight: this.inflight,
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

  // --- the socket -----------------------------------------------------------------------

  clearTimers() {
    super.clearTimers();
    if (this.retryTimer !== null) {
      this.clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
  }

  /** The browser says the network is gone: keep pending edits, treat the socket as lost. */
  goOffline() {
    if (this.stopped || this.status === "conflict") return;
    this.save();
    super.goOffline();
  }

  // --- rejoining ------------------------------------------------------------------------

  /**
   * Catches up with an `authenticated` frame: rebases pending edits on what happened
   * meanwhile (or stops: never drop or double them), or without any takes the server's text.
   * False when that ended in a conflict.
   */
  rejoin(frame) {
    const opsSince = Array.isArray(frame.ops_since) ? frame.ops_since : null;
    const complete = opsSince !== null && frame.ops_since_complete !== false;

    if (this.hasPending()) {
      if (frame.revision < this.revision) {
        this.enterConflict(
          "revision_ahead",
          "The server's copy is older than the one your edits were made on.",
        );
        return false;
      }
      if (frame.revision > this.revision && !complete) {
        this.enterConflict(
          "history_gone",
          "The server no longer has the history needed to merge your offline edits.",
        );
        return false;
      }
      try {
        for (const entry of opsSince ?? []) this.applyServerOp(entry);
      } catch (error) {
        this.enterConflict("merge_failed", `Your edits could not be merged (${error.message}).`);
        return false;
      }
      if (this.revision !== frame.revision) {
        this.enterConflict("history_gone", "Some of the document's history is missing.");
        return false;
      }
      const mine = compose(this.inflight?.ops ?? [], this.buffer?.ops ?? []);
      if (apply(frame.content, mine) !== this.doc.getText()) {
        this.enterConflict("mismatch", "Your copy no longer matches the server's.");
        return false;
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
    return true;
  }

  // --- server ops -----------------------------------------------------------------------

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

  // --- local edits ----------------------------------------------------------------------

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

  // --- cursors --------------------------------------------------------------------------

  /**
   * Sends my selection (code points in my local text). Positions are mapped back through
   * my unacknowledged edits, so they are positions in the server's text at this.revision.
   */
  sendCursor({ anchor, head, line, column }) {
    if (!this.live) return false;
    const [from, to] = this.serverRange(Math.min(anchor, head), Math.max(anchor, head));
    return this.sendFrame({
      type: "cursor_update",
      cursor: { line, column, selection_start: from, selection_end: to },
      revision: this.revision,
    });
  }

  /**
   * A range of my local text (code points) as a range of the server's text at
   * this.revision: mapped back through my unacknowledged edits (text only I have yet
   * shrinks to its edge). For cursors, and for comments on a passage.
   */
  serverRange(from, to) {
    for (const pending of [this.buffer, this.inflight]) {
      if (!pending) continue;
      const inverse = positionInverse(pending.ops);
      from = transformPosition(from, inverse);
      to = transformPosition(to, inverse);
    }
    return [from, to];
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

  // --- giving up safely -----------------------------------------------------------------

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
