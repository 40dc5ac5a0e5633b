"""A DataLoader whose ``load_many`` costs one future per call, batching as Strawberry's does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeAlias, TypeVar

__all__ = ["DataLoader"]

K = TypeVar("K")
V = TypeVar("V")

MSG_MAX_BATCH_SIZE = "max_batch_size must be a positive int or None, got {value!r}"
MSG_WRONG_COUNT = "load_fn returned {received} values for {expected} keys"

# A slot is one key's answer, [key, batch, value, error, waiters]: pending while its batch is
# set, then holding a value or an error. Its waiters (a future per load call, a _Waiter per
# load_many call) are woken in batch order, slot by slot, as Strawberry resolves its futures:
# who wakes first decides who loads first, and so which keys share the next batch. A list,
# not an object: load_many makes one per new key, and a list is five times cheaper to make.
Slot: TypeAlias = list[Any]
KEY, BATCH, VALUE, ERROR, WAITERS = 0, 1, 2, 3, 4


def _settle_one(future: asyncio.Future[Any], slot: Slot) -> None:
    """Complete a ``load`` future from its answered slot (unless its caller cancelled it)."""
    if future.done():
        return
    if slot[ERROR] is not None:
        future.set_exception(slot[ERROR])
    else:
        future.set_result(slot[VALUE])


def _attach(slot: Slot, waiter: asyncio.Future[Any] | _Waiter) -> None:
    if slot[WAITERS] is None:
        slot[WAITERS] = [waiter]
    else:
        slot[WAITERS].append(waiter)


class _Waiter:
    """One ``load_many`` call: its future, its slots in key order, the batches it waits for.

    It waits on one slot per batch, the first of its keys in that batch: where the task
    that awaited a future per key, in key order, would have been woken.
    """

    __slots__ = ("batches", "failed", "future", "pending", "slots")

    def __init__(
        self, future: asyncio.Future[Any], slots: list[Slot], batches: list[_Batch], failed: bool
    ) -> None:
        self.future = future
        self.slots = slots
        self.batches = batches
        self.pending = len(batches)  # batches not answered yet
        self.failed = failed  # one of our keys had failed already

    def cancel(self) -> None:
        self.future.cancel()

    def cancelled(self) -> bool:
        return self.future.cancelled()

    def batch_done(self) -> None:
        self.pending -= 1
        if not self.pending:
            self.settle()

    def settle(self) -> None:
        """Complete the future from the slots, none of which is pending any more."""
        future = self.future
        if future.done():  # cancelled by its caller
            return
        if self.failed or any(batch.failed for batch in self.batches):
            for slot in self.slots:
                if slot[ERROR] is not None:
                    future.set_exception(slot[ERROR])
                    return
        future.set_result([slot[VALUE] for slot in self.slots])

    def on_done(self, future: asyncio.Future[Any]) -> None:
        if future.cancelled():
            for batch in self.batches:
                batch.cancel_if_unwanted()


class _Batch:
    """The keys of one ``load_fn`` call (its slots, in the order they came)."""

    __slots__ = ("cache", "dispatched", "failed", "finished", "slots", "task")

    def __init__(self, cache: dict[Any, Slot] | None) -> None:
        self.cache = cache
        self.slots: list[Slot] = []
        self.dispatched = False  # its task has started: no key joins any more
        self.finished = False  # answered, or abandoned
        self.failed = False  # some key failed
        self.task: asyncio.Task[None] | None = None

    def unwanted(self) -> bool:
        """Every call that waits for one of our keys has been cancelled."""
        for slot in self.slots:
            for waiter in slot[WAITERS] or ():
                if not waiter.cancelled():
                    return False
        return True

    def on_single_done(self, future: asyncio.Future[Any]) -> None:
        if future.cancelled():
            self.cancel_if_unwanted()

    def cancel_if_unwanted(self) -> None:
        """Stop a running load_fn once every caller has gone (a timed-out request's query),
        as Strawberry's DataLoader does."""
        if self.dispatched and not self.finished and self.task is not None and self.unwanted():
            self.abandon()
            self.task.cancel()

    def abandon(self) -> None:
        """Forget our keys, so that a later load queries them again; cancel any waiter left."""
        self.finished = True
        cache = self.cache
        for slot in self.slots:
            if cache is not None and cache.get(slot[KEY]) is slot:
                del cache[slot[KEY]]
            waiters, slot[WAITERS] = slot[WAITERS], None
            for waiter in waiters or ():
                waiter.cancel()

    def answer(self, values: list[Any]) -> None:
        """Fill our slots in key order (an exception value fails its key), then wake the
        waiters slot by slot."""
        self.finished = True
        slots = self.slots
        for slot, value in zip(slots, values, strict=True):
            slot[BATCH] = None
            if isinstance(value, BaseException):
                slot[ERROR] = value
                self.failed = True
            else:
                slot[VALUE] = value
        for slot in slots:
            waiters = slot[WAITERS]
            if waiters is not None:
                slot[WAITERS] = None
                for waiter in waiters:
                    if type(waiter) is _Waiter:
                        waiter.batch_done()
                    else:
                        _settle_one(waiter, slot)


class DataLoader(Generic[K, V]):
    """Batches and caches the loads of one relation, for one request.

    ``load(key)`` returns one future per call, for resolvers; ``load_many(keys)`` returns
    one future for all its keys, so loading a hundred keys costs one future, not a hundred.
    Batches form exactly as in ``strawberry.dataloader.DataLoader``, so a query makes the
    same ``load_fn`` calls: a batch's first key schedules its dispatch task with
    ``call_soon``, every key loaded before that task starts joins the batch, and callers
    are woken in the same order. ::

        loader = DataLoader(fetch_companies)  # async (ids) -> companies in key order
        one, many = await asyncio.gather(loader.load(1), loader.load_many([2, 3, 1]))

    Args:
        load_fn: values for a list of keys, in key order; an exception value fails its key.
        max_batch_size: at most this many keys per ``load_fn`` call (None: no limit).
        cache: remember every key's answer, failures included; False loads every key, even
            a repeated one, as a key of its own and remembers nothing.
    """

    def __init__(
        self,
        load_fn: Callable[[list[K]], Awaitable[Sequence[V | BaseException]]],
        *,
        max_batch_size: int | None = None,
        cache: bool = True,
    ) -> None:
        if max_batch_size is not None and max_batch_size < 1:
            raise ValueError(MSG_MAX_BATCH_SIZE.format(value=max_batch_size))
        self.load_fn = load_fn
        self.max_batch_size = max_batch_size
        self.cache = cache
        self._slots: dict[K, Slot] | None = {} if cache else None
        self._batch: _Batch | None = None  # the batch new keys join until it dispatches

    def load(self, key: K) -> asyncio.Future[V]:
        """The value for ``key``; the future fails with the key's error if its load failed."""
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        slot = self._slots.get(key) if self._slots is not None else None
        if slot is None:
            slot = self._join(key, self._current_batch())
        batch = slot[BATCH]
        if batch is None:
            _settle_one(future, slot)
        else:
            _attach(slot, future)
            future.add_done_callback(batch.on_single_done)
        return future

    def load_many(self, keys: Sequence[K]) -> asyncio.Future[list[V]]:
        """The values for ``keys``, in key order, as one future (done already when every key
        is answered); it fails with the error of the first failed key."""
        future: asyncio.Future[list[V]] = asyncio.get_running_loop().create_future()
        cache = self._slots
        limit = self.max_batch_size
        current: _Batch | None = None  # taken when the first key needs loading
        slots: list[Slot] = []
        waiting: dict[_Batch, Slot] = {}  # batch we wait for -> our first slot in it
        last: _Batch | None = None
        failed = False
        for key in keys:
            slot = cache.get(key) if cache is not None else None
            if slot is None:
                if current is None or (limit is not None and len(current.slots) >= limit):
                    current = self._current_batch()
                slot = [key, current, None, None, None]
                current.slots.append(slot)
                if cache is not None:
                    cache[key] = slot
            slots.append(slot)
            batch = slot[BATCH]
            if batch is None:
                if slot[ERROR] is not None:
                    failed = True
            elif batch is not last:
                last = batch
                if batch not in waiting:
                    waiting[batch] = slot
        waiter = _Waiter(future, slots, list(waiting), failed)
        if not waiting:
            waiter.settle()
            return future
        for slot in waiting.values():
            _attach(slot, waiter)
        future.add_done_callback(waiter.on_done)
        return future

    async def load_here(self, keys: Sequence[K]) -> list[V]:
        """As ``await load_many(keys)``, but the keys not loaded yet are loaded by the
        calling task, in a batch no other key joins: for a caller that knows no other load
        could join it (a root lookup alone at its level). Spares the dispatch's scheduled
        callback, its task and the waiter's future."""
        cache = self._slots
        if self.max_batch_size is not None or (cache is not None and self._in_flight(keys)):
            return await self.load_many(keys)  # batches of its own, or keys loading already
        batch = _Batch(cache)
        batch.dispatched = True  # nothing joins it
        slots: list[Slot] = []
        for key in keys:
            slot = cache.get(key) if cache is not None else None
            if slot is None:
                slot = [key, batch, None, None, None]
                batch.slots.append(slot)
                if cache is not None:
                    cache[key] = slot
            slots.append(slot)
        if batch.slots:
            await self._load_batch(batch)
        for slot in slots:
            if slot[ERROR] is not None:
                raise slot[ERROR]
        return [slot[VALUE] for slot in slots]

    def prime(self, key: K, value: V, *, force: bool = False) -> None:
        """Answer ``key`` without loading it, e.g. with a row a list query fetched already.

        As in Strawberry: a key answered or in flight keeps its answer unless ``force``; a
        key waiting in the batch not dispatched yet takes ``value`` now and leaves that batch.
        """
        if self._slots is not None and (force or key not in self._slots):
            self._slots[key] = [key, None, value, None, None]
        batch = self._batch
        if batch is None or batch.dispatched:
            return
        primed = [slot for slot in batch.slots if slot[KEY] == key]
        if not primed:
            return
        for slot in primed:
            slot[BATCH] = None
            slot[VALUE] = value
        batch.slots = [slot for slot in batch.slots if slot[BATCH] is batch]
        for slot in primed:
            waiters, slot[WAITERS] = slot[WAITERS], None
            for waiter in waiters or ():
                if type(waiter) is not _Waiter:
                    _settle_one(waiter, slot)
                    continue
                # wait on its next key in this batch, if any: where it would await next
                later = next((s for s in waiter.slots if s[BATCH] is batch), None)
                if later is not None:
                    _attach(later, waiter)
                else:
                    waiter.batch_done()

    def _in_flight(self, keys: Sequence[K]) -> bool:
        """Whether one of ``keys`` waits in a batch that has not answered yet."""
        cache = self._slots
        assert cache is not None
        for key in keys:
            slot = cache.get(key)
            if slot is not None and slot[BATCH] is not None:
                return True
        return False

    def _current_batch(self) -> _Batch:
        """The batch a new key joins: the open one, or a new one with its dispatch scheduled."""
        batch = self._batch
        if (
            batch is None
            or batch.dispatched
            or not batch.slots  # emptied by prime: Strawberry starts a new batch then too
            or (self.max_batch_size is not None and len(batch.slots) >= self.max_batch_size)
        ):
            batch = self._batch = _Batch(self._slots)
            asyncio.get_running_loop().call_soon(self._start, batch)
        return batch

    def _join(self, key: K, batch: _Batch) -> Slot:
        slot = [key, batch, None, None, None]
        batch.slots.append(slot)
        if self._slots is not None:
            self._slots[key] = slot
        return slot

    def _start(self, batch: _Batch) -> None:
        batch.task = asyncio.get_running_loop().create_task(self._dispatch(batch))

    async def _dispatch(self, batch: _Batch) -> None:
        batch.dispatched = True
        if batch.unwanted():
            batch.abandon()  # nobody wants these keys any more: skip the query
            return
        await self._load_batch(batch)

    async def _load_batch(self, batch: _Batch) -> None:
        """Call ``load_fn`` for the batch's keys and answer them."""
        keys = [slot[KEY] for slot in batch.slots]
        try:
            values = list(await self.load_fn(keys))
            if len(values) != len(keys):
                raise ValueError(MSG_WRONG_COUNT.format(received=len(values), expected=len(keys)))
        except Exception as error:
            values = [error] * len(keys)
        except BaseException:  # cancelled: every caller has gone, or the loop is closing
            if not batch.finished:
                batch.abandon()
            raise
        if not batch.finished:  # (a load_fn that swallowed the cancellation of its batch)
            batch.answer(values)
