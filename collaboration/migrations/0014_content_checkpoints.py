"""Large documents are no longer rewritten whole on every commit (issue 15).

`Document.content` becomes `content_checkpoint` (same column, `content`) with
`content_revision`, the revision whose text the column holds; the model's `content` property
rebuilds the latest text from it and the operations after it (collaboration/checkpoints.py).
The one-round-trip commit function takes a NULL `p_content` to mean "leave the checkpoint as
it is": only the revision and timestamps change, and PostgreSQL keeps the stored text (its
TOAST value) untouched. A snapshot is only written together with the text.
"""

import importlib

from django.db import migrations, models

CREATE = r"""
CREATE OR REPLACE FUNCTION collaboration_commit(
    p_document bigint,
    p_expected integer,
    p_rows jsonb,
    p_check_ids jsonb,
    p_content text,
    p_snapshot boolean,
    p_access jsonb
) RETURNS TABLE (
    kind text, revision integer, client_op_id text, ops jsonb, user_id bigint,
    access_version integer
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    current_revision integer;
    current_access integer;
    last_row jsonb := p_rows -> -1;
    last_revision integer := (last_row ->> 0)::integer;
    check_ids text[] := ARRAY(SELECT jsonb_array_elements_text(p_check_ids));
BEGIN
    SELECT d.revision, d.access_version INTO current_revision, current_access
      FROM collaboration_document d WHERE d.id = p_document FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'missing'::text, NULL::integer, NULL::text, NULL::jsonb,
                            NULL::bigint, NULL::integer;
        RETURN;
    END IF;
    IF p_access IS NOT NULL AND (
        EXISTS (
            SELECT 1 FROM jsonb_array_elements_text(p_access -> 'd') AS v
             WHERE v::integer <> current_access
        ) OR EXISTS (
            SELECT 1 FROM jsonb_array_elements(p_access -> 'u') AS u
              LEFT JOIN accounts_user au ON au.id = (u ->> 0)::bigint
             WHERE au.id IS NULL OR au.access_version <> (u ->> 1)::integer
        )
    ) THEN
        RETURN QUERY SELECT 'access'::text, current_access, NULL::text, NULL::jsonb,
                            NULL::bigint, current_access;
        RETURN QUERY
            SELECT 'user'::text, au.access_version::integer, NULL::text, NULL::jsonb, au.id,
                   current_access
              FROM accounts_user au
             WHERE au.id IN (
                SELECT (u ->> 0)::bigint FROM jsonb_array_elements(p_access -> 'u') AS u
             );
        RETURN;
    END IF;
    IF current_revision <> p_expected OR EXISTS (
        SELECT 1 FROM collaboration_operation o
         WHERE o.document_id = p_document AND o.client_op_id = ANY (check_ids)
    ) THEN
        RETURN QUERY SELECT 'moved'::text, current_revision, NULL::text, NULL::jsonb,
                            NULL::bigint, current_access;
        RETURN QUERY
            SELECT 'op'::text, o.revision, o.client_op_id::text, o.ops, o.user_id,
                   current_access
              FROM collaboration_operation o
             WHERE o.document_id = p_document AND o.revision > p_expected
             ORDER BY o.revision;
        RETURN QUERY
            SELECT 'dup'::text, o.revision, o.client_op_id::text, NULL::jsonb, NULL::bigint,
                   current_access
              FROM collaboration_operation o
             WHERE o.document_id = p_document AND o.client_op_id = ANY (check_ids);
        RETURN;
    END IF;
    INSERT INTO collaboration_operation (
        document_id, revision, base_revision, ops, client_op_id, user_id, source,
        chars_inserted, chars_deleted, created_at
    )
    SELECT p_document, (r ->> 0)::integer, (r ->> 1)::integer, r -> 2, r ->> 3,
           (r ->> 4)::bigint, r ->> 5, (r ->> 6)::integer, (r ->> 7)::integer, now()
      FROM jsonb_array_elements(p_rows) AS r;
    IF p_content IS NULL THEN
        -- The checkpoint stays as it is: its out-of-line (TOAST) value is not rewritten.
        UPDATE collaboration_document d
           SET revision = last_revision, updated_at = now(),
               last_edited_at = now(), last_edited_by_id = (last_row ->> 4)::bigint
         WHERE d.id = p_document;
    ELSE
        UPDATE collaboration_document d
           SET content = p_content, content_revision = last_revision,
               revision = last_revision, updated_at = now(),
               last_edited_at = now(), last_edited_by_id = (last_row ->> 4)::bigint
         WHERE d.id = p_document;
    END IF;
    IF p_snapshot AND p_content IS NOT NULL THEN
        INSERT INTO collaboration_snapshot (document_id, revision, content, created_at)
        VALUES (p_document, last_revision, p_content, now());
    END IF;
    RETURN QUERY SELECT 'ok'::text, last_revision, NULL::text, NULL::jsonb, NULL::bigint,
                        current_access;
END;
$$;
"""


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def restore_previous_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        previous = importlib.import_module(
            "collaboration.migrations.0007_commit_function_access_check"
        )
        schema_editor.execute(previous.CREATE)


class Migration(migrations.Migration):
    dependencies = [("collaboration", "0013_search_embeddings")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField("document", "content", "content_checkpoint"),
                migrations.AlterField(
                    model_name="document",
                    name="content_checkpoint",
                    field=models.TextField(blank=True, db_column="content", verbose_name="text"),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="document",
            name="content_revision",
            field=models.PositiveIntegerField(
                default=0, help_text="The revision whose text the stored checkpoint holds."
            ),
        ),
        # Every stored text so far is the text at the document's revision.
        migrations.RunSQL(
            "UPDATE collaboration_document SET content_revision = revision",
            migrations.RunSQL.noop,
            elidable=False,
        ),
        migrations.RunPython(create_function, restore_previous_function, elidable=False),
    ]
