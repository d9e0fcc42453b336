"""AMA pages: the list (live now, upcoming, past), scheduling and editing, and a session's
page, which is live while it runs (frontend/pages/ama.js keeps the queue in order from the
room's frames) and becomes the archive after the end.

Every button is a form that POSTs here and comes back to the session, so everything works
without JavaScript; the script does the same through the API without a reload.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from collaboration.permissions import is_signed_in, readable_documents

from ..errors import CommunityError, NotAllowed
from ..forms.amas import AmaForm, QuestionForm, show_error
from ..models import AmaQuestionStatus, AmaSession, AmaState
from ..rendering import render_post
from ..selectors import amas as selectors
from ..services import amas as services
from ..services import amas_faq as faq_services
from ..services import amas_questions as question_services
from ..services.amas_common import can_run

PAST_SHOWN = 20
WS_PATH = "/ws/collab/"


def _detail_url(ama_id: int, anchor: str = "") -> str:
    url = reverse("community:ama-detail", args=[ama_id])
    return f"{url}#{anchor}" if anchor else url


def _forbidden(request, message: str) -> HttpResponse:
    return render(request, "errors/error.html", {"status": 403, "message": message}, status=403)


def _refused(request, exc: CommunityError, ama_id: int, anchor: str = "") -> HttpResponse:
    """Not allowed: the error page with its reason (403). Anything else (the session
    ended meanwhile, bad input): back to the session with the reason on top."""
    if isinstance(exc, NotAllowed):
        return _forbidden(request, exc.message)
    messages.error(request, exc.message)
    return redirect(_detail_url(ama_id, anchor))


# --- the list ------------------------------------------------------------------------------


@require_safe
def ama_list(request):
    context = {
        "live": list(selectors.ama_list(when="live")),
        "upcoming": list(selectors.ama_list(when="upcoming")[:50]),
        "past": list(selectors.ama_list(when="past")[:PAST_SHOWN]),
        "can_schedule": services.can_schedule(request.user),
    }
    return render(request, "community/amas/list.html", context)


# --- scheduling ----------------------------------------------------------------------------


def _document_choices(user) -> list[tuple[str, str]]:
    return [
        (str(pk), title)
        for pk, title in readable_documents(user).order_by("title").values_list("pk", "title")[:300]
    ]


def _schedule_form(request, ama: AmaSession | None):
    documents = _document_choices(request.user)
    if request.method != "POST":
        initial = {}
        if ama is not None:
            initial = {
                "topic": ama.topic,
                "description": ama.description,
                "start": ama.starts_at.replace(tzinfo=None),
                "end": ama.ends_at.replace(tzinfo=None),
                "time_zone": "UTC",
                "documents": [str(pk) for pk in ama.documents.values_list("pk", flat=True)],
            }
        return AmaForm(initial=initial, documents=documents), None
    form = AmaForm(request.POST, documents=documents)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    fields = {
        "topic": data["topic"],
        "description": data["description"],
        "starts_at": data["starts_at"],
        "ends_at": data["ends_at"],
        "document_ids": [int(pk) for pk in data["documents"]],
    }
    try:
        if ama is None:
            return form, services.ama_schedule(host=request.user, **fields)
        return form, services.ama_update(ama_id=ama.pk, user=request.user, **fields)
    except NotAllowed:
        raise
    except CommunityError as exc:
        show_error(form, exc)
        return form, None


@login_required
def ama_new(request):
    if not services.can_schedule(request.user):
        return _forbidden(
            request, "Only experts can host an AMA. Ask a moderator for the expert role."
        )
    form, ama = _schedule_form(request, None)
    if ama is not None:
        messages.success(request, "Your AMA is scheduled. Share this page so people can ask.")
        return redirect(_detail_url(ama.pk))
    return render(request, "community/amas/form.html", {"form": form, "ama": None})


@login_required
def ama_edit(request, ama_id: int):
    ama = selectors.ama_get(ama_id=ama_id)
    if not can_run(request.user, ama):
        return _forbidden(request, "Only the host or a moderator can change this session.")
    if ama.state != AmaState.SCHEDULED:
        messages.error(request, "The session has started: it can no longer be changed.")
        return redirect(_detail_url(ama.pk))
    form, saved = _schedule_form(request, ama)
    if saved is not None:
        messages.success(request, "Saved.")
        return redirect(_detail_url(ama.pk))
    return render(request, "community/amas/form.html", {"form": form, "ama": ama})


# --- a session -----------------------------------------------------------------------------


def _page_data(request, ama: AmaSession, last_event_id: int, can: dict) -> dict[str, Any]:
    """What frontend/pages/ama.js reads from the page (the CSP allows no inline script)."""
    user = request.user
    signed_in = is_signed_in(user)
    return {
        "amaId": ama.pk,
        "roomId": ama.room_id,
        "state": ama.state,
        "startsAt": ama.starts_at.isoformat(),
        "endsAt": ama.ends_at.isoformat(),
        "answeringNow": ama.answering_now_id,
        "since": last_event_id,
        "wsPath": WS_PATH if signed_in and ama.room_id else None,
        "apiBase": reverse("community_api:ama-detail", args=[ama.pk]),
        "csrfToken": get_token(request) if signed_in else None,
        "user": {"id": user.pk, "username": user.username} if signed_in else None,
        "canRun": can["run"],
        "isHost": can["host"],
        "canVote": can["vote"],
    }


def _detail_context(request, ama: AmaSession, ask_form=None) -> dict[str, Any]:
    user = request.user
    signed_in = is_signed_in(user)
    runs = can_run(user, ama)
    is_host = signed_in and user.pk == ama.host_id
    live_or_soon = ama.state in question_services.OPEN_FOR_QUESTIONS
    # The log's position first, then the queue: a change in between is replayed, and a
    # frame carries the question's whole state, so applying it twice is harmless.
    last_event_id = selectors.room_last_event_id(ama=ama)
    questions = list(selectors.question_queue(user=user, ama=ama))
    voted = selectors.my_votes(user=user, ids=[q.pk for q in questions])
    for question in questions:
        question.html = render_post(question.content)
        question.answer_html = render_post(question.answer) if question.answer else ""
        question.my_vote = question.pk in voted
        question.is_mine = signed_in and question.author_id == user.pk
    can = {
        "run": runs,
        "host": is_host,
        "ask": signed_in and live_or_soon,
        "vote": signed_in and live_or_soon,
        "edit": runs and ama.state == AmaState.SCHEDULED,
        "start": is_host and ama.state == AmaState.SCHEDULED,
        "end": runs and ama.state == AmaState.LIVE,
        "answer": is_host and ama.state in (AmaState.LIVE, AmaState.ENDED),
        "faq": runs and ama.state == AmaState.ENDED,
    }
    answering = next((q for q in questions if q.pk == ama.answering_now_id), None)
    documents = selectors.ama_documents(user=user, ama=ama)
    return {
        "ama": ama,
        "description_html": render_post(ama.description),
        "documents": documents,
        "questions": questions,
        "visible": [q for q in questions if q.status != AmaQuestionStatus.HIDDEN],
        "answered": [q for q in questions if q.status == AmaQuestionStatus.ANSWERED],
        "answering": answering,
        "can": can,
        "ask_form": ask_form or QuestionForm(),
        "following": signed_in and ama.followers.filter(pk=user.pk).exists(),
        "faq_chosen": selectors.faq_chosen_ids(ama=ama),
        "data": _page_data(request, ama, last_event_id, can),
        "is_archive": ama.state in (AmaState.ENDED, AmaState.CANCELLED),
        # The blank question the script fills in for questions that arrive live.
        "template_question": {"pk": 0, "score": 0, "status": AmaQuestionStatus.OPEN},
    }


@require_safe
def ama_detail(request, ama_id: int):
    ama = selectors.ama_get(ama_id=ama_id)
    return render(request, "community/amas/detail.html", _detail_context(request, ama))


@login_required
@require_POST
def ama_ask(request, ama_id: int):
    ama = selectors.ama_get(ama_id=ama_id)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            question = question_services.question_ask(
                ama_id=ama.pk, author=request.user, content=form.cleaned_data["content"]
            )
        except CommunityError as exc:
            if isinstance(exc, NotAllowed):
                return _refused(request, exc, ama.pk)
            show_error(form, exc)
        else:
            messages.success(request, "Your question is in the queue.")
            return redirect(_detail_url(ama.pk, f"q-{question.pk}"))
    context = _detail_context(request, ama, ask_form=form)
    return render(request, "community/amas/detail.html", context, status=400)


def _session_action(request, ama: AmaSession, action: str) -> tuple[str, str]:
    """Runs one of the session's buttons; (message for the person, anchor)."""
    user = request.user
    if action == "start":
        services.ama_start(ama_id=ama.pk, user=user)
        return "The session is live. Questions are coming in.", ""
    if action == "end":
        services.ama_end(ama_id=ama.pk, user=user)
        return "The session has ended; this page is now its archive.", ""
    if action == "cancel":
        services.ama_cancel(ama_id=ama.pk, user=user)
        return "The session is cancelled.", ""
    if action in ("remind", "unremind"):
        services.ama_follow(ama_id=ama.pk, user=user, follow=action == "remind")
        if action == "remind":
            return "We will remind you before it starts.", ""
        return "No reminder for this session.", ""
    if action == "faq":
        ids = [int(pk) for pk in request.POST.getlist("question_ids") if pk.isdigit()]
        entries = faq_services.faq_from_answers(ama_id=ama.pk, user=user, question_ids=ids)
        return (
            f"The FAQ of the linked documents has {len(entries)} entries from this session.",
            "faq",
        )
    raise ValueError(action)


