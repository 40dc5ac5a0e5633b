"""Execution fast path: compiled plans for supported queries, byte-identical to stock.

See DESIGN.md section 10 and README ("Execution fast path").
"""

from app.fastpath.entry import execute_fast, schema_supported
from app.fastpath.runner import Fallback

__all__ = ["Fallback", "execute_fast", "schema_supported"]
