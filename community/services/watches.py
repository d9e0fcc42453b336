"""Watching documents, tags and questions, and telling people about community events.

The `on_*` functions are the one call each community service makes, inside the
transaction that records its event: they choose recipients by watch level
(`community.selectors.watchers`) and queue the notifications (`notify_on_commit`), so the
event and its notifications commit or roll back together. Each recipient hears of one
event once, by its most personal kind: a reply to you beats a mention, which beats
"new activity on something you watch".
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from collaboration.models import Document, Tag
from collaboration.permissions import readable_documents

from ..badges import BY_SLUG
from ..errors import InvalidInput
from ..mentions import notify_mentions
from ..models import (
    Answer,
    BadgeAward,
    Comment,
    NotificationKind,
    Question,
    Watch,
    WatchLevel,
    WatchTarget,
)
from ..selectors import watchers
from ..selectors.questions import question_get_visible
from ..tasks import notifications as notification_tasks

TARGET_FIELDS = {
    WatchTarget.DOCUMENT: "document",
    WatchTarget.TAG: "tag",
    WatchTarget.QUESTION: "question",
}


# --- choosing a level -----------------------------------------------------------------------


def clean_level(level: object) -> str:
    if level not in WatchLevel.values:
        raise InvalidInput(f"Choose one of: {', '.join(WatchLevel.values)}.", field="level")
    return str(level)


def watch_target(user: User, target_type: object, ref: object) -> Document | Tag | Question:
    """The document, tag or question `user` may read, named by id (a tag also by slug);
    InvalidInput naming the field, or Http404 for what they may not read."""
    if target_type not in WatchTarget.values:
        raise InvalidInput(f"Choose one of: {', '.join(WatchTarget.values)}.", field="target_type")
    if target_type == WatchTarget.TAG:
        if not isinstance(ref, str | int) or isinstance(ref, bool) or ref == "":
            raise InvalidInput("Name the tag by its slug or id.", field="tag")
        text = str(ref).strip()
        tag = Tag.objects.filter(slug=text).first()
        if tag is None and text.isdigit():
            tag = Tag.objects.filter(pk=int(text)).first()
        if tag is None:
            raise InvalidInput(f"There is no tag “{text[:60]}”.", field="tag")
        return tag
    if isinstance(ref, bool) or not (
        isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit())
    ):
        raise InvalidInput("Give the id of what to watch.", field="target_id")
    pk = int(ref)
    if pk <= 0 or pk > 2**62:
        raise InvalidInput("Give the id of what to watch.", field="target_id")
    if target_type == WatchTarget.QUESTION:
        return question_get_visible(user=user, question_id=pk)
    document = readable_documents(user).filter(pk=pk).first()
    if document is None:
        raise Http404("There is no such document.")
    return document


def _target_filter(target: Document | Tag | Question) -> dict:
    target_type = target_type_of(target)
    return {"target_type": target_type, TARGET_FIELDS[target_type]: target}


def target_type_of(target: Document | Tag | Question) -> str:
    if isinstance(target, Document):
        return WatchTarget.DOCUMENT
    if isinstance(target, Tag):
        return WatchTarget.TAG
    return WatchTarget.QUESTION


def watch_set(*, user: User, target: Document | Tag | Question, level: object) -> Watch:
    """Sets the user's level on the target (creating the watch); the unread count of
    tracking starts from now."""
    level = clean_level(level)
    where = _target_filter(target)
    with transaction.atomic():
        watch = Watch.objects.select_for_update().filter(user=user, **where).first()
        if watch is None:
            try:
                with transaction.atomic():
                    return Watch.objects.create(
                        user=user, level=level, last_seen_at=timezone.now(), **where
                    )
            except IntegrityError:  # the same person's other tab set it just now
                watch = Watch.objects.select_for_update().get(user=user, **where)
        if watch.level != level:
            watch.level = level
            watch.last_seen_at = timezone.now()
            watch.save(update_fields=["level", "last_seen_at", "updated_at"])
    return watch


def watch_clear(*, user: User, target: Document | Tag | Question) -> None:
    """Back to normal. For a question the choice is kept (as "normal"), so answering it
    later does not start tracking it again; elsewhere the row goes."""
    if isinstance(target, Question):
        watch_set(user=user, target=target, level=WatchLevel.NORMAL)
    else:
        Watch.objects.filter(user=user, **_target_filter(target)).delete()


def watch_seen(*, user: User, target: Document | Tag | Question) -> None:
    """The user looked at the target: its tracking unread count starts again from zero."""
    if user.is_authenticated:
        Watch.objects.filter(user=user, **_target_filter(target)).update(
            last_seen_at=timezone.now()
        )


def _auto_track(user_id: int | None, question: Question) -> None:
    """Askers and answerers track the question, unless they already chose a level."""
    if user_id is None:
        return
    where = {"target_type": WatchTarget.QUESTION, "question": question}
    if Watch.objects.filter(user_id=user_id, **where).exists():
        return
    try:
        with transaction.atomic():
            Watch.objects.create(
                user_id=user_id, level=WatchLevel.TRACKING, last_seen_at=timezone.now(), **where
            )
    except IntegrityError:
        pass  # created meanwhile by another answer of theirs: their level stands


# --- events -------------------------------------------------------------------------------


def _question_url(question: Question) -> str:
    return reverse("community:question-detail", args=[question.pk])


def _name(user: User | None) -> str:
    return user.username if user is not None else "Someone"


def _tell_once_each(
    *,
    key: str,
    text: str,
    common: dict,
    personal: tuple[set[int], str, str, str],
    mention_title: str,
    watching: set[int],
    watched_title: str,
) -> None:
    """One post, each person told once and in the most personal way: `personal`
    (recipients, kind, key suffix, title: the asker of an answered question, the author of
    a comment replied to) first, then the people its text mentions, then the watchers."""
    recipients, kind, suffix, title = personal
    told = set(recipients)
    if told:
        notification_tasks.notify_on_commit(
            recipient_ids=sorted(told), kind=kind, key=f"{key}:{suffix}", title=title, **common
        )
    told |= set(
        notify_mentions(text=text, key_prefix=key, title=mention_title, exclude_ids=told, **common)
    )
    rest = watching - told
    if rest:
        notification_tasks.notify_on_commit(
            recipient_ids=sorted(rest),
            kind=NotificationKind.WATCHED_ACTIVITY,
            key=f"{key}:watched",
            title=watched_title,
            **common,
        )


def on_question_asked(question: Question) -> None:
    """The asker tracks it; people mentioned hear of it, then the document's and tags'
    watchers ("a new question on something you watch")."""
    _auto_track(question.author_id, question)
    url = _question_url(question)
    mentioned = notify_mentions(
        text=question.content,
        actor_id=question.author_id,
        key_prefix=f"question:{question.pk}",
        title=f"{_name(question.author)} mentioned you in “{question.title}”",
        url=url,
        target_type=WatchTarget.QUESTION,
        target_id=question.pk,
    )
    recipients = watchers.new_question_watchers(question) - set(mentioned)
    if recipients:
        notification_tasks.notify_on_commit(
            recipient_ids=sorted(recipients),
            kind=NotificationKind.WATCHED_QUESTION,
            key=f"question:{question.pk}:asked",
            title=f"New question: {question.title}",
            url=url,
            actor_id=question.author_id,
            body=question.content,
            target_type=WatchTarget.QUESTION,
            target_id=question.pk,
        )


def on_answer_posted(answer: Answer) -> None:
    """The asker hears of the answer, mentioned people of their mention, the question's
    watchers of new activity; the answerer tracks the question from now on."""
    question = answer.question
    _auto_track(answer.author_id, question)
    url = reverse("community:answer-link", args=[answer.pk])
    who = _name(answer.author)
    common = {
        "actor_id": answer.author_id,
        "url": url,
        "body": answer.content,
        "target_type": WatchTarget.QUESTION,
        "target_id": question.pk,
    }
    asker: set[int] = set()
    if question.author_id is not None and question.author_id != answer.author_id:
        asker = watchers.not_muted_on_question(question, [question.author_id])
    _tell_once_each(
        key=f"answer:{answer.pk}",
        text=answer.content,
        common=common,
        personal=(asker, NotificationKind.ANSWER, "answer",
                  f"{who} answered your question “{question.title}”"),
        mention_title=f"{who} mentioned you in an answer to “{question.title}”",
        watching=watchers.question_watchers(question) - {answer.author_id},
        watched_title=f"{who} answered “{question.title}”",
    )  # fmt: skip


def on_answer_accepted(answer: Answer, *, by: User) -> None:
    """The answer's author hears that it was accepted (each accept of an answer once)."""
    question = answer.question
    recipients = watchers.not_muted_on_question(
        question, [answer.author_id] if answer.author_id else []
    )
    if recipients:
        notification_tasks.notify_on_commit(
            recipient_ids=sorted(recipients),
            kind=NotificationKind.ANSWER_ACCEPTED,
            key=f"answer:{answer.pk}:accepted:{answer.accepted_at.timestamp():.0f}",
            title=f"{by.username} accepted your answer to “{question.title}”",
            url=reverse("community:answer-link", args=[answer.pk]),
            actor_id=by.pk,
            target_type=WatchTarget.QUESTION,
            target_id=question.pk,
        )