SESSION_ACTIONS = ("start", "end", "cancel", "remind", "unremind", "faq")


@login_required
@require_POST
def ama_action(request, ama_id: int, action: str):
    ama = selectors.ama_get(ama_id=ama_id)
    try:
        message, anchor = _session_action(request, ama, action)
    except CommunityError as exc:
        return _refused(request, exc, ama.pk)
    messages.success(request, message)
    return redirect(_detail_url(ama.pk, anchor))


def _question_action(request, ama: AmaSession, question_id: int, action: str) -> str:
    user, post = request.user, request.POST
    common = {"ama_id": ama.pk, "question_id": question_id, "user": user}
    if action == "vote":
        value = 1 if post.get("value") == "1" else 0
        question_services.question_vote(**common, value=value)
        return "Thanks for voting." if value else "Your vote is taken back."
    if action in ("hide", "unhide"):
        question_services.question_hide(**common, hidden=action == "hide")
        return "The question is hidden." if action == "hide" else "The question is shown again."
    if action == "merge":
        into = post.get("into", "")
        question_services.question_merge(
            ama_id=ama.pk,
            question_id=question_id,
            into_id=int(into) if into.isdigit() else 0,
            user=user,
        )
        return "Merged: its votes went to the other question."
    if action == "answering":
        chosen = question_id if post.get("answering", "1") == "1" else None
        question_services.question_answering(ama_id=ama.pk, question_id=chosen, user=user)
        return "Everyone sees which question you are answering."
    if action == "answer":
        question_services.question_answer(**common, answer=post.get("answer", ""))
        return "Answered."
    if action == "withdraw":
        question_services.question_delete(**common)
        return "Your question is withdrawn."
    raise ValueError(action)


