"""A GIN index over the weighted search vector of a document (PostgreSQL only).

The expression must match `collaboration.search.document_search_vector()` exactly, or the
planner will not use the index. The index is not declared in Document.Meta (SearchVector
does not compile on SQLite), so it lives outside the migration state: on SQLite this
migration does nothing, and makemigrations never sees it.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import F, Func, TextField, Value
from django.db.models.functions import Coalesce

INDEX_NAME = "document_search_idx"


def _index() -> GinIndex:
    headings = Func(
        Coalesce(F("content"), Value("")),
        Value(r"^(?!#).*$"),
        Value(""),
        Value("gn"),
        function="regexp_replace",
        output_field=TextField(),
    )
    vector = (
        SearchVector("title", weight="A", config="english")
        + SearchVector(headings, weight="B", config="english")
        + SearchVector("content", weight="C", config="english")
    )
    return GinIndex(vector, name=INDEX_NAME)


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.add_index(apps.get_model("collaboration", "Document"), _index())


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("collaboration", "Document"), _index())


class Migration(migrations.Migration):
    dependencies = [("collaboration", "0001_initial")]

    operations = [migrations.RunPython(add_index, remove_index, elidable=False)]
