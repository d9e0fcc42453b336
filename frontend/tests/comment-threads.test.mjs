// The comment threads a page holds: loaded from the API, kept up to date by the `comment`
// frames of the document's topic (frontend/comment-threads.js).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { CommentThreads, threadGroup } from "../comment-threads.js";

let nextId = 1;

function comment(fields = {}) {
  const id = fields.id ?? nextId++;
  return {
    id,
    document_id: 1,
    thread_id: fields.parent_id ?? id,
    parent_id: null,
    author: { id: 7, username: "ada" },
    content: "A remark",
    content_html: "<p>A remark</p>",
    comment_type: "general",
    anchor: null,
    status: "open",
    is_deleted: false,
    is_hidden: false,
    created_at: `2026-01-01T10:00:${String(id).padStart(2, "0")}Z`,
    edited_at: null,
    ...fields,
  };
}

function inline(start, end, fields = {}) {
  return comment({
    comment_type: "inline",
    anchor: { start, end, revision: 3, text: "x", quote: "x", outdated: false },
    ...fields,
  });
}

function thread(root, replies = [], can = { edit: true, delete: true, resolve: true, reply: true }) {
  return { ...root, can, replies: replies.map((r) => ({ ...r, can })) };
}

function frame(id, event, data) {
  return { type: "comment", topic: "doc:1", id, event, thread_id: data.thread_id, comment: data };
}

describe("comment threads", () => {
  test("are listed by group: passages in text order, then general, outdated, resolved", () => {
    const threads = new CommentThreads();
    const later = inline(50, 60);
    const earlier = inline(5, 9);
    const general = comment();
    const outdated = inline(0, 0, {
      anchor: { start: null, end: null, revision: 3, text: "", quote: "gone", outdated: true },
    });
    const resolved = inline(1, 2, { status: "resolved" });
    threads.load([later, general, earlier, outdated, resolved].map((t) => thread(t)));
    const groups = threads.grouped();
    assert.deepEqual(groups.passage.map((t) => t.id), [earlier.id, later.id]);
    assert.deepEqual(groups.general.map((t) => t.id), [general.id]);
    assert.deepEqual(groups.outdated.map((t) => t.id), [outdated.id]);
    assert.deepEqual(groups.resolved.map((t) => t.id), [resolved.id]);
    assert.deepEqual(threads.anchored().map((t) => t.id).sort(), [earlier.id, later.id].sort());
    assert.equal(threadGroup(thread(resolved)), "resolved");
  });

  test("a thread someone else starts arrives, and its rights are read again", () => {
    const threads = new CommentThreads();
    threads.load([]);
    const root = inline(3, 8, { author: { id: 9, username: "lin" } });
    assert.equal(threads.applyFrame(frame(10, "created", root)), root.id);
    assert.deepEqual(threads.get(root.id).can, {
      edit: false,
      delete: false,
      resolve: false,
      reply: false,
    });
    assert.deepEqual(threads.needsRefresh(), [root.id]);
    assert.deepEqual(threads.needsRefresh(), []);
    assert.equal(threads.lastEventId, 10);
  });

  test("my own thread keeps what the API said I may do when its frame comes after", () => {
    const threads = new CommentThreads();
    const root = comment();
    threads.put(thread(root));
    threads.applyFrame(frame(4, "created", root));
    assert.equal(threads.get(root.id).can.edit, true);
    assert.deepEqual(threads.needsRefresh(), []);
  });

  test("frames apply once, in id order; older or repeated ones change nothing", () => {
    const threads = new CommentThreads();
    const root = comment();
    threads.put(thread(root));
    const edited = { ...root, content: "Better", edited_at: "2026-01-02T00:00:00Z" };
    assert.equal(threads.applyFrame(frame(5, "edited", edited)), root.id);
    assert.equal(threads.applyFrame(frame(5, "edited", { ...root, content: "Again" })), null);
    assert.equal(threads.applyFrame(frame(3, "edited", { ...root, content: "Older" })), null);
    assert.equal(threads.get(root.id).content, "Better");
    assert.equal(threads.applyFrame({ type: "comment", id: "6" }), null);
    assert.equal(threads.applyFrame(frame(7, "renamed", root)), null); // a newer kind of event
  });

  test("replies are added, edited and deleted in their thread, which keeps them", () => {
    const threads = new CommentThreads();
    const root = comment();
    threads.put(thread(root));
    const reply = comment({ parent_id: root.id, content: "Indeed" });
    assert.equal(threads.applyFrame(frame(1, "created", reply)), root.id);
    threads.applyFrame(frame(2, "edited", { ...root, content: "Root edited" }));
    assert.deepEqual(threads.get(root.id).replies.map((r) => r.content), ["Indeed"]);
    threads.applyFrame(frame(3, "edited", { ...reply, content: "Indeed!" }));
    assert.equal(threads.get(root.id).replies[0].content, "Indeed!");
    threads.applyFrame(frame(4, "deleted", { ...reply, content: "", is_deleted: true }));
    assert.deepEqual(threads.get(root.id).replies, []);
  });

  test("a deleted thread goes, unless replies hang on it", () => {
    const threads = new CommentThreads();
    const lonely = comment();
    const answered = comment();
    const reply = comment({ parent_id: answered.id });
    threads.load([thread(lonely), thread(answered, [reply])]);
    threads.applyFrame(frame(1, "deleted", { ...lonely, content: "", is_deleted: true }));
    threads.applyFrame(frame(2, "deleted", { ...answered, content: "", is_deleted: true }));
    assert.equal(threads.get(lonely.id), null);
    assert.equal(threads.get(answered.id).is_deleted, true);
    assert.equal(threads.get(answered.id).replies.length, 1);
  });

  test("resolving, reopening and outdating move a thread between groups", () => {
    const threads = new CommentThreads();
    const root = inline(2, 6);
    threads.put(thread(root));
    threads.applyFrame(frame(1, "resolved", { ...root, status: "resolved" }));
    assert.equal(threadGroup(threads.get(root.id)), "resolved");
    threads.applyFrame(frame(2, "reopened", { ...root, status: "open" }));
    assert.equal(threadGroup(threads.get(root.id)), "passage");
    const gone = { ...root.anchor, start: null, end: null, text: "", outdated: true };
    threads.applyFrame(frame(3, "outdated", { ...root, anchor: gone }));
    assert.equal(threadGroup(threads.get(root.id)), "outdated");
    assert.deepEqual(threads.anchored(), []);
  });

  test("a reply to a thread the page has not seen asks for that thread", () => {
    const threads = new CommentThreads();
    const reply = comment({ parent_id: 999 });
    assert.equal(threads.applyFrame(frame(1, "created", reply)), null);
    threads.put(thread(comment({ id: 999 })));
    assert.deepEqual(threads.needsRefresh(), []); // read since: nothing left to ask
  });
});

