"""Run an ObjectPlan level by level: one batched load per relation per level, plain dicts.

Each level handles a group: every parent object of one selection, whatever list it sat
in. Relations gather the keys of all parents and load each distinct key once through the
request's own DataLoaders (so batches, caches and round trips are stock execution's);
resolver fields call the real Strawberry resolver per parent, concurrently, so their
loads batch too. Any error or null where stock execution would report one raises
Fallback: the caller then discards this work and runs the request the stock way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from operator import attrgetter
from typing import Any

import orjson
from graphql import FragmentDefinitionNode, GraphQLResolveInfo, GraphQLSchema
from graphql import OperationDefinitionNode as Operation
from graphql.pyutils import Path

from app.db.projection import RenderedNodes
from app.fastpath.compat import (
    GraphQLResolveInfoHelpers,
    VariableValues,
    converted_arguments,
    get_argument_values,
)
from app.fastpath.complete import Fallback, complete, leaves, object_plan, objects
from app.fastpath.plan import (
    AttributeField,
    ConnectionField,
    LeafShape,
    LookupField,
    MethodField,
    ObjectPlan,
    RelationField,
    ResolverField,
    RootListField,
    TypenameField,
)
from schema.connection_field import PageArguments

__all__ = ["Fallback", "RunState", "run_plan"]


@dataclass(frozen=True, slots=True)
class RunState:
    """What resolvers see through ``info``, as graphql-core would build it."""

    schema: GraphQLSchema
    operation: Operation
    fragments: dict[str, FragmentDefinitionNode]
    variables: VariableValues
    context: Any


async def _gather(values: Sequence[Awaitable[Any]]) -> list[Any]:
    return await asyncio.gather(*values)


def _track(values: Sequence[Any]) -> None:
    return None


_HELPERS = GraphQLResolveInfoHelpers(_gather, _track)


class _Group:
    """Every parent of one selection at one level, with the dicts to fill for them."""

    __slots__ = ("objs", "outs", "paths", "plan", "rendered")

    def __init__(self, plan: ObjectPlan, with_paths: bool) -> None:
        self.plan = plan
        self.objs: list[Any] = []
        self.outs: list[dict[str, Any]] = []
        self.paths: list[Path] | None = [] if with_paths else None
        # Documents of this selection whose JSON PostgreSQL rendered (no dicts to fill).
        self.rendered: list[Any] = []


async def run_plan(plan: ObjectPlan, state: RunState) -> dict[str, Any]:
    """The ``data`` of the response; Fallback when stock execution must answer instead."""
    data: dict[str, Any] = {}
    root = _Group(plan, plan.needs_path)
    root.objs.append(None)
    root.outs.append(data)
    if root.paths is not None:
        root.paths.append(None)  # type: ignore[arg-type]  # the root has no path
    await _run_group(root, state)
    return data


async def _run_group(group: _Group, state: RunState) -> None:
    plan = group.plan
    if group.rendered:
        _record_rendered(group, state)
        if not group.objs:
            return
    columns: dict[int, list[Any]] = {}
    if not plan.sync:
        await _load(group, state, columns)
    children = _build(group, columns)
    if not children:
        return
    for child in children:  # first, so that no coroutine below is left unawaited
        if child.plan.sync:
            _build_all(child)
    pending = [_run_group(child, state) for child in children if not child.plan.sync]
    if len(pending) == 1:
        await pending[0]
    elif pending:
        results = await asyncio.gather(*pending, return_exceptions=True)
        _raise_first(results)


def _record_rendered(group: _Group, state: RunState) -> None:
    """The cache tags of the joined relations inside rendered documents, as their loads
    would have recorded them."""
    loaders = state.context.loaders
    for relation in group.plan.render.relations:
        keys = []
        for rendered in group.rendered:  # documents, or aggregated pages of them
            if rendered.__class__ is RenderedNodes:
                keys.extend(rendered.keys(relation.join))
            else:
                keys.append(getattr(rendered, relation.key))
        loaders.record(relation.source, [key for key in keys if key is not None])


def _build_all(group: _Group) -> None:
    """A subtree without loads or resolvers: build it without suspending."""
    for child in _build(group, {}):
        _build_all(child)


async def _load(group: _Group, state: RunState, columns: dict[int, list[Any]]) -> None:
    """Start every relation load and resolver call of this level, then await them together."""
    awaitables: list[Any] = []
    # (column, position in column, index in awaitables) for values still to come
    slots: list[tuple[list[Any], int, int]] = []
    relations: list[tuple[int, RelationField, list[Any], list[Any], int]] = []
    connections: list[tuple[int, ConnectionField, PageArguments, list[Any], int]] = []
    lookups: list[tuple[int, int]] = []  # (field index, index in awaitables); root: one parent
    objs = group.objs
    fields = group.plan.fields
    if len(fields) == 1 and type(fields[0]) is LookupField:
        columns[0] = await _lookup_alone(fields[0], state)
        return
    try:
        for index, field in enumerate(fields):
            if isinstance(field, RelationField):
                relation = field.relation
                keys = list(map(attrgetter(relation.key), objs))
                if field.joined is not None:
                    joined = _joined(objs, field.joined)
                    if joined is not None:  # every parent's row carried it: no load
                        loaders = state.context.loaders
                        loaders.record(relation.source, [k for k in keys if k is not None])
                        columns[index] = joined
                        continue
                loader = state.context.loaders.of(relation.source)
                present = [key for key in keys if key is not None]
                # A caching loader answers a repeated key from its cache; a non-caching
                # one (naive mode) queries once per parent, and so must we.
                unique = list(dict.fromkeys(present)) if loader.cache else present
                relations.append((index, field, keys, unique, len(awaitables)))
                # One future for all keys of the relation (they join the same batch).
                awaitables.append(loader.load_many(unique))
            elif isinstance(field, LookupField):
                lookups.append((index, len(awaitables)))
                awaitables.append(_lookup(field, state))
            elif isinstance(field, RootListField):
                lookups.append((index, len(awaitables)))  # also one value for the one root
                awaitables.append(_root_list(field, state))
            elif isinstance(field, ConnectionField):
                arguments, keys, pages = _connection_pages(field, objs, state)
                connections.append((index, field, arguments, keys, len(awaitables)))
                awaitables.append(pages)
            elif isinstance(field, ResolverField):
                column = columns[index] = _call_resolver(field, group, state)
                for position, value in enumerate(column):
                    if isawaitable(value):
                        slots.append((column, position, len(awaitables)))
                        awaitables.append(value)
    except BaseException:
        _close(awaitables)
        raise
    results = await _settle(awaitables)
    for column, position, at in slots:
        column[position] = results[at]
    for index, at in lookups:
        columns[index] = results[at]
    context = state.context
    for index, field, arguments, keys, at in connections:
        spec, parent_key = field.spec, field.parent_key
        cached = context.loaders.of(spec.pages).cache
        pages = _pages_by_parent(keys, results[at], cached)
        columns[index] = [
            spec.connection_of(context, getattr(obj, parent_key), arguments, page)
            for obj, page in zip(objs, pages, strict=True)
        ]
    for index, field, keys, unique, at in relations:
        values = results[at]
        if len(unique) == len(keys):  # no None and no repeated key: values match keys
            columns[index] = values
            continue
        absent: Any = [] if field.relation.many else None
        found = dict(zip(unique, values, strict=True))
        # (without a cache, equal keys got equal answers from separate queries)
        columns[index] = [absent if key is None else found[key] for key in keys]


def _lookup(field: LookupField, state: RunState) -> Any:
    """The future of a root lookup's one value, in a one-element list (the root level has
    one parent)."""
    return state.context.loaders.of(field.lookup.source).load_many([_lookup_key(field, state)])


async def _lookup_alone(field: LookupField, state: RunState) -> list[Any]:
    """A root lookup alone at its level: no other load can join its batch, so it loads in
    this task (``load_here``), with no dispatch task or future in between."""
    key = _lookup_key(field, state)
    try:
        return await state.context.loaders.of(field.lookup.source).load_here([key])
    except Exception as error:
        raise Fallback("error while loading") from error


def _lookup_key(field: LookupField, state: RunState) -> Any:
    """The lookup's key; its argument checked as the resolver checks it."""
    lookup = field.lookup
    try:
        values = get_argument_values(field.field_def, field.field_node, state.variables)
        return lookup.key_of(state.context, values[lookup.argument])
    except Exception as error:
        raise Fallback(f"lookup {field.key}") from error


