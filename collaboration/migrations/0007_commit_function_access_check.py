"""The one-round-trip commit checks access versions (collaboration/commit/fast.py, PostgreSQL only).

Same function as migration 0004, plus `p_access`: the document access version and the
(user id, user access version) pairs the batch's rights were decided on. If any of them
moved (a member removed, a visibility narrowed, a user deactivated...), nothing is stored
and the answer is one 'access' row (revision = the document's access version) and one
'user' row per checked user (revision = that user's access version, user_id = the user),
so the caller re-decides the rights and only then commits. Every answer row now also
carries the document's access version.

Answer rows: (kind, revision, client_op_id, ops, user_id, access_version) with kind
'ok', 'missing', 'access' + 'user', or 'moved' + 'op' + 'dup' as in 0004.
"""

import importlib

from django.db import migrations

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
    UPDATE collaboration_document d
       SET content = p_content, revision = last_revision, updated_at = now(),
           last_edited_at = now(), last_edited_by_id = (last_row ->> 4)::bigint
     WHERE d.id = p_document;
    IF p_snapshot THEN
        INSERT INTO collaboration_snapshot (document_id, revision, content, created_at)
        VALUES (p_document, last_revision, p_content, now());
    END IF;
    RETURN QUERY SELECT 'ok'::text, last_revision, NULL::text, NULL::jsonb, NULL::bigint,
                        current_access;
END;
$$;
"""

DROP_OLD = (
    "DROP FUNCTION IF EXISTS collaboration_commit(bigint, integer, jsonb, jsonb, text, boolean);"
)
DROP_NEW = (
    "DROP FUNCTION IF EXISTS "
    "collaboration_commit(bigint, integer, jsonb, jsonb, text, boolean, jsonb);"
)


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_OLD)
        schema_editor.execute(CREATE)


def restore_old_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_NEW)
        previous = importlib.import_module("collaboration.migrations.0004_commit_function")
        schema_editor.execute(previous.CREATE)


class Migration(migrations.Migration):
    dependencies = [
        ("collaboration", "0006_access_versions_rooms_and_revision_cursors"),
        ("accounts", "0004_user_access_versions_and_suspension"),
    ]

    operations = [migrations.RunPython(create_function, restore_old_function, elidable=False)]
