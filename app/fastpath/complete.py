"""Value completion for the runner: what graphql-core's complete_value does, column-wise.

Leaves go through the GraphQL type's own ``coerce_output_value``; objects get an empty
dict now, filled when the next level runs. Wherever stock execution would report an
error (a null in a non-null position, a value the type cannot represent, an exception
as a value, a non-list for a list) these raise Fallback instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from graphql.pyutils import Path, Undefined, is_iterable

from app.fastpath.plan import LeafShape, ListShape, ObjectPlan, ObjectShape, Shape

__all__ = [
    "Children",
    "Fallback",
    "complete",
    "leaf_completer",
    "leaf_list",
    "leaves",
    "object_plan",
    "objects",
]


class Fallback(Exception):
    """Stock execution would report an error here; its answer is the one to give."""


class Children(Protocol):
    """Where completed objects wait for the next level (the runner's group)."""

    objs: list[Any]
    outs: list[dict[str, Any]]
    paths: list[Path] | None


def objects(
    shape: Shape, values: list[Any], outs: list[dict[str, Any]], key: str, child: Children
) -> None:
    """Objects and lists of objects (without paths): the common case, inlined."""
    item = shape.item if isinstance(shape, ListShape) else None
    if not isinstance(item, ObjectShape) and not isinstance(shape, ObjectShape):
        for value, out in zip(values, outs, strict=True):
            out[key] = complete(shape, value, child, None)
        return
    add_obj, add_out = child.objs.append, child.outs.append
    non_null = shape.non_null
    for value, out in zip(values, outs, strict=True):
        if value is None or value is Undefined:
            if non_null:
                raise Fallback("null in non-null field")
            out[key] = None
        elif isinstance(value, BaseException):
            raise Fallback("exception as value")
        elif item is None:
            out[key] = holder = {}
            add_obj(value)
            add_out(holder)
        else:
            if type(value) is not list and not is_iterable(value):
                raise Fallback("not a list")
            out[key] = holders = []
            for element in value:
                if element is None or element is Undefined or isinstance(element, BaseException):
                    if item.non_null or element is not None:
                        raise Fallback("null or error in a list")
                    holders.append(None)
                    continue
                holder = {}
                holders.append(holder)
                add_obj(element)
                add_out(holder)


def leaf_completer(shape: LeafShape) -> Callable[[Any], Any]:
    """Complete one leaf value as graphql-core would, or raise Fallback where it would
    report an error. The one definition of leaf completion (``leaves`` and fillers)."""
    coerce, non_null, builtin, type_name = (
        shape.coerce,
        shape.non_null,
        shape.builtin,
        shape.type_name,
    )

    def complete_leaf(value: Any) -> Any:
        if value is None or value is Undefined:
            if non_null:
                raise Fallback(f"null in non-null {type_name}")
            return None
        if not builtin and isinstance(value, Exception):
            raise Fallback("exception as value")
        try:
            coerced = coerce(value)
        except Exception as error:
            raise Fallback(f"{type_name} cannot represent a value") from error
        if coerced is None or coerced is Undefined:
            raise Fallback(f"{type_name} coerced to null")
        return coerced

    return complete_leaf


def leaves(shape: LeafShape, values: list[Any], outs: list[dict[str, Any]], key: str) -> None:
    same, complete_leaf = shape.passthrough, leaf_completer(shape)
    for value, out in zip(values, outs, strict=True):
        out[key] = value if type(value) is same else complete_leaf(value)


def leaf_list(shape: LeafShape, values: list[Any]) -> list[Any]:
    """A list of leaves: as it is when every item is its own output (e.g. tags)."""
    same = shape.passthrough
    if same is not None and all(type(value) is same for value in values):
        return values
    holders: list[dict[str, Any]] = [{} for _ in values]
    leaves(shape, values, holders, "")
    return [holder[""] for holder in holders]


def complete(shape: Shape, value: Any, child: Children | None, path: Path | None) -> Any:
    """Complete one non-leaf value; objects get an empty dict that ``child`` will fill."""
    if isinstance(value, BaseException):
        raise Fallback("exception as value")
    if value is None or value is Undefined:
        if shape.non_null:
            raise Fallback("null in non-null field")
        return None
    if isinstance(shape, ObjectShape):
        assert child is not None
        out: dict[str, Any] = {}
        child.objs.append(value)
        child.outs.append(out)
        if child.paths is not None:
            child.paths.append(path)  # type: ignore[arg-type]
        return out
    assert isinstance(shape, ListShape)
    if type(value) is not list and not is_iterable(value):
        raise Fallback("not a list")
    item = shape.item
    if isinstance(item, LeafShape):
        return leaf_list(item, list(value))
    if path is None:
        return [complete(item, element, child, None) for element in value]
    return [complete(item, element, child, Path(path, i, None)) for i, element in enumerate(value)]


def object_plan(shape: Shape) -> ObjectPlan | None:
    while isinstance(shape, ListShape):
        shape = shape.item
    return shape.plan if isinstance(shape, ObjectShape) else None
