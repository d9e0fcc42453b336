// The live editor page (/docs/<slug>/edit): CodeMirror 6 + Markdown, a sanitised live
// preview, the OT client, remote cursors, participants, typing, chat, a connection badge,
// offline persistence and the "not syncing" conflict stop. main() wires the parts together;
// each lives in its own module:
//   editor-view.js      the CodeMirror view, its look, the read-only switch, the client's doc
//   markdown-preview.js the preview (#preview)
//   remote-cursors.js   other people's cursors in the editor, and mine sent to them
//   presence.js         who is here (#participants) and who is typing (#typing)
//   chat-panel.js       the chat (#chat-log, #chat-form)
//   access-banner.js    rights that change while the page is open (#access-banner)
//   sync-status.js      the connection badge (#conn-badge) and the conflict, signed-out and
//                       gone banners
//   offline.js          the storage slot of this tab, network and page lifecycle events,
//                       the note about restored edits
//   editor-comments.js  comment threads: highlighted passages, the panel beside the text
//                       (#comments-pane, when the community app adds it), "Comment" on a
//                       selection, live through the document's topic
//   editor-attachments.js  paste, drop or pick files: uploaded, their Markdown link typed
//                       at the cursor (when the document's attachments panel is there)
//   editor-assist.js    the writing assistant (when the contributions app adds its bar):
//                       "Suggest an improvement" and "Explain this" on a selection
//   editor-suggestions.js  suggestion mode (the "Suggest" switch, when the contributions app
//                       adds it): typing becomes suggestions shown in the text, accepted or
//                       rejected by the document's editors, live through the document's topic
//
// Bundled by frontend/build.mjs into static/vendor/editor.bundle.js. The page passes its
// data in <script type="application/json" id="editor-data"> (CSP: no inline scripts).

import { mountAccessBanner } from "./access-banner.js";
import { mountChatPanel } from "./chat-panel.js";
import { CollabClient } from "./client.js";
import { changesToOps, cpOffset } from "./cm-sync.js";
import { $ } from "./dom-helpers.js";
import { mountAssist } from "./editor-assist.js";
import { installEditorAttachments } from "./editor-attachments.js";
import { editorComments, mountEditorComments } from "./editor-comments.js";
import { editorSuggestions, mountEditorSuggestions } from "./editor-suggestions.js";
import { clientDoc, createEditorView, remoteChange } from "./editor-view.js";
import { mountPreview } from "./markdown-preview.js";
import {
  chooseStorageKey,
  restorePendingEdits,
  safeStorage,
  watchNetworkAndPage,
} from "./offline.js";
import { mountPresence } from "./presence.js";
import { mountRemoteCursors, remoteCursors } from "./remote-cursors.js";
import { mountSyncStatus } from "./sync-status.js";

