"""Root subscription fields: ``documentProcessed``, resolved per event like a query."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable

import strawberry

from app.errors import BAD_REQUEST, EVENTS_DROPPED, UNAUTHENTICATED, ApiError, forbidden
from app.events.hub import EventHub, SubscriberOverflow
from loaders.factory import Loaders
from schema.ids import parse_id
from schema.subscription_context import SubscriptionContext
from schema.types import DOCUMENT, Document

__all__ = ["Subscription"]

MSG_NO_TRANSPORT = "Subscriptions run over WebSocket (graphql-transport-ws) or SSE on /graphql."
MSG_FORBIDDEN_COMPANY = "Company {id} is not one of yours."
MSG_EXPIRED = "Token has expired."
MSG_DROPPED = "Events were dropped because this subscription fell behind; subscribe again."


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "Documents of your companies (or of `companyId`) as their processing ends, "
            "processed or failed."
        )
    )
    async def document_processed(
        self, info: strawberry.Info, company_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Document, None]:
        # Not a generator itself: refusals happen here, before the stream starts, so the
        # client gets them as the operation's error instead of a first event.
        ctx = info.context
        viewer = ctx.require_viewer()
        if not isinstance(ctx, SubscriptionContext) or ctx.hub is None:
            raise ApiError(MSG_NO_TRANSPORT, BAD_REQUEST)
        company = None if company_id is None else parse_id(company_id, "companyId")
        if company is not None and not viewer.can_see(company):
            raise forbidden(MSG_FORBIDDEN_COMPANY.format(id=company))
        companies = viewer.company_ids if company is None else frozenset({company})
        return _documents(ctx, ctx.hub, companies)


async def _documents(
    ctx: SubscriptionContext, hub: EventHub, companies: frozenset[int] | None
) -> AsyncGenerator[Document, None]:
    """Each event's document, loaded with fresh loaders and the subscriber's viewer."""
    viewer = ctx.require_viewer()
    access = (viewer.role, None if viewer.scope is None else tuple(viewer.scope))
    with hub.subscribe(companies) as subscription:
        while True:
            try:
                event = await subscription.next(_seconds_left(ctx.expires_at))
            except TimeoutError:
                raise ApiError(MSG_EXPIRED, UNAUTHENTICATED) from None
            except SubscriberOverflow:
                raise ApiError(MSG_DROPPED, EVENTS_DROPPED) from None
            if event is None:
                return  # server shutdown: the stream completes
            # Per event, like a query (no stale rows from the last one); shared with the
            # subscribers of the same access, so a fan-out costs one batch, not one each.
            ctx.loaders = hub.shared(event, access, ctx.loader_factory or _unshared(ctx))
            document = await ctx.loaders.of(DOCUMENT).load(event.document_id)
            if document is None:
                continue  # deleted since, or not visible to this viewer
            hub.record_delivered()
            yield document


def _unshared(ctx: SubscriptionContext) -> Callable[[], Loaders]:
    def build() -> Loaders:
        ctx.renew_loaders()
        return ctx.loaders

    return build


def _seconds_left(expires_at: float) -> float | None:
    if expires_at == float("inf"):
        return None
    return max(0.0, expires_at - time.time())
