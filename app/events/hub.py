"""The per-process fan-out of document events to subscriptions, with replay after a gap.

Events arrive from the listener (NOTIFY on ``vanta_document_processed``) and go to the
subscriptions whose companies include the event's company: one queue per subscription,
indexed by company so an event costs a lookup, not a scan. A subscription that falls
``max_pending`` events behind is ended with an error rather than silently skipped.

After a listener reconnect the documents processed while it was away are found in the
database by ``processed_at`` (from the last moment the old connection was known to be
listening, minus ``replay_slack`` for transactions that started earlier and committed
later) and dispatched like live events; events already delivered are recognised by
(document id, processed_at) and not sent twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

import asyncpg

from app.counter import WaitableCounter
from app.db.listener import Listener
from app.db.processed import processed_since
from app.events.channels import (
    DOCUMENT_PROCESSED,
    STATUSES,
    DocumentProcessed,
    parse_document_processed,
)
from app.events.metrics import RealtimeMetrics

__all__ = ["EventHub", "SubscriberOverflow", "Subscription"]

log = logging.getLogger("vanta.events")

SEEN_CAPACITY = 50_000  # recently delivered events remembered for de-duplication
SHARED_CAPACITY = 1024  # (event, access) loader sets kept for subscribers still resolving

T = TypeVar("T")


class SubscriberOverflow(Exception):
    """The subscription fell too far behind; events were dropped."""


class Subscription:
    """One subscriber's pending events. ``companies`` None: every company."""

    __slots__ = ("_items", "_max_pending", "_wakeup", "closed", "companies", "overflowed")

    def __init__(self, companies: frozenset[int] | None, max_pending: int) -> None:
        self.companies = companies
        self._items: deque[DocumentProcessed] = deque()
        self._wakeup = asyncio.Event()
        self._max_pending = max_pending
        self.closed = False
        self.overflowed = False

    def push(self, event: DocumentProcessed) -> bool:
        if self.closed or self.overflowed:
            return False
        if len(self._items) >= self._max_pending:
            self.overflowed = True
            self._items.clear()
            self._wakeup.set()
            return False
        self._items.append(event)
        self._wakeup.set()
        return True

    def close(self) -> None:
        self.closed = True
        self._wakeup.set()

    async def next(self, wait_seconds: float | None = None) -> DocumentProcessed | None:
        """The next event; None once closed (server shutdown).

        Raises SubscriberOverflow after events were dropped, TimeoutError after ``wait_seconds``.
        """
        async with asyncio.timeout(wait_seconds):
            while True:
                if self.overflowed:
                    raise SubscriberOverflow
                if self._items:
                    return self._items.popleft()
                if self.closed:
                    return None
                self._wakeup.clear()
                await self._wakeup.wait()


class EventHub:
    """Routes events to subscriptions; replays missed ones after a listener reconnect.

    Example::

        hub = EventHub(pool, metrics)
        hub.attach(listener)  # before listener.start()
        with hub.subscribe(frozenset({1, 2})) as subscription:
            event = await subscription.next()
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        metrics: RealtimeMetrics | None = None,
        *,
        max_pending: int = 100,
        replay_slack: timedelta = timedelta(seconds=30),
        replay_limit: int = 10_000,
    ) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be >= 1, got {max_pending}")
        self._pool = pool
        self._metrics = metrics
        self._max_pending = max_pending
        self._replay_slack = replay_slack
        self._replay_limit = replay_limit
        self._by_company: dict[int, set[Subscription]] = {}
        self._everything: set[Subscription] = set()
        self._seen: OrderedDict[tuple[int, datetime], None] = OrderedDict()
        self._shared: OrderedDict[tuple[int, datetime, Hashable], Any] = OrderedDict()
        self._closed = False
        self.count = 0  # open subscriptions
        self.subscribed = WaitableCounter()  # subscriptions ever opened (tests wait on it)
        self.replays = WaitableCounter()  # replays finished after a reconnect
        self.replayed = 0  # events found by replays

    def attach(self, listener: Listener) -> None:
        listener.add_channel(DOCUMENT_PROCESSED, self._received)
        listener.on_reconnect(self.replay)

    @contextmanager
    def subscribe(self, companies: frozenset[int] | None) -> Iterator[Subscription]:
        """A subscription for ``companies`` (None: all) until the block ends."""
        subscription = Subscription(companies, self._max_pending)
        if self._closed:
            subscription.close()
        if companies is None:
            self._everything.add(subscription)
        else:
            for company in companies:
                self._by_company.setdefault(company, set()).add(subscription)
        self.count += 1
        self.subscribed.bump()
        try:
            yield subscription
        finally:
            self.count -= 1
            if companies is None:
                self._everything.discard(subscription)
            else:
                for company in companies:
                    members = self._by_company.get(company)
                    if members is not None:
                        members.discard(subscription)
                        if not members:
                            del self._by_company[company]

    def dispatch(self, event: DocumentProcessed) -> int:
        """Queue ``event`` for every matching subscription; how many took it."""
        key = (event.document_id, event.processed_at)
        if key in self._seen:
            return 0
        self._seen[key] = None
        if len(self._seen) > SEEN_CAPACITY:
            self._seen.popitem(last=False)
        targets = self._everything | self._by_company.get(event.company_id, set())
        taken = 0
        for subscription in targets:
            if subscription.push(event):
                taken += 1
            elif self._metrics is not None and not subscription.closed:
                self._metrics.dropped.labels("subscriber_behind").inc()
        return taken

    def shared(self, event: DocumentProcessed, access: Hashable, build: Callable[[], T]) -> T:
        """One ``build()`` per (event, access): per-event loaders shared by same-access subscribers.

        Every subscriber woken by one event resolves it in the same loop iteration, so with
        one loader set per access (role and companies) their loads batch into one query
        instead of one per subscriber. Still fresh per event, and never shared between
        viewers who could see different rows.
        """
        key = (event.document_id, event.processed_at, access)
        value = self._shared.get(key)
        if value is None:
            value = build()
            self._shared[key] = value
            if len(self._shared) > SHARED_CAPACITY:
                self._shared.popitem(last=False)
        return value  # type: ignore[no-any-return]

    def record_delivered(self) -> None:
        if self._metrics is not None:
            self._metrics.delivered.inc()

    def close(self) -> None:
        """End every subscription (server shutdown): their streams complete."""
        self._closed = True
        for subscription in self._all():
            subscription.close()

    def _all(self) -> set[Subscription]:
        everything = set(self._everything)
        for members in self._by_company.values():
            everything |= members
        return everything

    def _received(self, payload: str) -> None:
        event = parse_document_processed(payload)
        if event is None:
            log.warning("ignored a malformed %s payload: %.200s", DOCUMENT_PROCESSED, payload)
            if self._metrics is not None:
                self._metrics.dropped.labels("malformed").inc()
            return
        self.dispatch(event)

    async def replay(self, alive_until: datetime | None) -> None:
        """Dispatch what was processed since ``alive_until`` (minus the slack)."""
        if alive_until is None:
            self.replays.bump()
            return
        since = alive_until - self._replay_slack
        rows = await processed_since(self._pool, since, STATUSES, self._replay_limit)
        for row in rows:
            event = DocumentProcessed(
                row["id"], row["company_id"], row["processed_at"], row["processing_status"]
            )
            self.dispatch(event)
        if len(rows) >= self._replay_limit:
            # More than one replay can carry: tell every subscriber rather than lose some.
            log.error("replay hit its limit of %d documents; ending subscriptions", len(rows))
            for subscription in self._all():
                subscription.overflowed = True
                subscription.close()
        self.replayed += len(rows)
        log.warning("replayed %d documents processed since %s", len(rows), since.isoformat())
        self.replays.bump()
