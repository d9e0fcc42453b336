// The header's bell on every page for people signed in: its unread count follows the
// user's topic live (and resumes after a reconnect), a new notification shows a small
// toast, and tabs of the same browser keep the count in step when one marks read.

import { NotificationSocket } from "../notifications-socket.js";

const CHANNEL = "notifications";
const TOAST_MS = 6000;

function setCount(bell, count) {
  const badge = bell.querySelector("[data-unread-badge]");
  const n = Math.max(0, Number(count) || 0);
  bell.dataset.unread = String(n);
  if (badge) {
    badge.textContent = String(n);
    badge.hidden = n === 0;
  }
  bell.setAttribute("aria-label", n ? `Notifications: ${n} unread` : "Notifications");
  const summary = document.getElementById("nt-unread-summary");
  if (summary) summary.textContent = n ? `${n} unread` : "You are all caught up.";
}

function toast(frame) {
  let box = document.getElementById("nt-toast");
  if (!box) {
    box = document.createElement("div");
    box.id = "nt-toast";
    box.className = "nt-toast";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    document.body.append(box);
  }
  box.replaceChildren();
  const link = document.createElement("a");
  link.href = `/notifications/${frame.id}/`;
  link.textContent = frame.title;
  box.append(link);
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, TOAST_MS);
}

function start() {
  const bell = document.getElementById("nt-bell");
  if (!bell || !("WebSocket" in window)) return;
  const channel = "BroadcastChannel" in window ? new BroadcastChannel(CHANNEL) : null;
  channel?.addEventListener("message", (event) => {
    if (Number.isInteger(event.data?.unread_count)) setCount(bell, event.data.unread_count);
  });
  // A read in this tab (the inbox's forms): tell the other tabs once the page answers.
  const readAll = document.querySelector("[data-read-all]");
  if (readAll) readAll.form.addEventListener("submit", () => channel?.postMessage({ unread_count: 0 }));

  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new NotificationSocket({
    url: `${scheme}//${location.host}/ws/collab/`,
    isOnline: () => navigator.onLine,
  });
  socket.on("notification", (frame) => {
    setCount(bell, frame.unread_count);
    channel?.postMessage({ unread_count: frame.unread_count });
    if (!frame.read) toast(frame);
  });
  // The count the page was rendered with stays until the socket says more.
  fetch(bell.dataset.notifications + "?page_size=1", { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : null))
    .then((page) => {
      const newest = page?.results?.[0]?.id;
      socket.lastId = Number.isInteger(newest) ? newest : 0;
      if (Number.isInteger(page?.unread_count)) setCount(bell, page.unread_count);
      channel?.postMessage({ unread_count: page?.unread_count });
      socket.start();
    })
    .catch(() => socket.start());
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
