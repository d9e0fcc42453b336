"""Q&A pages: the question list, a question with its answers, asking, answering, editing,
the revision history, and the asker's and closers' buttons (forms that POST here and
come back to the question, so every action works without JavaScript).

Reads go through `community.selectors.questions`, writes through the services; a refusal
is shown on the form (bad input, a closed question) or as a 403 page with its reason.
"""

from __future__ import annotations

import difflib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from collaboration.permissions import is_moderator, is_signed_in
from config import panels

from .. import privileges
from ..errors import CommunityError, InvalidInput, NotAllowed
from ..forms.questions import (
    AnswerEditForm,
    AnswerForm,
    CloseForm,
    QuestionEditForm,
    QuestionFilterForm,
    QuestionForm,
    show_error,
)
from ..models import Answer, Question, TargetType
from ..rendering import render_post
from ..selectors import questions as selectors
from ..services import answers as answer_services
from ..services import questions as question_services

QUESTIONS_PER_PAGE = 20
ANSWERS_PER_PAGE = 30


def _refused(request, exc: CommunityError, question_id: int | None = None) -> HttpResponse:
    """A refusal a form cannot show. Not allowed: the error page with the reason (403).
    The question's state (closed meanwhile, locked): back to it, with the reason."""
    if question_id is not None and not isinstance(exc, NotAllowed):
        messages.error(request, exc.message)
        return redirect(_question_url(question_id))
    status = 403 if isinstance(exc, NotAllowed) else 409
    context = {"status": status, "message": exc.message}
    return render(request, "errors/error.html", context, status=status)


def _question_url(question_id: int, anchor: str = "") -> str:
    url = reverse("community:question-detail", args=[question_id])
    return f"{url}#{anchor}" if anchor else url


def _viewer_key(request) -> str:
    if is_signed_in(request.user):
        return f"u{request.user.pk}"
    return f"a{request.META.get('REMOTE_ADDR', '')}"


# --- the list ------------------------------------------------------------------------------


@require_safe
def question_list(request):
    form = QuestionFilterForm(request.GET, tags=selectors.tag_choices())
    filters = form.filters()
    document = None
    if filters["document"]:
        document = selectors.document_ref_find(user=request.user, ref=filters["document"])
    questions = selectors.question_list(
        user=request.user,
        tag=filters["tag"] or None,
        difficulty=filters["difficulty"] or None,
        document=document,
        status=filters["status"],
        q=filters["q"] or None,
        sort=filters["sort"],
    )
    if filters["document"] and document is None:
        questions = questions.none()
    page = Paginator(questions, QUESTIONS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "community/questions/list.html",
        {
            "form": form,
            "filters": filters,
            "document": document,
            "page": page,
            "query": query.urlencode(),
            "may_ask": privileges.has_privilege(request.user, privileges.ASK),
        },
    )


# --- a question ----------------------------------------------------------------------------


def _detail_context(
    request,
    question: Question,
    *,
    answer_form: AnswerForm | None = None,
    close_form: CloseForm | None = None,
) -> dict[str, Any]:
    user = request.user
    paginator = Paginator(selectors.answers_of(user=user, question=question), ANSWERS_PER_PAGE)
    answers_page = paginator.get_page(request.GET.get("page"))
    answers = list(answers_page.object_list)
    question_votes = selectors.my_votes(
        user=user, target_type=TargetType.QUESTION, ids=[question.pk]
    )
    answer_votes = selectors.my_votes(
        user=user, target_type=TargetType.ANSWER, ids=[a.pk for a in answers]
    )
    for answer in answers:
        answer.html = render_post(answer.content)
        answer.my_vote = answer_votes.get(answer.pk, 0)
        answer.can = _answer_can(user, answer, question)
    can = _question_can(user, question)
    duplicate = question.duplicate_of
    if (
        duplicate is not None
        and selectors.question_get_visible(user=user, question_id=duplicate.pk, or_none=True)
        is None
    ):
        duplicate = None
    answer_refusal = ""
    if not can["answer"]:
        try:
            question_services.check_can_answer(user, question)
        except CommunityError as exc:
            answer_refusal = exc.message
    return {
        "question": question,
        "question_html": render_post(question.content),
        "question_vote": question_votes.get(question.pk, 0),
        "tags": list(question.tags.all()),
        "section_title": selectors.section_title(question.document, question.document_section),
        "duplicate": duplicate,
        "duplicates": selectors.question_visible_queryset(user).filter(duplicate_of=question)[:10],
        "answers": answers,
        "answers_page": answers_page,
        "can": can,
        "answer_form": answer_form or AnswerForm(),
        "answer_refusal": answer_refusal,
        "close_form": close_form or CloseForm(),
        "is_moderator": is_moderator(user),
        "signed_in": is_signed_in(user),
        "panels": panels.for_page("question", request, question),
    }


