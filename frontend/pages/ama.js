// The AMA pages (templates/community/amas/): the session's queue, kept in order live from
// the room's frames (frontend/ama-socket.js), up-votes and questions sent through the API
// without a reload, local times and the countdown; on the scheduling form, the time zone
// set to the browser's own. Everything else on the page is plain forms that work without it.

import { applyFrame, compareQuestions, countdownText, isShown } from "../ama-queue.js";
import { AmaSocket } from "../ama-socket.js";
import { apiErrorMessage, jsonRequest } from "../json-api.js";

const AMA_FALLBACKS = {
  401: "Your session has ended. Sign in again to take part.",
  403: "You may not do that in this session.",
  404: "This question or session is no longer available.",
  429: "Too many requests at once. Wait a moment and try again.",
};

const STATUS_TEXT = {
  connecting: "Connecting…",
  connected: "Live: the queue updates by itself.",
  reconnecting: "Connection lost, reconnecting…",
  offline: "You are offline; the queue will catch up when you are back.",
  signed_out: "You were signed out. Reload the page after signing in again.",
  forbidden: "This session is no longer available to you.",
  closed: "",
};

function readData() {
  const node = document.getElementById("ama-data");
  return node ? JSON.parse(node.textContent) : null;
}

function localTimes() {
  const format = new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  });
  for (const node of document.querySelectorAll("time[data-local-time]")) {
    const moment = new Date(node.getAttribute("datetime"));
    if (!Number.isNaN(moment.getTime())) node.textContent = format.format(moment);
  }
}

function timeZoneDefault() {
  const form = document.querySelector("[data-ama-new]");
  const select = form?.querySelector("select[data-ama-time-zone]");
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (select && zone && [...select.options].some((option) => option.value === zone)) {
    select.value = zone;
  }
}

function countdown(data) {
  const node = document.querySelector("[data-ama-countdown]");
  if (!node) return;
  const start = Date.parse(data.startsAt);
  const tick = () => {
    node.textContent = countdownText(start - Date.now());
  };
  tick();
  setInterval(tick, 1000);
}

// --- the queue -------------------------------------------------------------------------

class QueuePage {
  constructor(data) {
    this.data = data;
    this.list = document.querySelector("[data-ama-queue]");
    this.template = document.querySelector("template[data-ama-question-template]");
    this.statusNode = document.querySelector("[data-ama-status]");
    this.viewer = { canRun: data.canRun, userId: data.user?.id ?? null };
    this.questions = new Map();
    for (const item of this.list.querySelectorAll("li[data-question-id]")) {
      const id = Number(item.dataset.questionId);
      this.questions.set(id, {
        id,
        score: Number(item.dataset.score),
        created_at: item.dataset.created,
        status: item.dataset.status,
        author: item.dataset.author ? { id: Number(item.dataset.author) } : null,
      });
    }
    this.list.addEventListener("submit", (event) => this.onSubmit(event));
    document.querySelector("[data-ama-ask]")?.addEventListener("submit", (e) => this.onAsk(e));
  }

  item(id) {
    return this.list.querySelector(`li[data-question-id="${id}"]`);
  }

  newItem(question) {
    const item = this.template.content.firstElementChild.cloneNode(true);
    item.id = `q-${question.id}`;
    item.dataset.questionId = String(question.id);
    for (const form of item.querySelectorAll("form")) {
      form.action = form.getAttribute("action").replace("/questions/0/", `/questions/${question.id}/`);
    }
    for (const node of item.querySelectorAll("[id$='-0']")) {
      const id = node.id.replace(/-0$/, `-${question.id}`);
      item.querySelector(`label[for="${node.id}"]`)?.setAttribute("for", id);
      node.id = id;
    }
    item.querySelector("[data-q-id]").textContent = String(question.id);
    const mine = this.viewer.userId !== null && question.author?.id === this.viewer.userId;
    const vote = item.querySelector("button.ama-vote-btn");
    if (vote && mine) {
      vote.disabled = true;
      vote.title = "You cannot up-vote your own question";
    }
    return item;
  }

  render(question) {
    let item = this.item(question.id);
    if (!item) {
      item = this.newItem(question);
      this.list.append(item);
    }
    item.dataset.score = String(question.score);
    item.dataset.status = question.status;
    item.dataset.created = question.created_at ?? "";
    item.dataset.author = question.author?.id ?? "";
    const score = item.querySelector("[data-score-text]");
    score.textContent = String(question.score);
    score.setAttribute("aria-label", `${question.score} up-votes`);
    item.classList.toggle("ama-q-hidden", question.status === "hidden");
    item.classList.toggle("ama-q-answered", question.status === "answered");
    if (question.content_html) item.querySelector("[data-q-content]").innerHTML = question.content_html;
    if (question.author?.username) {
      item.querySelector("[data-q-author]").textContent = question.author.username;
    }
    if (question.answer_html) {
      item.querySelector("[data-q-answer]").innerHTML = question.answer_html;
      item.querySelector("[data-q-answer-box]").hidden = false;
    }
    const mine = this.viewer.userId !== null && question.author?.id === this.viewer.userId;
    const withdraw = item.querySelector("[data-q-withdraw]");
    if (withdraw) withdraw.hidden = !(mine && question.status === "open");
    const hide = item.querySelector("[data-q-hide]");
    const unhide = item.querySelector("[data-q-unhide]");
    if (hide) hide.hidden = question.status === "hidden";
    if (unhide) unhide.hidden = question.status !== "hidden";
    if (question.my_vote !== undefined) this.setMyVote(item, question.my_vote === 1);
  }

