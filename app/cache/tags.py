"""Tag names: what a cached response depends on, and what a mutation changes.

Entities: ``Document:42``, ``Company:3``, ``Project:7``, ``LedgerEntry:9``.
Lists: ``Company:3:documents``, ``Company:3:ledger``, ``Company:3:projects``,
``Document:42:ledger`` (the entries recorded against a document),
``Company:3:relationships``, ``Companies`` (the company list) and ``Documents:all``
(document lists not restricted to known companies, e.g. an admin's unfiltered list).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "ALL_COMPANIES",
    "ALL_DOCUMENTS",
    "company",
    "company_documents",
    "company_ledger",
    "company_projects",
    "company_relationships",
    "document",
    "document_ledger",
    "document_list",
    "ledger_change",
    "ledger_entry",
    "project",
]

ALL_COMPANIES = "Companies"
ALL_DOCUMENTS = "Documents:all"


def company(company_id: int) -> str:
    return f"Company:{company_id}"


def document(document_id: int) -> str:
    return f"Document:{document_id}"


def project(project_id: int) -> str:
    return f"Project:{project_id}"


def ledger_entry(entry_id: int) -> str:
    return f"LedgerEntry:{entry_id}"


def company_documents(company_id: int) -> str:
    return f"Company:{company_id}:documents"


def company_ledger(company_id: int) -> str:
    return f"Company:{company_id}:ledger"


def document_ledger(document_id: int) -> str:
    return f"Document:{document_id}:ledger"


def ledger_change(company_id: int, document_id: int | None) -> list[str]:
    """What a recorded or changed ledger entry invalidates: its company's ledger lists and
    summaries, and the entry list of the document it is recorded against."""
    changed = [company_ledger(company_id)]
    if document_id is not None:
        changed.append(document_ledger(document_id))
    return changed


def company_projects(company_id: int) -> str:
    return f"Company:{company_id}:projects"


def company_relationships(company_id: int) -> str:
    return f"Company:{company_id}:relationships"


def document_list(scope: Sequence[int] | None, company_filter: int | None) -> Iterable[str]:
    """Tags of a document list (list, search, statistics) over ``scope`` and a filter."""
    if company_filter is not None:
        return [company_documents(company_filter)]
    if scope is None:
        return [ALL_DOCUMENTS]
    return [company_documents(cid) for cid in scope]


def document_change(document_id: int, company_id: int) -> list[str]:
    """What a created, changed or deleted document invalidates."""
    return [document(document_id), company_documents(company_id), ALL_DOCUMENTS]
