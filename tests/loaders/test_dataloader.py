"""Our DataLoader: batches as Strawberry's, one future per load_many, cancellation-safe."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry.dataloader import DataLoader as StrawberryDataLoader

from loaders.dataloader import DataLoader

GUARD = 10  # seconds: only so a regression fails instead of hanging


@dataclass
class Recorder:
    """A load_fn that records its calls and answers ``key * 10`` (or what ``answer`` says).

    With ``gated`` it holds every call until ``release`` is set, and says when one has
    started (``entered``) and when one was cancelled (``cancelled``).
    """

    answer: Callable[[list[Any]], list[Any]] = lambda keys: [key * 10 for key in keys]
    gated: bool = False
    calls: list[list[Any]] = field(default_factory=list)
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, keys: list[Any]) -> list[Any]:
        self.calls.append(list(keys))
        if self.gated:
            self.entered.set()
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                self.cancelled.set()
                raise
        return self.answer(keys)


async def _echo(keys: list[int]) -> list[int]:
    return keys


async def _later_batches_dispatched() -> None:
    """Return once every batch opened before this call has dispatched: batches dispatch in
    the order they open, and this one opens now and is answered at once."""
    await DataLoader(_echo).load(0)


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


# -- batching ---------------------------------------------------------------------------


async def test_keys_loaded_in_the_same_tick_share_one_load_fn_call() -> None:
    record = Recorder()
    loader = DataLoader(record)
    futures = [loader.load(key) for key in (3, 1, 2)]
    assert all(isinstance(future, asyncio.Future) for future in futures)
    assert [await future for future in futures] == [30, 10, 20]
    assert record.calls == [[3, 1, 2]]


async def test_load_and_load_many_join_the_same_batch() -> None:
    record = Recorder()
    loader = DataLoader(record)
    one = loader.load(1)
    many = loader.load_many([2, 1, 3])
    other = loader.load(4)
    assert await many == [20, 10, 30]
    assert (await one, await other) == (10, 40)
    assert record.calls == [[1, 2, 3, 4]]


async def test_a_later_tick_makes_a_new_batch() -> None:
    record = Recorder()
    loader = DataLoader(record)
    assert await loader.load(1) == 10
    assert await loader.load_many([2, 3]) == [20, 30]
    assert record.calls == [[1], [2, 3]]


async def test_load_many_takes_cached_keys_waits_for_in_flight_ones_and_loads_the_rest() -> None:
    record = Recorder()
    loader = DataLoader(record)
    assert await loader.load(1) == 10  # answered: cached from now on
    record.gated = True
    in_flight = loader.load(2)
    await record.entered.wait()  # the batch of key 2 has dispatched; load_fn is running
    many = loader.load_many([3, 1, 2, 3, 4, 1])
    record.release.set()
    assert await many == [30, 10, 20, 30, 40, 10]
    assert await in_flight == 20
    assert record.calls == [[1], [2], [3, 4]]


async def test_load_many_of_answered_keys_is_done_at_once() -> None:
    record = Recorder()
    loader = DataLoader(record)
    assert await loader.load_many([1, 2]) == [10, 20]
    many = loader.load_many([2, 1, 2])
    assert many.done()
    assert many.result() == [20, 10, 20]
    assert loader.load_many([]).result() == []
    assert record.calls == [[1, 2]]


async def test_repeated_keys_are_loaded_once_with_the_cache() -> None:
    record = Recorder()
    loader = DataLoader(record)
    repeated = loader.load(2)
    assert await loader.load_many([1, 2, 1, 1]) == [10, 20, 10, 10]
    assert await repeated == 20
    assert record.calls == [[2, 1]]


async def test_without_cache_every_key_is_a_query_of_its_own() -> None:
    record = Recorder()
    loader = DataLoader(record, max_batch_size=1, cache=False)
    assert loader.cache is False
    one = loader.load(1)
    assert await loader.load_many([1, 2, 1]) == [10, 20, 10]
    assert await one == 10
    assert await loader.load(2) == 20  # nothing remembered
    assert record.calls == [[1], [1], [2], [1], [2]]


async def test_max_batch_size_splits_batches() -> None:
    record = Recorder()
    loader = DataLoader(record, max_batch_size=2)
    many = loader.load_many([1, 2, 3, 4, 5])
    six = loader.load(6)  # joins the last batch, which has room
    seven = loader.load(7)
    assert await many == [10, 20, 30, 40, 50]
    assert (await six, await seven) == (60, 70)
    assert record.calls == [[1, 2], [3, 4], [5, 6], [7]]


def test_max_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_batch_size"):
        DataLoader(_echo, max_batch_size=0)


# -- prime ------------------------------------------------------------------------------


async def test_primed_key_is_answered_without_a_query() -> None:
    record = Recorder()
    loader = DataLoader(record)
    loader.prime(1, "one")
    loader.prime(1, "ignored")  # already cached
    assert await loader.load(1) == "one"
    assert await loader.load_many([1, 2]) == ["one", 20]
    loader.prime(2, "forced", force=True)
    assert await loader.load(2) == "forced"
    assert record.calls == [[2]]


async def test_prime_answers_a_key_waiting_in_an_undispatched_batch() -> None:
    record = Recorder()
    loader = DataLoader(record)
    single = loader.load(1)
    many = loader.load_many([1, 2])
    only_primed = loader.load_many([1, 1])
    loader.prime(1, "one")
    assert single.done() and single.result() == "one"
    assert only_primed.done() and only_primed.result() == ["one", "one"]
    assert await many == ["one", 20]
    assert record.calls == [[2]]  # key 1 left the batch


async def test_priming_every_pending_key_skips_load_fn() -> None:
    record = Recorder()
    loader = DataLoader(record)
    pending = loader.load(1)
    loader.prime(1, "one")
    assert await loader.load(2) == 20  # a new batch: the primed one is empty
    assert await pending == "one"
    assert record.calls == [[2]]


# -- errors -----------------------------------------------------------------------------


async def test_load_fn_error_fails_every_waiter_and_stays_cached() -> None:
    error = RuntimeError("database down")

    def fail(keys: list[int]) -> list[int]:
        raise error

    record = Recorder(answer=fail)
    loader = DataLoader(record)
    one, two = loader.load(1), loader.load(2)
    many = loader.load_many([3, 1])
    for future in (one, two, many):
        with pytest.raises(RuntimeError) as raised:
            await future
        assert raised.value is error
    with pytest.raises(RuntimeError):
        await loader.load(1)
    with pytest.raises(RuntimeError):
        await loader.load_many([2])
    assert record.calls == [[1, 2, 3]]


async def test_exception_value_fails_only_its_key() -> None:
    missing = LookupError("no 2")
    record = Recorder(answer=lambda keys: [missing if key == 2 else key * 10 for key in keys])
    loader = DataLoader(record)
    one, two = loader.load(1), loader.load(2)
    good = loader.load_many([3, 1])
    bad = loader.load_many([1, 2, 3])
    assert await one == 10
    assert await good == [30, 10]
    for future in (two, bad):
        with pytest.raises(LookupError) as raised:
            await future
        assert raised.value is missing
    with pytest.raises(LookupError):
        await loader.load(2)  # failed keys stay failed, without a new query
    assert record.calls == [[1, 2, 3]]


async def test_wrong_number_of_results_fails_the_whole_batch() -> None:
    record = Recorder(answer=lambda keys: [1])
    loader = DataLoader(record)
    one = loader.load(1)
    many = loader.load_many([2, 3])
    for future in (one, many):
        with pytest.raises(ValueError, match="returned 1 values for 3 keys"):
            async with asyncio.timeout(GUARD):
                await future


# -- cancellation -----------------------------------------------------------------------


async def test_cancelling_one_waiter_leaves_the_others_their_result() -> None:
    record = Recorder(gated=True)
    loader = DataLoader(record)
    cancelled = asyncio.create_task(_await(loader.load(1)))
    single = asyncio.create_task(_await(loader.load(1)))
    many = asyncio.create_task(_await(loader.load_many([1, 2])))
    cancelled_many = asyncio.create_task(_await(loader.load_many([2, 1])))
    await record.entered.wait()  # every task awaits its future; load_fn is running
    cancelled.cancel()
    cancelled_many.cancel()
    record.release.set()
    assert await single == 10
    assert await many == [10, 20]
    for task in (cancelled, cancelled_many):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert await loader.load(1) == 10  # the answer stayed cached
    assert record.calls == [[1, 2]]


async def test_waiter_cancelled_before_dispatch_does_not_stop_the_batch() -> None:
    record = Recorder()
    loader = DataLoader(record)
    cancelled = loader.load(1)
    kept = loader.load(1)
    cancelled.cancel()
    assert await kept == 10
    assert record.calls == [[1]]


async def test_batch_whose_waiters_all_left_is_not_loaded() -> None:
    record = Recorder()
    loader = DataLoader(record)
    single = loader.load(1)
    many = loader.load_many([1, 2])
    single.cancel()
    many.cancel()
    await _later_batches_dispatched()
    assert record.calls == []
    async with asyncio.timeout(GUARD):  # (without the eviction it would wait forever)
        assert await loader.load_many([1, 2]) == [10, 20]  # forgotten, so loaded now
    assert record.calls == [[1, 2]]


async def test_load_fn_is_cancelled_when_every_waiter_leaves_while_it_runs() -> None:
    record = Recorder(gated=True)
    loader = DataLoader(record)
    task = asyncio.create_task(_await(loader.load_many([1, 2])))
    await record.entered.wait()
    task.cancel()
    async with asyncio.timeout(GUARD):
        await record.cancelled.wait()  # as Strawberry's: a timed-out request stops its query
    record.release.set()
    async with asyncio.timeout(GUARD):
        assert await loader.load(1) == 10  # not cached: loaded again
    assert record.calls == [[1, 2], [1]]


# -- same batches as Strawberry's -------------------------------------------------------


@pytest.mark.parametrize("ours", [True, False], ids=["ours", "strawberry"])
async def test_callers_wake_in_batch_order(ours: bool) -> None:
    """Who wakes first loads first, and so decides what the next batch holds. Strawberry
    resolves its futures key by key in batch order; a load_many wakes where the first of
    its keys does, as a caller awaiting a future per key in turn would."""
    woken: list[str] = []
    loader: Any = DataLoader(_echo) if ours else StrawberryDataLoader(load_fn=_echo)

    async def load(name: str, key: int) -> None:
        await loader.load(key)
        woken.append(name)

    async def load_many(name: str, keys: list[int]) -> None:
        if ours:
            await loader.load_many(keys)
        else:
            for future in [loader.load(key) for key in keys]:
                await future
        woken.append(name)

    await asyncio.gather(load("first", 1), load("second", 2), load_many("many", [1, 2]))
    assert woken == ["first", "many", "second"]


@dataclass(frozen=True)
class Node:
    """A resolver: a few ticks, then one key (``load``) or several (``load_many``), then
    its children concurrently, as GraphQL execution runs nested fields."""

    keys: tuple[int, ...]
    many: bool
    ticks: int
    children: tuple[Node, ...]


def _trees(many: st.SearchStrategy[bool]) -> st.SearchStrategy[list[Node]]:
    keys = st.lists(st.integers(0, 6), min_size=1, max_size=4).map(tuple)
    ticks = st.integers(0, 2)
    leaf = st.builds(Node, keys, many, ticks, st.just(()))
    node = st.recursive(
        leaf,
        lambda children: st.builds(
            Node, keys, many, ticks, st.lists(children, max_size=3).map(tuple)
        ),
        max_leaves=12,
    )
    return st.lists(node, min_size=1, max_size=5)


async def _run(node: Node, loader: Any, ours: bool) -> None:
    for _ in range(node.ticks):
        await asyncio.sleep(0)
    if node.many and ours:
        await loader.load_many(node.keys)
    else:  # what the fast path did before load_many: a future per key, awaited in turn
        for future in [loader.load(key) for key in node.keys]:
            await future
    await asyncio.gather(*(_run(child, loader, ours) for child in node.children))


async def _calls(roots: list[Node], mode: dict[str, Any], ours: bool) -> list[list[int]]:
    record = Recorder()
    loader = DataLoader(record, **mode) if ours else StrawberryDataLoader(load_fn=record, **mode)
    await asyncio.gather(*(_run(root, loader, ours) for root in roots))
    return record.calls


LOADER_MODES = [{}, {"max_batch_size": 1, "cache": False}]  # the factory's two
OTHER_MODES = [{"max_batch_size": 2}, {"max_batch_size": 1}, {"cache": False}]
PARITY = settings(max_examples=150, database=None, deadline=None)


@PARITY
@given(roots=_trees(st.just(False)), mode=st.sampled_from(LOADER_MODES + OTHER_MODES))
async def test_load_makes_strawberrys_batches_in_every_mode(
    roots: list[Node], mode: dict[str, Any]
) -> None:
    assert await _calls(roots, mode, ours=True) == await _calls(roots, mode, ours=False)


@PARITY
@given(roots=_trees(st.booleans()), mode=st.sampled_from(LOADER_MODES))
async def test_load_many_makes_the_batches_of_a_future_per_key(
    roots: list[Node], mode: dict[str, Any]
) -> None:
    """(With a max_batch_size above 1 a load_many spanning batches wakes once, when the last
    is answered, so later keys may group otherwise: the factory never uses one.)"""
    assert await _calls(roots, mode, ours=True) == await _calls(roots, mode, ours=False)


async def test_load_here_loads_in_the_calling_task_and_caches_like_load_many() -> None:
    """A root lookup alone at its level loads without a dispatch task."""
    recorder = Recorder()
    loader = DataLoader(recorder)
    current = asyncio.current_task()
    seen: list[Any] = []

    async def load_fn(keys: list[Any]) -> list[Any]:
        seen.append(asyncio.current_task())
        return await recorder(keys)

    loader.load_fn = load_fn
    assert await loader.load_here([1, 2, 1]) == [10, 20, 10]
    assert seen == [current] and recorder.calls == [[1, 2]]
    assert await loader.load_here([2]) == [20]  # cached: no call
    assert await loader.load_many([1, 3]) == [10, 30]
    assert recorder.calls == [[1, 2], [3]]


async def test_load_here_fails_with_its_first_failed_key_and_remembers_it() -> None:
    error = ValueError("no 2")
    recorder = Recorder(answer=lambda keys: [error if key == 2 else key * 10 for key in keys])
    loader = DataLoader(recorder)
    with pytest.raises(ValueError, match="no 2"):
        await loader.load_here([1, 2])
    with pytest.raises(ValueError, match="no 2"):
        await loader.load_many([2])
    assert recorder.calls == [[1, 2]]


async def test_load_here_waits_for_keys_already_loading_in_a_batch() -> None:
    recorder = Recorder(gated=True)
    loader = DataLoader(recorder)
    pending = loader.load_many([1])
    here = asyncio.ensure_future(loader.load_here([1, 2]))
    await asyncio.wait_for(recorder.entered.wait(), GUARD)
    recorder.release.set()
    assert await asyncio.wait_for(here, GUARD) == [10, 20]
    assert await pending == [10]
    assert recorder.calls == [[1, 2]]  # key 2 joined the open batch, key 1 loaded once


async def test_load_here_keeps_the_batch_size_limit() -> None:
    recorder = Recorder()
    loader = DataLoader(recorder, max_batch_size=1, cache=False)
    assert await loader.load_here([1, 2]) == [10, 20]
    assert recorder.calls == [[1], [2]]


async def test_load_here_cancelled_forgets_its_keys() -> None:
    recorder = Recorder(gated=True)
    loader = DataLoader(recorder)
    here = asyncio.ensure_future(loader.load_here([1]))
    await asyncio.wait_for(recorder.entered.wait(), GUARD)
    here.cancel()
    with pytest.raises(asyncio.CancelledError):
        await here
    recorder.gated = False
    assert await loader.load_many([1]) == [10]  # queried again, not a cached cancellation
    assert recorder.calls == [[1], [1]]
