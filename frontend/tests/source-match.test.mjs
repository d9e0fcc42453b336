// A passage selected in the rendered document found again in its Markdown source, and a
// thread's passage found again in the rendered text (frontend/source-match.js).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { cpLength } from "../ot.js";
import { findInRendered, findInSource } from "../source-match.js";

const SOURCE = [
  "# Attention 😀",
  "",
  "Attention is **all** you need. Attention is `cheap`.",
  "",
  "- first item",
  "- second item",
  "",
  "Formula: $x^2$ and d_k scaling. Attention is all.",
  "",
].join("\n");

function slice(source, range) {
  return [...source].slice(range.start, range.end).join("");
}

describe("a rendered selection in the source", () => {
  test("plain text is found where it is, in code points", () => {
    const range = findInSource(SOURCE, "Attention is", 0.2);
    assert.equal(slice(SOURCE, range), "Attention is");
    // "😀" is two UTF-16 units but one code point: the range counts code points.
    assert.equal(range.start, cpLength("# Attention 😀\n\n"));
  });

  test("of repeated text, the occurrence nearest the selection's place wins", () => {
    const last = findInSource(SOURCE, "Attention is", 0.95);
    assert.equal(last.start, cpLength(SOURCE.slice(0, SOURCE.lastIndexOf("Attention is"))));
    const middle = findInSource(SOURCE, "Attention is", 0.28);
    assert.equal(
      middle.start,
      cpLength(SOURCE.slice(0, SOURCE.indexOf("Attention is", SOURCE.indexOf("need."))))
    );
  });

  test("markup the page does not show is inside the range", () => {
    const range = findInSource(SOURCE, "is all you need", 0.2);
    assert.equal(slice(SOURCE, range), "is **all** you need");
    assert.equal(slice(SOURCE, findInSource(SOURCE, "is cheap", 0.3)), "is `cheap");
  });

  test("a selection across list items spans their markers", () => {
    const range = findInSource(SOURCE, "first item\nsecond item", 0.5);
    assert.equal(slice(SOURCE, range), "first item\n- second item");
  });

  test("generated text cannot be found, and nothing is guessed", () => {
    assert.equal(findInSource(SOURCE, "x2 and", 0.8), null);
    assert.equal(findInSource(SOURCE, "   ", 0.5), null);
    assert.equal(findInSource(SOURCE, "", 0.5), null);
  });
});

describe("a thread's passage in the rendered text", () => {
  const RENDERED = "Attention 😀\nAttention is all you need. Attention is cheap.\nfirst itemsecond item";

  test("is found as it is, or without the markup rendering removed", () => {
    const exact = findInRendered(RENDERED, "you need", 0.3);
    assert.equal(RENDERED.slice(exact.from, exact.to), "you need");
    const marked = findInRendered(RENDERED, "is **all** you", 0.3);
    assert.equal(RENDERED.slice(marked.from, marked.to), "is all you");
  });

  test("across blocks the line break may be gone", () => {
    const range = findInRendered(RENDERED, "first item\n- second", 0.9);
    assert.equal(RENDERED.slice(range.from, range.to), "first itemsecond");
  });

  test("the occurrence nearest the passage's place in the source wins", () => {
    const first = findInRendered(RENDERED, "Attention is", 0.1);
    const second = findInRendered(RENDERED, "Attention is", 0.6);
    assert.equal(first.from, RENDERED.indexOf("Attention is"));
    assert.equal(second.from, RENDERED.lastIndexOf("Attention is"));
    assert.equal(findInRendered(RENDERED, "not there", 0.5), null);
  });
});
