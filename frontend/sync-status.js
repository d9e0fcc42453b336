// What the page says about syncing: the connection badge (#conn-badge: connecting, saving,
// offline with edits kept, not syncing...) and the banners for when syncing stops: the
// conflict stop (#conflict-banner, with the user's text to copy before reloading), and
// signed out or document gone when the server did not say why (else #access-banner does).

import { $, plural } from "./dom-helpers.js";

/** Follows the client's status; `root` is #editor-root. Returns renderBadge(). */
export function mountSyncStatus({ client, root, setReadOnly }) {
  const badge = $("conn-badge");
  const badgeText = badge.querySelector(".conn-text");
  function renderBadge() {
    const { status, pending } = client.snapshot();
    const unsaved = pending ? ` · ${plural(pending, "edit", "edits")} not saved yet` : "";
    const texts = {
      idle: "Starting…",
      connecting: "Connecting…",
      connected: pending
        ? `Saving ${plural(pending, "edit", "edits")}…`
        : "Connected · all changes saved",
      reconnecting: `Reconnecting…${unsaved}`,
      offline: pending
        ? `Offline · ${plural(pending, "edit", "edits")} kept in this browser`
        : "Offline",
      conflict: "Not syncing",
      signed_out: `Signed out${unsaved}`,
      not_found: "Document unavailable",
      closed: "Closed",
    };
    badge.dataset.state = status === "connected" && pending ? "saving" : status;
    badge.dataset.pending = String(pending);
    badgeText.textContent = texts[status] ?? status;
    root.dataset.state = status;
    const chatSend = $("chat-send");
    if (chatSend) chatSend.disabled = status !== "connected";
  }
  client.on("status", renderBadge);
  client.on("storage_error", () => {
    badge.title = "This browser would not store your unsaved edits (storage full or blocked).";
  });

  client.on("conflict", (conflict) => {
    setReadOnly(true);
    const banner = $("conflict-banner");
    $("conflict-message").textContent = conflict.message;
    $("conflict-text").value = conflict.text;
    banner.hidden = false;
    banner.scrollIntoView({ block: "nearest" });
    renderBadge();
  });
  $("conflict-copy")?.addEventListener("click", async () => {
    const area = $("conflict-text");
    const button = $("conflict-copy");
    try {
      await navigator.clipboard.writeText(area.value);
    } catch {
      area.select();
      document.execCommand?.("copy");
    }
    button.textContent = "Copied";
    setTimeout(() => {
      button.textContent = "Copy my text";
    }, 2000);
  });
  $("conflict-reload")?.addEventListener("click", () => {
    const area = $("conflict-text");
    const ok =
      !area.value ||
      window.confirm(
        "Reload the latest version? Your text above will be gone unless you copied it.",
      );
    if (!ok) return;
    client.discardPending();
    location.reload();
  });
  client.on("status", ({ status, accessLost }) => {
    // When the server said why, #access-banner says it; these are for when it did not.
    const signedOut = $("signedout-banner");
    if (signedOut) signedOut.hidden = status !== "signed_out" || accessLost;
    const gone = $("gone-banner");
    if (gone) gone.hidden = status !== "not_found" || accessLost;
  });

  return renderBadge;
}
