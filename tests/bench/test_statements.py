"""bench.statements replaces exactly the rendered columns of a statement by NULL."""

from __future__ import annotations

from bench.statements import _unrendered


def test_rendered_columns_become_null_and_nothing_else_changes() -> None:
    sql = (
        'SELECT d.id, m.tags AS "metadata.tags", CASE WHEN (a IS NULL OR f(a)) THEN (\'{"id":\''
        "::text || to_json(d.id::text)::text || '}'::text) END AS \"rendered.0\", "
        "('{}'::text) AS \"rendered.1\" FROM documents d WHERE d.id = ANY($1::bigint[])"
    )
    assert _unrendered(sql) == (
        'SELECT d.id, m.tags AS "metadata.tags", NULL AS "rendered.0", NULL AS "rendered.1" '
        "FROM documents d WHERE d.id = ANY($1::bigint[])"
    )
    plain = "SELECT d.id FROM documents d"
    assert _unrendered(plain) == plain
