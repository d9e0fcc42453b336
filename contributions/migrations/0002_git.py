# Models of Git history (contributions/models/git.py): where each document's repository
# stands, notes describing particular revisions as commits, and releases (tags).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contributions", "0001_initial"),
        ("collaboration", "0010_room_changes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="GitSync",
            fields=[
                (
                    "document",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="git_sync",
                        serialize=False,
                        to="collaboration.document",
                    ),
                ),
                (
                    "last_revision_committed",
                    models.IntegerField(
                        default=-1,
                        help_text="The revision the head commit holds (-1: no commit yet).",
                    ),
                ),
                ("head_sha", models.CharField(blank=True, max_length=40)),
                (
                    "path",
                    models.CharField(
                        blank=True,
                        help_text="The Markdown file's path in the head commit.",
                        max_length=260,
                    ),
                ),
                ("commit_count", models.PositiveIntegerField(default=0)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "Git repository",
                "verbose_name_plural": "Git repositories",
            },
        ),
        migrations.CreateModel(
            name="Release",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("message", models.TextField(blank=True, max_length=5000)),
                ("commit_sha", models.CharField(max_length=40)),
                ("revision", models.PositiveIntegerField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="releases",
                        to="collaboration.document",
                    ),
                ),
            ],
            options={
                "ordering": ["document", "-created_at"],
                "constraints": [
                    models.UniqueConstraint(fields=("document", "name"), name="unique_release_name")
                ],
            },
        ),
        migrations.CreateModel(
            name="RevisionNote",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("revision", models.PositiveIntegerField()),
                ("message", models.TextField()),
                ("author_name", models.CharField(blank=True, max_length=200)),
                ("author_email", models.CharField(blank=True, max_length=254)),
                ("authored_at", models.DateTimeField(blank=True, null=True)),
                (
                    "co_authors",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text='Further writers: ["Name <email>", ...].',
                    ),
                ),
                ("original_sha", models.CharField(blank=True, max_length=40)),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="collaboration.document",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("document", "revision"), name="unique_git_revision_note"
                    )
                ],
            },
        ),
    ]
