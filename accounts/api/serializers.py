"""Input and output serializers of the accounts API; inputs only validate, services write."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import ApiKey, User
from accounts.roles import Role
from accounts.services import MAX_EXPERTISE_AREAS, MAX_SUSPENSION_REASON

EXPERTISE_HELP = 'Tag slugs of the areas this person knows well, e.g. ["transformers", "rlhf"].'


# --- Users ---------------------------------------------------------------------------


class UserSerializer(serializers.ModelSerializer):
    """A person's own account, as they see it."""

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "full_name",
            "expertise_areas",
            "bio",
            "reputation",
            "role",
            "date_joined",
        ]
        read_only_fields = fields


class UserAdminListSerializer(serializers.ModelSerializer):
    """Accounts as moderators see them in the user list."""

    class Meta:
        model = User
        fields = [
            *UserSerializer.Meta.fields,
            "is_active",
            "last_login",
            "suspended_until",
            "suspension_reason",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "suspended_until": {
                "help_text": "While this is in the future the account cannot sign in; "
                "null when not suspended."
            },
            "suspension_reason": {"help_text": "Why, as the person reads it; empty if none."},
        }


class RegisterInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(
        write_only=True, style={"input_type": "password"}, trim_whitespace=False
    )
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    expertise_areas = serializers.ListField(
        child=serializers.SlugField(max_length=50),
        max_length=MAX_EXPERTISE_AREAS,
        required=False,
        default=list,
        help_text=EXPERTISE_HELP,
    )

    def validate_password(self, value: str) -> str:
        # Checked here as well as in user_create so that a weak password is
        # reported together with, say, a malformed email, not one round-trip later.
        data = self.initial_data
        candidate = User(
            username=str(data.get("username", "")),
            email=str(data.get("email", "")),
            full_name=str(data.get("full_name", "")),
        )
        try:
            password_validation.validate_password(value, user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class MeUpdateInputSerializer(serializers.Serializer):
    """Fields a person may change about themselves. Any other field sent is ignored."""

    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    bio = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    expertise_areas = serializers.ListField(
        child=serializers.SlugField(max_length=50),
        max_length=MAX_EXPERTISE_AREAS,
        required=False,
        help_text=EXPERTISE_HELP,
    )
    email = serializers.EmailField(required=False)


class UserListFilterSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    search = serializers.CharField(required=False, allow_blank=True, max_length=150)


class RoleInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class SuspendInputSerializer(serializers.Serializer):
    until = serializers.DateTimeField(
        help_text="When the suspension ends, ISO 8601 with a time zone, "
        'e.g. "2027-01-31T18:00:00Z". Must be in the future.'
    )
    reason = serializers.CharField(
        max_length=MAX_SUSPENSION_REASON,
        help_text="Why, in a sentence: the person reads it when sign-in is refused.",
    )


class ActiveInputSerializer(serializers.Serializer):
    is_active = serializers.BooleanField(
        help_text="false deactivates the account (it can no longer sign in); true reactivates it."
    )


# --- Sign-in ---------------------------------------------------------------------------


class LoginInputSerializer(serializers.Serializer):
    email = serializers.CharField(
        required=False, max_length=254, help_text="Email address, or username."
    )
    username = serializers.CharField(
        required=False, max_length=254, help_text="Username; an alternative to `email`."
    )
    password = serializers.CharField(
        write_only=True, style={"input_type": "password"}, trim_whitespace=False
    )

    def validate(self, attrs):
        identifier = (attrs.get("email") or attrs.get("username") or "").strip()
        if not identifier:
            raise serializers.ValidationError({"email": ["Enter your email address or username."]})
        attrs["identifier"] = identifier
        return attrs


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="JWT for `Authorization: Bearer <access>`.")
    refresh = serializers.CharField(
        help_text="Send to /api/auth/refresh for a new pair; single use."
    )


class LoginOutputSerializer(TokenPairSerializer):
    user = UserSerializer()


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


# --- API keys ----------------------------------------------------------------------------


class ApiKeyCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=100, help_text='What the key is for, e.g. "CI export script".'
    )


class ApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "created_at", "last_used_at"]
        read_only_fields = fields


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(
        help_text="The key itself. Shown only in this response: store it now, it cannot be "
        "retrieved again. Send it as `Authorization: Api-Key <key>`."
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields
