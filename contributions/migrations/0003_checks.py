# Models of automated checks and the quality score, written by hand or pasted from
# `makemigrations --dry-run -v 3` (one file per concern, so parallel work never conflicts).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contributions", "0002_git"),
        ("collaboration", "0010_room_changes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CheckRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "revision",
                    models.PositiveIntegerField(
                        help_text="The document revision that was checked."
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("done", "Done"),
                            ("failed", "Failed"),
                        ],
                        default="queued",
                        max_length=16,
                    ),
                ),
                (
                    "score",
                    models.PositiveSmallIntegerField(blank=True, help_text="0-100.", null=True),
                ),
                (
                    "results",
                    models.JSONField(blank=True, default=list, help_text="The checks' results."),
                ),
                ("block_results", models.JSONField(blank=True, default=dict)),
                ("pending_blocks", models.PositiveIntegerField(default=0)),
                ("versions", models.JSONField(blank=True, default=dict)),
                (
                    "error",
                    models.CharField(blank=True, help_text="Why the run failed.", max_length=300),
                ),
                ("queued_at", models.DateTimeField(auto_now_add=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="check_runs",
                        to="collaboration.document",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-queued_at", "-pk"],
                "indexes": [
                    models.Index(fields=["document", "-queued_at"], name="contrib_checkrun_recent")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("document", "revision"),
                        name="contributions_checkrun_once_per_revision",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="CodeBlock",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("code_hash", models.CharField(max_length=64)),
                (
                    "line",
                    models.PositiveIntegerField(
                        help_text="Line of the block's fence when last run."
                    ),
                ),
                (
                    "verdict",
                    models.CharField(
                        choices=[
                            ("passed", "Verified"),
                            ("failed", "Failing"),
                            ("regressed", "Regressed"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "message",
                    models.CharField(blank=True, help_text="Why it failed.", max_length=500),
                ),
                ("python_version", models.CharField(blank=True, max_length=40)),
                ("runner", models.CharField(blank=True, max_length=20)),
                (
                    "libraries",
                    models.JSONField(blank=True, default=dict, help_text="{module: version}"),
                ),
                (
                    "verified_at",
                    models.DateTimeField(blank=True, help_text="Last time it passed.", null=True),
                ),
                ("last_run_at", models.DateTimeField()),
                ("regressed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="code_blocks",
                        to="collaboration.document",
                    ),
                ),
            ],
            options={
                "ordering": ["document_id", "line"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("document", "code_hash"), name="contributions_codeblock_once"
                    )
                ],
            },
        ),
    ]
