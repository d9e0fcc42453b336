"""Moderator actions as admin actions, shared by the flag queue and the post admins.

Each action first shows a confirmation page listing the items it will act on, with a note
(required for warnings and suspensions, which the author reads) and, to suspend, the
number of days; confirming calls `community.services.moderation` once per item, so the
rules, the audit log and the live updates are the same as through the API. An item the
rules refuse (already hidden, a moderator's post to suspend...) is reported and skipped;
the others go ahead.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse

from ..errors import CommunityError
from ..selectors import moderation as selectors
from ..services import moderation as services

TEMPLATE = "admin/community/moderation_confirm.html"

# (service action, admin description); the order is the order of the action menu.
MODERATION_ACTIONS = [
    ("dismiss", "Dismiss the flags (shows the item again if the flags hid it)"),
    ("hide", "Hide (only the author and moderators see it)"),
    ("unhide", "Show again"),
    ("delete", "Delete (soft: moderators can still see and restore it)"),
    ("restore", "Restore"),
    ("lock", "Lock (no edits, replies, answers or votes)"),
    ("unlock", "Unlock"),
    ("warn", "Warn the author"),
    ("suspend", f"Suspend the author ({services.DEFAULT_SUSPENSION_DAYS} days unless changed)"),
]
DESCRIPTIONS = dict(MODERATION_ACTIONS)


class ModerationForm(forms.Form):
    """The note (and days) of one moderator action, checked again by the service."""

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        if action == "suspend":
            help_text = "Required: the author reads it when they try to sign in."
        elif action in services.NOTE_REQUIRED:
            help_text = "Required: the author reads it on their profile."
        else:
            help_text = "Why, for the moderation log (optional)."
        self.fields["note"] = forms.CharField(
            required=action in services.NOTE_REQUIRED,
            max_length=(
                services.MAX_SUSPENSION_REASON if action == "suspend" else services.MAX_NOTE
            ),
            widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
            help_text=help_text,
        )
        if action == "suspend":
            self.fields["days"] = forms.IntegerField(
                min_value=1,
                max_value=services.MAX_SUSPENSION_DAYS,
                initial=services.DEFAULT_SUSPENSION_DAYS,
                help_text="How long the author may not sign in or take part.",
            )


def item_admin_url(item) -> str:
    opts = item._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[item.pk])


class ModerationActionsMixin:
    """For a ModelAdmin whose rows name moderated items (see `targets_of`)."""

    def targets_of(self, queryset) -> list[tuple[str, int]]:
        """The (target_type, target_id) of the items the selected rows stand for, once each."""
        raise NotImplementedError

    def moderate(self, request, queryset, action: str):
        keys = self.targets_of(queryset)
        form = ModerationForm(request.POST if "apply" in request.POST else None, action=action)
        if "apply" in request.POST and form.is_valid():
            self._apply(request, keys, action, form.cleaned_data)
            return None  # back to the list, with the messages
        targets = selectors.targets_by_key(keys)
        items = [self._describe(key, targets.get(key)) for key in keys]
        context = {
            **self.admin_site.each_context(request),
            "title": DESCRIPTIONS[action],
            "opts": self.model._meta,
            "action": f"moderate_{action}",
            "action_label": DESCRIPTIONS[action],
            "items": items,
            "form": form,
            "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, TEMPLATE, context)

    @staticmethod
    def _describe(key: tuple[str, int], item) -> dict:
        """A line of the confirmation page; flags can outlive their item (a deleted
        document takes its comments along), and dismissing clears them."""
        open_flags = selectors.flag_open_count(target_type=key[0], target_id=key[1])
        if item is None:
            return {
                "title": f"{key[0]} {key[1]} (no longer exists)",
                "excerpt": "",
                "author": None,
                "url": None,
                "open_flags": open_flags,
            }
        return {
            "title": selectors.target_title(item),
            "excerpt": selectors.target_excerpt(item),
            "author": item.author,
            "url": item_admin_url(item),
            "open_flags": open_flags,
        }

    def _apply(self, request, keys, action: str, data: dict) -> None:
        targets = selectors.targets_by_key(keys)
        done, refused = 0, []
        for target_type, target_id in keys:
            item = targets.get((target_type, target_id))
            name = selectors.target_title(item) if item else f"{target_type} {target_id}"
            try:
                services.moderation_act(
                    moderator=request.user,
                    action=action,
                    target_type=target_type,
                    target_id=target_id,
                    note=data.get("note", ""),
                    days=data.get("days"),
                )
            except CommunityError as exc:
                refused.append(f"{name}: {exc.message}")
            except Http404:
                refused.append(f"{name}: it no longer exists.")
            else:
                done += 1
        if done:
            self.message_user(
                request, f"{DESCRIPTIONS[action]}: done for {done} item(s).", messages.SUCCESS
            )
        if refused:
            self.message_user(request, "Not done: " + " ".join(refused), messages.WARNING)


def _make_action(action: str) -> Callable:
    @admin.action(description=DESCRIPTIONS[action], permissions=["change"])
    def run(modeladmin, request, queryset):
        return modeladmin.moderate(request, queryset, action)

    run.__name__ = f"moderate_{action}"
    return run


ADMIN_ACTIONS = [_make_action(action) for action, _ in MODERATION_ACTIONS]
