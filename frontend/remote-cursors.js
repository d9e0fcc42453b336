// Other people's cursors and selections in the editor, and mine sent to them: a CodeMirror
// field that draws them (a caret with the name, the selection tinted in the user's colour)
// and keeps them in place as the text changes, plus the wiring to the client's cursor
// frames. Positions on the wire are code points in the server's text at a revision; the
// client maps them through what happened since (client.localPosition / sendCursor).

import { StateEffect, StateField } from "@codemirror/state";
import { Decoration, EditorView, WidgetType } from "@codemirror/view";

import { cpCount, cpOffset, offsetOf } from "./cm-sync.js";
import { throttle } from "./dom-helpers.js";

const CURSOR_TTL_MS = 30000;
const CURSOR_THROTTLE_MS = 120;
const CURSOR_REFRESH_MS = 12000;

const setRemoteCursor = StateEffect.define(); // {userId, name, color, from, to, at}
const removeRemoteCursors = StateEffect.define(); // [userId, ...]

class CaretWidget extends WidgetType {
  constructor(name, color) {
    super();
    this.name = name;
    this.color = color;
  }

  eq(other) {
    return other.name === this.name && other.color === this.color;
  }

  toDOM() {
    const caret = document.createElement("span");
    caret.className = "cm-remote-caret";
    caret.style.borderColor = this.color;
    const label = document.createElement("span");
    label.className = "cm-remote-label";
    label.style.backgroundColor = this.color;
    label.textContent = this.name;
    caret.append(label);
    return caret;
  }

  ignoreEvent() {
    return true;
  }
}

/** The editor extension holding and drawing remote cursors (userId -> cursor). */
export const remoteCursors = StateField.define({
  create: () => new Map(),
  update(cursors, tr) {
    let next = cursors;
    if (tr.docChanged && cursors.size) {
      next = new Map();
      for (const [id, c] of cursors) {
        // Selections keep inserts at their edges outside; a caret follows typing at it.
        const from = tr.changes.mapPos(c.from, 1);
        const to = c.from === c.to ? from : tr.changes.mapPos(c.to, -1);
        next.set(id, { ...c, from: Math.min(from, to), to: Math.max(from, to) });
      }
    }
    for (const effect of tr.effects) {
      if (effect.is(setRemoteCursor)) {
        if (next === cursors) next = new Map(cursors);
        next.set(effect.value.userId, effect.value);
      } else if (effect.is(removeRemoteCursors)) {
        if (next === cursors) next = new Map(cursors);
        for (const id of effect.value) next.delete(id);
      }
    }
    return next;
  },
  provide: (field) =>
    EditorView.decorations.compute([field], (state) => {
      const ranges = [];
      const length = state.doc.length;
      for (const c of state.field(field).values()) {
        const from = Math.min(c.from, length);
        const to = Math.min(c.to, length);
        if (to > from) {
          ranges.push(
            Decoration.mark({
              class: "cm-remote-selection",
              attributes: { style: `background-color: ${c.color}33` },
            }).range(from, to),
          );
        }
        ranges.push(
          Decoration.widget({ widget: new CaretWidget(c.name, c.color), side: 1 }).range(to),
        );
      }
      return Decoration.set(ranges, true);
    }),
});

/**
 * Shows the cursors the client hears of in `view` (which has the remoteCursors extension)
 * and drops those not refreshed for a while. Returns sendSoon() (my cursor, throttled) and
 * drop(userIds) (for people who left).
 */
export function mountRemoteCursors({ client, view, me }) {
  const cursorSeen = new Map(); // userId -> last refresh (ms)
  const parkedCursors = new Map(); // userId -> frame from a revision not here yet
  function placeCursor(frame) {
    const c = frame.cursor ?? {};
    const start = Number.isInteger(c.selection_start) ? c.selection_start : null;
    const end = Number.isInteger(c.selection_end) ? c.selection_end : start;
    if (start === null || frame.user_id === me.id) return;
    const revision = Number.isInteger(frame.revision) ? frame.revision : client.revision;
    const from = client.localPosition(start, revision);
    const to = client.localPosition(end, revision);
    if (from === null || to === null) {
      if (revision > client.revision) parkedCursors.set(frame.user_id, frame);
      return;
    }
    parkedCursors.delete(frame.user_id);
    const d = view.state.doc;
    const a = offsetOf(d, Math.min(from, to));
    const b = offsetOf(d, Math.max(from, to));
    cursorSeen.set(frame.user_id, Date.now());
    view.dispatch({
      effects: setRemoteCursor.of({
        userId: frame.user_id,
        name: frame.username ?? `user ${frame.user_id}`,
        color: frame.color ?? "#5b6675",
        from: a,
        to: b,
      }),
    });
  }
  client.on("cursor", placeCursor);
  client.on("remote", () => {
    for (const frame of [...parkedCursors.values()]) placeCursor(frame);
  });
  client.on("ack", () => {
    for (const frame of [...parkedCursors.values()]) placeCursor(frame);
    // A selection over my own unacknowledged text went out collapsed (the server had no
    // such text yet); now that it has, send the real one.
    if (client.pendingCount() === 0) sendCursorSoon();
  });
  function dropCursors(userIds) {
    const ids = userIds.filter((id) => view.state.field(remoteCursors).has(id));
    for (const id of userIds) {
      cursorSeen.delete(id);
      parkedCursors.delete(id);
    }
    if (ids.length) view.dispatch({ effects: removeRemoteCursors.of(ids) });
  }
  setInterval(() => {
    const now = Date.now();
    const stale = [...cursorSeen].filter(([, at]) => now - at > CURSOR_TTL_MS).map(([id]) => id);
    if (stale.length) dropCursors(stale);
  }, 2000);

  const sendCursorSoon = throttle(() => {
    const { anchor, head } = view.state.selection.main;
    const d = view.state.doc;
    const line = d.lineAt(head);
    client.sendCursor({
      anchor: cpOffset(d, anchor),
      head: cpOffset(d, head),
      line: line.number,
      column: cpCount(d, line.from, head),
    });
  }, CURSOR_THROTTLE_MS);
  // Others drop cursors not refreshed for 30 s (that is how a vanished user's cursor goes
  // away); refresh ours while we are here, even when it does not move.
  setInterval(sendCursorSoon, CURSOR_REFRESH_MS);

  return { sendSoon: sendCursorSoon, drop: dropCursors };
}
