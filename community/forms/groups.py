"""Forms of the study group pages: starting and editing a group, the list's filters,
inviting, the reading list, goals, meetups.

The forms check shapes only; the services' refusals are shown next to the field they
name (`community.forms.questions.show_error`), so a page and the API refuse the same
input with the same words.
"""

from __future__ import annotations

from zoneinfo import available_timezones

from django import forms

from ..services import groups as rules
from ..services import groups_meetups as meetup_rules

ZONES = sorted(available_timezones() - {"localtime", "Factory"})


def split_goals(text: str) -> list[str]:
    """One goal per line; blank lines are skipped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class GroupForm(forms.Form):
    name = forms.CharField(
        max_length=rules.NAME_MAX_CHARS,
        error_messages={"required": "Give the group a name."},
        help_text="What people will look for, e.g. “Transformers from scratch”.",
    )
    topic_focus = forms.CharField(
        label="Topic",
        max_length=rules.TOPIC_MAX_CHARS,
        error_messages={"required": "Say what the group studies."},
        help_text="One topic, e.g. “transformers”. Questions members ask under this tag "
        "show in the group's activity.",
    )
    description = forms.CharField(
        required=False,
        max_length=rules.DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Who the group is for, how often you meet, what you read.",
    )
    max_members = forms.IntegerField(
        label="Seats",
        initial=20,
        min_value=rules.MIN_MEMBERS,
        max_value=rules.MAX_MEMBERS,
        error_messages={
            "required": "Say how many people can join.",
            "min_value": f"A group has at least {rules.MIN_MEMBERS} seats.",
            "max_value": f"A group has at most {rules.MAX_MEMBERS} seats.",
        },
        help_text="You included.",
    )
    is_private = forms.BooleanField(
        label="Private group",
        required=False,
        help_text="Listed by name and topic only; people ask to join or are invited, and "
        "only members read the group and its chat.",
    )


class GroupCreateForm(GroupForm):
    learning_goals = forms.CharField(
        label="Learning goals",
        required=False,
        max_length=rules.MAX_GOALS * (rules.GOAL_TITLE_MAX_CHARS + 2),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line, e.g. “Implement attention in NumPy”. Members tick them off.",
    )


class GroupFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    topic = forms.ChoiceField(label="Topic", required=False)
    open_seats = forms.BooleanField(label="With free seats", required=False)
    mine = forms.BooleanField(label="My groups", required=False)

    def __init__(self, *args, topics: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", "Any topic"), *[(t, t) for t in topics]]

    def filters(self) -> dict:
        if not self.is_valid():
            return {"q": "", "topic": "", "open_seats": False, "mine": False}
        return self.cleaned_data


class InviteForm(forms.Form):
    username = forms.CharField(
        label="Invite someone (their username)",
        max_length=150,
        error_messages={"required": "Give the username of the person to invite."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ReadingListForm(forms.Form):
    document = forms.ChoiceField(
        error_messages={
            "required": "Choose a document.",
            "invalid_choice": "Choose a document you can read.",
        }
    )
    note = forms.CharField(required=False, max_length=500, help_text="Why read it, which part.")

    def __init__(self, *args, documents: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].choices = [("", "Choose a document…"), *documents]


class GoalForm(forms.Form):
    title = forms.CharField(
        label="New goal",
        max_length=rules.GOAL_TITLE_MAX_CHARS,
        error_messages={"required": "Write the goal."},
    )


class MeetupForm(forms.Form):
    title = forms.CharField(
        max_length=meetup_rules.TITLE_MAX_CHARS,
        error_messages={"required": "Give the meetup a title."},
    )
    starts_at = forms.CharField(
        label="Starts",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        error_messages={"required": "When does it start?"},
    )
    ends_at = forms.CharField(
        label="Ends",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        error_messages={"required": "When does it end?"},
    )
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=[(zone, zone) for zone in ZONES],
        initial="UTC",
        help_text="The times above are in this zone; members see them in their own.",
        error_messages={"invalid_choice": "Choose a time zone from the list."},
        widget=forms.Select(attrs={"data-default-zone": ""}),
    )
    location = forms.CharField(
        required=False, max_length=meetup_rules.LOCATION_MAX_CHARS, help_text="A place or a link."
    )
    agenda = forms.CharField(
        required=False,
        max_length=meetup_rules.AGENDA_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
