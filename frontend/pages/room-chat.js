// A room's chat on a page (templates/community/_room_chat.html): the messages the server
// rendered, older ones on demand, live ones from the room's topic, sending, and editing or
// deleting (your own; anyone's for the room's moderators). Messages go out over REST; the
// socket only listens, resuming after the last topic frame on every reconnect, so nothing
// is lost or shown twice (room-log.js keeps each message once, in its newest state).
//
// Bundled by frontend/build.mjs into static/vendor/room-chat.bundle.js; the page passes its
// data in <script type="application/json" id="room-chat-config">.

import { RoomApi } from "../room-api.js";
import { RoomLog } from "../room-log.js";
import { renderEditForm, renderMessage } from "../room-render.js";
import { RoomSocket } from "../room-socket.js";

const LIVE_TEXT = {
  connecting: "Connecting…",
  connected: "",
  reconnecting: "Connection lost. Reconnecting… new messages will appear once it is back.",
  offline: "You are offline. New messages will appear once you are back online.",
  signed_out: "Your session has ended. Sign in again, then reload the page to keep chatting.",
  forbidden: "This chat is no longer available to you.",
  closed: "",
};
const SOCKET_REFUSALS = {
  rate_limited: "You're sending messages faster than the chat allows. Wait a moment.",
  forbidden: "You can't do that in this chat.",
  message_too_large: "That message is too long.",
};
const NEAR_BOTTOM_PX = 48;

