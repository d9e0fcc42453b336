// Pending edits kept in storage (localStorage) so they survive a dropped connection, a
// reload or a crash: the in-flight op with its client_op_id, the buffer, the revision they
// apply to and the text they make. One entry per document, user and (when two tabs of the
// same user edit one document) tab. Only the format lives here; when to save is the client's.

export const STORAGE_PREFIX = "learnai.collab.v1";

export function storageKey(documentId, userId, tab = "") {
  return `${STORAGE_PREFIX}:${documentId}:${userId}${tab ? `:${tab}` : ""}`;
}

/** What a previous page left in `storage` under `key` for this document, or null. */
export function readSavedEdits(storage, key, documentId) {
  if (!storage) return null;
  try {
    const raw = storage.getItem(key);
    if (!raw) return null;
    const saved = JSON.parse(raw);
    if (saved?.v !== 1 || String(saved.documentId) !== documentId) return null;
    if (typeof saved.text !== "string" || !Number.isInteger(saved.revision)) return null;
    return saved;
  } catch {
    return null;
  }
}

/** The stored form of pending edits; `inflight` keeps its id so a resend is no duplicate. */
export function savedEditsJson({ documentId, userId, revision, inflight, buffer, text, savedAt }) {
  return JSON.stringify({
    v: 1,
    documentId,
    userId,
    revision,
    inflight: inflight && {
      id: inflight.id,
      ops: inflight.ops,
      count: inflight.count,
    },
    buffer,
    text,
    savedAt,
  });
}