QUESTION_ACTIONS = ("vote", "hide", "unhide", "merge", "answering", "answer", "withdraw")


@login_required
@require_POST
def ama_question_action(request, ama_id: int, question_id: int, action: str):
    ama = selectors.ama_get(ama_id=ama_id)
    selectors.question_get(user=request.user, ama=ama, question_id=question_id)
    try:
        message = _question_action(request, ama, question_id, action)
    except CommunityError as exc:
        return _refused(request, exc, ama.pk, f"q-{question_id}")
    messages.success(request, message)
    return redirect(_detail_url(ama.pk, "" if action == "withdraw" else f"q-{question_id}"))


@login_required
@require_POST
def faq_remove(request, entry_id: int):
    entry = selectors.faq_entry_get(entry_id=entry_id)
    try:
        faq_services.faq_remove(entry_id=entry.pk, user=request.user)
    except NotAllowed as exc:
        return _forbidden(request, exc.message)
    messages.success(request, "The entry is no longer in the FAQ.")
    return redirect(f"{entry.document.get_absolute_url()}#faq")


def _action_paths(prefix: str, view, actions: tuple[str, ...], name: str) -> list:
    return [
        path(f"{prefix}{action}/", view, {"action": action}, name=f"{name}-{action}")
        for action in actions
    ]


PAGES = [
    path("amas/", ama_list, name="ama-list"),
    path("amas/new/", ama_new, name="ama-new"),
    path("amas/<int:ama_id>/", ama_detail, name="ama-detail"),
    path("amas/<int:ama_id>/edit/", ama_edit, name="ama-edit"),
    path("amas/<int:ama_id>/ask/", ama_ask, name="ama-ask"),
    path("faq/<int:entry_id>/remove/", faq_remove, name="ama-faq-remove"),
    *_action_paths("amas/<int:ama_id>/", ama_action, SESSION_ACTIONS, "ama"),
    *_action_paths(
        "amas/<int:ama_id>/questions/<int:question_id>/",
        ama_question_action,
        QUESTION_ACTIONS,
        "ama-question",
    ),
]
