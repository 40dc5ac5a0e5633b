"""Domain vocabulary and rules shared by the schema, the SQL layer and the seeder."""

from __future__ import annotations

__all__ = [
    "APPROVAL_STATUSES",
    "COMPANY_STATUSES",
    "COMPANY_TYPES",
    "DOCUMENT_STATUSES",
    "DOCUMENT_TYPES",
    "ENTRY_TYPES",
    "FIELDS",
    "PROCESSING_STATUSES",
    "READ_FIELDS",
    "ROLES",
    "category_for",
]

DOCUMENT_TYPES = (
    "invoice",
    "receipt",
    "contract",
    "tender",
    "report",
    "bank_statement",
    "tax_compliance",
    "license",
    "proposal",
    "other",
)
DOCUMENT_STATUSES = ("draft", "active", "archived")
PROCESSING_STATUSES = ("pending", "processed", "failed")
COMPANY_TYPES = ("core_family", "business_partner", "subsidiary")
COMPANY_STATUSES = ("active", "inactive", "archived")
ENTRY_TYPES = ("income", "expense", "transfer", "withdrawal", "investment", "loan")
APPROVAL_STATUSES = ("pending", "approved", "rejected")
ROLES = ("admin", "accountant", "viewer")

_CATEGORY_BY_TYPE = {
    "invoice": "financial",
    "receipt": "financial",
    "bank_statement": "financial",
    "contract": "legal",
    "tender": "legal",
    "tax_compliance": "compliance",
    "license": "compliance",
    "proposal": "project",
    "report": "project",
}


def category_for(document_type: str) -> str:
    """Category a document gets from its type; unknown and 'other' types are 'general'."""
    return _CATEGORY_BY_TYPE.get(document_type, "general")


# Every metadata field a document can carry (DESIGN.md section 4).
FIELDS = (
    "tags",
    "keywords",
    "classification",
    "summary",
    "invoice_number",
    "vendor_name",
    "total_amount",
    "currency",
    "risk_score",
    "entities",
    "text",
)
# What fetch_many returns: the fields a GraphQL selection can reach (the text never is),
# except the entities. They are most of a row's bytes and decoding, and few queries select
# them, so fetch_entities reads them apart, only when selected.
READ_FIELDS = tuple(name for name in FIELDS if name not in ("text", "entities"))
