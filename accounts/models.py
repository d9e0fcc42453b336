"""The user model: one account per person, with a role and a reputation."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .roles import Role, role_at_least


def credential_stamp(password: str, session_generation: int) -> str:
    """A short fingerprint of a password hash and a session generation (see User)."""
    return salted_hmac(
        "accounts.User.credential_stamp",
        f"{password}|{session_generation}",
        algorithm="sha256",
    ).hexdigest()[:20]


class User(AbstractUser):
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    expertise_areas = models.JSONField(
        default=list, blank=True, help_text="Tag slugs of the areas this person knows well."
    )
    bio = models.TextField(blank=True, max_length=2000)
    reputation = models.IntegerField(default=1)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.LEARNER)
    suspended_until = models.DateTimeField(
        null=True, blank=True, help_text="Until then the account may not sign in or take part."
    )
    suspension_reason = models.CharField(max_length=500, blank=True)
    # Bumped by every change that may narrow what this person may do (role, activation,
    # suspension, sign-out everywhere, password). Open sockets compare it before each
    # commit, so a revoked right takes effect without a permission query per edit.
    access_version = models.PositiveIntegerField(default=0, editable=False)
    # Bumped by "sign out everywhere" and password changes: every session, JWT and socket
    # made before then stops working (see `credential_stamp`).
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    # AbstractUser's first/last name are replaced by full_name.
    first_name = None
    last_name = None

    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.username

    def has_role(self, minimum: str) -> bool:
        return self.may_sign_in and (self.is_superuser or role_at_least(self.role, minimum))

    @property
    def is_moderator(self) -> bool:
        return self.has_role(Role.MODERATOR)

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > timezone.now()

    @property
    def may_sign_in(self) -> bool:
        """Active and not suspended: the test every credential passes on every use."""
        return self.is_active and not self.is_suspended

    def _get_session_auth_hash(self, secret=None):
        # Django signs every session with this; mixing in the generation makes "sign out
        # everywhere" end every browser session at once. Generation 0 keeps Django's own
        # value, so sessions made before this field existed stay valid.
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "accounts.User.session_auth_hash",
            f"{self.password}|{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def credential_stamp(self) -> str:
        """A short fingerprint of the password and the session generation.

        JWTs carry it (claim `cs`) and open sockets remember it: when it changes (password
        changed, signed out everywhere), every token and socket made before is refused.
        """
        return credential_stamp(self.password, self.session_generation)


class ApiKey(models.Model):
    """A long-lived credential for scripts; only a hash of the key is stored.

    The key itself (`lai_<prefix>_<secret>`) is shown once, when it is created.
    `prefix` lets a person recognise a key in lists without revealing it.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="accounts_apikey_user_active")]

    def __str__(self) -> str:
        return f"{self.name} (lai_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class LoginThrottle(models.Model):
    """Failed sign-in attempts for one account identifier or one client address.

    `key` is `account:<identifier>` or `ip:<address>`. `attempts` counts the
    password checks that failed in the current window, `in_flight` the checks
    running now (each holds one of the key's slots until it ends); `locked_until`
    is set once the key's limit of checks have failed (accounts.lockout).
    """

    key = models.CharField(max_length=255, unique=True)
    attempts = models.PositiveIntegerField("failed attempts", default=0)
    in_flight = models.PositiveIntegerField("checks running", default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "sign-in lock-out"
        ordering = ["-window_started_at"]

    def __str__(self) -> str:
        return self.key
