// The comment threads of one document as a page knows them: loaded from the comments API,
// then kept up to date by the `comment` frames of the document's topic (doc:<id>, see
// docs/realtime-protocol.md). No DOM here (node's test runner covers it): the editor and the
// document page render what this holds (comments-panel.js).
//
// A thread is the API's representation of its first comment with `replies` (oldest first).
// Frames carry a comment as a plain reader sees it, without `can` (what this person may do
// with it); what the API said about `can` is kept, and comments only known from a frame get
// `can` from the API when the page asks for their thread again (`needsRefresh`).
//
// Frames come in the order of their ids; each carries the comment as it was when its event
// was published, so applying them in order ends with the latest state, whatever the page
// loaded before.

export const EVENTS = new Set([
  "created",
  "edited",
  "resolved",
  "reopened",
  "deleted",
  "outdated",
  "hidden",
  "shown",
]);

const NOTHING_ALLOWED = { edit: false, delete: false, resolve: false, reply: false };

/** How the page groups a thread: "passage", "general", "outdated" or "resolved". */
export function threadGroup(thread) {
  if (thread.status === "resolved") return "resolved";
  if (thread.comment_type !== "inline") return "general";
  if (!thread.anchor || thread.anchor.outdated) return "outdated";
  return "passage";
}

/** Where a thread sorts: passages by where they are in the text, the rest oldest first. */
function sortKey(thread) {
  const at = thread.anchor && !thread.anchor.outdated ? thread.anchor.start : null;
  return [at ?? Number.MAX_SAFE_INTEGER, thread.created_at ?? "", thread.id];
}

function compareThreads(a, b) {
  const [pa, ca, ia] = sortKey(a);
  const [pb, cb, ib] = sortKey(b);
  if (pa !== pb) return pa - pb;
  if (ca !== cb) return ca < cb ? -1 : 1;
  return ia - ib;
}

export class CommentThreads {
  constructor() {
    this.threads = new Map(); // thread id -> thread (root comment with replies)
    this.lastEventId = null; // the last frame id applied (to resume the topic after it)
    this.stale = new Set(); // thread ids whose `can` only a fresh read of the API can tell
    this.putWhileLoading = null; // threads this page got while a list was being read
  }

  /** A list is being read: threads put meanwhile (one just posted) survive its load. */
  loading() {
    this.putWhileLoading = new Map();
  }

  /** Everything the API listed (the first page load, or after a gap): replaces all. */
  load(threads) {
    const newer = this.putWhileLoading ?? new Map();
    this.putWhileLoading = null;
    this.threads = new Map();
    this.stale.clear();
    for (const thread of threads) this.put(thread);
    for (const [id, thread] of newer) if (!this.threads.has(id)) this.threads.set(id, thread);
  }

  /** A thread from the API (list, detail, create, resolve...): taken as it is. */
  put(thread) {
    if (!thread || thread.parent_id !== null) return;
    const stored = { ...thread, replies: [...(thread.replies ?? [])] };
    this.threads.set(thread.id, stored);
    this.stale.delete(thread.id);
    this.putWhileLoading?.set(thread.id, stored);
  }

  /** A reply from the API (a reply just posted or edited). */
  putReply(reply) {
    const thread = this.threads.get(reply?.thread_id);
    if (!thread) return;
    const at = thread.replies.findIndex((r) => r.id === reply.id);
    if (at >= 0) thread.replies[at] = reply;
    else thread.replies.push(reply);
  }

  /** This person deleted a comment (the API answers 204): what readers now see of it. */
  removed(threadId, commentId) {
    const thread = this.threads.get(threadId);
    if (!thread) return;
    if (commentId !== threadId) {
      thread.replies = thread.replies.filter((r) => r.id !== commentId);
    } else if (thread.replies.length) {
      const gone = { content: "", content_html: "", is_deleted: true };
      this.threads.set(threadId, { ...thread, ...gone, can: { ...NOTHING_ALLOWED } });
    } else {
      this.threads.delete(threadId);
    }
  }

  get(threadId) {
    return this.threads.get(threadId) ?? null;
  }

  /** Threads in the order the page lists them, grouped (see threadGroup). */
  grouped() {
    const groups = { passage: [], general: [], outdated: [], resolved: [] };
    for (const thread of [...this.threads.values()].sort(compareThreads)) {
      groups[threadGroup(thread)].push(thread);
    }
    return groups;
  }

  /** Threads whose passage should be highlighted: open, anchored, not outdated. */
  anchored() {
    return [...this.threads.values()].filter((t) => threadGroup(t) === "passage");
  }

  /** Thread ids to read again from the API (for `can`), emptied. */
  needsRefresh() {
    const ids = [...this.stale].filter((id) => this.threads.has(id));
    this.stale.clear();
    return ids;
  }

  /**
   * A `comment` frame. Returns the id of the thread it changed, or null when it changed
   * nothing (a repeat, or a frame this page does not understand).
   */
  applyFrame(frame) {
    if (frame?.type !== "comment" || !Number.isInteger(frame.id)) return null;
    if (this.lastEventId !== null && frame.id <= this.lastEventId) return null;
    this.lastEventId = frame.id;
    const comment = frame.comment;
    if (!comment || !EVENTS.has(frame.event) || !Number.isInteger(comment.id)) return null;
    const threadId = comment.thread_id ?? frame.thread_id;
    return comment.parent_id === null
      ? this.applyToRoot(frame.event, comment)
      : this.applyToReply(frame.event, comment, threadId);
  }

  applyToRoot(event, comment) {
    const known = this.threads.get(comment.id);
    if (event === "deleted" && comment.is_deleted) {
      // Kept (emptied) while replies hang on it; gone otherwise.
      if (!known || known.replies.length === 0) {
        if (!known) return null;
        this.threads.delete(comment.id);
        return comment.id;
      }
    }
    const thread = {
      ...comment,
      can: known?.can ?? { ...NOTHING_ALLOWED },
      replies: known?.replies ?? [],
    };
    this.threads.set(comment.id, thread);
    if (!known || event === "hidden" || event === "shown") this.stale.add(comment.id);
    return comment.id;
  }

  applyToReply(event, comment, threadId) {
    const thread = this.threads.get(threadId);
    if (!thread) {
      this.stale.add(threadId); // a reply to a thread this page has not seen: read it
      return null;
    }
    const at = thread.replies.findIndex((r) => r.id === comment.id);
    if (event === "deleted" && comment.is_deleted) {
      if (at < 0) return null;
      thread.replies.splice(at, 1);
      return threadId;
    }
    const reply = { ...comment, can: at >= 0 ? thread.replies[at].can : { ...NOTHING_ALLOWED } };
    if (at >= 0) thread.replies[at] = reply;
    else {
      thread.replies.push(reply);
      this.stale.add(threadId);
    }
    if (event === "hidden" || event === "shown") this.stale.add(threadId);
    return threadId;
  }
}