  setMyVote(item, voted) {
    const button = item.querySelector("button.ama-vote-btn");
    button?.setAttribute("aria-pressed", voted ? "true" : "false");
    const value = item.querySelector("form[data-ama-vote] input[name=value]");
    if (value) value.value = voted ? "0" : "1";
  }

  /** Puts the list items in queue order, moving only when the order changed. */
  reorder() {
    const order = [...this.questions.values()].sort(compareQuestions).map((q) => q.id);
    const current = [...this.list.children].map((node) => Number(node.dataset.questionId));
    if (order.join(",") !== current.join(",")) {
      for (const id of order) {
        const item = this.item(id);
        if (item) this.list.append(item);
      }
    }
    const empty = document.querySelector("[data-ama-empty]");
    if (empty) empty.hidden = this.questions.size > 0;
  }

  apply(frame) {
    const change = applyFrame(this.questions, frame, this.viewer);
    if (change === null) return;
    if (change.state) {
      this.applyState(change.state);
      return;
    }
    if (change.removed) {
      this.item(change.question.id)?.remove();
    } else {
      this.render(change.question);
    }
    this.reorder();
    this.showAnswering(this.data.answeringNow);
  }

  applyState(state) {
    if (state.state !== this.data.state) {
      window.location.reload(); // started, ended or cancelled: the page changes shape
      return;
    }
    this.data.answeringNow = state.answering_now;
    this.showAnswering(state.answering_now);
  }

  showAnswering(id) {
    for (const node of this.list.querySelectorAll(".ama-q-now")) node.classList.remove("ama-q-now");
    const box = document.querySelector("[data-ama-now]");
    const item = id ? this.item(id) : null;
    item?.classList.add("ama-q-now");
    if (box) {
      box.hidden = !item;
      box.querySelector("[data-ama-now-text]").innerHTML = item
        ? item.querySelector("[data-q-content]").innerHTML
        : "";
    }
  }

  setStatus(status) {
    if (this.statusNode) this.statusNode.textContent = STATUS_TEXT[status] ?? "";
  }

  send(path, body) {
    return jsonRequest({
      method: "POST",
      url: `${this.data.apiBase}${path}`,
      body,
      csrfToken: this.data.csrfToken,
      describe: (status, data) => apiErrorMessage(status, data, AMA_FALLBACKS),
    });
  }

  async onSubmit(event) {
    const form = event.target;
    if (!form.matches("form[data-ama-vote]") || !this.data.user) return;
    event.preventDefault();
    const item = form.closest("li[data-question-id]");
    const id = Number(item.dataset.questionId);
    const value = Number(form.querySelector("input[name=value]").value);
    const button = form.querySelector("button");
    if (button) button.disabled = true;
    try {
      const question = await this.send(`/questions/${id}/vote`, { value });
      this.setMyVote(item, question.my_vote === 1);
      this.apply({ type: "ama_question", question });
    } catch (error) {
      if (this.statusNode) this.statusNode.textContent = error.message;
    } finally {
      if (button) button.disabled = false;
    }
  }

  async onAsk(event) {
    event.preventDefault();
    const form = event.target;
    const text = form.querySelector("textarea");
    const errorNode = form.querySelector("[data-ama-ask-error]");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    errorNode.hidden = true;
    try {
      const question = await this.send("/questions", { content: text.value });
      text.value = "";
      this.apply({ type: "ama_question", question });
      this.item(question.id)?.scrollIntoView({ block: "nearest" });
    } catch (error) {
      errorNode.textContent = error.message;
      errorNode.hidden = false;
    } finally {
      button.disabled = false;
    }
  }
}

function liveQueue(data) {
  if (!document.querySelector("[data-ama-queue]")) return null;
  const page = new QueuePage(data);
  let socket = null;
  if (data.wsPath && data.roomId) {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    socket = new AmaSocket({
      url: `${scheme}://${window.location.host}${data.wsPath}`,
      room: data.roomId,
      since: data.since,
      isOnline: () => navigator.onLine !== false,
    });
    socket.on("frame", (frame) => page.apply(frame));
    socket.on("status", ({ status }) => page.setStatus(status));
    socket.start();
  }
  window.learnaiAma = { page, socket, isShown };
  return page;
}

const data = readData();
localTimes();
timeZoneDefault();
if (data) {
  countdown(data);
  liveQueue(data);
}
