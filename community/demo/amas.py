"""Demo AMAs for `manage.py seed` (connected by community.hooks.amas): Eve, the demo
expert, answered questions on attention last week (the archive, with two answers in the
page's FAQ) and hosts another session in three days. Made through the services, as people
would; idempotent (a session that exists by topic is left alone).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from collaboration.models import Document

from ..models import AmaSession
from ..services import amas, amas_faq, amas_questions

PAST_TOPIC = "Attention, transformers and why they train the way they do"
UPCOMING_TOPIC = "From reading papers to training your first small language model"
DOCUMENT = "attention-and-transformers"

# (asker, question, up-voters, answer)
PAST_QUESTIONS = (
    (
        "lena",
        "Why do we divide by √d_k in scaled dot-product attention?",
        ("carlos", "rui", "mo"),
        "Without it, the dot products grow with the dimension, the softmax saturates and its "
        "gradients vanish. Dividing by **√d_k** keeps their variance near 1.",
    ),
    (
        "carlos",
        "Is multi-head attention more expensive than one big head?",
        ("lena", "rui"),
        "Barely: the heads split the model dimension, so the total cost is about the same. "
        "What you gain is several *different* attention patterns.",
    ),
    ("rui", "Do positional encodings still matter with rotary embeddings?", ("lena",), ""),
)


def _seed_past(users: dict, document: Document | None) -> None:
    host = users["eve"]
    start = timezone.now() + timedelta(minutes=5)
    ama = amas.ama_schedule(
        host=host,
        topic=PAST_TOPIC,
        description="I train transformers for a living. Ask me anything about attention.",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        document_ids=[document.pk] if document else [],
    )
    amas.ama_start(ama_id=ama.pk, user=host)
    answered = []
    for asker, text, voters, answer in PAST_QUESTIONS:
        question = amas_questions.question_ask(ama_id=ama.pk, author=users[asker], content=text)
        for voter in voters:
            amas_questions.question_vote(
                ama_id=ama.pk, question_id=question.pk, user=users[voter], value=1
            )
        if answer:
            amas_questions.question_answer(
                ama_id=ama.pk, question_id=question.pk, user=host, answer=answer
            )
            answered.append(question.pk)
    amas.ama_end(ama_id=ama.pk, user=host)
    if document is not None:
        amas_faq.faq_from_answers(ama_id=ama.pk, user=host, question_ids=answered)
    # It happened last week (the services stamp "now").
    week = timedelta(days=7)
    AmaSession.objects.filter(pk=ama.pk).update(
        starts_at=start - week,
        ends_at=start - week + timedelta(hours=1),
        started_at=start - week,
        ended_at=start - week + timedelta(hours=1),
    )


def _seed_upcoming(users: dict, document: Document | None) -> None:
    start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    ama = amas.ama_schedule(
        host=users["eve"],
        topic=UPCOMING_TOPIC,
        description="Bring your questions about datasets, tokenizers and small GPUs.",
        starts_at=start,
        ends_at=start + timedelta(hours=1, minutes=30),
        document_ids=[document.pk] if document else [],
    )
    amas_questions.question_ask(
        ama_id=ama.pk,
        author=users["lena"],
        content="How small can a useful language model be for a hobby project?",
    )


def seed_amas(*, users: dict, documents: dict[str, Document], **_kwargs) -> None:
    """Receiver of `collaboration.demo.demo_seeded` (runs inside the seed's transaction)."""
    if "eve" not in users:
        return
    document = documents.get(DOCUMENT)
    if not AmaSession.objects.filter(topic=PAST_TOPIC).exists():
        _seed_past(users, document)
    if not AmaSession.objects.filter(topic=UPCOMING_TOPIC).exists():
        _seed_upcoming(users, document)
