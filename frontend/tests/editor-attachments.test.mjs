// Files pasted or dropped into the live editor (frontend/editor-attachments.js): which
// pastes are files, what is refused before uploading, what the person reads when the server
// refuses, what is inserted and where, after the text moved during the upload.

import assert from "node:assert/strict";
import { test as nodeTest } from "node:test";

// Needs the npm packages (`npm ci`); without them these tests skip, not fail.
let codemirror = null;
let attachments = null;
try {
  codemirror = await import("@codemirror/state");
  attachments = await import("../editor-attachments.js");
} catch {
  codemirror = null;
}
const skip = codemirror ? false : "@codemirror packages are not installed (run `npm ci`)";
const test = (name, fn) => nodeTest(name, { skip }, fn);

function clipboard({ text = "", files = [] } = {}) {
  return { getData: (type) => (type === "text/plain" ? text : ""), files };
}

const png = (name = "figure.png", size = 3) => new File([new Uint8Array(size)], name, { type: "image/png" });
const image = { kind: "image", name: "loss.png", markdown: "![loss.png](/docs/d/files/1/loss.png)" };
const pdf = { kind: "pdf", name: "paper.pdf", markdown: "[paper.pdf](/docs/d/files/2/paper.pdf)" };

test("a pasted screenshot is a file to upload", () => {
  const files = attachments.pastedFiles(clipboard({ files: [png()] }));
  assert.deepEqual(files.map((f) => f.name), ["figure.png"]);
});

test("a paste with text stays a text paste, even when it also carries a picture", () => {
  // Spreadsheet cells come as their text and as an image of them.
  assert.deepEqual(attachments.pastedFiles(clipboard({ text: "a\tb", files: [png()] })), []);
  assert.deepEqual(attachments.pastedFiles(null), []);
});

test("only drags that carry files are taken over", () => {
  assert.equal(attachments.dragHasFiles({ types: ["Files"] }), true);
  assert.equal(attachments.dragHasFiles({ types: ["text/plain"] }), false);
  assert.deepEqual(attachments.droppedFiles({ files: [] }), []);
});

test("empty and oversized files are refused before uploading, naming the file", () => {
  assert.match(attachments.precheck(png("empty.png", 0), 1000), /“empty.png” is empty/);
  const big = attachments.precheck(png("huge.png", 3 * 1024 * 1024), 2 * 1024 * 1024);
  assert.equal(big, "“huge.png” is 3 MB; files may be at most 2 MB.");
  assert.equal(attachments.precheck(png("ok.png", 10), 1000), null);
});

test("a refusal reads the server's sentence, after the file's name", () => {
  const body = { error: { code: "unsupported_type", message: "SVG files cannot be attached.", fields: {} } };
  assert.equal(
    attachments.uploadErrorText("logo.svg", 415, body),
    "“logo.svg” was not attached: SVG files cannot be attached.",
  );
  assert.equal(
    attachments.uploadErrorText("a.png", 403, null),
    "“a.png” was not attached: You may not attach files to this document.",
  );
  assert.match(attachments.uploadErrorText("a.png", 502, null), /went wrong on our side/);
});

test("an image becomes a paragraph of its own; a single other file is linked inline", () => {
  // The two characters on each side, nearest first.
  assert.equal(attachments.insertionText([image], "t ", "xy"), `\n\n${image.markdown}\n\n`);
  assert.equal(attachments.insertionText([image], "\n:", ""), `\n${image.markdown}`);
  assert.equal(attachments.insertionText([image], "\n\n", "\nA"), `${image.markdown}\n`);
  assert.equal(attachments.insertionText([image], "", ""), image.markdown);
  assert.equal(attachments.insertionText([image], "\n", "\n"), image.markdown);
  assert.equal(attachments.insertionText([pdf], "e ", " a"), pdf.markdown);
  assert.equal(
    attachments.insertionText([pdf, pdf], "", "\n\n"),
    `${pdf.markdown}\n${pdf.markdown}`,
  );
  assert.equal(attachments.insertionText([], "a", "b"), "");
});

test("the waiting place moves with the text typed before it, and stays after text typed at it", () => {
  const { ChangeSet } = codemirror;
  const places = new attachments.PendingPlaces();
  const doc = "Intro\nMore text";
  const token = places.add(6); // the start of "More text"
  places.map(ChangeSet.of([{ from: 0, insert: "# " }], doc.length)); // before it
  places.map(ChangeSet.of([{ from: 8, insert: "Hello " }], doc.length + 2)); // exactly at it
  places.map(ChangeSet.of([{ from: 18, to: 22 }], doc.length + 8)); // after it: no effect
  assert.equal(places.take(token), 14);
  assert.equal(places.take(token), undefined);
});

test("a place whose text was deleted moves to where the deletion was", () => {
  const { ChangeSet } = codemirror;
  const places = new attachments.PendingPlaces();
  const token = places.add(5);
  places.map(ChangeSet.of([{ from: 2, to: 9 }], 12));
  assert.equal(places.take(token), 2);
});

test("an upload sends the file as multipart `file` with the CSRF header, and answers the attachment", async () => {
  let sent = null;
  const fetch = async (url, options) => {
    sent = { url, options };
    return { ok: true, status: 201, json: async () => image };
  };
  const answer = await attachments.uploadFile({ url: "/api/documents/1/attachments", file: png(), fetch });
  assert.deepEqual(answer, image);
  assert.equal(sent.url, "/api/documents/1/attachments");
  assert.equal(sent.options.method, "POST");
  assert.ok("X-CSRFToken" in sent.options.headers);
  assert.equal(sent.options.body.get("file").name, "figure.png");
});

test("a refused upload throws the person's sentence; an unreachable server says so", async () => {
  const refuse = async () => ({
    ok: false,
    status: 413,
    json: async () => ({ error: { code: "quota_exceeded", message: "No space left.", fields: {} } }),
  });
  await assert.rejects(
    attachments.uploadFile({ url: "/u", file: png("big.png"), fetch: refuse }),
    (error) => error.code === "quota_exceeded" && error.message === "“big.png” was not attached: No space left.",
  );
  const offline = async () => {
    throw new TypeError("Failed to fetch");
  };
  await assert.rejects(
    attachments.uploadFile({ url: "/u", file: png(), fetch: offline }),
    (error) => error.code === "network" && /cannot be reached/.test(error.message),
  );
});