describe("reading the list again", () => {
  test("keeps a thread posted while the list was being read", () => {
    const threads = new CommentThreads();
    const old = comment();
    threads.load([thread(old)]);
    threads.loading();
    const posted = comment();
    threads.put(thread(posted)); // the answer to my POST came before the list
    threads.load([thread(old)]); // read before the POST was committed
    assert.deepEqual([...threads.threads.keys()].sort(), [old.id, posted.id].sort());
    threads.load([]); // a later read that does not know it: gone (deleted meanwhile)
    assert.equal(threads.get(posted.id), null);
  });
});

describe("deleting from this page", () => {
  test("a reply goes, a thread with replies stays emptied, a lone thread goes", () => {
    const threads = new CommentThreads();
    const lone = comment();
    const root = comment();
    const reply = comment({ parent_id: root.id });
    const other = comment({ parent_id: root.id });
    threads.load([thread(lone), thread(root, [reply, other])]);
    threads.removed(root.id, reply.id);
    assert.deepEqual(threads.get(root.id).replies.map((r) => r.id), [other.id]);
    threads.removed(root.id, root.id);
    assert.equal(threads.get(root.id).is_deleted, true);
    assert.equal(threads.get(root.id).content_html, "");
    assert.equal(threads.get(root.id).can.reply, false);
    threads.removed(lone.id, lone.id);
    assert.equal(threads.get(lone.id), null);
  });
});
