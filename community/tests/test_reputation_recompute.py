"""`manage.py recompute_reputation`: after votes, accepts and their undoing the ledger
and the stored figures agree; a tampered figure is reported, and --fix repairs it."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction

from accounts.models import User
from accounts.tests.factories import UserFactory
from community.models import ReputationReason
from community.services import reputation, votes
from community.services.reputation import ledger_mismatches
from community.tests.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def recompute(*args) -> str:
    out = StringIO()
    call_command("recompute_reputation", *args, stdout=out)
    return out.getvalue()


def accept(answer, asker, *, undo: bool = False) -> None:
    """The accept's ledger lines, exactly as the Q&A service writes and reverses them."""
    lines = [
        (answer.author_id, f"accept:{answer.pk}", settings.REPUTATION_ANSWER_ACCEPTED,
         ReputationReason.ANSWER_ACCEPTED),
        (asker.pk, f"accept:{answer.pk}:by", settings.REPUTATION_ACCEPTED_ANSWER,
         ReputationReason.ACCEPTED_ANSWER),
    ]  # fmt: skip
    with transaction.atomic():
        for user_id, source, amount, reason in lines:
            if undo:
                reputation.reverse(user_id=user_id, source=source)
            else:
                reputation.grant(
                    user_id=user_id, amount=amount, reason=reason, source=source,
                    target_type="answer", target_id=answer.pk, actor_id=asker.pk,
                )  # fmt: skip


@pytest.fixture
def busy_site():
    """Votes cast, changed and taken back, accepts made, moved and undone."""
    asker = UserFactory()
    question = QuestionFactory(author=asker)
    first, second = AnswerFactory.create_batch(2, question=question)
    people = UserFactory.create_batch(4)
    with transaction.atomic():
        reputation.carry_over(user_id=people[0].pk, reputation=120)
    people[0].refresh_from_db()
    for person in people:
        votes.vote(user=person, target_type="question", target_id=question.pk, value=1)
        votes.vote(user=person, target_type="answer", target_id=first.pk, value=1)
    votes.vote(user=people[0], target_type="answer", target_id=second.pk, value=-1)
    votes.vote(user=people[0], target_type="answer", target_id=first.pk, value=-1)
    votes.vote(user=people[1], target_type="question", target_id=question.pk, value=0)
    accept(first, asker)
    accept(first, asker, undo=True)
    accept(second, asker)
    return people


def test_after_votes_accepts_and_undos_the_command_finds_no_difference(busy_site):
    assert ledger_mismatches() == []
    output = recompute()
    assert "no differences" in output
    assert f"{User.objects.count()} people checked" in output


def test_a_tampered_figure_is_reported_and_fixed(busy_site):
    victim = busy_site[2]
    victim.refresh_from_db()
    honest = victim.reputation
    User.objects.filter(pk=victim.pk).update(reputation=honest + 5000)  # e.g. a raw admin edit

    with pytest.raises(CommandError, match="1 differences found"):
        recompute()
    victim.refresh_from_db()
    assert victim.reputation == honest + 5000  # reporting changes nothing

    output = recompute("--fix")

    assert f"{victim.username} (id {victim.pk}): stored {honest + 5000}, ledger {honest}" in output
    assert f"set to {honest}" in output
    victim.refresh_from_db()
    assert victim.reputation == honest
    assert ledger_mismatches() == []
    assert "no differences" in recompute()


def test_large_sites_get_a_progress_line_per_batch(busy_site):
    total = User.objects.count()
    output = recompute("--batch", "3")
    assert f"checked 3 of {total} people" in output
    assert f"checked {total} of {total} people" in output


def test_the_batched_check_agrees_with_ledger_mismatches(busy_site):
    User.objects.filter(pk=busy_site[0].pk).update(reputation=-7)
    output = StringIO()
    with pytest.raises(CommandError):
        call_command("recompute_reputation", "--batch", "2", stdout=output)
    [mismatch] = ledger_mismatches()
    assert (
        f"{mismatch.username} (id {mismatch.user_id}): stored -7, ledger {mismatch.from_ledger}"
        in (output.getvalue())
    )
