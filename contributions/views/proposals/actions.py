"""The proposal page's buttons: each a form that POSTs here and comes back to the
proposal with a message (or the page again with the form's errors)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from ...errors import ContributionsError, NotAllowed
from ...models import (
    Review,
)
from ...proposals import lifecycle, merge, reviews
from .common import INLINE_PREFIX, find_proposal, forbidden, proposal_action, proposal_url, refused
from .detail import branch_state, detail_page
from .forms import (
    CoAuthorForm,
    InlineCommentFormSet,
    ProposalEditForm,
    ReviewerRequestForm,
    ReviewForm,
    show_error,
    text_lines,
)

# --- the proposal's buttons ---------------------------------------------------------------------


@proposal_action
def proposal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = find_proposal(request, pk)
    form = ProposalEditForm(request.POST)
    if form.is_valid():
        try:
            lifecycle.proposal_update(proposal=proposal, user=request.user, **form.cleaned_data)
        except NotAllowed as exc:
            return forbidden(request, exc.message)
        except ContributionsError as exc:
            show_error(form, exc)
        else:
            messages.success(request, "The title and description are saved.")
            return redirect(proposal_url(proposal))
    return detail_page(request, proposal, status=400, edit_form=form)


@proposal_action
def proposal_review(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = find_proposal(request, pk)
    _branch, revision, text = branch_state(proposal)
    form = ReviewForm(request.POST)
    comment_forms = InlineCommentFormSet(
        request.POST, prefix=INLINE_PREFIX, form_kwargs={"line_count": len(text_lines(text))}
    )
    if form.is_valid() and comment_forms.is_valid():
        comments = comment_forms.comments(text) if proposal.branch_id else []
        if comments and form.cleaned_data["branch_revision"] != revision:
            form.add_error(
                None,
                "The branch changed while you were reviewing, so the line numbers may point "
                "elsewhere now. Check them against the branch text below and send again.",
            )
        else:
            try:
                review = reviews.review_submit(
                    proposal=proposal,
                    user=request.user,
                    verdict=form.cleaned_data["verdict"],
                    body=form.cleaned_data["body"],
                    comments=comments,
                )
            except NotAllowed as exc:
                return forbidden(request, exc.message)
            except ContributionsError as exc:
                show_error(form, exc)
            else:
                messages.success(request, "Your review is posted.")
                return redirect(proposal_url(proposal, f"review-{review.pk}"))
    return detail_page(request, proposal, status=400, review_form=form, comment_forms=comment_forms)


@proposal_action
def proposal_merge(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = find_proposal(request, pk)
    try:
        merged = merge.proposal_merge(proposal=proposal, user=request.user)
    except ContributionsError as exc:
        return refused(request, exc, proposal, "merge")
    messages.success(
        request, f"Merged: the document is at revision {merged.merged_revision} with these changes."
    )
    return redirect(proposal_url(merged))


@proposal_action
def proposal_rebase(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = find_proposal(request, pk)
    try:
        result = merge.proposal_rebase(proposal=proposal, user=request.user)
    except ContributionsError as exc:
        return refused(request, exc, proposal, "merge")
    if result.clean:
        messages.success(request, "The branch is up to date with the document.")
    else:
        count = len(result.conflicts)
        messages.warning(
            request,
            f"The branch is up to date, with {count} conflict{'s' if count != 1 else ''} "
            "marked between <<<<<<< and >>>>>>> in its text. Edit the branch to keep what "
            "should stay and remove the markers; then it can merge.",
        )
    return redirect(proposal_url(proposal, "merge"))


def _state_action(run: Callable, done: str) -> Callable:
    """A button that moves the proposal to another state (close, reopen, draft, ready)."""

    @proposal_action
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        proposal = find_proposal(request, pk)
        try:
            run(proposal=proposal, user=request.user)
        except ContributionsError as exc:
            return refused(request, exc, proposal)
        messages.success(request, done)
        return redirect(proposal_url(proposal))

    return view


proposal_close = _state_action(lifecycle.proposal_close, "The proposal is closed.")
proposal_reopen = _state_action(lifecycle.proposal_reopen, "The proposal is open again.")
proposal_ready = _state_action(
    lambda **kwargs: lifecycle.proposal_set_draft(draft=False, **kwargs),
    "The proposal is ready for review: the document's readers can see it now.",
)
proposal_draft = _state_action(
    lambda **kwargs: lifecycle.proposal_set_draft(draft=True, **kwargs),
    "The proposal is a draft again: only you and your co-authors see it.",
)


@proposal_action
def proposal_reviewers(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = find_proposal(request, pk)
    form = ReviewerRequestForm(request.POST)
    if form.is_valid():
        try:
            added = lifecycle.reviewer_request(
                proposal=proposal, user=request.user, usernames=form.cleaned_data["usernames"]
            )
        except NotAllowed as exc:
            return forbidden(request, exc.message)
        except ContributionsError as exc:
            show_error(form, exc)
        else:
            if added:
                names = ", ".join(person.username for person in added)
                messages.success(request, f"Asked {names} for a review; they are notified.")
            else:
                messages.info(request, "They were asked for a review already.")
            return redirect(proposal_url(proposal, "reviewers"))
    return detail_page(request, proposal, status=400, reviewer_form=form)


@proposal_action
def proposal_self_review(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = find_proposal(request, pk)
    try:
        lifecycle.reviewer_request(
            proposal=proposal, user=request.user, usernames=[request.user.username]
        )
    except ContributionsError as exc:
        return refused(request, exc, proposal, "reviewers")
    messages.success(request, "You are a reviewer of this proposal: your review form is below.")
    return redirect(proposal_url(proposal, "review-form"))


@proposal_action
def proposal_co_author(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = find_proposal(request, pk)
    form = CoAuthorForm(request.POST)
    if form.is_valid():
        try:
            lifecycle.co_author_add(
                proposal=proposal, user=request.user, username=form.cleaned_data["username"]
            )
        except NotAllowed as exc:
            return forbidden(request, exc.message)
        except ContributionsError as exc:
            show_error(form, exc)
        else:
            messages.success(
                request,
                f"{form.cleaned_data['username']} may now edit the branch and is credited "
                "on the proposal.",
            )
            return redirect(proposal_url(proposal, "co-authors"))
    return detail_page(request, proposal, status=400, co_author_form=form)


@proposal_action
def review_helpful(request: HttpRequest, pk: int, review_pk: int) -> HttpResponse:
    proposal = find_proposal(request, pk)
    review = (
        Review.objects.filter(pk=review_pk, proposal=proposal).select_related("proposal").first()
    )
    if review is None:
        raise Http404("No such review.")
    helpful = request.POST.get("helpful", "1") != "0"
    try:
        reviews.review_mark_helpful(review=review, user=request.user, helpful=helpful)
    except ContributionsError as exc:
        return refused(request, exc, proposal, f"review-{review.pk}")
    messages.success(
        request,
        f"Thanks: {review.reviewer.username} earns reputation for this review."
        if helpful
        else "The review is no longer marked helpful.",
    )
    return redirect(proposal_url(proposal, f"review-{review.pk}"))
