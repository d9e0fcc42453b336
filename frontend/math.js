// Math rendering with KaTeX, client-side. The server (collaboration/markdown.py) and the
// editor's preview both wrap TeX as <span class="math inline">TeX</span> and
// <div class="math block">TeX</div>; renderMath() turns those into KaTeX markup.
//
// CSP-friendly: no eval, no inline scripts; KaTeX only sets style attributes (allowed by
// style-src 'unsafe-inline') and its fonts come from static/vendor/katex/fonts ('self').
// Used by the editor bundle (preview) and, through build.mjs, by static/vendor/math.bundle.js
// on document and revision pages.

import katex from "katex";

const SELECTOR = ".math.inline, .math.block";
const DONE = "katexRendered"; // data-katex-rendered: rendered already, skip

// Renders every not-yet-rendered math element inside root (an element or the document).
// Returns how many elements were rendered.
export function renderMath(root = document) {
  if (!root || typeof root.querySelectorAll !== "function") return 0;
  let count = 0;
  for (const el of root.querySelectorAll(SELECTOR)) {
    if (el.dataset[DONE]) continue;
    const tex = el.textContent;
    try {
      katex.render(tex, el, {
        displayMode: el.classList.contains("block"),
        throwOnError: false,
      });
      el.dataset[DONE] = "1";
      el.setAttribute("data-tex", tex);
      count += 1;
    } catch (error) {
      // throwOnError: false covers TeX errors; anything else leaves the TeX visible.
      el.textContent = tex;
      console.warn("KaTeX could not render", tex, error);
    }
  }
  return count;
}

// For pages: render once the document is parsed.
export function renderMathWhenReady(root = document) {
  if (typeof document === "undefined") return;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => renderMath(root), { once: true });
  } else {
    renderMath(root);
  }
}
