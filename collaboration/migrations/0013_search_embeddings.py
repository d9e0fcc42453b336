# Semantic search (issue 13): the Embedding table, pg_trgm for trigram similarity on titles,
# and pgvector's `vector` column type where that extension can be created.
#
# PostgreSQL without pgvector keeps the `real[]` column the model declares and searches it
# with an exact scan; SQLite stores JSON text. Which one a database has is read from the
# column itself at run time (collaboration.semantic.vectors.storage).

import django.db.models.deletion
from django.db import DatabaseError, migrations, models, transaction

import collaboration.semantic.fields

TABLE = "collaboration_embedding"
TRGM_INDEX = "embedding_title_trgm"


def _extension_available(cursor, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = %s", [name])
    return cursor.fetchone() is not None


def _try_create_extension(connection, name: str) -> bool:
    """Creates the extension if its files are installed and we may; True if it is there."""
    with connection.cursor() as cursor:
        if not _extension_available(cursor, name):
            return False
        try:
            with transaction.atomic(using=connection.alias):  # a savepoint: a refusal
                cursor.execute(f"CREATE EXTENSION IF NOT EXISTS {name}")  # keeps the rest
        except DatabaseError:  # no privilege to create it: the plain column will do
            return False
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = %s", [name])
        return cursor.fetchone() is not None


def extensions_forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # pg_trgm ships with PostgreSQL (Debian's postgresql-contrib); trusted since 13.
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute(f"CREATE INDEX {TRGM_INDEX} ON {TABLE} USING gin (title gin_trgm_ops)")
    if _try_create_extension(connection, "vector"):
        with connection.cursor() as cursor:
            cursor.execute(
                f"ALTER TABLE {TABLE} ALTER COLUMN vector TYPE vector USING vector::vector"
            )


def extensions_backward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")
        cursor.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attname = 'vector'",
            [TABLE],
        )
        row = cursor.fetchone()
        if row and row[0].startswith("vector"):
            cursor.execute(
                f"ALTER TABLE {TABLE} ALTER COLUMN vector TYPE real[] USING vector::real[]"
            )


class Migration(migrations.Migration):
    dependencies = [("collaboration", "0012_attachments")]

    operations = [
        migrations.CreateModel(
            name="Embedding",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("document_section", "Document section"),
                            ("document", "Whole document"),
                            ("question", "Question"),
                            ("answer", "Answer"),
                        ],
                        max_length=20,
                    ),
                ),
                ("object_id", models.PositiveBigIntegerField()),
                (
                    "anchor",
                    models.TextField(
                        blank=True,
                        help_text='The heading id of a section ("" for the text before the first).',
                    ),
                ),
                ("title", models.CharField(blank=True, max_length=300)),
                (
                    "excerpt",
                    models.TextField(blank=True, help_text="The start of the text, for lists."),
                ),
                (
                    "position",
                    models.PositiveIntegerField(
                        default=0, help_text="Where the section starts in the document's text."
                    ),
                ),
                ("text_hash", models.CharField(max_length=64)),
                (
                    "source_updated_at",
                    models.DateTimeField(
                        help_text="The `updated_at` of the document or post when it was embedded.",
                        null=True,
                    ),
                ),
                ("model", models.CharField(max_length=200)),
                ("dimension", models.PositiveIntegerField()),
                ("vector", collaboration.semantic.fields.VectorField()),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "document",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="collaboration.document",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["kind", "model"], name="embedding_kind_model"),
                    models.Index(fields=["document", "kind"], name="embedding_document"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "object_id", "anchor"), name="unique_embedding_per_object"
                    )
                ],
            },
        ),
        migrations.RunPython(extensions_forward, extensions_backward),
    ]