def _question_can(user, question: Question) -> dict[str, bool]:
    can = question_services.question_can(user, question)
    can["vote"] = is_signed_in(user) and question.author_id != user.pk
    return can


def _answer_can(user, answer: Answer, question: Question) -> dict[str, bool]:
    can = question_services.answer_can(user, answer, question)
    can["vote"] = is_signed_in(user) and answer.author_id != user.pk
    return can


@require_safe
def question_detail(request, question_id: int):
    question = selectors.question_get_visible(user=request.user, question_id=question_id)
    if question_services.question_record_view(question_id=question.pk, viewer=_viewer_key(request)):
        question.view_count += 1
    return render(request, "community/questions/detail.html", _detail_context(request, question))


@require_safe
def answer_link(request, answer_id: int):
    """A short address for one answer: its place on the question's page."""
    answer = selectors.answer_get_visible(user=request.user, answer_id=answer_id)
    order = list(
        selectors.answers_of(user=request.user, question=answer.question).values_list(
            "pk", flat=True
        )
    )
    url = reverse("community:question-detail", args=[answer.question_id])
    page = order.index(answer.pk) // ANSWERS_PER_PAGE + 1 if answer.pk in order else 1
    return redirect(f"{url}{f'?page={page}' if page > 1 else ''}#answer-{answer.pk}")


# --- asking and editing a question ---------------------------------------------------------


def _question_form(request, form_class, *, data=None, initial=None, document=None):
    return form_class(
        data,
        initial=initial,
        documents=selectors.document_choices(user=request.user, include=document),
        sections=selectors.document_sections(document),
        sections_url=reverse("community:question-sections"),
    )


def _chosen_document(request, ref: str | None):
    return selectors.document_ref_find(user=request.user, ref=ref) if ref else None


def _ask_page(request, form, status: int = 200) -> HttpResponse:
    return render(
        request,
        "community/questions/ask.html",
        {"form": form, "tag_names": selectors.tag_names()},
        status=status,
    )


@login_required
def question_ask(request):
    try:
        privileges.require_privilege(request.user, privileges.ASK)
    except CommunityError as exc:
        return _refused(request, exc)
    if request.method == "POST":
        document = _chosen_document(request, request.POST.get("document"))
        form = _question_form(request, QuestionForm, data=request.POST, document=document)
        if form.is_valid():
            data = form.cleaned_data
            try:
                question = question_services.question_create(
                    author=request.user,
                    title=data["title"],
                    content=data["content"],
                    tags=data["tags"],
                    difficulty_level=data["difficulty_level"],
                    document=data["document"] or None,
                    document_section=data["document_section"],
                )
            except CommunityError as exc:
                show_error(form, exc)
            else:
                messages.success(request, "Your question is posted.")
                return redirect(_question_url(question.pk))
        return _ask_page(request, form)
    document = _chosen_document(request, request.GET.get("document"))
    sections = dict(selectors.document_sections(document))
    section = request.GET.get("section", "")
    initial = {
        "title": request.GET.get("title", "")[:200],
        "tags": request.GET.get("tag", "")[:50],
        "document": str(document.pk) if document else "",
        "document_section": section if section in sections else "",
    }
    return _ask_page(
        request, _question_form(request, QuestionForm, initial=initial, document=document)
    )


@require_safe
@login_required
def document_sections(request):
    """The headings of a document the person may read, for the ask form's section list."""
    document = _chosen_document(request, request.GET.get("document", ""))
    if document is None:
        return JsonResponse({"sections": []}, status=404 if request.GET.get("document") else 200)
    sections = selectors.document_sections(document)
    return JsonResponse({"sections": [{"id": id_, "title": title} for id_, title in sections]})


