"""Forms of the notification pages: delivery per kind, a watch level, the inbox filter."""

from __future__ import annotations

from django import forms

from ..models import Delivery, NotificationKind, WatchLevel, WatchTarget


class PreferencesForm(forms.Form):
    """One choice per kind, made from `selectors.notifications.preferences`."""

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        for item in choices:
            default = Delivery(item.default).label
            self.fields[item.kind] = forms.ChoiceField(
                label=item.label,
                choices=Delivery.choices,
                initial=item.delivery,
                help_text=f"Default: {default.lower()}.",
            )


class WatchForm(forms.Form):
    target_type = forms.ChoiceField(choices=WatchTarget.choices, widget=forms.HiddenInput)
    target_id = forms.IntegerField(min_value=1, max_value=2**62, widget=forms.HiddenInput)
    level = forms.ChoiceField(choices=WatchLevel.choices, label="Notify me")
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class InboxFilterForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "All kinds"), *NotificationKind.choices], required=False, label="Kind"
    )
    unread = forms.BooleanField(required=False, label="Unread only")
