# Models of the code sandbox, written by hand or pasted from
# `makemigrations --dry-run -v 3` (one file per concern, so parallel work never conflicts).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("contributions", "0003_checks")]

    operations = []
