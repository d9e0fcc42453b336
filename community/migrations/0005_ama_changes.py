# Changes to the AMA sessions models after 0002, written by hand or pasted from
# `makemigrations --dry-run -v 3` (one file per area, so parallel work never conflicts).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("community", "0004_study_group_changes")]

    operations = []
