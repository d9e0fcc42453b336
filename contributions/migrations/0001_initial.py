# The contributions app's first migration: nothing yet. Each concern adds its models in its
# own migration after this one (0002_git, 0003_checks, 0004_sandbox, ...), written by hand or
# pasted from `makemigrations --dry-run -v 3`, so parallel work never conflicts.

from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = []
