"""What the assistant is asked: the passage, with the section around it for context."""

from __future__ import annotations

ACTIONS = ("improve", "explain")
CONTEXT_CHARS = 1_500

SYSTEM = {
    "improve": (
        "You help people write clear, correct documentation about AI and machine learning "
        "for learners. Rewrite the passage you are given so it is clearer and correct, "
        "keeping its meaning, its Markdown (headings, code, math) and roughly its length. "
        "Answer with the rewritten passage only: no preface, no quotes, no explanation."
    ),
    "explain": (
        "You explain AI and machine learning documentation to learners. Explain the "
        "passage you are given in plain words, briefly (at most a few short paragraphs), "
        "defining any term a beginner may not know. Answer in Markdown."
    ),
}


def messages(*, action: str, title: str, text: str, start: int, end: int) -> list[dict]:
    before = text[max(0, start - CONTEXT_CHARS) : start]
    after = text[end : end + CONTEXT_CHARS]
    passage = text[start:end]
    user = (
        f"Document: {title}\n\n"
        f"Text before the passage:\n<<<\n{before}\n>>>\n\n"
        f"Text after the passage:\n<<<\n{after}\n>>>\n\n"
        f"The passage:\n<<<\n{passage}\n>>>"
    )
    return [{"role": "system", "content": SYSTEM[action]}, {"role": "user", "content": user}]
