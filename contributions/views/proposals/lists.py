"""Lists of proposals (a document's, and every one the person may see), opening a
proposal, and a document's merge rules."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from collaboration.permissions import can_manage_document
from collaboration.selectors import document_get_for_user

from ...errors import ContributionsError, NotAllowed, NotFound
from ...models import (
    REVIEWABLE_STATES,
    Proposal,
    ProposalState,
)
from ...proposals import lifecycle, rules
from .common import PER_PAGE, forbidden, proposal_url, signed_in_page
from .forms import (
    MergeSettingsForm,
    ProposalFilterForm,
    ProposalForm,
    show_error,
)

# --- lists --------------------------------------------------------------------------------------


def _filtered(queryset, form: ProposalFilterForm, *, by_document: bool):
    data = form.cleaned_data if form.is_valid() else {}
    state = data.get("state") or "open"
    if state == "open":
        queryset = queryset.filter(state__in=REVIEWABLE_STATES)
    elif state != "all":
        queryset = queryset.filter(state=state)
    if data.get("author"):
        queryset = queryset.filter(author__username__iexact=data["author"].strip())
    if by_document and data.get("document"):
        queryset = queryset.filter(document__slug=data["document"])
    return queryset, state


def _state_counts(queryset) -> dict[str, int]:
    counts = {state: 0 for state in ProposalState.values}
    for row in queryset.order_by().values("state").annotate(n=Count("pk", distinct=True)):
        counts[row["state"]] = row["n"]
    counts["open"] = sum(counts[state] for state in REVIEWABLE_STATES)
    return counts


def _list_context(request: HttpRequest, visible, *, by_document: bool) -> dict:
    form = ProposalFilterForm(request.GET)
    proposals, state = _filtered(visible, form, by_document=by_document)
    page = Paginator(
        proposals.select_related("document", "author").order_by("-created_at", "-pk"), PER_PAGE
    ).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    base = request.GET.copy()
    for name in ("page", "state"):
        base.pop(name, None)
    return {
        "form": form,
        "page": page,
        "state": state,
        "counts": _state_counts(visible),
        "query": keep.urlencode(),
        "filters_without_state": base.urlencode(),
        "author": form.cleaned_data.get("author", "") if form.is_valid() else "",
    }


@require_safe
def proposals_all(request: HttpRequest) -> HttpResponse:
    context = _list_context(request, rules.visible_proposals(request.user), by_document=True)
    return render(request, "contributions/proposals/list_all.html", context)


@require_safe
def document_proposals(request: HttpRequest, slug: str) -> HttpResponse:
    document = document_get_for_user(user=request.user, slug=slug)
    visible = rules.visible_proposals(request.user, Proposal.objects.filter(document=document))
    context = _list_context(request, visible, by_document=False)
    context.update(
        document=document,
        can_propose=document.branch_of_id is None,
        can_manage=can_manage_document(request.user, document),
    )
    return render(request, "contributions/proposals/list_document.html", context)


# --- opening a proposal, the merge rules ----------------------------------------------------------


@signed_in_page
@require_http_methods(["GET", "POST"])
def proposal_new(request: HttpRequest, slug: str) -> HttpResponse:
    document = document_get_for_user(user=request.user, slug=slug)
    form = ProposalForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = lifecycle.proposal_create(
                document=document,
                user=request.user,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                draft=form.cleaned_data["draft"],
            )
        except NotAllowed as exc:
            return forbidden(request, exc.message)
        except NotFound:
            raise Http404("No such document.") from None
        except ContributionsError as exc:
            show_error(form, exc)
        else:
            messages.success(
                request,
                "Your proposal is open: edit its branch live, then ask for a review."
                if proposal.state != ProposalState.DRAFT
                else "Your draft is saved: only you see it until you mark it ready for review.",
            )
            return redirect(proposal_url(proposal))
    status = 400 if form.is_bound else 200
    return render(
        request,
        "contributions/proposals/new.html",
        {"document": document, "form": form},
        status=status,
    )


@signed_in_page
@require_http_methods(["GET", "POST"])
def merge_settings(request: HttpRequest, slug: str) -> HttpResponse:
    document = document_get_for_user(user=request.user, slug=slug)
    if not can_manage_document(request.user, document):
        return forbidden(
            request, "Only the document's owner or a moderator may change its merge rules."
        )
    current = lifecycle.merge_rules(document)
    if request.method == "POST":
        form = MergeSettingsForm(request.POST)
        if form.is_valid():
            try:
                lifecycle.merge_rules_update(
                    document=document, user=request.user, **form.cleaned_data
                )
            except NotAllowed as exc:
                return forbidden(request, exc.message)
            except ContributionsError as exc:
                show_error(form, exc)
            else:
                messages.success(
                    request, "The merge rules are saved; open proposals follow them now."
                )
                return redirect(reverse("contributions:proposal-settings", args=[document.slug]))
    else:
        form = MergeSettingsForm(
            initial={
                "required_approvals": current.required_approvals,
                "dismiss_stale_approvals": current.dismiss_stale_approvals,
            }
        )
    return render(
        request,
        "contributions/proposals/settings.html",
        {"document": document, "form": form},
        status=400 if form.is_bound else 200,
    )