def _connection_pages(
    field: ConnectionField, objs: list[Any], state: RunState
) -> tuple[PageArguments, list[Any], Any]:
    """(checked arguments, each parent's page key or None, the future of the pages).

    Arguments are converted and checked once: the resolver would get the same values for
    every parent of this selection. A caching loader loads each distinct page once; a
    non-caching one (naive mode) once per parent, as the resolver would.
    """
    spec = field.spec
    try:
        arguments = _checked(field, state, _page_arguments)
        keys = [spec.key_of(getattr(obj, field.parent_key), arguments) for obj in objs]
    except Exception as error:
        raise Fallback(f"connection {field.key}") from error
    loader = state.context.loaders.of(spec.pages)
    loadable = [key for key in keys if key is not None]
    if not loadable:
        return arguments, keys, _done([])
    if loader.cache:
        return arguments, keys, loader.load_many(list(dict.fromkeys(loadable)))
    return arguments, keys, asyncio.gather(*map(loader.load, loadable))


def _page_arguments(field: ConnectionField, context: Any, kwargs: dict[str, Any]) -> Any:
    spec = field.spec
    first = kwargs.get("first", spec.default_first)
    return spec.arguments(context, first, kwargs.get("after"), kwargs.get("filter"))


def _list_arguments(field: RootListField, context: Any, kwargs: dict[str, Any]) -> Any:
    return field.spec.arguments(context, **kwargs)


