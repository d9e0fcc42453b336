// Who is here: the participants list (#participants, #participant-count) and the typing
// line (#typing), from the client's presence and typing frames; and my own typing, sent
// while I type and stopped after a pause.

import { $, el, initials, plural } from "./dom-helpers.js";

const TYPING_IDLE_MS = 2500;
const REMOTE_TYPING_TTL_MS = 6000;

/**
 * Follows presence and typing frames. `dropCursors(userIds)` removes the cursors of people
 * who left. Returns setParticipants(list) (from the authenticated frame), render(),
 * colorOf(userId) and noteTyping() (call it on each local edit).
 */
export function mountPresence({ client, me, dropCursors }) {
  const participantsEl = $("participants");
  let participants = [];
  function renderParticipants() {
    participantsEl.textContent = "";
    for (const p of participants) {
      const item = el("li", "participant");
      item.title = p.user_id === me.id ? `${p.username} (you)` : p.username;
      const avatar = el("span", "avatar-dot", initials(p.username));
      avatar.style.backgroundColor = p.color;
      item.append(
        avatar,
        el("span", "participant-name", p.user_id === me.id ? `${p.username} (you)` : p.username),
      );
      participantsEl.append(item);
    }
    const count = $("participant-count");
    if (count)
      count.textContent = participants.length
        ? plural(participants.length, "person", "people") + " here"
        : "";
  }

  // --- typing ---
  let typingTimer = null;
  let typingSent = false;
  function noteTyping() {
    if (!typingSent) typingSent = client.sendTyping(true);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => {
      if (typingSent) client.sendTyping(false);
      typingSent = false;
    }, TYPING_IDLE_MS);
  }
  const typingUsers = new Map(); // userId -> {name, at}
  const typingEl = $("typing");
  function renderTyping() {
    const names = [...typingUsers.values()].map((t) => t.name);
    if (!names.length) typingEl.textContent = "";
    else if (names.length === 1) typingEl.textContent = `${names[0]} is typing…`;
    else if (names.length === 2) typingEl.textContent = `${names[0]} and ${names[1]} are typing…`;
    else typingEl.textContent = `${names.length} people are typing…`;
  }
  function expireTyping() {
    const now = Date.now();
    let changed = false;
    for (const [id, t] of typingUsers) {
      if (now - t.at > REMOTE_TYPING_TTL_MS) {
        typingUsers.delete(id);
        changed = true;
      }
    }
    if (changed) renderTyping();
  }
  setInterval(expireTyping, 2000);
  client.on("typing", (frame) => {
    if (frame.user_id === me.id) return;
    if (frame.is_typing) typingUsers.set(frame.user_id, { name: frame.username, at: Date.now() });
    else typingUsers.delete(frame.user_id);
    renderTyping();
  });

  client.on("presence", (frame) => {
    participants = frame.participants ?? participants;
    renderParticipants();
    if (frame.event === "leave" && frame.user) {
      const id = frame.user.user_id;
      if (!participants.some((p) => p.user_id === id)) {
        dropCursors([id]);
        typingUsers.delete(id);
        renderTyping();
      }
    }
  });

  return {
    setParticipants(list) {
      participants = list;
      renderParticipants();
    },
    render: renderParticipants,
    colorOf: (userId) => participants.find((p) => p.user_id === userId)?.color,
    noteTyping,
  };
}
