// Suggestion mode's pure parts: what typing does to the suggestion being written (the draft),
// the document's pending suggestions as the server's notices change them, and how a
// suggestion is described to people. No DOM and no CodeMirror, so node's tests cover them
// (frontend/tests/suggestions.test.js); editor-suggestions.js draws them in the editor.
//
// A draft is {from, to, text} in the editor's own text (UTF-16 offsets): replace
// doc[from, to) by `text`. The text is never in the document: it is drawn after the
// replaced passage, and the caret sits after it (at `to`). `replaces` names the pending
// suggestion of mine that the draft rewrites, when I went on typing at one.

/** A draft that would change nothing. */
export function isEmptyDraft(draft) {
  return !draft || (draft.from === draft.to && draft.text === "");
}

/**
 * What one edit typed while suggesting does to the draft. `change` is {from, to, text}:
 * the editor's change, in the text as it is (the text never changes while suggesting).
 * Answers {draft, flush}: the draft now (null when nothing is left), and the previous
 * draft when the edit went elsewhere (to be sent as it was).
 *
 * At the caret (the draft's end) typing appends and Backspace takes back what was typed,
 * then strikes out the text before the passage; Delete strikes out the text after it.
 * An edit overlapping the draft joins it; any other edit starts a new draft.
 */
export function foldEdit(draft, change) {
  const start = { from: change.from, to: change.to, text: change.text };
  if (isEmptyDraft(draft)) return { draft: isEmptyDraft(start) ? null : start, flush: null };
  let next = null;
  const removed = change.to - change.from;
  if (change.from === change.to && change.from === draft.to) {
    next = { ...draft, text: draft.text + change.text };
  } else if (change.to === draft.to && removed > 0 && change.text === "") {
    if (draft.text.length >= removed) {
      next = { ...draft, text: draft.text.slice(0, draft.text.length - removed) };
    } else {
      const beyond = removed - draft.text.length;
      next = { ...draft, from: Math.max(0, draft.from - beyond), text: "" };
    }
  } else if (change.from === draft.to && removed > 0) {
    next = { ...draft, to: change.to, text: draft.text + change.text };
  } else if (change.to === draft.from && (removed > 0 || change.text)) {
    next = { ...draft, from: change.from, text: change.text + draft.text };
  } else if (change.from < draft.to && change.to > draft.from) {
    const text = change.from <= draft.from ? change.text + draft.text : draft.text + change.text;
    next = {
      ...draft,
      from: Math.min(draft.from, change.from),
      to: Math.max(draft.to, change.to),
      text,
    };
  } else {
    return { draft: isEmptyDraft(start) ? null : start, flush: draft };
  }
  if (isEmptyDraft(next) && !next.replaces) next = null;
  return { draft: next, flush: null };
}

/** The passage a pending suggestion of mine that an edit at `change` should rewrite, if
 * the edit touches it (at its end, its start, or inside). */
export function touches(passage, change) {
  if (change.from === passage.to || change.to === passage.from) return true;
  return change.from < passage.to && change.to > passage.from;
}

const QUOTE_MAX = 60;

function quote(text) {
  const oneLine = text.replace(/\n/g, "↵");
  const short = oneLine.length > QUOTE_MAX ? `${oneLine.slice(0, QUOTE_MAX - 1)}…` : oneLine;
  return `“${short}”`;
}

/** What a suggestion does, in words: "Replace “teh” with “the”", "Insert …", "Delete …". */
export function describe(suggestion) {
  const { original, text } = suggestion;
  if (original && text) return `Replace ${quote(original)} with ${quote(text)}`;
  if (text) return `Insert ${quote(text)}`;
  return `Delete ${quote(original)}`;
}

/**
 * The document's pending suggestions as the API lists them and the notices
 * (`{type: "suggestion", event, suggestion}`) change them. A decided suggestion never
 * comes back, even when a notice about it arrives late from another server.
 */
export class SuggestionStore {
  constructor() {
    this.items = new Map(); // id -> suggestion (the API's shape)
    this.decided = new Set();
  }

  /** Replaces everything with the API's list (pending suggestions). */
  load(list) {
    this.items = new Map();
    for (const suggestion of list) this.put(suggestion);
  }

  get(id) {
    return this.items.get(id) ?? null;
  }

  /** Keeps a pending suggestion (or forgets one that is not pending any more). */
  put(suggestion) {
    if (!suggestion || !Number.isInteger(suggestion.id)) return false;
    if (suggestion.state !== "pending" || suggestion.proposal?.state === "closed") {
      this.remove(suggestion.id);
      return false;
    }
    if (this.decided.has(suggestion.id)) return false;
    this.items.set(suggestion.id, suggestion);
    return true;
  }

  remove(id) {
    this.decided.add(id);
    return this.items.delete(id);
  }

  /** A notice from the document's topic; answers the id it changed, or null. */
  applyFrame(frame) {
    const suggestion = frame?.suggestion;
    if (frame?.type !== "suggestion" || !Number.isInteger(suggestion?.id)) return null;
    if (frame.event === "created" || frame.event === "updated" || frame.event === "moved") {
      this.put(suggestion);
    } else {
      this.remove(suggestion.id);
    }
    return suggestion.id;
  }

  /** Forgets the suggestions of a proposal that was closed or merged; answers their ids. */
  dropProposal(proposalId) {
    const ids = [];
    for (const [id, suggestion] of this.items) {
      if (suggestion.proposal?.id === proposalId) ids.push(id);
    }
    for (const id of ids) this.items.delete(id);
    return ids;
  }

  /** Pending suggestions, in text order. */
  pending() {
    return [...this.items.values()].sort((a, b) => a.start - b.start || a.id - b.id);
  }

  /** Pending suggestions by proposal: [{proposal, author, suggestions}], by proposal number. */
  byProposal() {
    const groups = new Map();
    for (const suggestion of this.pending()) {
      const key = suggestion.proposal.id;
      if (!groups.has(key)) {
        const { proposal, author } = suggestion;
        groups.set(key, { proposal, author, suggestions: [] });
      }
      groups.get(key).suggestions.push(suggestion);
    }
    return [...groups.values()].sort((a, b) => a.proposal.number - b.proposal.number);
  }
}
