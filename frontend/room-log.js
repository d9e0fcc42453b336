// A room chat's messages as the page knows them, fed from three sources that may overlap:
// the page's first paint, REST pages and answers (history, what the person sent or edited)
// and the room's topic on the socket (live and replayed frames). Every message is kept
// once, in id order, in its newest known state; nothing here touches the DOM.
//
// `lastTopicId` is what the socket resumes from (`since`): only frames of the topic move it,
// never a REST answer, whose id may be newer than topic frames still on their way (moving
// it there would skip them on a reconnect).

/** Milliseconds of an ISO time, 0 for none (states compare by when they were edited). */
function editedAt(message) {
  const time = message?.edited_at ? Date.parse(message.edited_at) : 0;
  return Number.isNaN(time) ? 0 : time;
}

export class RoomLog {
  /** @param {{since?: number|null, messages?: object[]}} [start]  the page's first paint */
  constructor({ since = null, messages = [] } = {}) {
    this.lastTopicId = Number.isInteger(since) ? since : null;
    this.byId = new Map();
    for (const message of messages) this.upsert(message);
  }

  /** Messages oldest first. */
  messages() {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  oldestId() {
    let oldest = null;
    for (const id of this.byId.keys()) if (oldest === null || id < oldest) oldest = id;
    return oldest;
  }

  get(id) {
    return this.byId.get(id) ?? null;
  }

  /**
   * A message in some state (a REST item, a `room_message` frame, a POST or PATCH answer).
   * Kept when newer than what is known: deletion is final, and a later edit wins.
   * Returns true when what the page shows changed.
   */
  upsert(message) {
    if (!Number.isInteger(message?.id)) return false;
    const known = this.byId.get(message.id);
    if (known) {
      if (known.deleted) return false;
      if (!message.deleted && editedAt(message) < editedAt(known)) return false;
      if (
        known.deleted === Boolean(message.deleted) &&
        known.message === message.message &&
        known.message_type === message.message_type &&
        editedAt(known) === editedAt(message)
      ) {
        return false;
      }
    }
    const { topic: _topic, ...state } = message;
    this.byId.set(message.id, { ...known, ...state, type: "room_message" });
    return true;
  }

  /**
   * A frame of the room's topic. Returns {changed, id}: whether the shown messages changed
   * and which message (null for app events and frames seen before).
   */
  apply(frame) {
    if (!Number.isInteger(frame?.id)) return { changed: false, id: null };
    if (this.lastTopicId !== null && frame.id <= this.lastTopicId) {
      return { changed: false, id: null }; // seen already (a replay that overlapped)
    }
    this.lastTopicId = frame.id;
    switch (frame.type) {
      case "room_message":
        return { changed: this.upsert(frame), id: frame.id };
      case "room_message_edited": {
        const known = this.byId.get(frame.message_id);
        if (!known) return { changed: false, id: null }; // older than what the page loaded
        const changed = this.upsert({
          ...known,
          message: frame.message,
          message_type: frame.message_type ?? known.message_type,
          html: frame.html,
          edited_at: frame.edited_at,
          deleted: Boolean(frame.deleted),
        });
        return { changed, id: frame.message_id };
      }
      case "room_message_deleted":
        return { changed: this.markDeleted(frame.message_id), id: frame.message_id };
      default:
        return { changed: false, id: null };
    }
  }

  markDeleted(id) {
    const known = this.byId.get(id);
    if (!known || known.deleted) return false;
    this.byId.set(id, { ...known, deleted: true, message: "", html: "" });
    return true;
  }

  /** Forgets every message (after a gap too long to replay), keeping nothing stale. */
  reset(since) {
    this.byId.clear();
    this.lastTopicId = Number.isInteger(since) ? since : null;
  }
}
