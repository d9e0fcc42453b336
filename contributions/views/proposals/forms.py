"""Forms of the proposal pages. They check the shape of what people type (lengths, numbers,
line ranges); the rules (who may, what state allows it) stay in the proposal services,
whose errors `show_error` puts on the form."""

from __future__ import annotations

import re

from django import forms

from ...errors import ContributionsError
from ...models import ReviewVerdict
from ...proposals import lifecycle, reviews

# How many inline comment rows the review form offers without JavaScript.
INLINE_COMMENT_ROWS = 3
MAX_REVIEWERS_AT_ONCE = 20

STATE_FILTERS = [
    ("open", "Open"),
    ("draft", "Drafts"),
    ("merged", "Merged"),
    ("closed", "Closed"),
    ("all", "All"),
]


def show_error(form: forms.Form, exc: ContributionsError) -> None:
    """A service's refusal on the form: on its field when the form has it, else on top."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


class ProposalForm(forms.Form):
    title = forms.CharField(
        max_length=lifecycle.TITLE_MAX,
        help_text="What the change does, in a few words (e.g. “Explain the softmax temperature”).",
    )
    description = forms.CharField(
        required=False,
        max_length=lifecycle.DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Why the change helps readers. Markdown works here.",
    )
    draft = forms.BooleanField(
        required=False,
        label="Save as draft",
        help_text="Only you (and co-authors you invite) see a draft until you mark it ready "
        "for review.",
    )


class ProposalEditForm(forms.Form):
    title = forms.CharField(max_length=lifecycle.TITLE_MAX)
    description = forms.CharField(
        required=False,
        max_length=lifecycle.DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


def text_lines(text: str) -> list[str]:
    """The lines of a text as the page numbers them (split at newlines; a final newline
    does not start one more line)."""
    lines = text.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


def line_offsets(text: str, first: int, last: int) -> tuple[int, int]:
    """Code-point offsets of lines first..last (1-based, inclusive) of `text`: from the
    start of the first line to the end of the last one, its newline left out (the
    positions the review service and the API use)."""
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: first - 1])
    end = start + sum(len(line) + 1 for line in lines[first - 1 : last]) - 1
    return start, min(end, len(text))


class InlineCommentForm(forms.Form):
    """A comment on a few lines of the branch text, picked by their numbers."""

    line_from = forms.IntegerField(required=False, min_value=1, label="From line")
    line_to = forms.IntegerField(
        required=False, min_value=1, label="To line", help_text="Leave empty for one line."
    )
    body = forms.CharField(
        required=False,
        max_length=reviews.BODY_MAX,
        label="Comment on these lines",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, line_count: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.line_count = line_count

    def clean(self):
        data = super().clean()
        first, last, body = data.get("line_from"), data.get("line_to"), data.get("body", "")
        if self.errors:
            return data
        if first is None and last is None and not body.strip():
            return data  # an empty row
        if first is None:
            self.add_error("line_from", "Say which line the comment is about.")
            return data
        if not body.strip():
            self.add_error("body", "Write the comment, or clear the line numbers.")
        last = first if last is None else last
        if last < first:
            self.add_error("line_to", "The last line comes after the first.")
        elif last > self.line_count:
            self.add_error(
                "line_to" if data.get("line_to") else "line_from",
                f"The branch has {self.line_count} line{'s' if self.line_count != 1 else ''}.",
            )
        data["line_to"] = last
        return data


class BaseInlineCommentFormSet(forms.BaseFormSet):
    def comments(self, text: str) -> list[dict]:
        """The filled-in rows as the review service takes them ({start, end, body})."""
        found = []
        for form in self.forms:
            data = form.cleaned_data
            if data.get("line_from") is None:
                continue
            start, end = line_offsets(text, data["line_from"], data["line_to"])
            found.append({"start": start, "end": end, "body": data["body"].strip()})
        return found


InlineCommentFormSet = forms.formset_factory(
    InlineCommentForm,
    formset=BaseInlineCommentFormSet,
    extra=INLINE_COMMENT_ROWS,
    max_num=reviews.MAX_INLINE_COMMENTS,
    validate_max=True,
)


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=ReviewVerdict.choices,
        widget=forms.RadioSelect,
        initial=ReviewVerdict.COMMENT,
        label="Your review",
    )
    body = forms.CharField(
        required=False,
        max_length=reviews.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Summary",
        help_text="Needed when you request changes: say what should change.",
    )
    # The branch revision the person read; inline comments are placed by line numbers
    # of that revision, so they are refused if the branch changed meanwhile.
    branch_revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def clean(self):
        data = super().clean()
        if data.get("verdict") == ReviewVerdict.REQUEST_CHANGES and not data.get("body"):
            self.add_error("body", "Say what should change.")
        return data


class ReviewerRequestForm(forms.Form):
    usernames = forms.CharField(
        max_length=1000,
        label="Ask for a review",
        help_text="Usernames, separated by commas or spaces.",
    )

    def clean_usernames(self) -> list[str]:
        names = [name for name in re.split(r"[\s,]+", self.cleaned_data["usernames"]) if name]
        names = [name.removeprefix("@") for name in names]
        if not names:
            raise forms.ValidationError("Name at least one person.")
        if len(names) > MAX_REVIEWERS_AT_ONCE:
            raise forms.ValidationError(f"Ask at most {MAX_REVIEWERS_AT_ONCE} people at once.")
        return names


class CoAuthorForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        label="Invite a co-author",
        help_text="They may edit the branch live and are credited when it merges.",
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().removeprefix("@")


class MergeSettingsForm(forms.Form):
    required_approvals = forms.IntegerField(
        min_value=0,
        max_value=lifecycle.MAX_APPROVALS,
        label="Approvals a merge needs",
        help_text="From people with the reviewer role or higher (or the document's owner). "
        "0 lets anyone allowed to merge do so without a review.",
    )
    dismiss_stale_approvals = forms.BooleanField(
        required=False,
        label="Approvals go stale when the branch changes",
        help_text="An approval of an older version of the branch stops counting.",
    )


class ProposalFilterForm(forms.Form):
    state = forms.ChoiceField(choices=STATE_FILTERS, required=False)
    author = forms.CharField(required=False, max_length=150)
    document = forms.SlugField(required=False, max_length=255)
