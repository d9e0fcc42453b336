# Changes to the AMA sessions models after 0002, written by hand or pasted from
# `makemigrations --dry-run -v 3` (one file per area, so parallel work never conflicts).

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0004_study_group_changes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # "Remind me": the people told when the session starts soon, besides its askers
        # and voters and the watchers of its documents.
        migrations.AddField(
            model_name="amasession",
            name="followers",
            field=models.ManyToManyField(
                blank=True, related_name="followed_amas", to=settings.AUTH_USER_MODEL
            ),
        ),
    ]
