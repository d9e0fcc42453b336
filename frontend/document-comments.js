// Comments on the document page (/docs/<slug>/): the threads under the document, passages
// with open threads highlighted in the rendered text, "Comment" on a selected passage, a
// comment on the whole document, and, for people signed in, live updates through a socket
// that follows the document's topic (topic-socket.js). Anonymous readers see the threads
// and a link to sign in.
//
// The rendered text is not the source: a selection is found again in the Markdown source
// the page embeds (source-match.js), and the comment's range is sent in the source's code
// points at the page's revision (the server moves it to the current text). Highlights are
// found from each thread's current passage text; a passage that cannot be found is not
// highlighted, and its thread is still listed with its quote.
//
// Bundled by frontend/build.mjs into static/vendor/comments.bundle.js; the page passes its
// data in <script type="application/json" id="document-comments-data">.

import { CommentThreads } from "./comment-threads.js";
import { CommentsApi } from "./comments-api.js";
import { mountCommentsPanel, mountDraftForm } from "./comments-panel.js";
import { $, el, throttle } from "./dom-helpers.js";
import { findInRendered, findInSource } from "./source-match.js";
import { TopicSocket } from "./topic-socket.js";

const SUBSCRIBE_WAIT_MS = 2500; // the list waits this long for the live topic, then loads
const LIVE_TEXT = {
  connecting: "Connecting for live updates…",
  connected: "Live: new comments appear here as they are posted.",
  reconnecting: "Reconnecting… new comments will appear once the connection is back.",
  offline: "You are offline: new comments will appear once you are back online.",
  signed_out: "Live updates stopped: your session has ended. Reload the page after signing in.",
  forbidden: "Live updates stopped: this document is no longer available to you.",
};

/** Text nodes of `root` with their start in the concatenated text (formulas left out). */
function textMap(root) {
  const nodes = [];
  let text = "";
  const walker = root.ownerDocument.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) =>
      node.parentElement?.closest(".katex, .katex-display, script, style")
        ? NodeFilter.FILTER_REJECT
        : NodeFilter.FILTER_ACCEPT,
  });
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    nodes.push({ node, start: text.length });
    text += node.data;
  }
  return { nodes, text };
}

/** Wraps text from..to (indices in textMap(root).text) in <mark>s for a thread. */
function wrap(root, from, to, threadId) {
  const { nodes } = textMap(root);
  for (const { node, start } of nodes) {
    const end = start + node.data.length;
    if (end <= from || start >= to) continue;
    let target = node;
    const cutStart = Math.max(from - start, 0);
    const cutEnd = Math.min(to - start, node.data.length);
    if (cutEnd < target.data.length) target.splitText(cutEnd);
    if (cutStart > 0) target = target.splitText(cutStart);
    const mark = el("mark", "comment-mark");
    mark.dataset.thread = String(threadId);
    target.replaceWith(mark);
    mark.append(target);
  }
}

function unwrapAll(root) {
  const parents = new Set();
  for (const mark of root.querySelectorAll("mark.comment-mark")) {
    parents.add(mark.parentNode);
    mark.replaceWith(...mark.childNodes);
  }
  for (const parent of parents) parent.normalize();
}

