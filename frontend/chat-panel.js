// The chat panel beside the editor (#chat-log, #chat-form, #chat-older, #chat-unread):
// messages as they come, older ones from the chat API on request, sending, and the unread
// count on the Chat tab of the phone layout.

import { $, el, formatTime } from "./dom-helpers.js";

/**
 * Shows the chat of the document's room. `colorOf(userId)` is a participant's colour (for
 * messages that come without one); `root` is #editor-root (its data-view says whether the
 * chat is on screen). Returns load() (the latest messages) and resetUnread().
 */
export function mountChatPanel({ client, me, root, chatUrl, colorOf }) {
  const chatLog = $("chat-log");
  const chatIds = new Set();
  const unread = {
    count: 0,
    el: $("chat-unread"),
    bump() {
      if (root.dataset.view === "chat" || window.matchMedia("(min-width: 64rem)").matches) return;
      this.count += 1;
      this.render();
    },
    reset() {
      this.count = 0;
      this.render();
    },
    render() {
      if (this.el) this.el.textContent = this.count ? String(this.count) : "";
    },
  };
  function chatItem(message) {
    const item = el("li", "chat-item");
    if (message.user?.id === me.id) item.classList.add("mine");
    const head = el("div", "chat-meta");
    const who = el("strong", "chat-user", message.user?.username ?? "someone");
    const color = message.color ?? colorOf(message.user?.id);
    if (color) who.style.color = color;
    const when = el("time", "chat-time", formatTime(message.created_at));
    if (message.created_at) when.dateTime = message.created_at;
    head.append(who, when);
    let body;
    if (message.message_type === "code") {
      body = el("pre", "chat-code");
      body.append(el("code", "", message.message));
    } else {
      body = el("p", "chat-text", message.message);
    }
    item.append(head, body);
    return item;
  }
  function addChat(message, { prepend = false } = {}) {
    if (message.id != null) {
      if (chatIds.has(message.id)) return;
      chatIds.add(message.id);
    }
    const empty = $("chat-empty");
    if (empty) empty.remove();
    const item = chatItem(message);
    if (prepend) chatLog.prepend(item);
    else {
      const nearBottom = chatLog.scrollHeight - chatLog.scrollTop - chatLog.clientHeight < 60;
      chatLog.append(item);
      if (nearBottom || message.user?.id === me.id) chatLog.scrollTop = chatLog.scrollHeight;
    }
  }
  client.on("chat", (frame) => {
    addChat(frame);
    if (frame.user?.id !== me.id) unread.bump();
  });

  const olderButton = $("chat-older");
  let olderCursor = null;
  async function loadChat(before = null) {
    if (!chatUrl) return;
    const url = new URL(chatUrl, location.href);
    if (before) url.searchParams.set("before", before);
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(String(response.status));
      const body = await response.json();
      const results = Array.isArray(body) ? body : (body.results ?? []);
      if (before) {
        for (const message of [...results].reverse()) addChat(message, { prepend: true });
      } else {
        for (const message of results) addChat(message);
        chatLog.scrollTop = chatLog.scrollHeight;
      }
      olderCursor = body.has_more && body.before ? body.before : null;
      if (olderButton) olderButton.hidden = olderCursor === null;
    } catch {
      if (!before) {
        const empty = $("chat-empty");
        if (empty)
          empty.textContent =
            "Chat history is not available right now; new messages still appear here.";
      }
    }
  }
  olderButton?.addEventListener("click", () => olderCursor && loadChat(olderCursor));

  const chatForm = $("chat-form");
  const chatInput = $("chat-input");
  chatForm?.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = chatInput.value.trim();
    if (!text) return;
    const codeToggle = $("chat-code");
    const type = codeToggle?.checked ? "code" : "text";
    if (client.sendChat(text, type)) {
      chatInput.value = "";
      if (codeToggle) codeToggle.checked = false;
    } else {
      chatInput.setCustomValidity("You are offline: chat needs a connection.");
      chatInput.reportValidity();
      setTimeout(() => chatInput.setCustomValidity(""), 3000);
    }
  });
  client.on("server_error", (frame) => {
    if (frame.code === "rate_limited" && !frame.client_op_id) {
      chatInput?.setCustomValidity("Slow down a little, then send again.");
      chatInput?.reportValidity();
      setTimeout(() => chatInput?.setCustomValidity(""), 3000);
    }
  });

  return { load: loadChat, resetUnread: () => unread.reset() };
}
