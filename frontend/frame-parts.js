// Joins a frame the server sent as `frame_part` frames (docs/realtime-protocol.md): a frame
// too large for one WebSocket message comes as parts, in order (index 0..count-1), one right
// after the other; their `data` joined is the frame's JSON text. Anything else means parts
// were lost, and the caller drops the connection so the reconnect resyncs instead of going
// on without that frame. No DOM, no socket: frontend/tests/frame-parts.test.mjs drives it.

export class FrameParts {
  constructor() {
    this.partial = null; // {count, chunks}: the parts of one frame received so far
  }

  /** True while a frame is half received: the next frame must be its next part. */
  get pending() {
    return this.partial !== null;
  }

  /** Forgets a half-received frame (the socket it came on is gone: half a frame is no frame). */
  reset() {
    this.partial = null;
  }

  /**
   * Takes the next frame from the socket: a `frame_part`, or any frame while one is pending.
   * Returns null while more parts are to come, {frame} once the last part makes a whole
   * frame, or {broken: why} when the sequence is broken (the partial frame is then dropped).
   */
  add(part) {
    if (part?.type !== "frame_part") {
      // Parts of one frame come with nothing in between: this stream is broken.
      return this.broken("interrupted");
    }
    const { index, count, data } = part;
    const expected = this.partial === null ? 0 : this.partial.chunks.length;
    if (!Number.isInteger(count) || count <= 0) return this.broken("bad_count");
    if (this.partial !== null && count !== this.partial.count) return this.broken("bad_count");
    if (index !== expected) return this.broken("bad_index");
    if (typeof data !== "string") return this.broken("bad_data");
    if (this.partial === null) this.partial = { count, chunks: [] };
    this.partial.chunks.push(data);
    if (this.partial.chunks.length < count) return null;
    const text = this.partial.chunks.join(""); // once, at the end: linear in the frame size
    this.partial = null;
    let whole;
    try {
      whole = JSON.parse(text);
    } catch {
      return this.broken("not_json");
    }
    if (whole === null || typeof whole !== "object" || whole.type === "frame_part") {
      return this.broken("not_a_frame");
    }
    return { frame: whole };
  }

  broken(why) {
    this.partial = null;
    return { broken: why };
  }
}
