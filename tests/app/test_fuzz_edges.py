"""Property test over HTTP: each scalar's edge values, as variables and as literals, never
reach an internal error.

Edges are what broke before: timestamps whose UTC instant leaves the calendar (year 1 and
9999 at ±14:00), numbers past 32 and 64 bits, negative and zero ids, digit strings past
Python's int-conversion limit, NUL, lone surrogates, cursors carrying any of those. Queries
run on the shared database; mutations with an admin token on a throwaway database of their
own, so whatever they write harms nothing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.config import Settings
from app.migrate import apply_migrations
from tests.conftest import Api, TestDatabase, make_token, start_api

EDGE = settings(
    max_examples=40,  # per argument slot: 31 slots, about 1,240 requests in all
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ADMIN = make_token("admin", "*")
INTERNAL = "INTERNAL_SERVER_ERROR"

_corner_stamps = st.builds(
    lambda date, time, offset: f"{date}T{time}{offset}",
    st.sampled_from(["0001-01-01", "9999-12-31", "2025-02-29", "2024-02-29", "0000-01-01"]),
    st.sampled_from(["00:00:00", "23:59:59", "23:59:59.999999", "24:00:00", "12:00"]),
    st.sampled_from(["+14:00", "-14:00", "+23:59", "-23:59", "Z", "", "+00:00", "+24:00"]),
)
_any_stamps = st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
STAMPS = (
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
    | _corner_stamps
    | _any_stamps
)
DATES = st.sampled_from(
    ["0001-01-01", "9999-12-31", "0000-01-01", "10000-01-01", "2025-13-01", "-0001-01-01"]
) | st.dates().map(lambda d: d.isoformat())
BIG = [2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30, -1, 0]
DIGITS = (st.sampled_from([4301, 5000, 20, 19]) | st.integers(1, 6000)).map(lambda n: "9" * n)
NASTY_TEXT = st.sampled_from(
    ["", "\x00", "a\x00b", "\ud800", "x\udfff", "\U0001f600", "١٢٣", " 1 ", "1e3", "0x1F", "-0"]
)
TEXTS = NASTY_TEXT | st.text(max_size=30) | DIGITS
IDS = DIGITS | st.sampled_from([str(n) for n in BIG]) | NASTY_TEXT | st.integers(-(2**70), 2**70)
INTS = st.sampled_from(BIG) | st.integers()
FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([1e308, -0.0, 5e-324])
DECIMALS = st.sampled_from(
    ["1e999999", "-1e999999", "NaN", "Infinity", "-0", "0.001", "1" * 5000, "12.5", "1e-999999"]
) | st.decimals(allow_nan=True, allow_infinity=True).map(str)
CURSOR_KINDS = ["doc", "doc-asc", "rank", "led", "co", "x"]


def _cursor(kind: str, key: Any, ident: Any) -> str:
    """A cursor shaped like ours (base64url of a JSON array) around any key; stdlib json,
    so lone surrogates and huge numbers get in too."""
    return base64.urlsafe_b64encode(json.dumps([kind, key, ident]).encode()).decode().rstrip("=")


CURSORS = (
    st.builds(
        _cursor,
        st.sampled_from(CURSOR_KINDS),
        STAMPS | DATES | TEXTS | FLOATS,
        st.sampled_from(BIG) | DIGITS,
    )
    | TEXTS
)

# (document with one $v, GraphQL type of $v, values for it)
QUERY_SLOTS: list[tuple[str, str, st.SearchStrategy[Any]]] = [
    ("{ document(id: $v) { id } }", "ID!", IDS),
    ("{ company(id: $v) { id } }", "ID!", IDS),
    ("{ documents(first: $v) { nodes { id } } }", "Int", INTS),
    ("{ documents(after: $v) { nodes { id } } }", "String", CURSORS),
    ("{ documents(after: $v, orderBy: UPLOADED_AT_ASC) { nodes { id } } }", "String", CURSORS),
    ("{ documents(filter: {companyId: $v}) { nodes { id } } }", "ID", IDS),
    ("{ documents(filter: {uploadedAfter: $v}) { nodes { id } } }", "DateTime", STAMPS),
    (
        "{ documents(filter: {uploadedBefore: $v}, orderBy: UPLOADED_AT_ASC) { nodes { id } } }",
        "DateTime",
        STAMPS,
    ),
    ("{ documents(filter: {tag: $v}) { totalCount } }", "String", TEXTS),
    ("{ documents(filter: {documentType: $v}) { totalCount } }", "String", TEXTS),
    ("{ searchDocuments(query: $v) { nodes { id } } }", "String!", TEXTS),
    ('{ searchDocuments(query: "cement", after: $v) { nodes { id } } }', "String", CURSORS),
    ("{ companies(after: $v) { nodes { id } } }", "String", CURSORS),
    ("{ companies(filter: {search: $v}) { nodes { id } } }", "String", TEXTS),
    ("{ ledgerEntries(companyId: $v) { nodes { id } } }", "ID!", IDS),
    ('{ ledgerEntries(companyId: "1", after: $v) { nodes { id } } }', "String", CURSORS),
    ('{ ledgerEntries(companyId: "1", filter: {from: $v}) { nodes { id } } }', "Date", DATES),
    ('{ financialSummary(companyId: "1", to: $v) { net } }', "Date", DATES),
    ("{ financialSummary(companyId: $v) { net } }", "ID!", IDS),
    ("{ documentStatistics(companyId: $v) { total } }", "ID", IDS),
]
MUTATION_SLOTS: list[tuple[str, str, st.SearchStrategy[Any]]] = [
    ("mutation { deleteDocument(id: $v) }", "ID!", IDS),
    ("mutation { approveLedgerEntry(id: $v) { id } }", "ID!", IDS),
    ('mutation { updateDocument(id: $v, input: {status: "active"}) { id } }', "ID!", IDS),
    ('mutation { updateDocument(id: "1", input: {filename: $v}) { id } }', "String", TEXTS),
    (
        'mutation { uploadDocument(input: {companyId: $v, filename: "a.txt", '
        'documentType: "other", content: "x"}) { id } }',
        "ID!",
        IDS,
    ),
    (
        'mutation { uploadDocument(input: {companyId: "1", filename: $v, '
        'documentType: "other", content: "x"}) { id } }',
        "String!",
        TEXTS,
    ),
    (
        'mutation { uploadDocument(input: {companyId: "1", filename: "a.txt", '
        'documentType: "other", content: $v}) { id } }',
        "String!",
        TEXTS,
    ),
    (
        'mutation { recordLedgerEntry(input: {companyId: "1", entryType: "expense", '
        'amount: $v, transactionDate: "2025-01-01"}) { id } }',
        "Decimal!",
        DECIMALS,
    ),
    (
        'mutation { recordLedgerEntry(input: {companyId: "1", entryType: "expense", '
        'amount: "1.00", transactionDate: $v}) { id } }',
        "Date!",
        DATES,
    ),
    (
        'mutation { recordLedgerEntry(input: {companyId: $v, entryType: "expense", '
        'amount: "1.00", transactionDate: "2025-01-01"}) { id } }',
        "ID!",
        IDS,
    ),
    (
        "mutation { createCompany(input: {name: $v, companyType: SUBSIDIARY}) { id } }",
        "String!",
        TEXTS,
    ),
]


def _literal(value: Any) -> str:
    """``value`` written into the document: strings as GraphQL strings (JSON escapes are
    GraphQL escapes, lone surrogates included), numbers as they are."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _request(slot: tuple[str, str, Any], value: Any, as_literal: bool) -> dict[str, Any]:
    document, type_, _ = slot
    if as_literal:
        return {"query": document.replace("$v", _literal(value))}
    operation, _, rest = document.partition(" {")
    head = "mutation" if operation == "mutation" else "query"
    return {"query": f"{head}($v: {type_}) {{{rest}", "variables": {"v": value}}


