// The comments panel of the editor and of the document page: the threads (on passages, on
// the whole document, whose passage was deleted, resolved), each with its replies and what
// this person may do (reply, edit their own, resolve or reopen, delete), a form for a new
// comment on a selected passage, and one for a comment on the whole document.
//
// What the threads are is in comment-threads.js; this module only shows them and sends the
// person's actions to the comments API (comments-api.js). Drafts, open forms and focus
// survive the live updates that re-render a thread while someone is typing in it.
// Comment bodies are `content_html`, sanitised by the server (community.rendering).

import { threadGroup } from "./comment-threads.js";
import { el, plural } from "./dom-helpers.js";

const GROUPS = [
  ["passage", "On passages"],
  ["general", "On the whole document"],
  ["outdated", "Their passage was deleted"],
  ["resolved", "Resolved"],
];

function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

function shorten(text, max = 280) {
  const flat = (text ?? "").replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function button(label, action, className = "link-button small") {
  const node = el("button", className, label);
  node.type = "button";
  node.dataset.action = action;
  return node;
}

/**
 * Shows `threads` (a CommentThreads) in `element` (the panel's root, from the page's
 * template) and handles what people do there.
 *
 * @param {object} options
 * @param {HTMLElement} options.element
 * @param {import("./comment-threads.js").CommentThreads} options.threads
 * @param {import("./comments-api.js").CommentsApi} options.api
 * @param {boolean} options.canComment  this person may start threads and reply
 * @param {number} [options.maxChars]  the longest comment the API takes
 * @param {(threadId: number|null) => void} [options.onActivate]  a thread was chosen
 * @param {(threadId: number) => void} [options.onShowPassage]  "show the passage" clicked
 * @param {() => void} [options.onChange]  the threads changed (re-highlight)
 */
export function mountCommentsPanel({
  element,
  threads,
  api,
  canComment,
  maxChars = 10000,
  onActivate = () => {},
  onShowPassage = () => {},
  onChange = () => {},
}) {
  const list = element.querySelector("[data-comments-list]");
  const count = element.querySelector("[data-comments-count]");
  const ui = new Map(); // thread id -> {replying, replyText, editing, editText, error, busy}
  let active = null;

  function stateOf(threadId) {
    if (!ui.has(threadId)) {
      ui.set(threadId, {
        replying: false,
        replyText: "",
        editing: null,
        editText: "",
        error: "",
        busy: false,
      });
    }
    return ui.get(threadId);
  }

  // --- rendering ------------------------------------------------------------------------

  function commentItem(comment, thread, state) {
    const item = el("li", "comment");
    item.dataset.commentId = String(comment.id);
    const head = el("div", "comment-meta");
    head.append(el("strong", "comment-author", comment.author?.username ?? "Someone"));
    const time = el("time", "comment-time", when(comment.created_at));
    if (comment.created_at) time.dateTime = comment.created_at;
    head.append(time);
    if (comment.edited_at && !comment.is_deleted) head.append(el("span", "comment-edited", "edited"));
    item.append(head);

    if (comment.is_deleted) {
      item.append(el("p", "comment-gone", "This comment was deleted."));
      return item;
    }
    if (comment.is_hidden && !comment.content_html) {
      item.append(el("p", "comment-gone", "This comment is hidden while moderators look at it."));
      return item;
    }
    if (state.editing === comment.id) {
      item.append(editForm(comment, state));
      return item;
    }
    const body = el("div", "comment-body markdown");
    body.innerHTML = comment.content_html ?? ""; // sanitised by the server
    item.append(body);
    const actions = el("div", "comment-actions");
    if (comment.can?.edit) actions.append(button("Edit", "edit"));
    if (comment.can?.delete) actions.append(button("Delete", "delete"));
    if (actions.childElementCount) item.append(actions);
    return item;
  }

  function editForm(comment, state) {
    const form = el("form", "comment-form comment-edit-form");
    form.dataset.role = "edit";
    const id = `comment-edit-${comment.id}`;
    const label = el("label", "visually-hidden", "Edit your comment");
    label.htmlFor = id;
    const area = el("textarea");
    area.id = id;
    area.dataset.role = "edit-text";
    area.rows = 3;
    area.maxLength = maxChars;
    area.required = true;
    area.value = state.editText;
    const actions = el("div", "actions");
    const save = el("button", "small", state.busy ? "Saving…" : "Save");
    save.type = "submit";
    save.disabled = state.busy;
    actions.append(save, button("Cancel", "cancel-edit", "secondary small"));
    form.append(label, area, actions);
    return form;
  }

  function replyForm(thread, state) {
    const form = el("form", "comment-form comment-reply-form");
    form.dataset.role = "reply";
    const id = `comment-reply-${thread.id}`;
    const label = el("label", "visually-hidden", "Your reply");
    label.htmlFor = id;
    const area = el("textarea");
    area.id = id;
    area.dataset.role = "reply-text";
    area.rows = 2;
    area.maxLength = maxChars;
    area.required = true;
    area.placeholder = "Reply…";
    area.value = state.replyText;
    const actions = el("div", "actions");
    const send = el("button", "small", state.busy ? "Sending…" : "Reply");
    send.type = "submit";
    send.disabled = state.busy;
    actions.append(send, button("Cancel", "cancel-reply", "secondary small"));
    form.append(label, area, actions);
    return form;
  }

  function quoteOf(thread) {
    if (thread.comment_type !== "inline" || !thread.anchor) return null;
    const { anchor } = thread;
    const text = anchor.outdated ? anchor.quote : anchor.text || anchor.quote;
    return text ? shorten(text) : null;
  }

  function threadElement(thread) {
    const state = stateOf(thread.id);
    const group = threadGroup(thread);
    const article = el("article", `comment-thread is-${group}`);
    article.dataset.threadId = String(thread.id);
    article.tabIndex = -1;
    if (thread.id === active) article.classList.add("is-active");
    const headingId = `comment-thread-${thread.id}`;
    article.setAttribute("aria-labelledby", headingId);

    const quote = quoteOf(thread);
    if (quote !== null) {
      const quoteButton = button("", "show", "comment-quote");
      quoteButton.id = headingId;
      quoteButton.title =
        group === "outdated" ? "The passage this was about" : "Show this passage in the text";
      quoteButton.append(el("span", "visually-hidden", "On the passage: "));
      quoteButton.append(el("q", "", quote));
      article.append(quoteButton);
    } else {
      const label = el(
        "p",
        "comment-about",
        thread.comment_type === "inline" ? "On a point in the text" : "On the whole document",
      );
      label.id = headingId;
      article.append(label);
    }
    if (group === "outdated") {
      article.append(
        el("p", "comment-note", "The text this was about has been deleted from the document."),
      );
    }
    if (group === "resolved") {
      const by = thread.resolved_by?.username;
      article.append(el("p", "comment-note", by ? `Resolved by ${by}` : "Resolved"));
    }

    const items = el("ol", "comment-items");
    items.append(commentItem(thread, thread, state));
    for (const reply of thread.replies ?? []) items.append(commentItem(reply, thread, state));
    article.append(items);

    if (state.replying && thread.can?.reply) {
      article.append(replyForm(thread, state));
    }
    const actions = el("div", "thread-actions");
    if (thread.can?.reply && !state.replying) actions.append(button("Reply", "reply"));
    if (thread.can?.resolve) {
      actions.append(
        thread.status === "resolved" ? button("Reopen", "reopen") : button("Resolve", "resolve"),
      );
    }
    if ((thread.replies ?? []).length) {
      actions.append(
        el("span", "comment-count muted small", plural(thread.replies.length, "reply", "replies")),
      );
    }
    if (actions.childElementCount) article.append(actions);
    const error = el("p", "comment-error", state.error);
    error.setAttribute("role", "alert");
    error.hidden = !state.error;
    article.append(error);
    return article;
  }

  /** Where focus was inside `node`, to put it back once the node is re-rendered. */
  function focusIn(node) {
    const focused = globalThis.document.activeElement;
    if (!focused || !node?.contains(focused)) return null;
    return {
      role: focused.dataset?.role ?? null,
      action: focused.dataset?.action ?? null,
      start: focused.selectionStart ?? null,
      end: focused.selectionEnd ?? null,
    };
  }

  function restoreFocus(node, focus) {
    if (!focus) return;
    let target = null;
    if (focus.role) target = node.querySelector(`[data-role="${focus.role}"]`);
    if (!target && focus.action) target = node.querySelector(`[data-action="${focus.action}"]`);
    target ??= node;
    target.focus({ preventScroll: true });
    if (focus.start !== null && typeof target.setSelectionRange === "function") {
      target.setSelectionRange(focus.start, focus.end ?? focus.start);
    }
  }

  function render() {
    const groups = threads.grouped();
    const total = threads.threads.size;
    if (count) count.textContent = total ? String(total) : "";
    const old = list.querySelector(`[data-thread-id="${active}"]`);
    const focus = focusIn(list);
    const focusedThread = focus ? globalThis.document.activeElement.closest("[data-thread-id]") : null;
    list.textContent = "";
    if (!total) {
      list.append(
        el(
          "p",
          "comments-empty muted small",
          canComment
            ? "No comments yet. Select some text to comment on it, or comment on the whole document."
            : "No comments yet.",
        ),
      );
      return;
    }
    for (const [key, title] of GROUPS) {
      const items = groups[key];
      if (!items.length) continue;
      const section = key === "resolved" ? el("details", "comment-group") : el("section", "comment-group");
      section.dataset.group = key;
      const heading = el(key === "resolved" ? "summary" : "h3", "comment-group-title");
      heading.textContent = `${title} (${items.length})`;
      section.append(heading);
      if (key === "resolved" && items.some((t) => t.id === active)) section.open = true;
      for (const thread of items) section.append(threadElement(thread));
      list.append(section);
    }
    if (focusedThread) {
      const again = list.querySelector(`[data-thread-id="${focusedThread.dataset.threadId}"]`);
      restoreFocus(again, focus);
    } else if (old && focus) {
      restoreFocus(list.querySelector(`[data-thread-id="${active}"]`), focus);
    }
  }

  function renderThread(threadId) {
    const node = list.querySelector(`[data-thread-id="${threadId}"]`);
    const thread = threads.get(threadId);
    if (!node || !thread || node.closest("[data-group]")?.dataset.group !== threadGroup(thread)) {
      render(); // new, gone, or moved to another group
      return;
    }
    const focus = focusIn(node);
    const fresh = threadElement(thread);
    node.replaceWith(fresh);
    restoreFocus(fresh, focus);
  }

  /** Marks a thread as the one being looked at (null: none); scrolls it into view. */
  function activate(threadId, { scroll = true, focus = false } = {}) {
    if (active === threadId) {
      if (threadId !== null && scroll) reveal(threadId, focus);
      return;
    }
    const previous = active;
    active = threadId;
    for (const id of [previous, threadId]) {
      if (id === null) continue;
      const node = list.querySelector(`[data-thread-id="${id}"]`);
      node?.classList.toggle("is-active", id === threadId);
    }
    if (threadId !== null && scroll) reveal(threadId, focus);
    onActivate(threadId);
  }

  function reveal(threadId, focus) {
    const node = list.querySelector(`[data-thread-id="${threadId}"]`);
    if (!node) return;
    const group = node.closest("details");
    if (group) group.open = true;
    node.scrollIntoView({ block: "nearest", behavior: "smooth" });
    if (focus) node.focus({ preventScroll: true });
  }

  // --- what people do --------------------------------------------------------------------

  function changed(threadId) {
    if (threadId === null) render();
    else renderThread(threadId);
    onChange();
  }

  async function act(threadId, work) {
    const state = stateOf(threadId);
    state.busy = true;
    state.error = "";
    renderThread(threadId);
    try {
      await work();
      state.error = "";
    } catch (error) {
      state.error = error?.message ?? "That did not work. Try again.";
      if (error?.status === 404 || error?.status === 409) await refresh(threadId);
    } finally {
      state.busy = false;
      if (threads.get(threadId)) renderThread(threadId);
      else render();
      onChange();
    }
  }

  /** Reads a thread again from the API (what this person may do with it, its state now). */
  async function refresh(threadId) {
    try {
      threads.put(await api.thread(threadId));
    } catch (error) {
      if (error?.status === 404) threads.threads.delete(threadId);
      else return;
    }
    changed(threadId);
  }

  function findComment(thread, commentId) {
    if (thread.id === commentId) return thread;
    return (thread.replies ?? []).find((r) => r.id === commentId) ?? null;
  }

  list.addEventListener("click", (event) => {
    const target = event.target.closest("[data-action]");
    const node = event.target.closest("[data-thread-id]");
    if (!node) return;
    const threadId = Number(node.dataset.threadId);
    const thread = threads.get(threadId);
    if (!thread) return;
    if (!target) {
      if (!event.target.closest("a, textarea, button, input")) activate(threadId, { scroll: false });
      return;
    }
    const state = stateOf(threadId);
    const commentId = Number(target.closest("[data-comment-id]")?.dataset.commentId ?? threadId);
    switch (target.dataset.action) {
      case "show":
        activate(threadId, { scroll: false });
        onShowPassage(threadId);
        break;
      case "reply":
        state.replying = true;
        activate(threadId, { scroll: false });
        renderThread(threadId);
        list.querySelector(`[data-thread-id="${threadId}"] [data-role="reply-text"]`)?.focus();
        break;
      case "cancel-reply":
        state.replying = false;
        state.replyText = "";
        renderThread(threadId);
        list.querySelector(`[data-thread-id="${threadId}"] [data-action="reply"]`)?.focus();
        break;
      case "edit": {
        const comment = findComment(thread, commentId);
        state.editing = commentId;
        state.editText = comment?.content ?? "";
        renderThread(threadId);
        list.querySelector(`[data-thread-id="${threadId}"] [data-role="edit-text"]`)?.focus();
        break;
      }
      case "cancel-edit":
        state.editing = null;
        renderThread(threadId);
        break;
      case "delete": {
        const isRoot = commentId === threadId;
        const question = isRoot
          ? "Delete this comment? Its thread goes too, unless someone replied."
          : "Delete this reply?";
        if (!globalThis.confirm(question)) return;
        act(threadId, async () => {
          await api.remove(commentId);
          threads.removed(threadId, commentId);
        });
        break;
      }
      case "resolve":
      case "reopen":
        act(threadId, async () => {
          const fresh = target.dataset.action === "resolve"
            ? await api.resolve(threadId)
            : await api.reopen(threadId);
          threads.put(fresh);
        });
        break;
      default:
        break;
    }
  });

  list.addEventListener("input", (event) => {
    const node = event.target.closest("[data-thread-id]");
    if (!node) return;
    const state = stateOf(Number(node.dataset.threadId));
    if (event.target.dataset.role === "reply-text") state.replyText = event.target.value;
    if (event.target.dataset.role === "edit-text") state.editText = event.target.value;
  });

  list.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && event.target.matches("textarea")) {
      event.target.closest("form")?.querySelector('[data-action^="cancel"]')?.click();
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.target.closest("form")?.requestSubmit();
    }
  });

  list.addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    const node = form.closest("[data-thread-id]");
    if (!node) return;
    const threadId = Number(node.dataset.threadId);
    const state = stateOf(threadId);
    if (state.busy) return;
    if (form.dataset.role === "reply") {
      const content = state.replyText.trim();
      if (!content) return;
      act(threadId, async () => {
        threads.putReply(await api.reply(threadId, content));
        state.replying = false;
        state.replyText = "";
      });
    } else if (form.dataset.role === "edit") {
      const content = state.editText.trim();
      const commentId = state.editing;
      if (!content || commentId === null) return;
      act(threadId, async () => {
        const fresh = await api.edit(commentId, content);
        if (fresh.parent_id === null) threads.put(fresh);
        else threads.putReply(fresh);
        state.editing = null;
      });
    }
  });

  // --- a comment on the whole document ---------------------------------------------------

  const general = element.querySelector("[data-comment-general]");
  if (general) {
    const area = general.querySelector("textarea");
    const error = general.querySelector("[data-comment-error]");
    const send = general.querySelector("button[type=submit]");
    general.addEventListener("submit", async (event) => {
      event.preventDefault();
      const content = area.value.trim();
      if (!content || send.disabled) return;
      send.disabled = true;
      error.hidden = true;
      try {
        const thread = await api.create({ content, comment_type: "general" });
        threads.put(thread);
        area.value = "";
        render();
        onChange();
        activate(thread.id);
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
      } finally {
        send.disabled = false;
      }
    });
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) general.requestSubmit();
    });
  }

  const announcer = element.querySelector("[data-comments-announce]");
  /** Tells screen readers about something that happened elsewhere (a new comment). */
  function announce(text) {
    if (announcer) announcer.textContent = text;
  }

  return {
    render,
    renderThread,
    changed,
    refresh,
    activate,
    announce,
    get active() {
      return active;
    },
  };
}

