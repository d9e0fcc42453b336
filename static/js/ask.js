/* Q&A pages: the live Markdown preview, "similar questions" while typing a title, the
 * sections of the chosen document, the close form's duplicate field, and vote buttons.
 *
 * A plain deferred script (the CSP allows same-origin scripts only, no inline ones). Each
 * part looks for its elements and does nothing when the page has none; without
 * JavaScript every form still works, only the previews and votes are missing. Writes go
 * to the API with the session cookie, so they carry the CSRF token.
 */
(function () {
  "use strict";

  const PREVIEW_DELAY_MS = 400;
  const SIMILAR_DELAY_MS = 350;
  const SIMILAR_MIN_CHARS = 10;

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function api(method, url, body) {
    const options = {
      method,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrfToken();
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    return { ok: response.ok, status: response.status, data };
  }

  function errorMessage(result, fallback) {
    if (result.status === 401) return "Your session has ended: log in again.";
    const error = result.data && result.data.error;
    return (error && error.message) || fallback;
  }

  function debounce(fn, delay) {
    let timer = null;
    return function (...args) {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), delay);
    };
  }

  /* --- Markdown preview: rendered by the server exactly as the post will be --- */
  function mountPreview(textarea) {
    const target = document.getElementById(textarea.dataset.previewTarget);
    if (!target) return;
    const box = document.querySelector(`[data-preview-box="${target.id}"]`) || target;
    const status = box.querySelector("[data-preview-status]");
    let sent = 0;
    const render = debounce(async () => {
      const content = textarea.value;
      const mine = ++sent;
      if (!content.trim()) {
        box.hidden = true;
        return;
      }
      if (status) status.textContent = "(updating…)";
      const result = await api("POST", "/api/preview", { content }).catch(() => null);
      if (mine !== sent) return; // a newer preview is on its way
      box.hidden = false;
      if (result && result.ok) {
        target.innerHTML = result.data.html; // sanitised by the server (nh3)
        if (status) status.textContent = "";
      } else if (status) {
        status.textContent = result ? `(${errorMessage(result, "not available")})` : "(offline)";
      }
    }, PREVIEW_DELAY_MS);
    textarea.addEventListener("input", render);
    if (textarea.value.trim()) render();
  }

  /* --- Similar questions while the title is typed --- */
  function mountSimilar(input) {
    const box = document.getElementById(input.dataset.similarTarget);
    if (!box) return;
    const list = box.querySelector("[data-similar-list]");
    let sent = 0;
    const search = debounce(async () => {
      const title = input.value.trim();
      const mine = ++sent;
      if (title.length < SIMILAR_MIN_CHARS) {
        box.hidden = true;
        return;
      }
      const url = `/api/questions/similar?title=${encodeURIComponent(title)}`;
      const result = await api("GET", url).catch(() => null);
      if (mine !== sent || !result || !result.ok || !Array.isArray(result.data)) return;
      list.replaceChildren(
        ...result.data.map((question) => {
          const item = document.createElement("li");
          const link = document.createElement("a");
          link.href = question.url;
          link.target = "_blank";
          link.rel = "noopener";
          link.textContent = question.title;
          const facts = document.createElement("span");
          facts.className = "muted";
          const answers = `${question.answer_count} answer${question.answer_count === 1 ? "" : "s"}`;
          facts.textContent = ` · ${answers}${question.is_answered ? " ✓" : ""}${question.is_closed ? " · closed" : ""}`;
          item.append(link, facts);
          return item;
        }),
      );
      box.hidden = result.data.length === 0;
    }, SIMILAR_DELAY_MS);
    input.addEventListener("input", search);
  }

  /* --- The chosen document's sections --- */
  function mountSections(select) {
    const sectionSelect = select.form && select.form.elements.namedItem("document_section");
    if (!sectionSelect || !select.dataset.sectionsUrl) return;
    select.addEventListener("change", async () => {
      const first = sectionSelect.options[0];
      sectionSelect.replaceChildren(first);
      sectionSelect.value = "";
      if (!select.value) return;
      const url = `${select.dataset.sectionsUrl}?document=${encodeURIComponent(select.value)}`;
      const result = await api("GET", url).catch(() => null);
      if (!result || !result.ok || !result.data) return;
      for (const section of result.data.sections) {
        sectionSelect.append(new Option(section.title, section.id));
      }
    });
  }

  /* --- The close form: the duplicate field only for a duplicate --- */
  function mountCloseForm(form) {
    const field = form.querySelector("[data-duplicate-field]");
    if (!field) return;
    const update = () => {
      const chosen = form.querySelector("input[name=reason]:checked");
      field.hidden = !chosen || chosen.value !== "duplicate";
    };
    form.addEventListener("change", update);
    update();
  }

  /* --- Votes: POST /api/{questions|answers}/{id}/vote {value: 1 | -1 | 0} --- */
  function mountVote(widget) {
    const buttons = widget.querySelectorAll("button[data-value]");
    const score = widget.querySelector("[data-score]");
    const message = widget.querySelector("[data-vote-message]");
    function show(text) {
      if (!message) return;
      message.textContent = text;
      message.hidden = !text;
      if (text) setTimeout(() => { message.hidden = true; }, 6000);
    }
    function setMine(value) {
      for (const button of buttons) {
        button.setAttribute("aria-pressed", String(Number(button.dataset.value) === value));
      }
    }
    for (const button of buttons) {
      button.addEventListener("click", async () => {
        const pressed = button.getAttribute("aria-pressed") === "true";
        const value = pressed ? 0 : Number(button.dataset.value);
        button.setAttribute("aria-busy", "true");
        const result = await api("POST", widget.dataset.voteUrl, { value }).catch(() => null);
        button.removeAttribute("aria-busy");
        if (!result) {
          show("You seem to be offline; the vote was not sent.");
          return;
        }
        if (!result.ok) {
          show(errorMessage(result, "The vote could not be recorded. Try again later."));
          return;
        }
        show("");
        score.textContent = String(result.data.score);
        score.setAttribute("aria-label", `Score ${result.data.score}`);
        setMine(result.data.my_vote);
      });
    }
  }

  function start() {
    document.querySelectorAll("textarea[data-preview-target]").forEach(mountPreview);
    document.querySelectorAll("input[data-similar-target]").forEach(mountSimilar);
    document.querySelectorAll("select[data-sections-url]").forEach(mountSections);
    document.querySelectorAll("form[data-close-form]").forEach(mountCloseForm);
    document.querySelectorAll(".qa-vote[data-vote-url]").forEach(mountVote);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start, { once: true });
  } else {
    start();
  }
})();
