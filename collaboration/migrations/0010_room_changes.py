# Changes to the room models after 0009, written by hand or pasted from
# `makemigrations --dry-run -v 3`.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("collaboration", "0009_room_log_edits_and_events")]

    operations = []
