// Between a document's rendered text and its Markdown source, for comments on the document
// page: a passage selected in the rendered page is found again in the source (the comment's
// range is in the source's code points), and a thread's passage (source text) is found again
// in the rendered text to highlight it. Markup that rendering removes (emphasis, code ticks,
// list and heading markers, line breaks between blocks) may sit in between; where a text
// occurs more than once, the occurrence nearest the expected place wins. No DOM here.

import { cpLength } from "./ot.js";

const MAX_CHARS = 10000; // longer passages are not searched for
const INLINE_MARKUP = "[*_`~]*";
const BLOCK_GAP = "[\\s*_`~>#+|-]*\\s[\\s*_`~>#+|-]*"; // a line break with list/quote markers
const OPTIONAL_IN_RENDERED = new Set(["*", "_", "`", "~", "#", ">", "|"]);
const LIST_MARKERS = /(^|\n)[ \t]*(?:[-+*]|\d+[.)])[ \t]+/g;

function escape(char) {
  return char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** The match of `pattern` (global) in `text` whose index is nearest to `near`. */
function nearest(text, pattern, near) {
  let best = null;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match[0].length === 0) {
      pattern.lastIndex += 1;
      continue;
    }
    const distance = Math.abs(match.index - near);
    if (best === null || distance < best.distance) {
      best = { from: match.index, to: match.index + match[0].length, distance };
    }
  }
  return best;
}

function exactNearest(text, needle, near) {
  let best = null;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    const distance = Math.abs(at - near);
    if (best === null || distance < best.distance) {
      best = { from: at, to: at + needle.length, distance };
    }
  }
  return best;
}

/**
 * Where the text selected in the rendered page is in the Markdown `source`, as code points
 * {start, end}, or null when it cannot be found there (generated text: formulas, numbers of
 * ordered lists, link targets). `relative` (0..1) is where the selection starts in the
 * rendered text, to choose between repeated occurrences.
 */
export function findInSource(source, selected, relative = 0) {
  const wanted = (selected ?? "").replace(/\s+/g, " ").trim();
  if (!wanted || wanted.length > MAX_CHARS) return null;
  const near = Math.round(Math.min(Math.max(relative, 0), 1) * source.length);
  let found = exactNearest(source, wanted, near);
  if (!found) {
    const pattern = [...wanted]
      .map((char) => (char === " " ? BLOCK_GAP : escape(char)))
      .join(INLINE_MARKUP)
      .replaceAll(`${INLINE_MARKUP}${BLOCK_GAP}${INLINE_MARKUP}`, BLOCK_GAP);
    found = nearest(source, new RegExp(pattern, "gu"), near);
  }
  if (!found) return null;
  const start = cpLength(source.slice(0, found.from));
  return { start, end: start + cpLength(source.slice(found.from, found.to)) };
}

/**
 * Where a passage of the source (a thread's anchor text) shows in `rendered` (the page's
 * text, as its text nodes hold it), as UTF-16 indices {from, to}, or null. `relative`
 * (0..1) is where the passage is in the source.
 */
export function findInRendered(rendered, passage, relative = 0) {
  // List markers at line starts are not in the rendered text.
  const text = (passage ?? "").replace(LIST_MARKERS, "$1").trim();
  if (!text || text.length > MAX_CHARS) return null;
  const near = Math.round(Math.min(Math.max(relative, 0), 1) * rendered.length);
  const exact = exactNearest(rendered, text, near);
  if (exact) return { from: exact.from, to: exact.to };
  const parts = [];
  let space = false;
  for (const char of text) {
    if (/\s/u.test(char)) {
      space = true;
      continue;
    }
    if (space) parts.push("\\s*");
    space = false;
    parts.push(OPTIONAL_IN_RENDERED.has(char) ? `${escape(char)}?` : escape(char));
  }
  const found = nearest(rendered, new RegExp(parts.join(""), "gu"), near);
  return found ? { from: found.from, to: found.to } : null;
}
