"""The reference queries of DESIGN.md section 9, as GraphQL-over-HTTP payloads."""

from __future__ import annotations

from typing import Any

__all__ = ["Q1", "Q2", "Q3", "payloads", "q1", "q2"]

_METADATA = "metadata { tags classification invoiceNumber vendorName totalAmount currency }"


def q1(first: int = 100) -> str:
    """Q1 with a page of ``first`` documents (the sweep varies it; 100 is the reference)."""
    return (
        f"query Q1($company: ID!) {{ documents(first: {first}, filter: {{companyId: $company}}) "
        "{ nodes { id filename documentType category status fileSize uploadedAt "
        f"company {{ id name }} {_METADATA} }} }} }}"
    )


def q2(companies: int = 10, documents: int = 10) -> str:
    """Q2 with ``companies`` x ``documents`` fan-out (the reference is 10 x 10)."""
    return (
        f"{{ companies(first: {companies}) {{ nodes {{ id name documents(first: {documents}) "
        f"{{ nodes {{ id filename documentType uploadedAt {_METADATA} }} }} }} }} }}"
    )


Q1 = q1()
Q2 = q2()

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