def on_comment_posted(comment: Comment, *, replied_to: Comment | None = None) -> None:
    """A new comment or reply on a document: the authors of the comment replied to and of
    its thread hear of the reply, mentioned people of their mention, the document's
    watchers of new activity. Nobody who muted the document hears anything."""
    document = comment.document
    url = f"{document.get_absolute_url()}#comment-{comment.pk}"
    who = _name(comment.author)
    common = {
        "actor_id": comment.author_id,
        "url": url,
        "body": comment.content,
        "target_type": WatchTarget.DOCUMENT,
        "target_id": document.pk,
    }
    replied: set[int] = set()
    if replied_to is not None:
        authors = {replied_to.author_id}
        if comment.parent_id is not None:
            authors.add(
                Comment.objects.filter(pk=comment.parent_id)
                .values_list("author_id", flat=True)
                .first()
            )
        authors -= {None, comment.author_id}
        replied = watchers.not_muted_on_document(
            document.pk, watchers.readers_among(document, authors)
        )
    _tell_once_each(
        key=f"comment:{comment.pk}",
        text=comment.content,
        common=common,
        personal=(replied, NotificationKind.COMMENT_REPLY, "reply",
                  f"{who} replied to your comment on “{document.title}”"),
        mention_title=f"{who} mentioned you in a comment on “{document.title}”",
        watching=watchers.document_watchers(document) - {comment.author_id},
        watched_title=f"{who} commented on “{document.title}”",
    )  # fmt: skip


def on_badge_awarded(award: BadgeAward) -> None:
    badge = BY_SLUG.get(award.badge)
    name = badge.name if badge else award.badge
    notification_tasks.notify_on_commit(
        recipient_ids=[award.user_id],
        kind=NotificationKind.BADGE,
        key=f"badge:{award.pk}",
        title=f"You earned the “{name}” badge",
        url=reverse("accounts:profile", args=[award.user.username]),
        body=badge.description if badge else "",
        target_type="badge",
        target_id=award.pk,
    )
