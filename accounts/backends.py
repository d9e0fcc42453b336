"""Sign in with either the username or the email address."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .services import AccountSuspended


class EmailOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        identifier = email or username or kwargs.get(get_user_model().USERNAME_FIELD)
        if not identifier or password is None:
            return None
        User = get_user_model()
        field = "email__iexact" if "@" in identifier else "username__iexact"
        user = User.objects.filter(**{field: identifier}).first()
        if user is None:
            # Spend the same time as a real check so timing does not reveal accounts.
            User().set_password(password)
            return None
        if not user.check_password(password):
            return None
        if user.is_active and user.is_suspended:
            # Only someone who knows the password learns of the suspension, and learns
            # until when and why rather than "wrong password". Raised, not returned as
            # None: authenticate() would swallow the reason (and a PermissionDenied).
            raise AccountSuspended(user=user)
        return user if self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user) -> bool:
        # Also decides whether an existing session still signs its user in (get_user),
        # so a suspended person's open sessions act as signed out until it ends.
        return user.may_sign_in
