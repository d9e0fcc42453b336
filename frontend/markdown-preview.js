// The live preview beside the editor: the Markdown rendered in the browser as the server
// renders it (GFM, with $…$ and $$…$$ math kept as TeX for KaTeX), sanitised by DOMPurify.

import DOMPurify from "dompurify";
import { Marked } from "marked";

import { renderMath } from "./math.js";

const PREVIEW_DELAY_MS = 120;

// TeX stays TeX, wrapped as the server wraps it (collaboration/markdown.py's dollarmath):
// <span class="math inline"> and <div class="math block">, so preview and page look alike.
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const mathExtensions = [
  {
    name: "mathBlock",
    level: "block",
    start(src) {
      const index = src.search(/^\$\$/m);
      return index < 0 ? undefined : index;
    },
    tokenizer(src) {
      const match = /^\$\$([\s\S]+?)\$\$[ \t]*(?:\n|$)/.exec(src);
      if (match) return { type: "mathBlock", raw: match[0], text: match[1].trim() };
      return undefined;
    },
    renderer: (token) => `<div class="math block">${escapeHtml(token.text)}</div>\n`,
  },
  {
    name: "mathInline",
    level: "inline",
    start(src) {
      const index = src.indexOf("$");
      return index < 0 ? undefined : index;
    },
    tokenizer(src) {
      // Like allow_digits=False on the server: "$5 and $10" is not math.
      const match = /^\$(?![\s$\d])((?:\\.|[^$\\\n])+?)(?<!\s)\$(?!\d)/.exec(src);
      if (match) return { type: "mathInline", raw: match[0], text: match[1] };
      return undefined;
    },
    renderer: (token) => `<span class="math inline">${escapeHtml(token.text)}</span>`,
  },
];

/**
 * Renders `getText()` into `element` (#preview; absent, nothing is rendered): render() now,
 * schedule() soon, once however often it is called meanwhile.
 */
export function mountPreview({ element, getText }) {
  const md = new Marked({ gfm: true, breaks: false, async: false });
  md.use({ extensions: mathExtensions });
  let previewTimer = null;
  function renderPreview() {
    previewTimer = null;
    if (!element) return;
    const html = md.parse(getText());
    element.innerHTML = DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
    for (const link of element.querySelectorAll("a[href]")) {
      link.setAttribute("rel", "noopener noreferrer nofollow");
      link.setAttribute("target", "_blank");
    }
    renderMath(element);
  }
  function schedulePreview() {
    if (previewTimer === null) previewTimer = setTimeout(renderPreview, PREVIEW_DELAY_MS);
  }
  return { render: renderPreview, schedule: schedulePreview };
}
