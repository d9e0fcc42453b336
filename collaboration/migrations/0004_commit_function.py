"""The database side of the one-round-trip commit (collaboration/commit.py, PostgreSQL only).

`collaboration_commit` stores a planned batch of operations of one document in one
statement, so the document row stays locked only while the database itself works:
it locks the row, and if the revision is still the one the batch was planned on and
none of the op ids was committed before, it inserts the operations, updates the text
and revision (and writes a snapshot when asked). Otherwise it changes nothing and
answers with the current revision, the operations committed after the planned base
and the earlier revisions of the op ids, so the caller can plan again at once.

`p_rows` is a JSON array of [revision, base_revision, ops, client_op_id, user_id, source,
chars_inserted, chars_deleted] in revision order; `p_check_ids` a JSON array of op ids
(one JSON text per call is far cheaper for the caller to send than a dozen arrays).

Answer rows: (kind, revision, client_op_id, ops, user_id) with kind
'ok' (revision = the new revision), 'missing' (no such document), or
'moved' (revision = current) followed by 'op' and 'dup' rows.
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION collaboration_commit(
    p_document bigint,
    p_expected integer,
    p_rows jsonb,
    p_check_ids jsonb,
    p_content text,
    p_snapshot boolean
) RETURNS TABLE (kind text, revision integer, client_op_id text, ops jsonb, user_id bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    current_revision integer;
    last_row jsonb := p_rows -> -1;
    last_revision integer := (last_row ->> 0)::integer;
    check_ids text[] := ARRAY(SELECT jsonb_array_elements_text(p_check_ids));
BEGIN
    SELECT d.revision INTO current_revision
      FROM collaboration_document d WHERE d.id = p_document FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'missing'::text, NULL::integer, NULL::text, NULL::jsonb, NULL::bigint;
        RETURN;
    END IF;
    IF current_revision <> p_expected OR EXISTS (
        SELECT 1 FROM collaboration_operation o
         WHERE o.document_id = p_document AND o.client_op_id = ANY (check_ids)
    ) THEN
        RETURN QUERY SELECT 'moved'::text, current_revision, NULL::text, NULL::jsonb, NULL::bigint;
        RETURN QUERY
            SELECT 'op'::text, o.revision, o.client_op_id::text, o.ops, o.user_id
              FROM collaboration_operation o
             WHERE o.document_id = p_document AND o.revision > p_expected
             ORDER BY o.revision;
        RETURN QUERY
            SELECT 'dup'::text, o.revision, o.client_op_id::text, NULL::jsonb, NULL::bigint
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
    UPDATE collaboration_document d
       SET content = p_content, revision = last_revision, updated_at = now(),
           last_edited_at = now(), last_edited_by_id = (last_row ->> 4)::bigint
     WHERE d.id = p_document;
    IF p_snapshot THEN
        INSERT INTO collaboration_snapshot (document_id, revision, content, created_at)
        VALUES (p_document, last_revision, p_content, now());
    END IF;
    RETURN QUERY SELECT 'ok'::text, last_revision, NULL::text, NULL::jsonb, NULL::bigint;
END;
$$;
"""

DROP = "DROP FUNCTION IF EXISTS collaboration_commit(bigint, integer, jsonb, jsonb, text, boolean);"


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("collaboration", "0003_document_reads")]

    operations = [migrations.RunPython(create_function, drop_function, elidable=False)]
