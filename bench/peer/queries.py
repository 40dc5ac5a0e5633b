"""The peer's Q1-Q3: the same fields in the same order as bench/queries.py, in the names
PostGraphile's Amber preset generates for our tables (`rowId`, `companyByCompanyId`, ...)."""

from __future__ import annotations

from typing import Any

__all__ = ["peer_payloads"]

_METADATA = (
    "documentMetadatumByDocumentId { tags classification invoiceNumber vendorName "
    "totalAmount currency }"
)
_NEWEST = "orderBy: [UPLOADED_AT_DESC, PRIMARY_KEY_DESC]"


def q1(first: int = 100) -> str:
    """Newest ``first`` documents of one company, with company and metadata."""
    return (
        "query Q1($company: BigInt!) { allDocuments(condition: {companyId: $company}, "
        f"{_NEWEST}, first: {first}) {{ nodes {{ rowId filename documentType category status "
        f"fileSize uploadedAt companyByCompanyId {{ rowId name }} {_METADATA} }} }} }}"
    )


def q2(companies: int = 10, documents: int = 10) -> str:
    """First ``companies`` companies (by name, then id), each with its newest ``documents``."""
    return (
        f"{{ allCompanies(first: {companies}, orderBy: [NAME_ASC, PRIMARY_KEY_ASC]) "
        f"{{ nodes {{ rowId name documentsByCompanyId(first: {documents}, {_NEWEST}) "
        f"{{ nodes {{ rowId filename documentType uploadedAt {_METADATA} }} }} }} }} }}"
    )


Q3 = (
    "query Q3($id: BigInt!) { documentByRowId(rowId: $id) { rowId filename documentType "
    f"category status fileSize uploadedAt companyByCompanyId {{ rowId name }} {_METADATA} }} }}"
)


def peer_payloads(company_id: int, document_id: int) -> dict[str, dict[str, Any]]:
    """Request bodies for the peer, keyed like bench.queries.payloads."""
    return {
        "Q1": {"query": q1(), "variables": {"company": str(company_id)}},
        "Q2": {"query": q2()},
        "Q3": {"query": Q3, "variables": {"id": str(document_id)}},
    }