@login_required
def question_edit(request, question_id: int):
    question = selectors.question_get_visible(user=request.user, question_id=question_id)
    try:
        question_services.check_can_edit(request.user, question)
    except CommunityError as exc:
        return _refused(request, exc)
    if request.method == "POST":
        document = _chosen_document(request, request.POST.get("document"))
        form = _question_form(request, QuestionEditForm, data=request.POST, document=document)
        if form.is_valid():
            data = form.cleaned_data
            try:
                question_services.question_update(
                    question_id=question.pk,
                    user=request.user,
                    title=data["title"],
                    content=data["content"],
                    tags=data["tags"],
                    difficulty_level=data["difficulty_level"],
                    document=data["document"] or None,
                    document_section=data["document_section"],
                    summary=data["summary"],
                )
            except CommunityError as exc:
                show_error(form, exc)
            else:
                messages.success(request, "Your edit is saved.")
                return redirect(_question_url(question.pk))
    else:
        initial = {
            "title": question.title,
            "content": question.content,
            "tags": ", ".join(tag.slug for tag in question.tags.all()),
            "difficulty_level": question.difficulty_level,
            "document": str(question.document_id or ""),
            "document_section": question.document_section,
        }
        form = _question_form(
            request, QuestionEditForm, initial=initial, document=question.document
        )
    return render(
        request,
        "community/questions/edit.html",
        {
            "form": form,
            "question": question,
            "tag_names": selectors.tag_names(),
            "editing_others": question.author_id != request.user.pk,
        },
    )


# --- question actions ----------------------------------------------------------------------


@require_POST
@login_required
def answer_create(request, question_id: int):
    question = selectors.question_get_visible(user=request.user, question_id=question_id)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            answer = answer_services.answer_create(
                question_id=question.pk, author=request.user, content=form.cleaned_data["content"]
            )
        except CommunityError as exc:
            show_error(form, exc)
        else:
            messages.success(request, "Your answer is posted.")
            return redirect(_question_url(question.pk, f"answer-{answer.pk}"))
    context = _detail_context(request, question, answer_form=form)
    return render(request, "community/questions/detail.html", context)


@require_POST
@login_required
def question_close(request, question_id: int):
    question = selectors.question_get_visible(user=request.user, question_id=question_id)
    form = CloseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            question_services.question_close(
                question_id=question.pk,
                user=request.user,
                reason=data["reason"],
                duplicate_of=data["duplicate_of"] or None,
                note=data["note"],
            )
        except InvalidInput as exc:
            show_error(form, exc)
        except CommunityError as exc:
            return _refused(request, exc, question.pk)
        else:
            messages.success(request, "The question is closed.")
            return redirect(_question_url(question.pk))
    context = _detail_context(request, question, close_form=form)
    context["close_open"] = True
    return render(request, "community/questions/detail.html", context)


def _simple_action(request, action, done: str, question_id: int, anchor: str = "") -> HttpResponse:
    """Runs `action()`; back to the question with `done`, or the refusal's page."""
    try:
        action()
    except CommunityError as exc:
        return _refused(request, exc, question_id)
    messages.success(request, done)
    return redirect(_question_url(question_id, anchor))


@require_POST
@login_required
def question_reopen(request, question_id: int):
    question = selectors.question_get_visible(user=request.user, question_id=question_id)
    return _simple_action(
        request,
        lambda: question_services.question_reopen(question_id=question.pk, user=request.user),
        "The question is open again.",
        question.pk,
    )


@require_POST
@login_required
def question_delete(request, question_id: int):
    question = selectors.question_get_visible(user=request.user, question_id=question_id)
    try:
        question_services.question_delete(question_id=question.pk, user=request.user)
    except CommunityError as exc:
        return _refused(request, exc, question.pk)
    messages.success(request, "The question is deleted.")
    if is_moderator(request.user):
        return redirect(_question_url(question.pk))
    return redirect("community:question-list")


# --- answer actions ------------------------------------------------------------------------


@require_POST
@login_required
def answer_accept(request, answer_id: int):
    answer = selectors.answer_get_visible(user=request.user, answer_id=answer_id)
    return _simple_action(
        request,
        lambda: answer_services.answer_accept(answer_id=answer.pk, user=request.user),
        "You accepted this answer.",
        answer.question_id,
        f"answer-{answer.pk}",
    )


@require_POST
@login_required
def answer_unaccept(request, answer_id: int):
    answer = selectors.answer_get_visible(user=request.user, answer_id=answer_id)
    return _simple_action(
        request,
        lambda: answer_services.answer_unaccept(answer_id=answer.pk, user=request.user),
        "The answer is no longer accepted.",
        answer.question_id,
        f"answer-{answer.pk}",
    )


