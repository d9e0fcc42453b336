"""Create the Moderators and Admins groups that roles map to.

Permissions are granted by app label with whatever permissions exist at this
point. On a fresh database Django creates permissions only after all
migrations ran, so accounts.services.ensure_role_groups() (run after migrate
and before every role change) grants the rest; this migration only makes sure
the groups exist for databases that never run it.
"""

from django.db import migrations
from django.db.models import Q

MODERATED_APP_LABELS = ("collaboration", "community", "contributions")
MODERATED_ACCOUNTS_MODELS = ("loginthrottle",)


def create_role_groups(apps, schema_editor):
    db = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    moderators, _ = Group.objects.using(db).get_or_create(name="Moderators")
    admins, _ = Group.objects.using(db).get_or_create(name="Admins")
    permissions = Permission.objects.using(db)
    moderators.permissions.add(
        *permissions.filter(
            Q(content_type__app_label__in=MODERATED_APP_LABELS)
            | Q(content_type__app_label="accounts", content_type__model__in=MODERATED_ACCOUNTS_MODELS)
        )
    )
    admins.permissions.add(*permissions.all())

    # Accounts that already hold these roles get the staff status and group they imply.
    User = apps.get_model("accounts", "User")
    for role, group in (("moderator", moderators), ("admin", admins)):
        users = User.objects.using(db).filter(role=role)
        users.update(is_staff=True)
        group.user_set.add(*users)


def delete_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(
        name__in=["Moderators", "Admins"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_keys_and_lockout"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, delete_role_groups)]