# Checked arguments kept per plan field, by page size cap and argument values (the values
# of variables differ between requests: a few kept, then forgotten all at once).
MAX_CHECKED = 64


def _checked(field: Any, state: RunState, check: Any) -> Any:
    """The field's arguments as its resolver would check them, converted by Strawberry
    once per plan and distinct values (converting Q1's filter input had been about half of
    its Python calls: `python -m bench.cpu --calls`). Checked arguments depend on nothing
    but the values and the page size cap, never on the caller. Errors are not kept: each
    request falls back to stock, which reports them."""
    checked, cap = field.checked, state.context.settings.max_page_size
    values = None
    key: Any = cap
    if checked.variables:  # the coerced values name the result
        values = get_argument_values(field.field_def, field.field_node, state.variables)
        try:
            key = (cap, orjson.dumps(values, option=orjson.OPT_SORT_KEYS))
        except (TypeError, orjson.JSONEncodeError):
            key = None  # not kept
    kept = checked.kept
    if key in kept:
        return kept[key]
    if values is None:
        values = get_argument_values(field.field_def, field.field_node, state.variables)
    kwargs = converted_arguments(state.schema, field.definition, values)
    arguments = check(field, state.context, kwargs)
    if key is not None:
        if len(kept) >= MAX_CHECKED:
            kept.clear()
        kept[key] = arguments
    return arguments


async def _root_list(field: RootListField, state: RunState) -> list[Any]:
    """A root list's connection, in a one-element list (the root has one parent)."""
    try:
        arguments = _checked(field, state, _list_arguments)
    except Exception as error:
        raise Fallback(f"root list {field.key}") from error
    return [await field.spec.page(state.context, arguments)]


def _pages_by_parent(keys: list[Any], pages: list[Any], cached: bool) -> list[Any]:
    """Each parent's page (None where its key was None), from the loaded ``pages``."""
    if cached:
        found = dict(zip(dict.fromkeys(k for k in keys if k is not None), pages, strict=True))
        return [None if key is None else found[key] for key in keys]
    loaded = iter(pages)
    return [None if key is None else next(loaded) for key in keys]


def _done(value: Any) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future


def _joined(objs: list[Any], key: str) -> list[Any] | None:
    """The joined values of all parents, or None when one of them holds none (it was not
    read through a joining projection): then the relation loads for all of them."""
    try:
        return [obj.__dict__[key] for obj in objs]
    except (KeyError, AttributeError):
        return None


async def _settle(awaitables: list[Any]) -> list[Any]:
    """Await all (resolver coroutines run concurrently, as tasks); Fallback on any error.

    Loader futures are awaited one by one: they belong to batches already scheduled, so
    this costs no concurrency and spares gather's per-future callbacks.
    """
    if not awaitables:
        return []
    coroutines = [a for a in awaitables if not isinstance(a, asyncio.Future)]
    if coroutines:
        if len(coroutines) == 1:  # nothing to run beside it: no task needed
            done = [await _outcome(coroutines[0])]
        else:
            done = await asyncio.gather(*coroutines, return_exceptions=True)
        _raise_first(done)
        settled = iter(done)
    results = []
    for position, awaitable in enumerate(awaitables):
        if isinstance(awaitable, asyncio.Future):
            try:
                results.append(await awaitable)
            except Exception as error:
                _abandon(awaitables[position + 1 :])
                raise Fallback("error while loading") from error
        else:
            results.append(next(settled))
    return results


