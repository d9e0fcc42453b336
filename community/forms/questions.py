"""Forms of the Q&A pages: asking, answering, editing, closing, and the list's filters.

The forms check shapes only and show the services' refusals next to the field they name
(`show_error`), so a page and the API refuse the same input with the same words.
"""

from __future__ import annotations

from typing import Any

from django import forms

from ..errors import CommunityError, InvalidInput
from ..models import CloseReason, Difficulty
from ..selectors.questions import SORTS, STATUSES
from ..services import questions as rules

# Service field names that the forms call differently.
FIELD_NAMES = {"document_id": "document"}

MARKDOWN_HELP = "Markdown: **bold**, *italic*, `code`, ```code blocks```, lists, links and $math$."


def show_error(form: forms.Form, exc: CommunityError) -> None:
    """A service's refusal as a form error: on its field when it names one of the form's."""
    field = FIELD_NAMES.get(getattr(exc, "field", ""), getattr(exc, "field", None))
    if isinstance(exc, InvalidInput) and field in form.fields:
        form.add_error(field, exc.message)
    else:
        form.add_error(None, exc.message)


def split_tags(text: str) -> list[str]:
    """'Transformers, attention' -> ['Transformers', 'attention'] (commas separate tags)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _markdown_area(*, rows: int, preview: str) -> forms.Textarea:
    """A Markdown textarea; static/js/ask.js renders its preview into #`preview`."""
    return forms.Textarea(attrs={"rows": rows, "data-preview-target": preview})


class QuestionForm(forms.Form):
    """Ask a question. `documents` are (id, title) pairs the asker may choose from;
    `sections` (id, title) the headings of the chosen document."""

    title = forms.CharField(
        max_length=rules.TITLE_MAX_CHARS,
        error_messages={"required": "Give your question a title."},
        help_text="Be specific, as if you were asking a person: "
        "“Why does attention divide by √d_k?”",
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-similar-target": "similar"}),
    )
    content = forms.CharField(
        label="Details",
        max_length=rules.BODY_MAX_CHARS,
        strip=False,
        error_messages={"required": "Describe your question: what you read, tried and expected."},
        help_text=f"What you read, what you tried and where you got stuck. {MARKDOWN_HELP}",
        widget=_markdown_area(rows=12, preview="content-preview"),
    )
    tags = forms.CharField(
        required=False,
        max_length=300,
        help_text=f"Up to {rules.MAX_TAGS}, separated by commas, e.g. “transformers, attention”.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "tag-names"}),
    )
    difficulty_level = forms.ChoiceField(
        label="Level", choices=Difficulty.choices, initial=Difficulty.BEGINNER
    )
    document = forms.ChoiceField(
        label="About a document (optional)",
        required=False,
        error_messages={"invalid_choice": "Choose a document you can read, or none."},
    )
    document_section = forms.ChoiceField(
        label="Section (optional)",
        required=False,
        error_messages={
            "invalid_choice": "Choose one of the chosen document's sections, or the whole document."
        },
    )

    def __init__(
        self,
        *args: Any,
        documents: list[tuple[str, str]] = (),
        sections: list[tuple[str, str]] = (),
        sections_url: str = "",
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["document"].choices = [("", "No document"), *documents]
        self.fields["document"].widget.attrs["data-sections-url"] = sections_url
        self.fields["document_section"].choices = [("", "The whole document"), *sections]

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data["tags"])


class QuestionEditForm(QuestionForm):
    summary = forms.CharField(
        label="Edit summary",
        required=False,
        max_length=rules.SUMMARY_MAX_CHARS,
        help_text="What you changed and why (shown in the history).",
    )


class AnswerForm(forms.Form):
    content = forms.CharField(
        label="Your answer",
        max_length=rules.BODY_MAX_CHARS,
        strip=False,
        error_messages={"required": "Write your answer first."},
        help_text=MARKDOWN_HELP,
        widget=_markdown_area(rows=10, preview="answer-preview"),
    )


class AnswerEditForm(AnswerForm):
    summary = forms.CharField(
        label="Edit summary",
        required=False,
        max_length=rules.SUMMARY_MAX_CHARS,
        help_text="What you changed and why (shown in the history).",
    )


class CloseForm(forms.Form):
    reason = forms.ChoiceField(
        choices=CloseReason.choices,
        widget=forms.RadioSelect,
        label="Why close it?",
        error_messages={"required": "Choose why the question should be closed."},
    )
    duplicate_of = forms.CharField(
        label="Duplicate of",
        required=False,
        max_length=300,
        help_text="For a duplicate: the other question's number or address.",
    )
    note = forms.CharField(
        label="Note for the asker (optional)",
        required=False,
        max_length=rules.CLOSE_NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class QuestionFilterForm(forms.Form):
    """The list's query string; anything unknown falls back to "all" and "newest"."""

    q = forms.CharField(label="Words in the title", required=False, max_length=200)
    tag = forms.ChoiceField(label="Tag", required=False)
    difficulty = forms.ChoiceField(
        label="Level", required=False, choices=[("", "Any level"), *Difficulty.choices]
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[
            ("all", "All"),
            ("unanswered", "Unanswered"),
            ("answered", "Answered"),
        ],
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[("newest", "Newest"), ("activity", "Recent activity"), ("votes", "Votes")],
    )
    document = forms.CharField(required=False, max_length=220, widget=forms.HiddenInput)

    def __init__(self, *args: Any, tags: list[tuple[str, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", "Any tag"), *tags]

    def filters(self) -> dict[str, str]:
        """The valid filters, with defaults; an invalid one is dropped, never an error page."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) or "" for name in self.fields}
        for name in self.errors:
            data[name] = ""
        data["status"] = data["status"] if data["status"] in STATUSES else "all"
        data["sort"] = data["sort"] if data["sort"] in SORTS else "newest"
        return data
