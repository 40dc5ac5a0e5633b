"""The admission stage's persisted-query half: which document an operation runs.

Trusted-documents mode (a manifest) or automatic persisted queries (APQ): a hash is
resolved to its text here, and a new hash sent with its text is registered here too,
once the prepared-document stage has found that text valid. Rate limiting, the other
half of admission, runs first as the outermost middleware (app.ratelimit).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.documents.prepared import PreparedDocument
from app.persisted.apq import PersistedQueries
from app.persisted.trusted import TrustedDocuments
from app.protocol import Operation

__all__ = ["Admitted", "admit"]


@dataclass(frozen=True, slots=True)
class Admitted:
    """The operation with its query text, and the APQ hash to register if it is valid."""

    operation: Operation
    register_as: str | None
    _persisted: PersistedQueries

    async def register_if_valid(self, prepared: PreparedDocument) -> None:
        """Store only queries that parse and validate (Apollo's rule)."""
        if self.register_as is not None and prepared.valid:
            assert self.operation.query is not None
            await self._persisted.register(self.register_as, self.operation.query)


async def admit(
    operation: Operation, persisted: PersistedQueries, trusted: TrustedDocuments | None
) -> Admitted:
    """RequestError for an unknown, mismatching or (trusted mode) unlisted document."""
    if trusted is not None:
        return Admitted(trusted.resolve(operation), None, persisted)
    resolved, register_as = await persisted.resolve(operation)
    return Admitted(resolved, register_as, persisted)
