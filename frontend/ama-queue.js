// The AMA queue's rules, without the DOM: the order (most up-votes first, then the oldest,
// then the lowest id, as the server lists them) and which questions a viewer sees after a
// frame. The page (frontend/pages/ama.js) keeps its list items in this order.

/** Sort key comparison of two questions {id, score, created_at}. */
export function compareQuestions(a, b) {
  if (a.score !== b.score) return b.score - a.score;
  const ta = Date.parse(a.created_at ?? "") || 0;
  const tb = Date.parse(b.created_at ?? "") || 0;
  if (ta !== tb) return ta - tb;
  return a.id - b.id;
}

/**
 * Whether a viewer keeps a question in the queue: merged and withdrawn ones leave it;
 * hidden ones stay for the host and moderators (`canRun`) and for their author.
 */
export function isShown(question, { canRun = false, userId = null } = {}) {
  if (question.status === "merged" || question.status === "deleted") return false;
  if (question.status === "hidden") {
    return canRun || (userId !== null && question.author?.id === userId);
  }
  return true;
}

/**
 * Applies a room frame to a Map of questions by id; answers what changed:
 * {question, removed} for queue frames, {state} for ama_state, null for anything else.
 * A hidden question's frame carries no text: the viewer keeps the text it had.
 */
export function applyFrame(questions, frame, viewer = {}) {
  if (frame?.type === "ama_question" && frame.question) {
    const incoming = frame.question;
    const known = questions.get(incoming.id);
    const merged = { ...(known ?? {}), ...incoming };
    if (incoming.status === "hidden" && known) {
      merged.content = known.content;
      merged.content_html = known.content_html;
      merged.author = known.author;
      merged.answer = known.answer;
      merged.answer_html = known.answer_html;
    }
    if (!isShown(merged, viewer)) {
      questions.delete(incoming.id);
      return { question: merged, removed: true };
    }
    questions.set(incoming.id, merged);
    return { question: merged, removed: false };
  }
  if (frame?.type === "ama_question_deleted") {
    const known = questions.get(frame.question_id) ?? { id: frame.question_id };
    questions.delete(frame.question_id);
    return { question: { ...known, status: "deleted" }, removed: true };
  }
  if (frame?.type === "ama_state") return { state: frame };
  return null;
}

/** The ids in queue order. */
export function queueOrder(questions) {
  return [...questions.values()].sort(compareQuestions).map((q) => q.id);
}

/** "in 2 h 5 min", "in 40 s", or "now" for a start `ms` milliseconds away. */
export function countdownText(ms) {
  if (ms <= 0) return "Starting now";
  const total = Math.ceil(ms / 1000);
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days > 0) return `Starts in ${days} d ${hours} h`;
  if (hours > 0) return `Starts in ${hours} h ${minutes} min`;
  if (minutes > 0) return `Starts in ${minutes} min`;
  return `Starts in ${seconds} s`;
}
