// CodeMirror <-> wire operations. CodeMirror counts UTF-16 units; the protocol counts code
// points ("😀" is 2 units, 1 code point). Everything crossing between them goes through here.
// Needs only @codemirror/state's Text and ChangeSet, so node's test runner covers it.

import { Builder, advance, cpLength } from "./ot.js";

function isHigh(unit) {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLow(unit) {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** Code points in doc (a CodeMirror Text) between UTF-16 offsets from and to. */
export function cpCount(doc, from, to) {
  if (to <= from) return 0;
  let count = 0;
  // Surrogate pairs never span two lines, so line pieces can be counted one by one.
  const iter = doc.iterRange(from, to);
  for (let next = iter.next(); !next.done; next = iter.next()) {
    count += next.lineBreak ? 1 : cpLength(next.value);
  }
  return count;
}

/** UTF-16 offset of code point index `cp` in doc, walking from UTF-16 offset `from`. */
export function offsetOf(doc, cp, from = 0) {
  if (cp <= 0) return from;
  // cp code points span between cp and 2*cp UTF-16 units.
  const end = Math.min(doc.length, from + 2 * cp);
  const text = doc.sliceString(from, end);
  return from + advance(text, 0, cp);
}

/** Code point index of UTF-16 offset `pos` in doc. */
export function cpOffset(doc, pos) {
  return cpCount(doc, 0, Math.min(pos, doc.length));
}

/** The wire op (code points) for a CodeMirror ChangeSet applied to `oldDoc`. */
export function changesToOps(changes, oldDoc) {
  const out = new Builder();
  let pos = 0;
  changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
    if (fromA > pos) out.retain(cpCount(oldDoc, pos, fromA));
    const text = inserted.toString();
    if (text) out.insert(text);
    if (toA > fromA) out.delete(cpCount(oldDoc, fromA, toA));
    pos = toA;
  });
  if (oldDoc.length > pos) out.retain(cpCount(oldDoc, pos, oldDoc.length));
  return out.build();
}

/**
 * CodeMirror change specs (UTF-16, relative to `doc`) for a wire op on `doc`. Throws when
 * the op does not walk the document exactly, rather than corrupting the editor's copy.
 */
export function opsToChanges(ops, doc) {
  const changes = [];
  let pos = 0;
  let walked = 0;
  for (const component of ops) {
    if (typeof component === "string") {
      const last = changes[changes.length - 1];
      if (last && last.from === pos && last.to === undefined) last.insert += component;
      else changes.push({ from: pos, insert: component });
    } else if (component > 0) {
      pos = offsetOf(doc, component, pos);
      walked += component;
    } else if (component < 0) {
      const end = offsetOf(doc, -component, pos);
      const last = changes[changes.length - 1];
      if (last && last.from === pos && last.to === undefined) last.to = end;
      else changes.push({ from: pos, to: end });
      pos = end;
      walked -= component;
    }
  }
  if (ops.length && (pos !== doc.length || walked !== cpCount(doc, 0, doc.length))) {
    throw new Error(`operation length ${walked} does not match the editor's text`);
  }
  return changes;
}

/** The smallest single change turning `oldText` into `newText` (keeps cursors in place). */
export function diffChange(oldText, newText) {
  if (oldText === newText) return null;
  let start = 0;
  const max = Math.min(oldText.length, newText.length);
  while (start < max && oldText.charCodeAt(start) === newText.charCodeAt(start)) start++;
  // Never split a surrogate pair.
  if (start > 0 && isHigh(oldText.charCodeAt(start - 1))) start--;
  let endOld = oldText.length;
  let endNew = newText.length;
  while (
    endOld > start &&
    endNew > start &&
    oldText.charCodeAt(endOld - 1) === newText.charCodeAt(endNew - 1)
  ) {
    endOld--;
    endNew--;
  }
  if (endOld < oldText.length && isLow(oldText.charCodeAt(endOld))) {
    endOld++;
    endNew++;
  }
  return { from: start, to: endOld, insert: newText.slice(start, endNew) };
}
