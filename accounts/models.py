"""The user model: one account per person, with a role and a reputation."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

from .roles import Role, role_at_least


class User(AbstractUser):
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    expertise_areas = models.JSONField(
        default=list, blank=True, help_text="Tag slugs of the areas this person knows well."
    )
    bio = models.TextField(blank=True, max_length=2000)
    reputation = models.IntegerField(default=1)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.LEARNER)

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
        return self.is_active and (self.is_superuser or role_at_least(self.role, minimum))

    @property
    def is_moderator(self) -> bool:
        return self.has_role(Role.MODERATOR)


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

    `key` is `account:<identifier>` or `ip:<address>`. `attempts` counts
    attempts reserved in the current window (failures, plus checks in flight);
    `locked_until` is set once `MAX_LOGIN_ATTEMPTS` of them have failed.
    """

    key = models.CharField(max_length=255, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "sign-in lock-out"
        ordering = ["-window_started_at"]

    def __str__(self) -> str:
        return self.key