async def _outcome(coroutine: Any) -> Any:
    """The coroutine's value, or the exception it raised (as gather's return_exceptions)."""
    try:
        return await coroutine
    except Exception as error:
        return error


def _abandon(awaitables: list[Any]) -> None:
    """Mark the loader futures left behind as handled: a failed batch fails all its keys, and
    asyncio would otherwise report each unawaited failure as 'never retrieved'."""
    for awaitable in awaitables:
        if isinstance(awaitable, asyncio.Future):
            awaitable.add_done_callback(_retrieve)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _call_resolver(field: ResolverField, group: _Group, state: RunState) -> list[Any]:
    try:
        args = get_argument_values(field.field_def, field.field_nodes[0], state.variables)
    except Exception as error:
        raise Fallback("argument coercion") from error
    resolve = field.field_def.resolve
    assert resolve is not None
    name = field.field_nodes[0].name.value
    type_name = field.parent_type.name
    paths = group.paths
    values = []
    for i, obj in enumerate(group.objs):
        parent_path = paths[i] if paths is not None else None
        info = GraphQLResolveInfo(
            name,
            field.field_nodes,
            field.return_type,
            field.parent_type,
            Path(parent_path, field.key, type_name),
            state.schema,
            state.fragments,
            None,
            state.operation,
            state.variables.coerced,  # type: ignore[arg-type]  # what Strawberry passes
            state.context,
            isawaitable,  # type: ignore[arg-type]
            None,
            _HELPERS,
        )
        try:
            values.append(resolve(obj, info, **args))
        except Exception as error:
            _close(values)
            raise Fallback(f"resolver {type_name}.{name}") from error
    return values


def _new_group(plan: ObjectPlan) -> _Group:
    return _Group(plan, plan.needs_path)


def _build(group: _Group, columns: dict[int, list[Any]]) -> list[_Group]:
    """Fill the dicts of this level in field order; return the groups of the next level."""
    objs, outs, paths = group.objs, group.outs, group.paths
    plan = group.plan
    for index, field in enumerate(plan.fields):
        if isinstance(field, MethodField):
            columns[index] = _call_method(field, objs)
    if plan.filler is not None:
        try:
            return plan.filler(objs, outs, columns, _new_group)
        except Fallback:
            raise
        except Exception as error:
            raise Fallback(f"building {plan.type_name}") from error
    children: list[_Group] = []
    for index, field in enumerate(plan.fields):
        key = field.key
        if isinstance(field, TypenameField):
            for out in outs:
                out[key] = field.constant
            continue
        shape = field.shape
        values = columns.get(index)
        if values is None:
            assert isinstance(field, AttributeField)
            try:
                values = [getattr(obj, field.attr) for obj in objs]
            except Exception as error:
                raise Fallback(f"attribute {field.attr}") from error
        if isinstance(shape, LeafShape):
            leaves(shape, values, outs, key)
            continue
        plan = object_plan(shape)
        if plan is None:  # a list of scalars
            for value, out in zip(values, outs, strict=True):
                out[key] = complete(shape, value, None, None)
            continue
        child = _Group(plan, plan.needs_path)
        children.append(child)
        type_name = group.plan.type_name
        if child.paths is None:
            objects(shape, values, outs, key, child)
        else:
            assert paths is not None
            for value, out, parent in zip(values, outs, paths, strict=True):
                out[key] = complete(shape, value, child, Path(parent, key, type_name))
    return children


def _call_method(field: MethodField, objs: list[Any]) -> list[Any]:
    method = field.method
    try:
        values = [method(obj) for obj in objs]
    except Exception as error:
        raise Fallback(f"method {field.key}") from error
    if any(isawaitable(value) for value in values):
        _close(values)
        raise Fallback(f"method {field.key} returned an awaitable")
    return values


def _raise_first(results: list[Any]) -> None:
    for result in results:
        if isinstance(result, BaseException):
            if isinstance(result, Fallback):
                raise result
            raise Fallback("error while loading") from result


def _close(values: list[Any]) -> None:
    """Close coroutines that will never be awaited (no 'never awaited' warnings)."""
    for value in values:
        close = getattr(value, "close", None)
        if close is not None and asyncio.iscoroutine(value):
            close()
