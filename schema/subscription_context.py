"""The context of one subscription operation: a query's Context plus its event source."""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.events.hub import EventHub
from schema.context import Context

__all__ = ["SubscriptionContext"]


@dataclass(slots=True)
class SubscriptionContext(Context):
    """Built per operation by the transports; the resolver renews ``loaders`` per event."""

    hub: EventHub | None = None
    # Epoch seconds when the token expires: the subscription ends then (UNAUTHENTICATED).
    expires_at: float = math.inf
