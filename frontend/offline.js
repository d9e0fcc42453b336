// Edits that outlive the connection and the page: which storage slot this tab keeps its
// pending edits in, following the browser's offline/online events, saving when the page is
// hidden or goes away, and the note after a reload that restored edits made offline.
// (What is stored, and when, is the client's: saved-edits.js, edit-sync.js.)

import { storageKey } from "./client.js";
import { $, plural } from "./dom-helpers.js";

/** Holds the page-wide Web Lock for this document so only one tab uses the shared slot. */
export async function chooseStorageKey(documentId, userId) {
  const primary = storageKey(documentId, userId);
  const locks = navigator.locks;
  if (!locks?.request) return primary;
  const granted = await new Promise((resolve) => {
    // Wait a moment for the lock: on a reload the previous page may still be letting go.
    const options =
      typeof AbortSignal.timeout === "function"
        ? { signal: AbortSignal.timeout(1500) }
        : { ifAvailable: true };
    locks
      .request(primary, options, (lock) => {
        if (!lock) {
          resolve(false);
          return undefined;
        }
        resolve(true);
        return new Promise(() => {}); // held until this page goes away
      })
      .catch(() => resolve(false));
  });
  if (granted) return primary;
  // Another tab of the same user edits this document: keep this tab's edits apart.
  let tab = sessionStorage.getItem("learnai.tab");
  if (!tab) {
    tab = Math.random().toString(36).slice(2, 10);
    sessionStorage.setItem("learnai.tab", tab);
  }
  return storageKey(documentId, userId, tab);
}

/** localStorage, or null when the browser will not let us use it. */
export function safeStorage() {
  try {
    const probe = "learnai.probe";
    localStorage.setItem(probe, "1");
    localStorage.removeItem(probe);
    return localStorage;
  } catch {
    return null;
  }
}

/** Follows the network and the page's lifecycle so pending edits are sent or kept. */
export function watchNetworkAndPage(client) {
  window.addEventListener("offline", () => client.goOffline());
  window.addEventListener("online", () => client.goOnline());
  window.addEventListener("pagehide", () => client.save());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") client.save();
  });
}

/** Loads pending edits a previous page left behind, and says so for a while. */
export function restorePendingEdits(client) {
  if (client.restore()) {
    const note = $("restored-note");
    if (note) {
      note.hidden = false;
      const edits = plural(client.pendingCount(), "edit", "edits");
      note.textContent = `Restored ${edits} you made while offline; they are sent when the connection is back.`;
      setTimeout(() => {
        note.hidden = true;
      }, 8000);
    }
  }
}
