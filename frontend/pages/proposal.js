// The proposal page (templates/contributions/proposals/detail.html), kept live: a socket
// follows the topics of the document and of the proposal's branch (docs/realtime-protocol.md,
// "Documents"), and on a proposal notice ({"type": "proposal", ...}: a review, a merge, a
// state change, a branch revision) the page reads itself again and swaps in its live parts
// (elements with data-live: state, merge box, diff, timeline, checks). Notices are never
// replayed, so a reconnect reads the page once too. While checks run, it looks again every
// few seconds. It also switches the diff between inline and side by side without a reload
// and fills the review form's line numbers from a click on the branch text. Everything else
// is plain forms that work without this script.

import { PageSocket } from "../page-socket.js";

const REFRESH_GAP_MS = 2000; // at most one read of the page per this long (typing in the branch)
const CHECKS_POLL_MS = 5000;

const STATUS_TEXT = {
  connecting: "",
  connected: "Live: this page updates as people review, edit the branch and merge.",
  reconnecting: "Connection lost, reconnecting…",
  offline: "You are offline; this page will catch up when you are back.",
  signed_out: "Live updates stopped: your session has ended. Reload the page after signing in.",
  forbidden: "Live updates stopped: this proposal is no longer available to you.",
  closed: "",
};

/** A socket subscribed to several documents' topics, emitting their proposal notices. */
export class ProposalSocket extends PageSocket {
  constructor(options) {
    super(options);
    this.documents = options.documents.filter((id) => Number.isInteger(id));
  }

  receive(frame) {
    frame = this.joinParts(frame);
    if (frame === null) return;
    switch (frame?.type) {
      case "authenticated":
        this.established();
        this.schedulePing();
        for (const id of this.documents) this.sendFrame({ type: "subscribe", document: id });
        break;
      case "subscribed":
        this.setStatus("connected");
        this.emit("subscribed", frame);
        break;
      case "proposal":
      case "checks":
        this.emit("proposal", frame);
        break;
      case "unsubscribed":
        if (frame.reason && frame.document === this.documents[0]) {
          this.stopFor("forbidden", frame.message);
        }
        break;
      case "error":
        // A branch that became private again (a draft) is no loss for the page; the
        // document itself gone is.
        if (frame.document !== undefined && frame.code === "not_found") {
          if (frame.document === this.documents[0]) this.stopFor("forbidden");
        } else {
          this.rememberClosingError(frame);
        }
        break;
      default:
        break;
    }
  }
}

/** Whether a notice concerns the page: its own proposal, a change or a merge of its
 * document, or a check run of its branch. */
export function concernsPage(frame, data) {
  if (frame?.type === "checks") return frame.topic === `doc:${data.branchId}`;
  if (frame?.event === "document_changed") return frame.document_id === data.documentId;
  const proposal = frame?.proposal;
  if (!proposal) return false;
  if (proposal.id === data.proposalId) return true;
  return proposal.document_id === data.documentId && frame.event === "merged";
}

// --- reading the page again -----------------------------------------------------------------

class LiveParts {
  constructor(data) {
    this.data = data;
    this.running = false;
    this.again = false;
    this.lastAt = 0;
    this.timer = null;
    this.pollTimer = null;
    this.statusNode = document.querySelector("[data-proposal-live]");
  }

  setStatus(text) {
    if (this.statusNode) this.statusNode.textContent = text ?? "";
  }

  /** Reads the page again soon: at once, or after the gap since the last read. */
  schedule() {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== null) return;
    const wait = Math.max(0, this.lastAt + REFRESH_GAP_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refresh();
    }, wait);
  }

  async refresh() {
    this.running = true;
    this.lastAt = Date.now();
    try {
      const response = await fetch(window.location.href, {
        credentials: "same-origin",
        headers: { Accept: "text/html", "X-Proposal-Live": "1" }, // keeps the page's messages
      });
      if (response.status === 404) {
        this.setStatus("This proposal is no longer available to you.");
        return;
      }
      if (!response.ok) return; // a passing hiccup: the next notice reads again
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      this.swap(fresh);
    } catch {
      // offline or the server restarting: the socket's status says so already
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    }
  }

  swap(fresh) {
    for (const node of document.querySelectorAll("[data-live]")) {
      const name = node.dataset.live;
      const replacement = fresh.querySelector(`[data-live="${CSS.escape(name)}"]`);
      if (!replacement) continue;
      // Keep what the reader opened (folded lines, check details) open.
      const open = [...node.querySelectorAll("details")].map((d) => d.open);
      const imported = document.importNode(replacement, true);
      node.replaceWith(imported);
      const details = imported.querySelectorAll("details");
      if (details.length === open.length) details.forEach((d, i) => (d.open = open[i]));
    }
    applyDiffView(currentDiffView());
    this.pollChecks();
  }

  /** While checks run, there is no notice when they finish: look again now and then. */
  pollChecks() {
    clearTimeout(this.pollTimer);
    if (document.querySelector("[data-checks-pending]")) {
      this.pollTimer = setTimeout(() => this.schedule(), CHECKS_POLL_MS);
    }
  }
}