@require_POST
@login_required
def answer_delete(request, answer_id: int):
    answer = selectors.answer_get_visible(user=request.user, answer_id=answer_id)
    return _simple_action(
        request,
        lambda: answer_services.answer_delete(answer_id=answer.pk, user=request.user),
        "The answer is deleted.",
        answer.question_id,
    )


@login_required
def answer_edit(request, answer_id: int):
    answer = selectors.answer_get_visible(user=request.user, answer_id=answer_id)
    try:
        question_services.check_can_edit(request.user, answer)
    except CommunityError as exc:
        return _refused(request, exc)
    if request.method == "POST":
        form = AnswerEditForm(request.POST)
        if form.is_valid():
            try:
                answer_services.answer_update(
                    answer_id=answer.pk,
                    user=request.user,
                    content=form.cleaned_data["content"],
                    summary=form.cleaned_data["summary"],
                )
            except CommunityError as exc:
                show_error(form, exc)
            else:
                messages.success(request, "Your edit is saved.")
                return redirect(_question_url(answer.question_id, f"answer-{answer.pk}"))
    else:
        form = AnswerEditForm(initial={"content": answer.content})
    return render(
        request,
        "community/questions/answer_edit.html",
        {
            "form": form,
            "answer": answer,
            "question": answer.question,
            "editing_others": answer.author_id != request.user.pk,
        },
    )


# --- revision history ----------------------------------------------------------------------


def _diff(old: str, new: str) -> list[dict[str, str]]:
    """Line by line: each line of both texts once, as equal, insert or delete."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    lines: list[dict[str, str]] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend({"op": "equal", "text": t} for t in old_lines[i1:i2])
            continue
        lines.extend({"op": "delete", "text": t} for t in old_lines[i1:i2])
        lines.extend({"op": "insert", "text": t} for t in new_lines[j1:j2])
    return lines


def _history(revisions: list) -> list[dict[str, Any]]:
    """Newest first, each with what changed since the one before."""
    entries = []
    previous = None
    for revision in revisions:
        entry: dict[str, Any] = {"revision": revision, "html": render_post(revision.content)}
        if previous is not None:
            entry["diff"] = _diff(previous.content, revision.content)
            entry["content_changed"] = previous.content != revision.content
            if hasattr(revision, "title"):
                entry["title_changed"] = previous.title != revision.title
                entry["tags_changed"] = previous.tags != revision.tags
        previous = revision
        entries.append(entry)
    return list(reversed(entries))


@require_safe
def question_revisions(request, question_id: int):
    question = selectors.question_get_visible(user=request.user, question_id=question_id)
    revisions = list(selectors.question_revisions(question=question))
    return render(
        request,
        "community/questions/revisions.html",
        {"question": question, "entries": _history(revisions), "kind": "question"},
    )


@require_safe
def answer_revisions(request, answer_id: int):
    answer = selectors.answer_get_visible(user=request.user, answer_id=answer_id)
    revisions = list(selectors.answer_revisions(answer=answer))
    return render(
        request,
        "community/questions/revisions.html",
        {
            "question": answer.question,
            "answer": answer,
            "entries": _history(revisions),
            "kind": "answer",
        },
    )


PAGES = [
    path("questions/", question_list, name="question-list"),
    path("questions/ask/", question_ask, name="question-ask"),
    path("questions/ask/sections/", document_sections, name="question-sections"),
    path("questions/<int:question_id>/", question_detail, name="question-detail"),
    path("questions/<int:question_id>/edit/", question_edit, name="question-edit"),
    path("questions/<int:question_id>/revisions/", question_revisions, name="question-revisions"),
    path("questions/<int:question_id>/answer/", answer_create, name="answer-create"),
    path("questions/<int:question_id>/close/", question_close, name="question-close"),
    path("questions/<int:question_id>/reopen/", question_reopen, name="question-reopen"),
    path("questions/<int:question_id>/delete/", question_delete, name="question-delete"),
    path("answers/<int:answer_id>/", answer_link, name="answer-link"),
    path("answers/<int:answer_id>/edit/", answer_edit, name="answer-edit"),
    path("answers/<int:answer_id>/revisions/", answer_revisions, name="answer-revisions"),
    path("answers/<int:answer_id>/accept/", answer_accept, name="answer-accept"),
    path("answers/<int:answer_id>/unaccept/", answer_unaccept, name="answer-unaccept"),
    path("answers/<int:answer_id>/delete/", answer_delete, name="answer-delete"),
]
