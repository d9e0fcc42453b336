"""Badges: each one is awarded for what it says, once (or once per item), by the Celery
task `community.award_badges`, which a retry or a second run never repeats."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from community import badges as definitions
from community.models import BadgeAward, Vote
from community.services import votes
from community.services.badges import award_deserved
from community.tasks.badges import award_badges
from community.tests.factories import AnswerFactory, CommentFactory, QuestionFactory


def awarded(user) -> list[tuple[str, int]]:
    return sorted(BadgeAward.objects.filter(user=user).values_list("badge", "target_id"))


def upvote(item, kind: str, times: int) -> None:
    """`times` up-votes from different people, written directly (fast; same rows)."""
    Vote.objects.bulk_create(
        Vote(user=voter, target_type=kind, target_id=item.pk, value=1)
        for voter in UserFactory.create_batch(times)
    )


pytestmark = pytest.mark.django_db


def test_a_first_question_and_a_first_answer_earn_bronze_badges():
    person = UserFactory()
    QuestionFactory(author=person)
    AnswerFactory(author=person)
    AnswerFactory(author=person)

    assert sorted(award_deserved(user_id=person.pk)) == ["first-answer", "first-question"]

    levels = dict(BadgeAward.objects.filter(user=person).values_list("badge", "level"))
    assert levels == {"first-question": "bronze", "first-answer": "bronze"}


def test_deleted_posts_do_not_count():
    person = UserFactory()
    QuestionFactory(author=person, deleted_at=timezone.now())
    assert award_deserved(user_id=person.pk) == []


def test_an_answer_accepted_by_someone_else_earns_problem_solver():
    person = UserFactory()
    AnswerFactory(author=person, is_accepted=True)

    award_deserved(user_id=person.pk)

    assert ("first-accepted-answer", 0) in awarded(person)
    assert BadgeAward.objects.get(user=person, badge="first-accepted-answer").level == "silver"


def test_accepting_your_own_answer_earns_nothing_more():
    person = UserFactory()
    AnswerFactory(author=person, question=QuestionFactory(author=person), is_accepted=True)
    award_deserved(user_id=person.pk)
    assert "first-accepted-answer" not in dict(awarded(person))


def test_each_answer_with_ten_upvotes_earns_its_own_good_answer_badge():
    person = UserFactory()
    good, also_good, almost = AnswerFactory.create_batch(3, author=person)
    upvote(good, "answer", 10)
    upvote(also_good, "answer", 12)
    upvote(almost, "answer", 9)
    Vote.objects.create(user=UserFactory(), target_type="answer", target_id=almost.pk, value=-1)

    award_deserved(user_id=person.pk)

    good_ones = [target for badge, target in awarded(person) if badge == "good-answer"]
    assert good_ones == sorted([good.pk, also_good.pk])
    award = BadgeAward.objects.get(user=person, badge="good-answer", target_id=good.pk)
    assert (award.target_type, award.level) == ("answer", "silver")


def test_ten_comments_up_voted_at_least_once_earn_helpful_commenter():
    person = UserFactory()
    comments = CommentFactory.create_batch(10, author=person)
    for comment in comments[:9]:
        upvote(comment, "comment", 1)
    award_deserved(user_id=person.pk)
    assert "helpful-commenter" not in dict(awarded(person))

    upvote(comments[9], "comment", 1)
    award_deserved(user_id=person.pk)

    assert ("helpful-commenter", 0) in awarded(person)


def test_several_upvotes_on_one_comment_count_it_once():
    person = UserFactory()
    comment = CommentFactory(author=person)
    upvote(comment, "comment", 10)
    award_deserved(user_id=person.pk)
    assert "helpful-commenter" not in dict(awarded(person))


def test_every_badge_is_bronze_silver_or_gold_with_a_description():
    slugs = [badge.slug for badge in definitions.BADGES]
    assert len(slugs) == len(set(slugs))
    for badge in definitions.BADGES:
        assert badge.level in definitions.LEVELS
        assert badge.name and badge.description.endswith(".")
        assert len(badge.slug) <= 40


# --- the task: idempotent ------------------------------------------------------------------


def test_running_the_task_twice_awards_once():
    person = UserFactory()
    QuestionFactory(author=person)

    first = award_badges.apply(args=[person.pk]).get()
    second = award_badges.apply(args=[person.pk]).get()

    assert first == ["first-question"]
    assert second == []
    assert BadgeAward.objects.filter(user=person).count() == 1


def test_badges_are_never_taken_back():
    person = UserFactory()
    question = QuestionFactory(author=person)
    award_deserved(user_id=person.pk)
    question.deleted_at = timezone.now()
    question.save()

    award_deserved(user_id=person.pk)

    assert awarded(person) == [("first-question", 0)]


def test_a_task_for_a_deleted_account_does_nothing():
    person = UserFactory()
    person_id = person.pk
    person.delete()
    assert award_badges.apply(args=[person_id]).get() == []


def test_up_votes_schedule_the_check_that_awards_the_badge(
    eager_tasks, django_capture_on_commit_callbacks
):
    answer = AnswerFactory()
    upvote(answer, "answer", 9)

    with django_capture_on_commit_callbacks(execute=True):
        votes.vote(user=UserFactory(), target_type="answer", target_id=answer.pk, value=1)

    assert ("good-answer", answer.pk) in awarded(answer.author)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite runs one writer at a time, so the tasks cannot race "
    "(CI runs this with DATABASE_URL set)",
)
@pytest.mark.django_db(transaction=True)
def test_tasks_running_at_once_never_award_twice():
    person = UserFactory()
    QuestionFactory(author=person)
    answer = AnswerFactory(author=person)
    upvote(answer, "answer", 10)
    runs = 8
    start = Barrier(runs)

    def run(_: int) -> list[str]:
        try:
            start.wait()
            # .result, not .get(): Celery refuses get() while another thread runs a task.
            result = award_badges.apply(args=[person.pk])
            assert result.successful(), result.traceback
            return result.result
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=runs) as pool:
        results = list(pool.map(run, range(runs)))

    expected = [("first-answer", 0), ("first-question", 0), ("good-answer", answer.pk)]
    assert awarded(person) == expected
    # Each award is reported by exactly one of the runs.
    assert sorted(slug for result in results for slug in result) == sorted(
        ["first-answer", "first-question", "good-answer"]
    )
