// The CodeMirror 6 view of the live editor page: GFM Markdown with Python in ```python
// blocks, its look, the read-only switch, and the text adapter the OT client (client.js)
// reads and writes through. Edits the client applies carry `remoteChange`, so the page's
// update listener can tell them from the user's.

import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { markdownKeymap, markdownLanguage } from "@codemirror/lang-markdown";
import { pythonLanguage } from "@codemirror/lang-python";
import {
  HighlightStyle,
  Language,
  LanguageSupport,
  bracketMatching,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { highlightSelectionMatches, search, searchKeymap } from "@codemirror/search";
import { Annotation, Compartment, EditorState, Prec, Transaction } from "@codemirror/state";
import {
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  placeholder,
} from "@codemirror/view";
import { tags } from "@lezer/highlight";
import { parseCode } from "@lezer/markdown";

import { diffChange, opsToChanges } from "./cm-sync.js";

export const remoteChange = Annotation.define();

const highlight = HighlightStyle.define([
  { tag: tags.heading1, fontWeight: "700", fontSize: "1.25em" },
  { tag: tags.heading2, fontWeight: "700", fontSize: "1.12em" },
  { tag: [tags.heading3, tags.heading4, tags.heading5, tags.heading6], fontWeight: "700" },
  { tag: tags.strong, fontWeight: "700" },
  { tag: tags.emphasis, fontStyle: "italic" },
  { tag: tags.strikethrough, textDecoration: "line-through" },
  { tag: [tags.link, tags.url], color: "#3451b2", textDecoration: "underline" },
  {
    tag: tags.monospace,
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace",
    color: "#9a3412",
  },
  { tag: [tags.processingInstruction, tags.meta, tags.contentSeparator], color: "#8a94a6" },
  { tag: tags.quote, color: "#5b6675", fontStyle: "italic" },
  { tag: tags.list, color: "#3451b2" },
  { tag: tags.keyword, color: "#7c3aed" },
  { tag: [tags.string, tags.special(tags.string)], color: "#047857" },
  { tag: tags.comment, color: "#8a94a6", fontStyle: "italic" },
  { tag: [tags.number, tags.bool, tags.null], color: "#b45309" },
  { tag: [tags.function(tags.variableName), tags.definition(tags.variableName)], color: "#1d4ed8" },
]);

const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "15px", backgroundColor: "#fff" },
  ".cm-scroller": {
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
    lineHeight: "1.6",
  },
  ".cm-content": { padding: "12px 0" },
  ".cm-line": { padding: "0 14px" },
  ".cm-gutters": { backgroundColor: "#f7f8fa", color: "#9aa3b2", borderRight: "1px solid #e2e6ec" },
  ".cm-activeLine": { backgroundColor: "#f5f7ff" },
  ".cm-activeLineGutter": { backgroundColor: "#eef2ff", color: "#3451b2" },
  "&.cm-focused": { outline: "none" },
  ".cm-placeholder": { color: "#9aa3b2" },
});

// GFM Markdown with Python in ```python blocks. Built from lang-markdown's parts rather than
// its markdown() helper, which would pull HTML, CSS and JavaScript parsers into the bundle.
function markdownSupport() {
  const parser = markdownLanguage.parser.configure(
    parseCode({
      codeParser: (info) => (/^(py|python)\b/i.test(info) ? pythonLanguage.parser : null),
    }),
  );
  const language = new Language(markdownLanguage.data, parser, [], "markdown");
  return new LanguageSupport(language, [Prec.high(keymap.of(markdownKeymap))]);
}

function readOnlyExtensions(readOnly) {
  return [EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)];
}

/**
 * The editor on `parent`, holding `content`; read-only until setReadOnly(false) (pending
 * edits are restored first). `extensions` come after the read-only switch (remote cursors);
 * `onUpdate` is the update listener. `root` gets the class is-readonly while it is.
 */
export function createEditorView({ parent, root, content, extensions, onUpdate }) {
  const editable = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: content,
      extensions: [
        EditorState.lineSeparator.of("\n"), // "\r" stays a character: lengths match the server
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        search({ top: true }),
        markdownSupport(),
        syntaxHighlighting(highlight),
        EditorView.lineWrapping,
        placeholder("Start writing Markdown…"),
        keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap, indentWithTab]),
        EditorView.clipboardInputFilter.of((text) => text.replace(/\r\n?/g, "\n")),
        EditorView.contentAttributes.of({ "aria-label": "Document source (Markdown)" }),
        editable.of(readOnlyExtensions(true)), // until pending edits are restored
        ...extensions,
        theme,
        EditorView.updateListener.of(onUpdate),
      ],
    }),
  });

  let readOnly = true;
  function setReadOnly(value) {
    if (value === readOnly) return;
    readOnly = value;
    view.dispatch({ effects: editable.reconfigure(readOnlyExtensions(value)) });
    root.classList.toggle("is-readonly", value);
  }
  root.classList.toggle("is-readonly", readOnly);

  return { view, setReadOnly };
}

/** The client's view of the text: the `doc` adapter CollabClient takes. */
export function clientDoc(view) {
  return {
    getText: () => view.state.doc.toString(),
    setText(text) {
      const change = diffChange(view.state.doc.toString(), text);
      if (!change) return;
      view.dispatch({
        changes: change,
        annotations: [remoteChange.of(true), Transaction.addToHistory.of(false)],
      });
    },
    applyRemote(ops) {
      const changes = opsToChanges(ops, view.state.doc);
      if (!changes.length) return;
      view.dispatch({
        changes,
        annotations: [remoteChange.of(true), Transaction.addToHistory.of(false)],
      });
    },
  };
}