async def _assert_no_internal_error(api: Api, payload: dict[str, Any], token: str) -> None:
    # stdlib json: writes big ints and lone surrogates, which orjson would refuse to send
    body = json.dumps(payload).encode()
    response = await api.client.post(
        "/graphql",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    text = await response.read()
    assert response.status < 500, (payload, response.status, text[:500])
    answer = orjson.loads(text)
    codes = [e.get("extensions", {}).get("code") for e in answer.get("errors", [])]
    assert INTERNAL not in codes, (payload, answer)


@pytest.mark.parametrize("slot", QUERY_SLOTS, ids=[slot[0] for slot in QUERY_SLOTS])
@EDGE
@given(data=st.data(), as_literal=st.booleans())
async def test_query_arguments_at_their_edges_never_reach_an_internal_error(
    api: Api, slot: tuple[str, str, st.SearchStrategy[Any]], data: st.DataObject, as_literal: bool
) -> None:
    value = data.draw(slot[2], label="value")
    await _assert_no_internal_error(api, _request(slot, value, as_literal), ADMIN)


@pytest.fixture(scope="module")
async def scratch_api(settings: Settings, test_db: TestDatabase) -> AsyncIterator[Api]:
    """The app on an empty throwaway database: fuzzed mutations may write there."""
    url = await test_db.create_empty()
    await apply_migrations(url)
    async for api in start_api(replace(settings, database_url=url)):
        yield api


@pytest.mark.parametrize("slot", MUTATION_SLOTS, ids=[slot[0] for slot in MUTATION_SLOTS])
@EDGE
@given(data=st.data(), as_literal=st.booleans())
async def test_mutation_arguments_at_their_edges_never_reach_an_internal_error(
    scratch_api: Api,
    slot: tuple[str, str, st.SearchStrategy[Any]],
    data: st.DataObject,
    as_literal: bool,
) -> None:
    value = data.draw(slot[2], label="value")
    await _assert_no_internal_error(scratch_api, _request(slot, value, as_literal), ADMIN)
