"""Edge values that used to reach an internal error: each is a client error now, nothing runs."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from app.cursors import encode_cursor
from schema.pages import DOCUMENT_ASC_CURSOR, DOCUMENT_CURSOR
from tests.conftest import JWT_SECRET, Api

# Valid ISO timestamps whose UTC instant lies outside Python's datetime range.
OUT_OF_RANGE = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
# The same corner years with the offset that keeps them in range: still valid input.
IN_RANGE = ["0001-01-01T00:00:00-14:00", "9999-12-31T23:59:59+14:00"]


def _codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def _token(companies: Any) -> str:
    now = int(time.time())
    claims = {"sub": "edge", "role": "admin", "companies": companies, "iat": now, "exp": now + 60}
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


@pytest.mark.parametrize("stamp", OUT_OF_RANGE)
@pytest.mark.parametrize(
    ("kind", "order"),
    [(DOCUMENT_CURSOR, "UPLOADED_AT_DESC"), (DOCUMENT_ASC_CURSOR, "UPLOADED_AT_ASC")],
)
async def test_cursor_with_out_of_range_timestamp_is_bad_user_input(
    api: Api, admin_token: str, stamp: str, kind: str, order: str
) -> None:
    cursor = encode_cursor(kind, stamp, 1)
    status, body, _ = await api.post(
        f'{{ documents(first: 2, after: "{cursor}", orderBy: {order}) {{ nodes {{ id }} }} }}',
        token=admin_token,
    )
    assert status == 200
    assert _codes(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["extensions"]["argument"] == "after"


@pytest.mark.parametrize("stamp", OUT_OF_RANGE)
@pytest.mark.parametrize("bound", ["uploadedBefore", "uploadedAfter"])
@pytest.mark.parametrize("order", ["UPLOADED_AT_DESC", "UPLOADED_AT_ASC"])
async def test_datetime_filter_out_of_range_is_bad_user_input(
    api: Api, admin_token: str, stamp: str, bound: str, order: str
) -> None:
    query = (
        f"query($t: DateTime) {{ documents(first: 2, orderBy: {order}, "
        f"filter: {{{bound}: $t}}) {{ nodes {{ id }} }} }}"
    )
    status, body, _ = await api.post(query, {"t": stamp}, token=admin_token)
    assert status == 200
    assert _codes(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["extensions"]["argument"] == f"filter.{bound}"
    # The same value as a literal in the document.
    literal = query.replace("query($t: DateTime) ", "").replace("$t", f'"{stamp}"')
    status, body, _ = await api.post(literal, token=admin_token)
    assert _codes(body) == ["BAD_USER_INPUT"], body


@pytest.mark.parametrize("stamp", IN_RANGE)
async def test_datetime_filter_at_the_corners_of_the_range_still_works(
    api: Api, admin_token: str, stamp: str
) -> None:
    query = (
        "query($t: DateTime) { documents(first: 1, filter: {uploadedBefore: $t}) { nodes { id } } }"
    )
    status, body, _ = await api.post(query, {"t": stamp}, token=admin_token)
    assert status == 200
    assert "errors" not in body, body


@pytest.mark.parametrize(
    "value",
    [
        "1" * 4301,  # past Python's int-digits limit
        "9223372036854775808",  # 2**63: beyond bigint
        "-1",
        "0",
        "1\x00",
        "\x001",
        "١٢",  # Arabic-Indic digits: str.isdigit() says yes
    ],
)
@pytest.mark.parametrize("field", ["document", "company"])
async def test_malformed_ids_are_bad_user_input(
    api: Api, admin_token: str, value: str, field: str
) -> None:
    status, body, _ = await api.post(
        f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}", {"id": value}, token=admin_token
    )
    assert status == 200
    assert _codes(body) == ["BAD_USER_INPUT"], body


async def test_malformed_company_filter_id_is_bad_user_input(api: Api, admin_token: str) -> None:
    status, body, _ = await api.post(
        "query($c: ID) { documents(filter: {companyId: $c}) { nodes { id } } }",
        {"c": "9" * 5000},
        token=admin_token,
    )
    assert status == 200
    assert _codes(body) == ["BAD_USER_INPUT"], body


@pytest.mark.parametrize(
    "companies",
    [
        "1,2",  # a string is not a list
        "",
        {"1": True},
        [True],
        [1, "2"],
        ["1"],
        [9223372036854775808],  # 2**63
        [0],
        [-3],
        [1.0],
        [[1]],
        None,
        7,
    ],
)
async def test_companies_claim_outside_the_contract_is_unauthenticated(
    api: Api, companies: Any
) -> None:
    status, body, headers = await api.post("{ viewer { companyIds } }", token=_token(companies))
    assert status == 401, body
    assert _codes(body) == ["UNAUTHENTICATED"]
    assert headers["WWW-Authenticate"].startswith("Bearer")


async def test_companies_claim_missing_is_unauthenticated(api: Api) -> None:
    now = int(time.time())
    token = jwt.encode(
        {"sub": "edge", "role": "admin", "iat": now, "exp": now + 60}, JWT_SECRET, "HS256"
    )
    status, body, _ = await api.post("{ viewer { companyIds } }", token=token)
    assert status == 401, body


@pytest.mark.parametrize(
    ("companies", "expected"), [("*", None), ([3, 1], ["1", "3"]), ([2**63 - 1], [str(2**63 - 1)])]
)
async def test_companies_claim_in_the_contract_is_accepted(
    api: Api, companies: Any, expected: Any
) -> None:
    status, body, _ = await api.post("{ viewer { companyIds } }", token=_token(companies))
    assert status == 200, body
    ids = body["data"]["viewer"]["companyIds"]
    assert (sorted(ids) if ids is not None else None) == expected


async def test_datetime_past_the_last_day_is_bad_user_input(api: Api, admin_token: str) -> None:
    """24:00 on 9999-12-31 is the start of a day that does not exist (dateutil overflowed)."""
    query = "query($t: DateTime) { documents(filter: {uploadedBefore: $t}) { nodes { id } } }"
    status, body, _ = await api.post(query, {"t": "9999-12-31T24:00:00+14:00"}, token=admin_token)
    assert "INTERNAL_SERVER_ERROR" not in str(body), body
    literal = '{ documents(filter: {uploadedBefore: "9999-12-31T24:00:00Z"}) { nodes { id } } }'
    status, body, _ = await api.post(literal, token=admin_token)
    assert status == 200 and "data" not in body, body  # a request error, as JSON
    assert "INTERNAL_SERVER_ERROR" not in str(body), body