async function main() {
  const dataNode = $("editor-data");
  const root = $("editor-root");
  if (!dataNode || !root) return;
  const data = JSON.parse(dataNode.textContent);
  const me = data.user;

  const preview = mountPreview({
    element: $("preview"),
    getText: () => view.state.doc.toString(),
  });

  // --- the editor ---
  // The view comes first (the client writes through it), so these are set just after.
  let client = null;
  let presence = null;
  let cursors = null;
  let liveComments = null;
  const comments = editorComments();
  const commentsNode = $("editor-comments-data");
  const commentsData = commentsNode ? JSON.parse(commentsNode.textContent) : null;
  const suggestions = editorSuggestions();
  const suggestionsNode = $("editor-suggestions-data");
  const suggestionsData = suggestionsNode ? JSON.parse(suggestionsNode.textContent) : null;
  let assist = null;
  const host = $("editor");
  // Which storage slot this tab uses is settled before anyone can type.
  const key = await chooseStorageKey(data.documentId, me.id);
  host.textContent = "";

  const { view, setReadOnly: setViewReadOnly } = createEditorView({
    parent: host,
    root,
    content: data.content,
    extensions: [remoteCursors, comments.extension, suggestions.extension],
    onUpdate(update) {
      if (update.docChanged) preview.schedule();
      if (update.selectionSet) assist?.selectionChanged();
      let local = false;
      for (const tr of update.transactions) {
        if (!tr.docChanged || tr.annotation(remoteChange)) continue;
        local = true;
        client?.localEdit(changesToOps(tr.changes, tr.startState.doc));
      }
      if (local) presence.noteTyping();
      if (update.selectionSet || local) cursors.sendSoon();
    },
  });

  // While suggesting, typing never reaches the shared text, so people who may not edit may
  // type too: suggestion mode has the last word on read-only.
  const setReadOnly = suggestions.readOnlyFilter(setViewReadOnly);

  const wsScheme = location.protocol === "https:" ? "wss:" : "ws:";
  const storage = safeStorage();
  client = new CollabClient({
    documentId: data.documentId,
    userId: me.id,
    url: `${wsScheme}//${location.host}${data.wsPath}`,
    doc: clientDoc(view),
    revision: data.revision,
    canEdit: data.canEdit,
    storage,
    storageKey: key,
    isOnline: () => navigator.onLine !== false,
    // After a reconnect, the comment activity missed meanwhile comes first.
    authenticateExtras: () => {
      const since = liveComments?.threads.lastEventId;
      return Number.isInteger(since) ? { doc_since: since } : {};
    },
  });

  const renderBadge = mountSyncStatus({ client, root, setReadOnly });
  cursors = mountRemoteCursors({ client, view, me });
  presence = mountPresence({ client, me, dropCursors: cursors.drop });
  const chat = mountChatPanel({
    client,
    me,
    root,
    chatUrl: data.chatUrl,
    colorOf: presence.colorOf,
  });
  const renderAccess = mountAccessBanner({ client, setReadOnly });
  client.on("authenticated", (frame) => {
    presence.setParticipants(frame.participants ?? []);
    renderAccess();
    cursors.sendSoon();
  });
  watchNetworkAndPage(client);
  liveComments = mountEditorComments({ comments, client, view, root, data: commentsData });
  const liveSuggestions = mountEditorSuggestions({
    suggestions,
    client,
    view,
    root,
    data: suggestionsData,
  });

  const assistNode = $("editor-assist-data");
  if (assistNode) {
    assist = mountAssist({
      view,
      bar: $("assist-bar"),
      panel: $("assist-panel"),
      url: JSON.parse(assistNode.textContent).url,
      // The selection in the server's text at the client's revision (as comments do).
      position: () => {
        const { doc, selection } = view.state;
        const [start, end] = client.serverRange(
          cpOffset(doc, selection.main.from),
          cpOffset(doc, selection.main.to),
        );
        return { start, end, revision: client.revision };
      },
    });
  }

  // Views on phones: Write / Preview / Chat (/ Comments) tabs.
  for (const tab of root.querySelectorAll("[data-show]")) {
    tab.addEventListener("click", () => {
      root.dataset.view = tab.dataset.show;
      for (const other of root.querySelectorAll("[data-show]")) {
        other.setAttribute("aria-selected", String(other === tab));
      }
      if (tab.dataset.show === "chat") chat.resetUnread();
      if (tab.dataset.show === "preview") preview.render();
    });
  }

  const attachmentsBar = $("editor-attachments");
  if (attachmentsBar) {
    installEditorAttachments(view, attachmentsBar.dataset.uploadUrl, { bar: attachmentsBar });
  }
  restorePendingEdits(client);
  setReadOnly(!data.canEdit);
  presence.render();
  renderBadge();
  renderAccess();
  preview.render();
  client.start();
  chat.load();

  // For the browser tests and for debugging from the console.
  window.learnaiEditor = { client, view, comments: liveComments, suggestions: liveSuggestions };
}

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => {
    main();
    registerServiceWorker();
  });
} else {
  main();
  registerServiceWorker();
}
