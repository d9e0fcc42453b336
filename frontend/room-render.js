// One chat message as a list item: the markup of templates/community/rooms/_message.html,
// plus the author's and moderators' buttons. `html` comes from the server, rendered from
// Markdown and sanitised there (nh3), so it is inserted as is.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = new Date();
  const sameDay = date.toDateString() === today.toDateString();
  const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (sameDay) return time;
  return `${date.toLocaleDateString([], { day: "numeric", month: "short" })}, ${time}`;
}

/**
 * @param {object} message  a message's state (RoomLog)
 * @param {{me: {id: number}, canModerate: boolean, canPost: boolean}} who
 */
export function renderMessage(message, who) {
  const item = el("li", `room-message${message.deleted ? " is-deleted" : ""}`);
  item.id = `room-message-${message.id}`;
  item.dataset.messageId = String(message.id);
  const mine = message.user?.id === who.me.id;
  if (mine) item.classList.add("is-mine");

  const meta = el("p", "room-message-meta small");
  meta.append(el("strong", "room-message-author", message.user?.username ?? "Deleted account"));
  meta.append(" ");
  const time = el("time", "", formatTime(message.created_at));
  time.dateTime = message.created_at;
  time.title = new Date(message.created_at).toLocaleString();
  meta.append(time);
  if (message.edited_at && !message.deleted) {
    meta.append(" ", el("span", "room-message-edited muted", "(edited)"));
  }
  item.append(meta);

  if (message.deleted) {
    item.append(el("p", "room-message-body room-message-gone muted", "This message was deleted."));
    return item;
  }
  const body = el("div", "room-message-body markdown");
  body.innerHTML = message.html; // sanitised by the server
  item.append(body);

  const actions = el("div", "room-message-actions small");
  if (mine && who.canPost) {
    const edit = el("button", "link-button", "Edit");
    edit.type = "button";
    edit.dataset.action = "edit";
    edit.setAttribute("aria-label", "Edit your message");
    actions.append(edit);
  }
  if (mine || who.canModerate) {
    const remove = el("button", "link-button room-danger", "Delete");
    remove.type = "button";
    remove.dataset.action = "delete";
    remove.setAttribute("aria-label", mine ? "Delete your message" : "Delete this message");
    actions.append(remove);
  }
  if (actions.childElementCount) item.append(actions);
  return item;
}

/** The form that replaces a message's text while its author edits it. */
export function renderEditForm(message) {
  const form = el("form", "room-edit-form");
  const label = el("label", "visually-hidden", "Edit your message");
  const area = el("textarea");
  area.id = `room-edit-${message.id}`;
  label.htmlFor = area.id;
  area.rows = 3;
  area.value = message.message;
  area.required = true;
  const error = el("p", "room-chat-error");
  error.setAttribute("role", "alert");
  error.hidden = true;
  const buttons = el("div", "room-chat-actions");
  const hint = el("span", "muted small", "Enter saves, Esc cancels.");
  const cancel = el("button", "secondary small", "Cancel");
  cancel.type = "button";
  cancel.dataset.action = "cancel-edit";
  const save = el("button", "small", "Save");
  save.type = "submit";
  buttons.append(hint, cancel, save);
  form.append(label, area, error, buttons);
  return form;
}
