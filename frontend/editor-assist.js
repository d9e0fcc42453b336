// The writing assistant in the editor (only when the site turned it on): with a passage
// selected, "Suggest an improvement" asks for a rewrite that arrives as a suggestion
// (suggestion mode: the document's editors accept it or not, nothing changes by itself),
// and "Explain this" shows a plain-words explanation for learners. Both answers stream in
// as server-sent events, with the state shown ("Waiting…", "Writing…") and a clear message
// when the service fails.

import { apiErrorMessage, csrfFromCookie } from "./json-api.js";

const STATE_TEXT = {
  waiting: "Waiting for the writing assistant…",
  writing: "The writing assistant is writing…",
};
const FAILED = "The writing assistant is not answering right now. Try again in a minute.";

/** Splits a buffer of server-sent events into complete events and the unfinished rest. */
export function parseEvents(buffer) {
  const events = [];
  const blocks = buffer.split("\n\n");
  const rest = blocks.pop();
  for (const block of blocks) {
    let name = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
    if (!data.length) continue;
    try {
      events.push({ name, data: JSON.parse(data.join("\n")) });
    } catch {
      // A malformed event is skipped; the stream goes on.
    }
  }
  return { events, rest };
}

/** Reads a fetch Response's event stream, calling onEvent for each event in order. */
export async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    const parsed = parseEvents(buffer);
    buffer = parsed.rest;
    for (const event of parsed.events) onEvent(event);
  }
  const last = parseEvents(`${buffer}\n\n`);
  for (const event of last.events) onEvent(event);
}

/** Asks the assistant; calls onEvent({name, data}) for progress, delta, done and error. */
export async function askAssistant({ url, body, onEvent, fetch = globalThis.fetch }) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "text/event-stream",
        "X-CSRFToken": csrfFromCookie() ?? "",
      },
      body: JSON.stringify(body),
    });
  } catch {
    onEvent({ name: "error", data: { message: FAILED } });
    return;
  }
  if (!response.ok) {
    let payload = null;
    try {
      payload = await response.json();
    } catch {
      payload = null;
    }
    onEvent({ name: "error", data: { message: apiErrorMessage(response.status, payload) } });
    return;
  }
  let ended = false;
  await readEvents(response, (event) => {
    if (event.name === "done" || event.name === "error") ended = true;
    onEvent(event);
  });
  if (!ended) onEvent({ name: "error", data: { message: FAILED } });
}

/**
 * Installs the assistant's bar and answer panel. `bar` holds two buttons
 * (data-assist="improve" / "explain") and `panel` the answer; both start hidden.
 * `position()` answers {start, end, revision} of the selection in the server's text, or
 * {wait: message} while local edits are still on their way.
 */
export function mountAssist({ view, bar, panel, url, position }) {
  const status = panel.querySelector("[data-assist-status]");
  const output = panel.querySelector("[data-assist-output]");
  let busy = false;

  function show(node, visible) {
    node.hidden = !visible;
  }

  function selectionChanged() {
    const { from, to } = view.state.selection.main;
    show(bar, !busy && to > from);
  }

  async function run(action) {
    const place = position();
    show(panel, true);
    output.textContent = "";
    if (place.wait) {
      status.textContent = place.wait;
      return;
    }
    busy = true;
    show(bar, false);
    status.textContent = STATE_TEXT.waiting;
    await askAssistant({
      url,
      body: { action, ...place },
      onEvent: ({ name, data }) => {
        if (name === "progress") status.textContent = STATE_TEXT[data.state] ?? "";
        else if (name === "delta") output.textContent += data.text;
        else if (name === "error") status.textContent = data.message || FAILED;
        else if (name === "done") {
          output.textContent = data.text;
          status.textContent =
            action === "improve"
              ? "Your suggestion is in the text, marked for the document's editors to accept or reject."
              : "";
        }
      },
    });
    busy = false;
    selectionChanged();
  }

  bar.addEventListener("click", (event) => {
    const button = event.target.closest?.("button[data-assist]");
    if (button && !busy) run(button.dataset.assist);
  });
  panel.querySelector("[data-assist-close]")?.addEventListener("click", () => show(panel, false));
  return { selectionChanged };
}
