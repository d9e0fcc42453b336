"""Server-rendered history pages of a document: the revision list, the text at a revision,
a diff between two revisions, restoring an old revision, and who wrote what.

Reads are open to anyone who may read the document (a document they may not read is a
404); restoring needs edit rights. The history itself comes from collaboration.history.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe

from . import history, permissions, selectors, services
from .markdown import render_markdown
from .models import Document, Operation
from .realtime.presence import user_color

REVISIONS_PER_PAGE = 25
# Unchanged runs in a diff longer than this are folded, keeping DIFF_CONTEXT lines of
# context next to each change.
DIFF_CONTEXT = 3
UNKNOWN_AUTHOR_COLOR = "#8a94a3"

SOURCE_LABELS = {
    "socket": "live editor",
    "api": "API",
    "restore": "restore",
    "merge": "merged proposal",
    "suggestion": "accepted suggestion",
    "system": "demo or import",
}


# --- helpers ---------------------------------------------------------------------------------


def _range_text(document: Document) -> str:
    if document.revision == 0:
        return "This document has only revision 0, the text it was created with."
    return f"This document has revisions 0 to {document.revision}."


def _problem_message(document: Document, revision: int, exc: history.HistoryError) -> str:
    """A sentence for a person explaining why `revision` cannot be shown."""
    if isinstance(exc, history.RevisionOutOfRange):
        return f"Revision {revision} does not exist. {_range_text(document)}"
    return (
        f"Revision {revision} can no longer be shown: old history of this document has been "
        "cleaned up to save space. Newer revisions are still available."
    )


def _problem_status(exc: history.HistoryError) -> int:
    return 404 if isinstance(exc, history.RevisionOutOfRange) else 410


def _operation_at(document: Document, revision: int) -> Operation | None:
    if revision <= 0:
        return None
    return (
        Operation.objects.filter(document=document, revision=revision)
        .select_related("user")
        .defer("ops")
        .first()
    )


def _base_context(document: Document, request) -> dict[str, Any]:
    access = permissions.document_access(request.user, document)
    return {"document": document, "can_edit": access.can_edit}


def _parse_revision(value: str | None, name: str) -> tuple[int | None, str | None]:
    """(number, None) or (None, problem) for a query parameter holding a revision."""
    value = (value or "").strip()
    if not value:
        return None, None
    try:
        number = int(value)
    except ValueError:
        shown = value if len(value) <= 20 else value[:20] + "…"
        return (
            None,
            f"“{shown}” is not a revision number: the {name} revision must be a whole number.",
        )
    return number, None


def _diff_rows(lines: list[history.DiffLine]) -> list[dict[str, Any]]:
    """The diff as rows for the template: numbered lines, long unchanged runs folded.

    Each row is {"kind": "line", "op", "text", "old", "new"} or
    {"kind": "fold", "lines": [...line rows...]}.
    """
    numbered: list[dict[str, Any]] = []
    old_no = new_no = 0
    for line in lines:
        row: dict[str, Any] = {"kind": "line", "op": line["op"], "text": line["text"]}
        if line["op"] != "insert":
            old_no += 1
            row["old"] = old_no
        if line["op"] != "delete":
            new_no += 1
            row["new"] = new_no
        numbered.append(row)

    rows: list[dict[str, Any]] = []
    index = 0
    total = len(numbered)
    while index < total:
        if numbered[index]["op"] != "equal":
            rows.append(numbered[index])
            index += 1
            continue
        end = index
        while end < total and numbered[end]["op"] == "equal":
            end += 1
        run = numbered[index:end]
        keep_head = DIFF_CONTEXT if index > 0 else 0
        keep_tail = DIFF_CONTEXT if end < total else 0
        if len(run) > keep_head + keep_tail + 1:
            rows.extend(run[:keep_head])
            rows.append({"kind": "fold", "lines": run[keep_head : len(run) - keep_tail]})
            rows.extend(run[len(run) - keep_tail :])
        else:
            rows.extend(run)
        index = end
    return rows


# --- pages -----------------------------------------------------------------------------------


@require_safe
def history_list(request, slug: str):
    document = selectors.document_get_for_user(user=request.user, slug=slug)
    paginator = Paginator(history.revision_list(document_id=document.pk), REVISIONS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    revisions = [
        {
            "operation": operation,
            "source_label": SOURCE_LABELS.get(operation.source, operation.source),
            "previous": operation.revision - 1,
        }
        for operation in page.object_list
    ]
    # Revision 0 (the text the document was created with) has no operation row; it ends
    # the list on the last page.
    show_creation = not page.has_next()
    context = _base_context(document, request)
    context.update(
        {
            "page": page,
            "revisions": revisions,
            "show_creation": show_creation,
            "compare_from": max(document.revision - 1, 0),
            "compare_to": document.revision,
        }
    )
    return render(request, "collaboration/history.html", context)


@require_safe
def revision(request, slug: str, revision: int):
    document = selectors.document_get_for_user(user=request.user, slug=slug)
    context = _base_context(document, request)
    context["revision"] = revision
    try:
        text = history.content_at(document_id=document.pk, revision=revision)
    except history.HistoryError as exc:
        context["problem"] = _problem_message(document, revision, exc)
        return render(request, "collaboration/revision.html", context, status=_problem_status(exc))
    context.update(
        {
            "text": text,
            # render_markdown() sanitises with nh3, so the HTML is safe to insert.
            "content_html": mark_safe(render_markdown(text)) if text.strip() else "",
            "operation": _operation_at(document, revision),
            "is_current": revision == document.revision,
            "previous": revision - 1 if revision > 0 else None,
            "next": revision + 1 if revision < document.revision else None,
        }
    )
    if context["operation"] is not None:
        source = context["operation"].source
        context["source_label"] = SOURCE_LABELS.get(source, source)
    return render(request, "collaboration/revision.html", context)


@require_safe
def diff(request, slug: str):
    document = selectors.document_get_for_user(user=request.user, slug=slug)
    context = _base_context(document, request)
    to_revision, to_problem = _parse_revision(request.GET.get("to"), "second")
    from_revision, from_problem = _parse_revision(request.GET.get("from"), "first")
    problem = from_problem or to_problem
    if problem:
        context.update(
            {
                "problem": f"{problem} {_range_text(document)}",
                "compare_from": request.GET.get("from", "")[:20],
                "compare_to": request.GET.get("to", "")[:20],
            }
        )
        return render(request, "collaboration/diff.html", context, status=400)
    if to_revision is None:
        to_revision = document.revision
    if from_revision is None:
        from_revision = max(to_revision - 1, 0)
    context.update({"compare_from": from_revision, "compare_to": to_revision})
    for number in (from_revision, to_revision):
        if not 0 <= number <= document.revision:
            context["problem"] = f"Revision {number} does not exist. {_range_text(document)}"
            return render(request, "collaboration/diff.html", context, status=404)
    try:
        result = history.diff(
            document_id=document.pk, from_revision=from_revision, to_revision=to_revision
        )
    except history.HistoryError as exc:
        # Which of the two is gone: the older one (history is pruned from the start).
        number = min(from_revision, to_revision)
        context["problem"] = _problem_message(document, number, exc)
        return render(request, "collaboration/diff.html", context, status=_problem_status(exc))
    context.update(
        {
            "result": result,
            "rows": _diff_rows(result.lines),
            "from_operation": _operation_at(document, from_revision),
            "to_operation": _operation_at(document, to_revision),
        }
    )
    return render(request, "collaboration/diff.html", context)


@login_required
@require_POST
def restore(request, slug: str, revision: int):
    document = selectors.document_get_for_user(user=request.user, slug=slug)
    history_url = reverse("collaboration:history", kwargs={"slug": document.slug})
    forbidden = (
        "You can read this document but not edit it, so you cannot restore an earlier "
        "revision. Ask the owner for edit access."
    )
    if not permissions.can_edit_document(request.user, document):
        return render(
            request, "errors/error.html", {"status": 403, "message": forbidden}, status=403
        )
    try:
        if history.content_at(document_id=document.pk, revision=revision) == document.content:
            messages.info(
                request,
                f"Revision {revision} has the same text as the current version, "
                "so there is nothing to restore.",
            )
            return redirect(document.get_absolute_url())
        result = services.document_restore(
            document_id=document.pk, user=request.user, revision=revision
        )
    except history.HistoryError as exc:
        messages.error(request, _problem_message(document, revision, exc))
        return redirect(history_url)
    except services.ActionForbidden:
        return render(
            request, "errors/error.html", {"status": 403, "message": forbidden}, status=403
        )
    if result.error is not None:
        messages.error(
            request,
            f"Revision {revision} could not be restored: {result.error.message}. "
            "Nothing was changed; please try again.",
        )
        return redirect(history_url)
    messages.success(
        request,
        f"Restored the text of revision {revision}. It is saved as the new revision "
        f"{result.revision}, so nothing in the history is lost.",
    )
    return redirect(document.get_absolute_url())


@require_safe
def authorship(request, slug: str):
    document = selectors.document_get_for_user(user=request.user, slug=slug)
    data = history.authorship(document_id=document.pk)
    # The spans describe the text at data["revision"]; read that text (normally current).
    if data["revision"] == document.revision:
        text = document.content
    else:  # an edit landed in between
        _revision, text = selectors.document_text(document_id=document.pk)
    user_ids = {span["user_id"] for span in data["spans"] if span["user_id"] is not None}
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=user_ids)}
    segments = []
    totals: dict[int | None, int] = {}
    for span in data["spans"]:
        user_id = span["user_id"]
        user = users.get(user_id)
        segments.append(
            {
                "text": text[span["start"] : span["end"]],
                "user": user,
                "name": user.get_full_name() if user else "Unknown author",
                "color": user_color(user_id) if user else UNKNOWN_AUTHOR_COLOR,
            }
        )
        key = user_id if user else None
        totals[key] = totals.get(key, 0) + span["end"] - span["start"]
    length = sum(totals.values())
    legend = [
        {
            "user": users.get(user_id),
            "name": users[user_id].get_full_name() if user_id in users else "Unknown author",
            "color": user_color(user_id) if user_id in users else UNKNOWN_AUTHOR_COLOR,
            "chars": chars,
            "percent": round(100 * chars / length, 1) if length else 0,
        }
        for user_id, chars in sorted(totals.items(), key=lambda item: -item[1])
    ]
    context = _base_context(document, request)
    context.update(
        {
            "segments": segments,
            "legend": legend,
            "length": length,
            "authorship_revision": data["revision"],
            "has_unknown": None in totals,
        }
    )
    return render(request, "collaboration/authorship.html", context)
