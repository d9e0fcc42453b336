"""Community events notify the right people, by watch level (Discourse's rules)."""

import pytest

from accounts.tests.factories import UserFactory
from collaboration.models import Tag, Visibility
from collaboration.tests.factories import DocumentFactory
from community.models import Notification, NotificationKind, Watch, WatchLevel, WatchTarget
from community.services import answers, comments, questions, watches

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

BODY = "How do the attention weights sum to one in each row?"


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Runs a service and the notifications queued after its commit."""

    def call(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return call


def kinds_of(user) -> list[str]:
    """What the person was told, badges aside (first posts earn some)."""
    rows = Notification.objects.filter(recipient=user).exclude(kind=NotificationKind.BADGE)
    return list(rows.order_by("pk").values_list("kind", flat=True))


def ask(run, author, **kwargs):
    return run(
        questions.question_create,
        author=author,
        title="Why does softmax make rows sum to one?",
        content=kwargs.pop("content", BODY),
        **kwargs,
    )


def test_an_answer_notifies_the_asker_and_both_track_the_question(run):
    asker, answerer = UserFactory(), UserFactory()
    question = ask(run, asker)
    answer = run(answers.answer_create, question_id=question.pk, author=answerer, content=BODY)
    (note,) = Notification.objects.filter(recipient=asker, kind=NotificationKind.ANSWER)
    assert note.kind == NotificationKind.ANSWER
    assert answerer.username in note.title and question.title in note.title
    assert note.url == f"/answers/{answer.pk}/"
    levels = dict(Watch.objects.filter(question=question).values_list("user_id", "level"))
    assert levels == {asker.pk: WatchLevel.TRACKING, answerer.pk: WatchLevel.TRACKING}
    assert kinds_of(answerer) == []


def test_accepting_notifies_the_answerer(run):
    asker, answerer = UserFactory(), UserFactory()
    question = ask(run, asker)
    answer = run(answers.answer_create, question_id=question.pk, author=answerer, content=BODY)
    run(answers.answer_accept, answer_id=answer.pk, user=asker)
    assert kinds_of(answerer) == [NotificationKind.ANSWER_ACCEPTED]


def test_watchers_of_a_question_hear_of_new_answers_but_trackers_do_not(run):
    asker, answerer, watcher, tracker = (UserFactory() for _ in range(4))
    question = ask(run, asker)
    for user, level in ((watcher, WatchLevel.WATCHING), (tracker, WatchLevel.TRACKING)):
        watches.watch_set(user=user, target=question, level=level)
    run(answers.answer_create, question_id=question.pk, author=answerer, content=BODY)
    assert kinds_of(watcher) == [NotificationKind.WATCHED_ACTIVITY]
    assert kinds_of(tracker) == []


def test_a_muted_question_tells_its_asker_nothing_not_even_mentions(run):
    asker, answerer = UserFactory(), UserFactory()
    question = ask(run, asker)
    watches.watch_set(user=asker, target=question, level=WatchLevel.MUTED)
    run(
        answers.answer_create,
        question_id=question.pk,
        author=answerer,
        content=f"@{asker.username} {BODY}",
    )
    assert kinds_of(asker) == []


def test_a_mention_in_an_answer_beats_watched_activity(run):
    asker, answerer, watcher = UserFactory(), UserFactory(), UserFactory()
    question = ask(run, asker)
    watches.watch_set(user=watcher, target=question, level=WatchLevel.WATCHING)
    run(
        answers.answer_create,
        question_id=question.pk,
        author=answerer,
        content=f"As @{watcher.username} said: {BODY}",
    )
    assert kinds_of(watcher) == [NotificationKind.MENTION]


def test_a_new_question_notifies_watchers_of_its_tag_and_document_once(run):
    asker, tag_watcher, doc_watcher, both, muter = (UserFactory() for _ in range(5))
    document = DocumentFactory()
    tag = Tag.objects.create(slug="attention", name="attention")
    for user in (tag_watcher, both):
        watches.watch_set(user=user, target=tag, level=WatchLevel.WATCHING)
    for user in (doc_watcher, both):
        watches.watch_set(user=user, target=document, level=WatchLevel.WATCHING)
    watches.watch_set(user=muter, target=tag, level=WatchLevel.WATCHING)
    watches.watch_set(user=muter, target=document, level=WatchLevel.MUTED)
    question = ask(run, asker, tags=["attention"], document=document.pk)
    for user in (tag_watcher, doc_watcher, both):
        assert kinds_of(user) == [NotificationKind.WATCHED_QUESTION], user
    assert kinds_of(muter) == []
    note = Notification.objects.get(recipient=both)
    assert note.title == f"New question: {question.title}"


def test_tag_watchers_who_may_not_read_the_document_hear_nothing(run):
    owner, outsider = UserFactory(), UserFactory()
    private = DocumentFactory(owner=owner, visibility=Visibility.PRIVATE)
    tag = Tag.objects.create(slug="secret", name="secret")
    watches.watch_set(user=outsider, target=tag, level=WatchLevel.WATCHING)
    ask(run, owner, tags=["secret"], document=private.pk, content=f"@{outsider.username} {BODY}")
    assert kinds_of(outsider) == []


def test_a_reply_notifies_the_comment_author_and_document_watchers(run):
    author, replier, watcher = UserFactory(), UserFactory(), UserFactory()
    document = DocumentFactory()
    watches.watch_set(user=watcher, target=document, level=WatchLevel.WATCHING)
    root = run(comments.comment_create, user=author, document_id=document.pk, content="Typo here?")
    assert kinds_of(watcher) == [NotificationKind.WATCHED_ACTIVITY]
    run(comments.comment_reply, user=replier, comment_id=root.pk, content="Fixed, thanks!")
    assert kinds_of(author) == [NotificationKind.COMMENT_REPLY]
    assert kinds_of(watcher) == [NotificationKind.WATCHED_ACTIVITY] * 2
    assert kinds_of(replier) == []


def test_a_muted_document_silences_replies(run):
    author, replier = UserFactory(), UserFactory()
    document = DocumentFactory()
    root = run(comments.comment_create, user=author, document_id=document.pk, content="Hm?")
    watches.watch_set(user=author, target=document, level=WatchLevel.MUTED)
    run(comments.comment_reply, user=replier, comment_id=root.pk, content="Yes.")
    assert kinds_of(author) == []


def test_a_badge_earned_is_a_notification(run):
    asker = UserFactory()
    ask(run, asker)  # the first question earns a badge (the award task runs eagerly)
    notes = Notification.objects.filter(recipient=asker, kind=NotificationKind.BADGE)
    assert notes.exists()
    assert all(n.title.startswith("You earned the") for n in notes)


def test_clearing_a_question_watch_keeps_normal_so_answering_does_not_track_again(run):
    asker, answerer = UserFactory(), UserFactory()
    question = ask(run, asker)
    watches.watch_clear(user=answerer, target=question)
    run(answers.answer_create, question_id=question.pk, author=answerer, content=BODY)
    watch = Watch.objects.get(user=answerer, target_type=WatchTarget.QUESTION)
    assert watch.level == WatchLevel.NORMAL
