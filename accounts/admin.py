"""Admin for accounts: users and roles (admins), API keys, sign-in lock-outs (moderators too)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils import timezone

from .lockout import login_throttle_clear
from .models import ApiKey, LoginThrottle, User
from .permissions import can_manage_users
from .services import api_key_revoke, user_set_role

EMAIL_TAKEN = "Another account already uses this email address."


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


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
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
    list_display = ("username", "email", "full_name", "role", "reputation", "is_active")
    list_filter = ("role", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "email", "full_name")
    ordering = ("username",)

    @staticmethod
    def _may_change_role(request, obj: User) -> bool:
        me = request.user
        if not can_manage_users(me):
            return False
        if me.is_superuser:
            return True
        # Same rules as user_set_role: not one's own role, not a superuser's.
        return obj.pk != me.pk and not obj.is_superuser

    def get_readonly_fields(self, request, obj=None):
        # Reputation comes from the scoring services, never from hand edits.
        readonly = ["reputation", "last_login", "date_joined"]
        if not request.user.is_superuser:
            # Only superusers may step outside the role model.
            readonly += ["is_staff", "is_superuser", "groups", "user_permissions"]
        if obj is not None and not self._may_change_role(request, obj):
            readonly.append("role")
        return readonly

    def save_model(self, request, obj, form, change):
        if change and "role" in form.changed_data:
            # Save the old role for now; save_related applies the new one through the
            # service, after the form has written its groups, so the service wins.
            obj._pending_role = obj.role
            obj.role = form.initial["role"]
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        role = getattr(form.instance, "_pending_role", None)
        if role is not None:
            del form.instance._pending_role
            user_set_role(user=form.instance, role=role, by=request.user)


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
    list_display = ("key", "attempts", "window_started_at", "locked_until", "locked_now")
    list_filter = (LockedNowFilter,)
    search_fields = ("key",)
    fields = ("key", "attempts", "window_started_at", "locked_until")
    readonly_fields = fields
    actions = ["clear_lockout"]

    @admin.display(boolean=True, description="Locked now")
    def locked_now(self, obj: LoginThrottle) -> bool:
        return obj.locked_until is not None and obj.locked_until > timezone.now()

    @admin.action(description="Clear lock-out (allow sign-in again)", permissions=["change"])
    def clear_lockout(self, request, queryset):
        cleared = login_throttle_clear(keys=list(queryset.values_list("key", flat=True)))
        self.message_user(request, f"Cleared {cleared} lock-out(s).", messages.SUCCESS)
