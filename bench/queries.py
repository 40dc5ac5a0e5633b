"""The reference queries of DESIGN.md section 9, as GraphQL-over-HTTP payloads."""

from __future__ import annotations

from typing import Any

__all__ = ["Q1", "Q2", "Q3", "payloads"]

_METADATA = "metadata { tags classification invoiceNumber vendorName totalAmount currency }"

Q1 = (
    "query Q1($company: ID!) { documents(first: 100, filter: {companyId: $company}) "
    "{ nodes { id filename documentType category status fileSize uploadedAt "
    f"company {{ id name }} {_METADATA} }} }} }}"
)

Q2 = (
    "{ companies(first: 10) { nodes { id name documents(first: 10) "
    f"{{ nodes {{ id filename documentType uploadedAt {_METADATA} }} }} }} }} }}"
)

Q3 = (
    "query Q3($id: ID!) { document(id: $id) { id filename documentType category status "
    f"fileSize uploadedAt company {{ id name }} {_METADATA} }} }}"
)


def payloads(company_id: int, document_id: int) -> dict[str, dict[str, Any]]:
    """Request bodies for Q1 (one company's documents), Q2 and Q3 (one document), by name."""
    return {
        "Q1": {"query": Q1, "variables": {"company": str(company_id)}},
        "Q2": {"query": Q2},
        "Q3": {"query": Q3, "variables": {"id": str(document_id)}},
    }
