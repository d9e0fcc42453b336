"""Forms of the AMA pages: scheduling (a local date and time plus a time zone, which the
page's script sets to the browser's own), asking, answering.

They check shapes only; the services' refusals are shown next to the field they name.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms

from ..errors import CommunityError, InvalidInput
from ..services import amas as rules
from ..services import amas_questions as question_rules

# Service field names that the form calls differently.
FIELD_NAMES = {"start": "start", "end": "end", "document_ids": "documents"}
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


def show_error(form: forms.Form, exc: CommunityError) -> None:
    field = FIELD_NAMES.get(getattr(exc, "field", ""), getattr(exc, "field", None))
    if isinstance(exc, InvalidInput) and field in form.fields:
        form.add_error(field, exc.message)
    else:
        form.add_error(None, exc.message)


class AmaForm(forms.Form):
    """`documents` are (id, title) pairs of the documents the host may read."""

    topic = forms.CharField(
        max_length=rules.TOPIC_MAX_CHARS,
        error_messages={"required": "Give the session a topic."},
        help_text="What people can ask you about, e.g. “Fine-tuning small language models”.",
    )
    description = forms.CharField(
        required=False,
        max_length=rules.DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Markdown. Who you are and what you would like to talk about.",
    )
    start = forms.DateTimeField(
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
        error_messages={"required": "Pick the start.", "invalid": "Pick a date and a time."},
    )
    end = forms.DateTimeField(
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
        error_messages={"required": "Pick the end.", "invalid": "Pick a date and a time."},
        help_text="At most 24 hours after the start.",
    )
    time_zone = forms.ChoiceField(
        choices=[(name, name.replace("_", " ")) for name in TIME_ZONES],
        initial="UTC",
        help_text="The start and end are in this time zone.",
        widget=forms.Select(attrs={"data-ama-time-zone": ""}),
    )
    documents = forms.MultipleChoiceField(
        required=False,
        help_text="Documents the session is about (their FAQ can get your answers).",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args, documents: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].choices = list(documents)

    def _aware(self, moment: datetime | None) -> datetime | None:
        name = self.cleaned_data.get("time_zone")
        if moment is None or not name:
            return None
        # The form's field made it aware in the server's zone: re-read the wall time.
        return moment.replace(tzinfo=None).replace(tzinfo=zoneinfo.ZoneInfo(name))

    def clean(self):
        data = super().clean()
        data["starts_at"] = self._aware(data.get("start"))
        data["ends_at"] = self._aware(data.get("end"))
        return data


class QuestionForm(forms.Form):
    content = forms.CharField(
        label="Your question",
        max_length=question_rules.CONTENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write your question."},
    )