// --- the diff's layout --------------------------------------------------------------------------

function currentDiffView() {
  const view = new URL(window.location.href).searchParams.get("view");
  return view === "split" ? "split" : "inline";
}

function applyDiffView(view) {
  for (const diff of document.querySelectorAll("[data-diff]")) {
    diff.hidden = diff.dataset.diff !== view;
  }
  for (const link of document.querySelectorAll("a[data-diff-view]")) {
    const current = link.dataset.diffView === view;
    link.classList.toggle("current", current);
    if (current) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
  }
}

function diffToggle() {
  // Delegated: the links are replaced whenever the changes are read again.
  document.addEventListener("click", (event) => {
    const link = event.target.closest?.("a[data-diff-view]");
    if (!link) return;
    event.preventDefault();
    const view = link.dataset.diffView;
    const url = new URL(window.location.href);
    url.searchParams.set("view", view);
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    applyDiffView(view);
  });
}

// --- picking lines for inline comments ---------------------------------------------------------------

function linePicker() {
  const form = document.querySelector(".review-form");
  if (!form) return;
  let anchorLine = null;
  form.addEventListener("click", (event) => {
    const button = event.target.closest?.("button.line-no[data-line]");
    if (!button) return;
    const line = Number(button.dataset.line);
    const rows = [...form.querySelectorAll("[data-inline-row]")];
    const filled = (row) => row.querySelector("textarea")?.value.trim();
    // Shift-click extends the range of the row being filled; a click starts a new one.
    let row = rows.find((r) => r.dataset.picking === "yes");
    if (!(event.shiftKey && row && anchorLine !== null)) {
      row = rows.find((r) => !filled(r) && !r.querySelector('input[name$="line_from"]').value) ??
        rows.find((r) => !filled(r));
      if (!row) return;
      for (const other of rows) delete other.dataset.picking;
      row.dataset.picking = "yes";
      anchorLine = line;
    }
    const from = Math.min(anchorLine, line);
    const to = Math.max(anchorLine, line);
    row.querySelector('input[name$="line_from"]').value = String(from);
    row.querySelector('input[name$="line_to"]').value = to === from ? "" : String(to);
    for (const item of form.querySelectorAll(".branch-lines li")) {
      const number = Number(item.querySelector("[data-line]")?.dataset.line);
      item.classList.toggle("picked", number >= from && number <= to);
    }
    row.querySelector("textarea")?.focus({ preventScroll: true });
  });
}

// --- start --------------------------------------------------------------------------------------

function readData() {
  const node = document.getElementById("proposal-data");
  return node ? JSON.parse(node.textContent) : null;
}

function start(data) {
  const live = new LiveParts(data);
  diffToggle();
  linePicker();
  live.pollChecks();
  if (!data.wsPath) return { live, socket: null }; // signed out: no live updates
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const socket = new ProposalSocket({
    url: `${scheme}://${window.location.host}${data.wsPath}`,
    documents: [data.documentId, data.branchId],
    isOnline: () => navigator.onLine !== false,
  });
  let subscribedOnce = false;
  socket.on("subscribed", (frame) => {
    // After a reconnect, notices sent meanwhile are lost: read the page once.
    if (frame.document === data.documentId) {
      if (subscribedOnce) live.schedule();
      subscribedOnce = true;
    }
  });
  socket.on("proposal", (frame) => {
    if (concernsPage(frame, data)) live.schedule();
  });
  socket.on("status", ({ status }) => live.setStatus(STATUS_TEXT[status] ?? ""));
  socket.start();
  return { live, socket };
}

if (typeof document !== "undefined") {
  const data = readData();
  if (data) window.learnaiProposal = start(data);
}
