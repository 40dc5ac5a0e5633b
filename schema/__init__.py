"""The Strawberry schema of the Vanta Ledger API."""

from schema.build import build_schema

__all__ = ["build_schema"]