function mount(section, config) {
  const list = section.querySelector("[data-room-messages]");
  const status = section.querySelector("[data-room-status]");
  const form = section.querySelector("[data-room-form]");
  const olderLink = section.querySelector("[data-room-older]");
  const textarea = form?.querySelector("textarea");
  const formError = form?.querySelector("[data-room-error]");
  const csrfToken = form?.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? null;

  const who = { me: config.me, canPost: config.canPost, canModerate: config.canModerate };
  const api = new RoomApi({ messagesUrl: config.messagesUrl, csrfToken });
  const log = new RoomLog({ since: config.since, messages: config.messages ?? [] });
  let hasMore = Boolean(config.hasMore);
  const editing = new Set(); // ids of messages whose edit form is open

  function atBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM_PX;
  }

  function showStatus(text) {
    status.textContent = text;
  }

  function drawOne(message) {
    const node = renderMessage(message, who);
    const old = list.querySelector(`#room-message-${message.id}`);
    if (old && editing.has(message.id) && !message.deleted) return; // keep the open form
    if (message.deleted) editing.delete(message.id);
    if (old) {
      old.replaceWith(node);
      return;
    }
    list.querySelector("[data-room-empty]")?.remove();
    const later = [...list.children].find((li) => Number(li.dataset.messageId) > message.id);
    list.insertBefore(node, later ?? null);
  }

  function drawAll() {
    list.replaceChildren(...log.messages().map((m) => renderMessage(m, who)));
    if (!list.children.length) {
      const empty = document.createElement("li");
      empty.className = "room-empty muted small";
      empty.dataset.roomEmpty = "";
      empty.textContent = "No messages yet.";
      list.append(empty);
    }
  }

  function scrollToEnd() {
    list.scrollTop = list.scrollHeight;
  }

  function showOlderButton() {
    if (!olderLink) return;
    olderLink.hidden = !hasMore;
  }

  // --- the first paint becomes live ---------------------------------------------------
  drawAll();
  scrollToEnd();
  showOlderButton();

  olderLink?.addEventListener("click", async (event) => {
    event.preventDefault();
    const oldest = log.oldestId();
    olderLink.setAttribute("aria-disabled", "true");
    olderLink.textContent = "Loading…";
    try {
      const page = await api.page({ before: oldest });
      const height = list.scrollHeight;
      for (const message of page.results) log.upsert(message);
      hasMore = page.has_more;
      drawAll();
      list.scrollTop += list.scrollHeight - height; // keep the reader's place
    } catch (error) {
      showStatus(error.message);
    } finally {
      olderLink.removeAttribute("aria-disabled");
      olderLink.textContent = "Load older messages";
      showOlderButton();
    }
  });

  // --- live ------------------------------------------------------------------------------
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new RoomSocket({
    url: `${scheme}//${location.host}${config.wsPath}`,
    room: config.room,
    isOnline: () => navigator.onLine !== false,
    since: () => log.lastTopicId,
  });
  socket.on("status", ({ status: state }) => {
    const text = LIVE_TEXT[state] ?? "";
    showStatus(state === "forbidden" || state === "signed_out" ? socket.message || text : text);
    if ((state === "forbidden" || state === "signed_out") && form) form.hidden = true;
  });
  socket.on("subscribed", async (frame) => {
    if (frame.backlog_complete !== false) return;
    // Too much was missed to replay: start again from the newest page.
    try {
      const page = await api.page();
      log.reset(log.lastTopicId);
      for (const message of page.results) log.upsert(message);
      hasMore = page.has_more;
      drawAll();
      scrollToEnd();
      showOlderButton();
    } catch (error) {
      showStatus(error.message);
    }
  });
  socket.on("frame", (frame) => {
    const stick = atBottom();
    const { changed, id } = log.apply(frame);
    if (!changed || id === null) return;
    drawOne(log.get(id));
    if (stick && frame.type === "room_message") scrollToEnd();
  });
  socket.on("refused", (frame) => {
    showStatus(SOCKET_REFUSALS[frame.code] ?? frame.message ?? "");
  });
  addEventListener("online", () => socket.goOnline());
  addEventListener("offline", () => socket.goOffline());
  socket.start();

  // --- sending -----------------------------------------------------------------------------
  function showFormError(node, text) {
    node.textContent = text;
    node.hidden = !text;
  }

  async function send() {
    const text = textarea.value.trim();
    if (!text) {
      showFormError(formError, "Write a message first.");
      return;
    }
    if (text.length > config.maxChars) {
      showFormError(formError, `A message holds at most ${config.maxChars} characters.`);
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const message = await api.post(text);
      textarea.value = "";
      showFormError(formError, "");
      if (log.upsert(message)) drawOne(log.get(message.id));
      scrollToEnd();
    } catch (error) {
      showFormError(formError, error.message);
    } finally {
      button.disabled = false;
      textarea.focus();
    }
  }

  form?.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  textarea?.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });

  // --- editing and deleting ---------------------------------------------------------------
  function closeEdit(id) {
    editing.delete(id);
    const message = log.get(id);
    if (message) drawOne(message);
  }

  function openEdit(item, message) {
    editing.add(message.id);
    const editForm = renderEditForm(message);
    const body = item.querySelector(".room-message-body");
    item.querySelector(".room-message-actions")?.remove();
    body.replaceWith(editForm);
    const area = editForm.querySelector("textarea");
    const error = editForm.querySelector("[role=alert]");
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
    const save = async () => {
      const text = area.value.trim();
      if (!text) {
        showFormError(error, "A message can't be empty; delete it instead.");
        return;
      }
      try {
        const updated = await api.edit(message.id, text);
        editing.delete(message.id);
        log.upsert(updated);
        drawOne(log.get(message.id));
      } catch (failure) {
        showFormError(error, failure.message);
      }
    };
    editForm.addEventListener("submit", (event) => {
      event.preventDefault();
      save();
    });
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        save();
      } else if (event.key === "Escape") {
        closeEdit(message.id);
      }
    });
  }

  list.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const item = button.closest("[data-message-id]");
    const id = Number(item?.dataset.messageId);
    const message = log.get(id);
    if (!message) return;
    const action = button.dataset.action;
    if (action === "edit") openEdit(item, message);
    else if (action === "cancel-edit") closeEdit(id);
    else if (action === "delete") {
      const mine = message.user?.id === who.me.id;
      const question = mine ? "Delete your message?" : "Delete this message for everyone?";
      if (!globalThis.confirm(question)) return;
      try {
        await api.remove(id);
        if (log.markDeleted(id)) drawOne(log.get(id));
      } catch (error) {
        showStatus(error.message);
      }
    }
  });
}

function main() {
  const section = document.querySelector("[data-room-chat]");
  const dataNode = document.getElementById("room-chat-config");
  if (!section || !dataNode) return;
  mount(section, JSON.parse(dataNode.textContent));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
else main();
