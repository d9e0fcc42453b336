"""The search vector moves off the document row into its own table (PostgreSQL search).

Migration 0002's GIN expression index on collaboration_document made every update of
the text (the editor does hundreds a second on a busy document) recompute the weighted
tsvector while the row was locked. Now the vector is stored in collaboration_documentsearch
and refreshed lazily from the documents whose updated_at changed
(`collaboration.search.refresh_search_index`); the GIN index is over that column.

On PostgreSQL this migration fills the table for the existing documents (with 0002's
expression, which `collaboration.search.document_search_vector()` still matches), creates
the GIN index on it, and only then drops the old index, so the document table is locked
exclusively for a moment at the end, not during the fill. Reversing recreates 0002's index
(with 0002's own definition) and drops the new one. On SQLite only the table is created.
"""

import importlib

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

OLD_INDEX = "document_search_idx"  # migration 0002, on collaboration_document
NEW_INDEX = "documentsearch_vector_idx"  # on collaboration_documentsearch(vector)


def _migration_0002():
    return importlib.import_module("collaboration.migrations.0002_document_search")


def move_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Document = apps.get_model("collaboration", "Document")
    DocumentSearch = apps.get_model("collaboration", "DocumentSearch")
    quote = schema_editor.quote_name
    vector = _migration_0002()._index().expressions[0]
    select = Document._default_manager.annotate(search_vector=vector).values_list(
        "pk", "search_vector", "updated_at"
    )
    sql, params = select.query.sql_with_params()
    schema_editor.execute(
        f"INSERT INTO {quote(DocumentSearch._meta.db_table)} "
        f"(document_id, vector, source_updated_at) {sql}",
        params,
    )
    schema_editor.execute(
        f"CREATE INDEX {quote(NEW_INDEX)} ON {quote(DocumentSearch._meta.db_table)} "
        f"USING gin (vector)"
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {quote(OLD_INDEX)}")


def restore_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(NEW_INDEX)}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(OLD_INDEX)}")
    schema_editor.add_index(apps.get_model("collaboration", "Document"), _migration_0002()._index())


class Migration(migrations.Migration):
    dependencies = [
        ("collaboration", "0004_commit_function"),
    ]

    operations = [
        migrations.CreateModel(
            name="DocumentSearch",
            fields=[
                (
                    "document",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search",
                        serialize=False,
                        to="collaboration.document",
                    ),
                ),
                ("vector", django.contrib.postgres.search.SearchVectorField(null=True)),
                (
                    "source_updated_at",
                    models.DateTimeField(
                        help_text="The document's updated_at the vector was computed from.",
                        null=True,
                    ),
                ),
            ],
        ),
        migrations.RunPython(move_index, restore_index, elidable=False),
    ]
