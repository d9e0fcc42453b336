"""Admin for accounts: users, roles, activation and suspension (admins), API keys, sign-in
lock-outs (moderators too), and the admin's own sign-in form."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    UserChangeForm,
)
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from .forms import AdminLoginForm
from .lockout import login_throttle_clear
from .models import ApiKey, LoginThrottle, User
from .permissions import can_manage_users
from .services import (
    api_key_revoke,
    user_password_changed,
    user_set_active,
    user_set_role,
    user_suspend,
    user_unsuspend,
)

EMAIL_TAKEN = "Another account already uses this email address."

# The admin login counts towards, and obeys, the same sign-in lock-out as the site's.
admin.site.login_form = AdminLoginForm


class _UniqueEmailMixin:
    """Case-insensitive email uniqueness, with a message instead of a constraint name."""

    def clean_email(self):
        email = self.cleaned_data.get("email", "")
        others = User.objects.filter(email__iexact=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if email and others.exists():
            raise forms.ValidationError(EMAIL_TAKEN)
        return email


class UserChangeAdminForm(_UniqueEmailMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class UserCreationAdminForm(_UniqueEmailMixin, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "full_name")


class PasswordChangeAdminForm(AdminPasswordChangeForm):
    """The admin's "change password" form; a new password ends the person's sessions.

    Django's view calls update_session_auth_hash after save(), so an admin changing
    their own password here stays signed in.
    """

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            user_password_changed(user=user)
        return user


class SuspendedNowFilter(admin.SimpleListFilter):
    title = "suspension"
    parameter_name = "suspended"

    def lookups(self, request, model_admin):
        return [("yes", "Suspended now"), ("no", "Not suspended")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(suspended_until__gt=now)
        if self.value() == "no":
            return queryset.exclude(suspended_until__gt=now)
        return queryset


ADMIN_SUSPENSION = timedelta(days=7)
ADMIN_SUSPENSION_REASON = "Suspended by a moderator"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    change_password_form = PasswordChangeAdminForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Profile", {"fields": ("full_name", "email", "bio", "expertise_areas")}),
        ("Role and reputation", {"fields": ("role", "reputation")}),
        (
            "Permissions",
            {
                "description": "Staff status and the Moderators/Admins groups follow the role.",
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
            },
        ),
        (
            "Suspension",
            {
                "description": "Use the actions on the user list to suspend or lift a "
                "suspension, so open sessions end at once.",
                "fields": ("suspended_until", "suspension_reason"),
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "full_name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = (
        "username",
        "email",
        "full_name",
        "role",
        "reputation",
        "is_active",
        "suspended",
    )
    list_filter = ("role", "is_active", SuspendedNowFilter, "is_staff", "is_superuser")
    search_fields = ("username", "email", "full_name")
    ordering = ("username",)
    actions = ["suspend_for_7_days", "lift_suspension"]

    @admin.display(boolean=True, description="Suspended")
    def suspended(self, obj: User) -> bool:
        return obj.is_suspended

    @staticmethod
    def _may_change_role(request, obj: User) -> bool:
        me = request.user
        if not can_manage_users(me):
            return False
        if me.is_superuser:
            return True
        # Same rules as user_set_role: not one's own role, not a superuser's.
        return obj.pk != me.pk and not obj.is_superuser

    @staticmethod
    def _may_change_active(request, obj: User) -> bool:
        # Same rules as user_set_active: an admin, not on their own account, and only a
        # superuser on a superuser's.
        me = request.user
        return (
            can_manage_users(me) and obj.pk != me.pk and (me.is_superuser or not obj.is_superuser)
        )

    def get_readonly_fields(self, request, obj=None):
        # Reputation comes from the scoring services, never from hand edits; suspension
        # through the actions, which call the services.
        readonly = [
            "reputation",
            "last_login",
            "date_joined",
            "suspended_until",
            "suspension_reason",
        ]
        if not request.user.is_superuser:
            # Only superusers may step outside the role model.
            readonly += ["is_staff", "is_superuser", "groups", "user_permissions"]
        if obj is not None and not self._may_change_role(request, obj):
            readonly.append("role")
        if obj is not None and not self._may_change_active(request, obj):
            readonly.append("is_active")
        return readonly

    def save_model(self, request, obj, form, change):
        if change and "role" in form.changed_data:
            # Save the old role for now; save_related applies the new one through the
            # service, after the form has written its groups, so the service wins.
            obj._pending_role = obj.role
            obj.role = form.initial["role"]
        is_active = obj.is_active
        if change and "is_active" in form.changed_data:
            # A raw save would skip the access bump, and open sessions would go on.
            obj.is_active = form.initial["is_active"]
        super().save_model(request, obj, form, change)
        if change and is_active != obj.is_active:
            user_set_active(user=obj, is_active=is_active, by=request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        role = getattr(form.instance, "_pending_role", None)
        if role is not None:
            del form.instance._pending_role
            user_set_role(user=form.instance, role=role, by=request.user)

    def _run_on_each(self, request, queryset, service, done: str) -> None:
        """Call `service(user=..., by=...)` per user; report those the rules refused."""
        changed, refused = 0, []
        for user in queryset:
            try:
                service(user=user, by=request.user)
            except PermissionDenied as exc:
                refused.append(f"{user.username}: {exc}")
            else:
                changed += 1
        if changed:
            self.message_user(request, f"{done} {changed} account(s).", messages.SUCCESS)
        if refused:
            self.message_user(request, "Not changed: " + " ".join(refused), messages.WARNING)

    @admin.action(description="Suspend for 7 days", permissions=["change"])
    def suspend_for_7_days(self, request, queryset):
        until = timezone.now() + ADMIN_SUSPENSION

        def suspend(*, user, by):
            user_suspend(user=user, until=until, reason=ADMIN_SUSPENSION_REASON, by=by)

        self._run_on_each(request, queryset, suspend, "Suspended for 7 days:")

    @admin.action(description="Lift suspension", permissions=["change"])
    def lift_suspension(self, request, queryset):
        self._run_on_each(request, queryset, user_unsuspend, "Lifted the suspension of")


class _ReadOnlyWithActions:
    """Rows are created by the site, not by hand; admin only views them and runs actions.

    has_change_permission is kept for the list page only, because actions need it.
    """

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)


@admin.register(ApiKey)
class ApiKeyAdmin(_ReadOnlyWithActions, admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("name", "prefix", "user__username", "user__email")
    list_select_related = ("user",)  # the user column would otherwise cost a query per row
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row records who had which key, and when

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke(self, request, queryset):
        keys = list(queryset.filter(revoked_at__isnull=True))
        for api_key in keys:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {len(keys)} API key(s).", messages.SUCCESS)


class LockedNowFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", "Locked out now"), ("no", "Not locked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(locked_until__gt=now)
        if self.value() == "no":
            return queryset.exclude(locked_until__gt=now)
        return queryset


@admin.register(LoginThrottle)
class LoginThrottleAdmin(_ReadOnlyWithActions, admin.ModelAdmin):
    list_display = (
        "key",
        "attempts",
        "in_flight",
        "window_started_at",
        "locked_until",
        "locked_now",
    )
    list_filter = (LockedNowFilter,)
    search_fields = ("key",)
    fields = ("key", "attempts", "in_flight", "window_started_at", "locked_until")
    readonly_fields = fields
    actions = ["clear_lockout"]

    @admin.display(boolean=True, description="Locked now")
    def locked_now(self, obj: LoginThrottle) -> bool:
        return obj.locked_until is not None and obj.locked_until > timezone.now()

    @admin.action(description="Clear lock-out (allow sign-in again)", permissions=["change"])
    def clear_lockout(self, request, queryset):
        cleared = login_throttle_clear(keys=list(queryset.values_list("key", flat=True)))
        self.message_user(request, f"Cleared {cleared} lock-out(s).", messages.SUCCESS)