/**
 * The form for a comment on a selected passage ([data-comment-draft] in the panel): shows
 * the quote, takes the text, and hands it to `submit(content)` (which posts it and returns
 * the new thread). Returns open({quote, submit, onClose}) and close().
 */
export function mountDraftForm(element) {
  const form = element.querySelector("[data-comment-draft]");
  const quote = form.querySelector("[data-draft-quote]");
  const area = form.querySelector("textarea");
  const error = form.querySelector("[data-comment-error]");
  const send = form.querySelector("button[type=submit]");
  let current = null; // {submit, onClose}

  function close(posted = false) {
    const closing = current;
    current = null;
    form.hidden = true;
    error.hidden = true;
    if (!posted) area.value = "";
    closing?.onClose?.(posted);
  }

  function open({ quote: text, submit, onClose }) {
    if (current) current.onClose?.(false);
    current = { submit, onClose };
    quote.textContent = shorten(text, 400);
    form.hidden = false;
    error.hidden = true;
    area.value = "";
    area.focus();
    form.scrollIntoView({ block: "nearest" });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const content = area.value.trim();
    if (!content || !current || send.disabled) return;
    const { submit } = current;
    send.disabled = true;
    send.textContent = "Posting…";
    error.hidden = true;
    try {
      await submit(content);
      area.value = "";
      close(true);
    } catch (failure) {
      error.textContent = failure?.message ?? "Your comment could not be posted. Try again.";
      error.hidden = false;
    } finally {
      send.disabled = false;
      send.textContent = "Comment";
    }
  });
  form.querySelector('[data-action="cancel-draft"]')?.addEventListener("click", () => close());
  area.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
    else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  return {
    open,
    close,
    get isOpen() {
      return current !== null;
    },
  };
}
