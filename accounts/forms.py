"""Forms for the account pages: sign up, log in, edit profile."""

import math
import re

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import UsernameField
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import ValidationError

from collaboration.models import Tag

from .lockout import LoginLocked, authenticate_with_lockout
from .models import User

MAX_EXPERTISE_AREAS = 20
_SLUG_RE = re.compile(r"^[-a-z0-9_]+$")


class SignupForm(forms.Form):
    """The sign-up fields; accounts.services.user_create checks uniqueness and the password."""

    username = UsernameField(
        label="Username",
        max_length=150,
        help_text="Letters, digits and @ . + - _ only. It appears in your profile address.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    full_name = forms.CharField(
        label="Full name (optional)",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Type the same password again, to be sure there is no typo.",
    )

    # Where the service's error keys differ from this form's field names.
    SERVICE_FIELDS = {"password": "password1"}

    def clean(self):
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error(
                "password2", "The two passwords are different. Type the same password twice."
            )
        return self.cleaned_data

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a ValidationError raised by accounts.services next to the right fields."""
        _add_service_errors(self, error, self.SERVICE_FIELDS)


def _add_service_errors(form: forms.Form, error: ValidationError, renames: dict) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        name = renames.get(field, field)
        form.add_error(name if name in form.fields else None, messages)


class LoginForm(forms.Form):
    """Email or username plus password, checked through the lock-out guard."""

    identifier = forms.CharField(
        label="Email or username",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": "That email/username and password don't match.",
        "locked": "Too many failed sign-in attempts. Try again in {wait}.",
    }

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user_cache: User | None = None
        self.locked_for: int | None = None  # seconds, when the guard refused to check
        super().__init__(*args, **kwargs)

    def clean(self):
        identifier = self.cleaned_data.get("identifier", "").strip()
        password = self.cleaned_data.get("password")
        if not identifier or not password:
            return self.cleaned_data
        # AccountSuspended (right password, suspended account) is a ValidationError: it
        # propagates from here and the form shows its message, end and reason included.
        try:
            self.user_cache = authenticate_with_lockout(
                request=self.request, identifier=identifier, password=password
            )
        except LoginLocked as locked:
            self.locked_for = max(int(locked.retry_after), 1)
            raise ValidationError(
                self.error_messages["locked"].format(wait=_minutes(self.locked_for)),
                code="locked",
            ) from None
        if self.user_cache is None:
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        return self.cleaned_data

    def get_user(self) -> User | None:
        return self.user_cache


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in form, checked through the same lock-out guard as the site's.

    Without it the admin login would be a way around the limits.
    """

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        # AccountSuspended propagates as LoginForm.clean explains.
        try:
            self.user_cache = authenticate_with_lockout(
                request=self.request, identifier=username, password=password
            )
        except LoginLocked as locked:
            raise ValidationError(locked.message, code="locked") from None
        if self.user_cache is None:
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


def _minutes(seconds: int) -> str:
    minutes = max(math.ceil(seconds / 60), 1)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


class ExpertiseField(forms.CharField):
    """A comma-separated list of tag slugs, cleaned to a de-duplicated list of known slugs."""

    def to_python(self, value):
        text = super().to_python(value) or ""
        slugs: list[str] = []
        for part in text.split(","):
            slug = part.strip().lower()
            if slug and slug not in slugs:
                slugs.append(slug)
        return slugs

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def validate(self, value):
        super().validate(value)
        if len(value) > MAX_EXPERTISE_AREAS:
            raise ValidationError(f"Pick at most {MAX_EXPERTISE_AREAS} areas.", code="too_many")
        malformed = [slug for slug in value if not _SLUG_RE.match(slug)]
        if malformed:
            raise ValidationError(
                "Use tag slugs such as “deep-learning” (lowercase letters, digits and "
                "hyphens), separated by commas. Not understood: %(slugs)s.",
                code="invalid",
                params={"slugs": ", ".join(malformed)},
            )
        known = set(Tag.objects.filter(slug__in=value).values_list("slug", flat=True))
        unknown = [slug for slug in value if slug not in known]
        if unknown:
            raise ValidationError(
                "There is no topic called %(slugs)s yet. Choose from the topics listed below.",
                code="unknown",
                params={"slugs": ", ".join(f"“{slug}”" for slug in unknown)},
            )


class ProfileForm(forms.Form):
    """What a person may change about themselves; role and reputation are not in it."""

    full_name = forms.CharField(
        label="Full name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    bio = forms.CharField(
        label="About you",
        max_length=2000,
        required=False,
        help_text="A few lines about what you work on or are learning (optional).",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    expertise_areas = ExpertiseField(
        label="Expertise areas",
        required=False,
        help_text="Topics you know well, as tag slugs separated by commas, "
        "e.g. “transformers, optimization”.",
    )

    @classmethod
    def initial_for(cls, user: User) -> dict:
        return {
            "full_name": user.full_name,
            "email": user.email,
            "bio": user.bio,
            "expertise_areas": list(user.expertise_areas or []),
        }

    def add_service_errors(self, error: ValidationError) -> None:
        _add_service_errors(self, error, {})
