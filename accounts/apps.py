"""Users, roles, API keys and sign-in protection."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .services import role_groups_sync_after_migrate

        # Moderators' and admins' groups get permissions for models added by any migration.
        post_migrate.connect(role_groups_sync_after_migrate, dispatch_uid="accounts_role_groups")