function main() {
  const dataNode = $("document-comments-data");
  const pane = $("comments-pane");
  if (!dataNode || !pane) return;
  const data = JSON.parse(dataNode.textContent);
  const article = document.querySelector(".doc-main .markdown");
  const threads = new CommentThreads();
  const api = new CommentsApi({
    listUrl: data.listUrl,
    commentUrl: data.commentUrl,
    csrfToken: data.csrfToken,
  });
  const sourceLength = [...data.source].length || 1;

  // --- highlights in the rendered text --------------------------------------------------
  function highlight() {
    if (!article) return;
    unwrapAll(article);
    for (const thread of threads.anchored()) {
      const { anchor } = thread;
      if (!anchor?.text) continue;
      const { text } = textMap(article);
      const where = findInRendered(text, anchor.text, (anchor.start ?? 0) / sourceLength);
      if (where) wrap(article, where.from, where.to, thread.id);
    }
    markActive(panel.active);
  }

  function markActive(threadId) {
    if (!article) return;
    for (const mark of article.querySelectorAll("mark.comment-mark")) {
      mark.classList.toggle("is-active", mark.dataset.thread === String(threadId));
    }
  }

  function showPassage(threadId) {
    const mark = article?.querySelector(`mark.comment-mark[data-thread="${threadId}"]`);
    if (!mark) {
      note("This passage is no longer in the page as it was rendered. Reload to see it.");
      return;
    }
    mark.scrollIntoView({ block: "center", behavior: "smooth" });
    mark.tabIndex = -1;
    mark.focus({ preventScroll: true });
  }

  const panel = mountCommentsPanel({
    element: pane,
    threads,
    api,
    canComment: Boolean(data.canComment),
    maxChars: data.maxChars,
    onActivate: markActive,
    onShowPassage: showPassage,
    onChange: highlight,
  });
  const draft = mountDraftForm(pane);

  article?.addEventListener("click", (event) => {
    const mark = event.target.closest("mark.comment-mark");
    if (!mark || window.getSelection()?.isCollapsed === false) return;
    panel.activate(Number(mark.dataset.thread), { focus: true });
  });

  // --- "Comment" on a selected passage ---------------------------------------------------
  const floating = $("selection-comment");
  const floatingButton = $("selection-comment-button");
  const noteNode = $("selection-comment-note");
  let chosen = null; // {text, relative}: the selection the button is for
  if (floating) document.body.append(floating); // positioned over the page

  function note(message) {
    if (!noteNode) return;
    noteNode.textContent = message;
    noteNode.hidden = !message;
  }

  function selectionInArticle() {
    const selection = window.getSelection();
    if (!article || !selection || selection.isCollapsed || selection.rangeCount === 0) return null;
    const range = selection.getRangeAt(0);
    if (!article.contains(range.commonAncestorContainer)) return null;
    const text = selection.toString();
    if (!text.trim()) return null;
    const before = document.createRange();
    before.setStart(article, 0);
    before.setEnd(range.startContainer, range.startOffset);
    const total = article.textContent.length || 1;
    return { text, relative: before.toString().length / total, rect: range.getBoundingClientRect() };
  }

  const followSelection = throttle(() => {
    if (!floating || !data.canComment || draft.isOpen) return;
    const found = selectionInArticle();
    if (!found) {
      floating.hidden = true;
      return;
    }
    chosen = found;
    floating.hidden = false;
    const width = floating.offsetWidth || 100;
    const left = Math.min(
      Math.max(found.rect.left + window.scrollX, window.scrollX + 8),
      window.scrollX + document.documentElement.clientWidth - width - 8,
    );
    floating.style.left = `${left}px`;
    floating.style.top = `${found.rect.bottom + window.scrollY + 8}px`;
  }, 120);
  document.addEventListener("selectionchange", followSelection);
  floatingButton?.addEventListener("mousedown", (event) => event.preventDefault()); // keep it
  floatingButton?.addEventListener("click", () => startDraft(chosen));
  document.addEventListener("keydown", (event) => {
    if (event.key.toLowerCase() === "m" && event.altKey && (event.ctrlKey || event.metaKey)) {
      const found = selectionInArticle();
      if (found && data.canComment) {
        event.preventDefault();
        startDraft(found);
      }
    }
  });

  function startDraft(selection) {
    if (!selection) return;
    if (floating) floating.hidden = true;
    const range = findInSource(data.source, selection.text, selection.relative);
    if (!range) {
      note(
        "This passage could not be found in the document's text (formulas and other generated " +
          "text cannot be commented on). Select plain text, or comment on the whole document.",
      );
      return;
    }
    note("");
    draft.open({
      quote: selection.text,
      submit: async (content) => {
        try {
          const thread = await api.create({
            content,
            comment_type: "inline",
            range,
            revision: data.revision,
          });
          threads.put(thread);
          panel.render();
          highlight();
          panel.activate(thread.id);
        } catch (error) {
          if (error.code === "revision_too_old") {
            throw new Error("This page is out of date. Reload it, then select the passage again.");
          }
          throw error;
        }
      },
      onClose: () => window.getSelection()?.removeAllRanges(),
    });
  }

  // --- loading, and live updates ----------------------------------------------------------
  const status = $("comments-status");
  const live = $("comments-live");
  let loaded = false;
  let loading = false;
  let loadAgain = false; // the topic came on while the list was being read: read it again
  let buffered = [];

  function applyFrame(frame) {
    const threadId = threads.applyFrame(frame);
    for (const id of threads.needsRefresh()) panel.refresh(id).then(highlight);
    if (threadId === null) return;
    panel.changed(threadId);
    if (frame.event === "created" && frame.comment?.author?.id !== data.user?.id) {
      panel.announce(`New comment from ${frame.comment?.author?.username ?? "someone"}.`);
    }
  }

  async function load() {
    loading = true;
    threads.loading();
    try {
      threads.load(await api.threads());
      loaded = true;
      if (status) status.hidden = true;
    } catch (error) {
      if (status) {
        status.textContent = `Comments could not be loaded: ${error.message}`;
        status.hidden = false;
      }
    } finally {
      loading = false;
    }
    const waiting = buffered;
    buffered = [];
    for (const frame of waiting) threads.applyFrame(frame);
    for (const id of threads.needsRefresh()) panel.refresh(id).then(highlight);
    panel.render();
    highlight();
    if (loadAgain) {
      loadAgain = false;
      load();
    }
  }

  if (!data.wsPath || !data.user) {
    load(); // anonymous readers: the threads as they are now, no live updates
    return;
  }

  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new TopicSocket({
    url: `${scheme}//${location.host}${data.wsPath}`,
    document: data.documentId,
    isOnline: () => navigator.onLine !== false,
    since: () => (loaded ? threads.lastEventId : null),
  });
  let loadedBeforeLive = false;
  const fallback = setTimeout(() => {
    if (!loaded && !loading) {
      loadedBeforeLive = true;
      load();
    }
  }, SUBSCRIBE_WAIT_MS);
  socket.on("subscribed", (frame) => {
    clearTimeout(fallback);
    // The list is read once the topic is on, so nothing falls in between; a reconnect
    // resumes after the last frame, unless more was missed than the server replays.
    const resumed = loaded && threads.lastEventId !== null && frame.backlog_complete !== false;
    if (loading) loadAgain = true;
    else if (!loaded || loadedBeforeLive || !resumed) load();
    loadedBeforeLive = false;
  });
  socket.on("comment", (frame) => {
    if (!loaded || loading) buffered.push(frame);
    else applyFrame(frame);
  });
  socket.on("status", ({ status: state }) => {
    if (!live) return;
    live.textContent = LIVE_TEXT[state] ?? "";
    live.hidden = !LIVE_TEXT[state];
    live.dataset.state = state;
  });
  window.addEventListener("online", () => socket.goOnline());
  window.addEventListener("offline", () => socket.goOffline());
  socket.start();
  window.learnaiComments = { threads, socket, panel };
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
else main();
