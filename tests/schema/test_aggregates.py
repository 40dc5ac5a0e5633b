"""Financial summaries, document statistics, company relations and lookups by id."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from app.domain import category_for
from tests.conftest import Api, make_token
from tests.world import TYPES_CYCLE, World

DOCUMENT_COUNTS = {"a": 25, "b": 12, "c": 3, "m": 2}

SUMMARY_FIELDS = "companyId from to currency income expenses withdrawals net entryCount"

ROOT_SUMMARY = f"""
query Summary($company: ID!, $from: Date, $to: Date) {{
  financialSummary(companyId: $company, from: $from, to: $to) {{ {SUMMARY_FIELDS} }}
}}
"""

NESTED_SUMMARY = f"""
query Summary($company: ID!, $from: Date, $to: Date) {{
  company(id: $company) {{ financialSummary(from: $from, to: $to) {{ {SUMMARY_FIELDS} }} }}
}}
"""

STATISTICS = """
query Stats($company: ID) {
  documentStatistics(companyId: $company) {
    total
    byType { key count }
    byStatus { key count }
    byCategory { key count }
    byProcessingStatus { key count }
  }
}
"""


@pytest.fixture(scope="module")
def abc_token(world: World) -> str:
    """A viewer of companies a, b and c only: rows other tests create stay invisible."""
    return make_token("viewer", [world.companies[k] for k in ("a", "b", "c")])


def _error(body: dict[str, Any]) -> dict[str, Any]:
    """The one error, its ``requestId`` (on every error) checked and removed."""
    [error] = body["errors"]
    assert error["extensions"].pop("requestId")
    return error  # type: ignore[no-any-return]


def _summary(
    company: int,
    income: str,
    expenses: str,
    withdrawals: str,
    net: str,
    count: int,
    date_from: str | None = None,
    date_to: str | None = None,
) -> dict[str, Any]:
    return {
        "companyId": str(company),
        "from": date_from,
        "to": date_to,
        "currency": "KES",
        "income": income,
        "expenses": expenses,
        "withdrawals": withdrawals,
        "net": net,
        "entryCount": count,
    }


# (from, to) → income, expenses, withdrawals, net, approved entries of company a in that range.
# Approved entries of a: income 1000.00 (01-10), income 2500.50 (02-10), expense 300.25
# (02-15), withdrawal 200.00 (03-01); pending income 999.99 (03-02) and rejected expense
# 50.00 (03-03) never count.
SUMMARY_RANGES: dict[str, tuple[str | None, str | None, tuple[str, str, str, str, int]]] = {
    "all-time": (None, None, ("3500.50", "300.25", "200.00", "3000.25", 4)),
    "inclusive-bounds": (
        "2025-02-10",
        "2025-03-01",
        ("2500.50", "300.25", "200.00", "2000.25", 3),
    ),
    "single-day": ("2025-01-10", "2025-01-10", ("1000.00", "0.00", "0.00", "1000.00", 1)),
    "only-expense": ("2025-02-11", "2025-02-28", ("0.00", "300.25", "0.00", "-300.25", 1)),
    "from-only": ("2025-02-15", None, ("0.00", "300.25", "200.00", "-500.25", 2)),
    "to-only": (None, "2025-02-09", ("1000.00", "0.00", "0.00", "1000.00", 1)),
    "pending-and-rejected-only": ("2025-03-02", "2025-03-31", ("0.00", "0.00", "0.00", "0.00", 0)),
    "before-everything": ("2024-01-01", "2024-12-31", ("0.00", "0.00", "0.00", "0.00", 0)),
}


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"), SUMMARY_RANGES.values(), ids=SUMMARY_RANGES.keys()
)
async def test_financial_summary_counts_approved_entries_in_the_inclusive_range(
    api: Api,
    world: World,
    admin_token: str,
    date_from: str | None,
    date_to: str | None,
    expected: tuple[str, str, str, str, int],
) -> None:
    company = world.companies["a"]
    variables = {"company": str(company), "from": date_from, "to": date_to}
    root = await api.data(ROOT_SUMMARY, variables, admin_token)
    nested = await api.data(NESTED_SUMMARY, variables, admin_token)

    want = _summary(company, *expected, date_from=date_from, date_to=date_to)
    assert root["financialSummary"] == want
    assert nested["company"]["financialSummary"] == want


async def test_financial_summary_of_a_company_without_entries_is_all_zero(
    api: Api, world: World, admin_token: str
) -> None:
    company = world.companies["c"]
    root = await api.data(ROOT_SUMMARY, {"company": str(company)}, admin_token)
    nested = await api.data(NESTED_SUMMARY, {"company": str(company)}, admin_token)

    want = _summary(company, "0.00", "0.00", "0.00", "0.00", 0)
    assert root["financialSummary"] == want
    assert nested["company"]["financialSummary"] == want


async def test_financial_summaries_of_several_companies_in_one_request(
    api: Api, world: World, abc_token: str
) -> None:
    query = "{ companies { nodes { name financialSummary { income net entryCount } } } }"
    data = await api.data(query, None, abc_token)

    assert {c["name"]: c["financialSummary"] for c in data["companies"]["nodes"]} == {
        "Acme Test Holdings": {"income": "3500.50", "net": "3000.25", "entryCount": 4},
        "Beta Partner Ltd": {"income": "777.00", "net": "777.00", "entryCount": 1},
        "Cedar Subsidiary": {"income": "0.00", "net": "0.00", "entryCount": 0},
    }


@pytest.mark.parametrize(
    ("query", "field"), [(ROOT_SUMMARY, "financialSummary"), (NESTED_SUMMARY, "company")]
)
async def test_financial_summary_from_after_to_is_bad_user_input(
    api: Api, world: World, admin_token: str, query: str, field: str
) -> None:
    variables = {"company": str(world.companies["a"]), "from": "2025-03-01", "to": "2025-02-01"}
    status, body, _ = await api.post(query, variables, admin_token)

    assert status == 200
    assert _error(body)["extensions"] == {"code": "BAD_USER_INPUT", "argument": "from"}
    assert (body["data"] or {}).get(field) is None


async def test_financial_summary_of_unknown_or_invisible_company_is_not_found(
    api: Api, world: World
) -> None:
    token = make_token("viewer", [world.companies["b"]])
    for company in (world.companies["a"], 999_999_999):
        status, body, _ = await api.post(ROOT_SUMMARY, {"company": str(company)}, token)
        assert status == 200
        assert _error(body)["extensions"]["code"] == "NOT_FOUND"
        assert body["data"] is None


def _buckets(counter: Counter[str]) -> list[dict[str, Any]]:
    """Buckets as the API orders them: largest count first, then by key."""
    ordered = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    return [{"key": key, "count": count} for key, count in ordered]


def _expected_statistics(keys: tuple[str, ...]) -> dict[str, Any]:
    """Statistics of the documents of ``keys``, from the rules of tests/world.py."""
    by_type: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    by_processing: Counter[str] = Counter()
    for key in keys:
        for i in range(DOCUMENT_COUNTS[key]):
            dtype = TYPES_CYCLE[i % len(TYPES_CYCLE)]
            by_type[dtype] += 1
            by_status["archived" if i % 7 == 6 else "active"] += 1
            by_category[category_for(dtype)] += 1
            by_processing["pending" if i in (3, 4) else "processed"] += 1
    return {
        "total": sum(DOCUMENT_COUNTS[key] for key in keys),
        "byType": _buckets(by_type),
        "byStatus": _buckets(by_status),
        "byCategory": _buckets(by_category),
        "byProcessingStatus": _buckets(by_processing),
    }


async def test_statistics_of_one_company_match_the_world_in_one_round_trip(
    api: Api, world: World, admin_token: str
) -> None:
    status, body, headers = await api.post(
        STATISTICS, {"company": str(world.companies["a"])}, admin_token
    )

    assert status == 200 and "errors" not in body, body
    stats = body["data"]["documentStatistics"]
    assert stats == _expected_statistics(("a",))
    # spelled out once, so a mistake in the helper cannot hide one in the API
    assert stats["total"] == 25
    assert stats["byStatus"] == [{"key": "active", "count": 22}, {"key": "archived", "count": 3}]
    assert stats["byCategory"][0] == {"key": "financial", "count": 10}
    assert stats["byProcessingStatus"] == [
        {"key": "processed", "count": 23},
        {"key": "pending", "count": 2},
    ]
    assert headers["X-DB-Round-Trips"] == "1"


async def test_statistics_without_company_cover_every_visible_company_in_one_round_trip(
    api: Api, abc_token: str
) -> None:
    status, body, headers = await api.post(STATISTICS, None, abc_token)

    assert status == 200 and "errors" not in body, body
    stats = body["data"]["documentStatistics"]
    assert stats == _expected_statistics(("a", "b", "c"))
    assert stats["total"] == 40
    assert stats["byType"][0] == {"key": "invoice", "count": 5 + 3 + 1}
    assert headers["X-DB-Round-Trips"] == "1"


async def test_statistics_of_a_company_outside_the_token_are_empty(
    api: Api, world: World, abc_token: str
) -> None:
    data = await api.data(STATISTICS, {"company": str(world.companies["m"])}, abc_token)
    assert data["documentStatistics"] == {
        "total": 0,
        "byType": [],
        "byStatus": [],
        "byCategory": [],
        "byProcessingStatus": [],
    }


RELATIONS = """
query Relations($id: ID!) {
  company(id: $id) {
    name
    projects { id name client value status company { name } }
    relationships { relationshipType strength company { id name } }
  }
}
"""


async def test_company_relationships_are_seen_from_both_sides(
    api: Api, world: World, admin_token: str
) -> None:
    seen: dict[str, list[tuple[str, str, float]]] = {}
    for key in ("a", "b", "c"):
        data = await api.data(RELATIONS, {"id": str(world.companies[key])}, admin_token)
        seen[key] = [
            (r["company"]["name"], r["relationshipType"], r["strength"])
            for r in data["company"]["relationships"]
        ]

    assert seen["a"] == [
        ("Beta Partner Ltd", "partner", 0.8),
        ("Cedar Subsidiary", "parent", 1.0),
    ]
    assert seen["b"] == [
        ("Acme Test Holdings", "partner", 0.8),
        ("Cedar Subsidiary", "supplier", 0.3),
    ]
    assert seen["c"] == [
        ("Acme Test Holdings", "parent", 1.0),
        ("Beta Partner Ltd", "supplier", 0.3),
    ]


async def test_relationships_to_companies_outside_the_token_are_hidden(
    api: Api, world: World
) -> None:
    token = make_token("viewer", [world.companies["a"], world.companies["b"]])
    data = await api.data(RELATIONS, {"id": str(world.companies["a"])}, token)

    assert [r["company"]["id"] for r in data["company"]["relationships"]] == [
        str(world.companies["b"])
    ]


async def test_company_projects_in_creation_order(api: Api, world: World, admin_token: str) -> None:
    expected = {"a": ["Road", "Bridge"], "b": ["Depot"], "c": []}
    for key, names in expected.items():
        data = await api.data(RELATIONS, {"id": str(world.companies[key])}, admin_token)
        projects = data["company"]["projects"]
        assert [p["name"] for p in projects] == names
        assert [int(p["id"]) for p in projects] == world.projects.get(key, [])
        name = data["company"]["name"]
        assert all(p["company"]["name"] == name for p in projects)
        assert all(
            (p["client"], p["value"], p["status"]) == ("County", "1500000.00", "active")
            for p in projects
        )


DOCUMENT = """
query Doc($id: ID!) {
  document(id: $id) {
    id filename documentType category status processingStatus mimeType fileSize uploadedAt
    company { id name }
    project { id }
    metadata { tags keywords classification summary invoiceNumber vendorName totalAmount
      currency riskScore entities { label text start end } }
  }
}
"""


async def test_document_lookup_returns_every_field_of_the_row(
    api: Api, world: World, admin_token: str
) -> None:
    doc_id = world.documents["a"][-1]  # i == 0: the oldest document of company a
    data = await api.data(DOCUMENT, {"id": str(doc_id)}, admin_token)

    document = data["document"]
    risk = document["metadata"].pop("riskScore")
    assert risk == 0.1
    assert document == {
        "id": str(doc_id),
        "filename": "a-invoice-000.pdf",
        "documentType": "invoice",
        "category": "financial",
        "status": "active",
        "processingStatus": "processed",
        "mimeType": "application/pdf",
        "fileSize": 1000,
        "uploadedAt": "2025-03-01T08:00:00+00:00",
        "company": {"id": str(world.companies["a"]), "name": "Acme Test Holdings"},
        "project": None,
        "metadata": {
            "tags": ["invoice", "urgent"],
            "keywords": ["test"],
            "classification": "internal",
            "summary": "Cement supply for site 0. Cement bags delivered by Simba Cem",
            "invoiceNumber": "INV-a-000",
            "vendorName": "Simba Cement",
            "totalAmount": "100.50",
            "currency": "KES",
            "entities": [{"label": "ORG", "text": "Simba", "start": 0, "end": 5}],
        },
    }


async def test_company_lookup_returns_its_fields(api: Api, world: World, admin_token: str) -> None:
    query = """query($id: ID!) { company(id: $id) {
        id name registrationNumber industry companyType status } }"""
    data = await api.data(query, {"id": str(world.companies["c"])}, admin_token)

    assert data["company"] == {
        "id": str(world.companies["c"]),
        "name": "Cedar Subsidiary",
        "registrationNumber": "REG-CEDAR-SUBSIDIARY",
        "industry": "testing",
        "companyType": "SUBSIDIARY",
        "status": "inactive",
    }


@pytest.mark.parametrize("field", ["document", "company"])
async def test_lookup_of_an_unknown_id_is_null(api: Api, admin_token: str, field: str) -> None:
    query = f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}"
    for unknown in ("999999999", str(2**63 - 1)):
        assert await api.data(query, {"id": unknown}, admin_token) == {field: None}


async def test_lookups_outside_the_token_are_null(api: Api, world: World) -> None:
    token = make_token("viewer", [world.companies["b"]])
    query = "query($d: ID!, $c: ID!) { document(id: $d) { id } company(id: $c) { id } }"
    variables = {"d": str(world.documents["a"][0]), "c": str(world.companies["a"])}

    assert await api.data(query, variables, token) == {"document": None, "company": None}


@pytest.mark.parametrize("bad_id", ["abc", "-1", "1.5", "99999999999999999999", "0", "", "1e3"])
@pytest.mark.parametrize("field", ["document", "company"])
async def test_lookup_of_a_malformed_id_is_bad_user_input(
    api: Api, admin_token: str, field: str, bad_id: str
) -> None:
    status, body, headers = await api.post(
        f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}", {"id": bad_id}, admin_token
    )

    assert status == 200
    assert _error(body)["extensions"] == {"code": "BAD_USER_INPUT", "argument": "id"}
    assert body["data"] == {field: None}
    assert headers["X-DB-Round-Trips"] == "0"


@pytest.mark.parametrize("bad_id", ["abc", "-1", "99999999999999999999"])
async def test_summary_and_statistics_reject_a_malformed_company_id(
    api: Api, admin_token: str, bad_id: str
) -> None:
    for query in (ROOT_SUMMARY, STATISTICS):
        status, body, _ = await api.post(query, {"company": bad_id}, admin_token)
        assert status == 200
        assert _error(body)["extensions"] == {"code": "BAD_USER_INPUT", "argument": "companyId"}
        assert body["data"] is None
