"""Per-plan generated fillers: one Python function per ObjectPlan that fills all dicts of a level.

The generic runner completes a level column by column through shared helpers, paying a
few function calls and checks per value. A filler is that same work written out for one
plan: one loop over the parents, each field's value read by a plain attribute access (or
taken from its precomputed column), checked by an inline guard for the common case (a str
for a String, an in-range int for an Int...) and otherwise handed to the exact per-value
completion of ``complete.py``. Results, errors (Fallback) and key order are the generic
runner's; the differential test runs every random operation through fillers.

Safety: the generated source contains only our own identifiers and numbers. Response keys
(client-chosen aliases), type names and helpers enter as values of the function's
namespace, never as source text, and attributes are read with ``getattr`` unless they are
plain identifiers of our schema classes.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from math import isfinite
from typing import Any

from graphql import GraphQLBoolean, GraphQLFloat, GraphQLID, GraphQLInt, GraphQLString
from graphql.pyutils import Undefined, is_iterable

from app.db.projection import RenderedNodes
from app.fastpath.compat import strawberry_field_of
from app.fastpath.complete import Children, Fallback, complete, leaf_completer, object_plan
from app.fastpath.plan import (
    AttributeField,
    ConnectionField,
    LeafShape,
    ListShape,
    LookupField,
    MethodField,
    ObjectPlan,
    ObjectShape,
    RelationField,
    ResolverField,
    RootListField,
    Shape,
    TypenameField,
)

ComputedField = (
    MethodField | RelationField | ResolverField | ConnectionField | LookupField | RootListField
)

__all__ = ["Filler", "compile_filler"]

# fill(objs, outs, columns, new_group) -> the groups of the next level
Filler = Callable[[list[Any], list[dict[str, Any]], dict[int, list[Any]], Any], list[Any]]

# Values these scalars return unchanged (graphql-core's serialize_* for exactly these).
_GUARDS: dict[Any, str] = {
    GraphQLString: "v.__class__ is str",
    GraphQLID: "v.__class__ is str",
    GraphQLBoolean: "v.__class__ is bool",
    GraphQLInt: "(v.__class__ is int and -2147483648 <= v <= 2147483647)",
    GraphQLFloat: "(v.__class__ is float and isfinite(v))",
}


def _null_object(non_null: bool) -> Callable[[Any], None]:
    """An object field's value that is None, Undefined or an exception."""

    def complete_null(value: Any) -> None:
        if isinstance(value, BaseException):
            raise Fallback("exception as value")
        if non_null:
            raise Fallback("null in non-null field")
        return None

    return complete_null


def _nested(shape: Any, child: Children | None) -> Callable[[Any], Any]:
    """Lists (of leaves or objects): the generic completion, one call per value."""

    def complete_nested(value: Any) -> Any:
        return complete(shape, value, child, None)

    return complete_nested


def _object_list(shape: ListShape, child: Children) -> Callable[[Any], Any]:
    """A list of objects (e.g. a connection's nodes): one loop, no call per element.
    The same checks as ``complete.complete`` for a list of ObjectShape items."""
    item = shape.item
    assert isinstance(item, ObjectShape)
    non_null, items_non_null = shape.non_null, item.non_null
    add_obj, add_out = child.objs.append, child.outs.append

    def complete_object_list(value: Any) -> Any:
        if isinstance(value, BaseException):
            raise Fallback("exception as value")
        if value is None or value is Undefined:
            if non_null:
                raise Fallback("null in non-null field")
            return None
        if type(value) is not list and not is_iterable(value):
            raise Fallback("not a list")
        holders: list[dict[str, Any] | None] = []
        for element in value:
            if element is None or element is Undefined or isinstance(element, BaseException):
                if items_non_null or element is not None:
                    raise Fallback("null or error in a list")
                holders.append(None)
                continue
            holder: dict[str, Any] = {}
            holders.append(holder)
            add_obj(element)
            add_out(holder)
        return holders

    return complete_object_list


def _rendered_list(shape: ListShape, child: Any, plan: ObjectPlan) -> Callable[[Any], Any]:
    """A list of documents whose JSON PostgreSQL rendered: their fragments, when every one
    holds it, or the page's one array (an aggregated page: app.db.projection); otherwise
    (documents read without rendering) the usual object list."""
    usual = _object_list(shape, child)
    add_rendered = child.rendered.extend
    add_page = child.rendered.append

    def complete_rendered_list(value: Any) -> Any:
        if value.__class__ is RenderedNodes:  # a whole page rendered as one array
            if value.fragment is None:
                raise Fallback("rendered object failed a check")
            add_page(value)
            return value.fragment
        key = plan.render_key
        if key is None or type(value) is not list:
            return usual(value)
        fragments = []
        for element in value:
            held = getattr(element, "__dict__", None)
            if held is None or key not in held:
                return usual(value)
            fragment = held[key]
            if fragment is None:  # a check failed: stock execution reports the error
                raise Fallback("rendered object failed a check")
            fragments.append(fragment)
        add_rendered(value)
        return fragments

    return complete_rendered_list


def _rendered_object(shape: ObjectShape, child: Any, plan: ObjectPlan) -> Callable[[Any], Any]:
    """One document whose JSON PostgreSQL rendered (else the usual object completion)."""
    complete_null = _null_object(shape.non_null)
    add_obj, add_out, add_rendered = child.objs.append, child.outs.append, child.rendered.append

    def complete_rendered_object(value: Any) -> Any:
        if value is None or value is Undefined or isinstance(value, BaseException):
            return complete_null(value)
        key = plan.render_key
        held = getattr(value, "__dict__", None)
        if key is not None and held is not None and key in held:
            fragment = held[key]
            if fragment is None:
                raise Fallback("rendered object failed a check")
            add_rendered(value)
            return fragment
        holder: dict[str, Any] = {}
        add_obj(value)
        add_out(holder)
        return holder

    return complete_rendered_object


def _origin(shape: LeafShape) -> type | None:
    """The Python class a Strawberry scalar serializes (datetime for DateTime...), if any."""
    extensions = getattr(shape.scalar, "extensions", None) or {}
    definition = strawberry_field_of(extensions)
    origin = getattr(definition, "origin", None)
    return origin if isinstance(origin, type) else None


def _is_string_list(shape: Any) -> bool:
    return (
        isinstance(shape, ListShape)
        and isinstance(shape.item, LeafShape)
        and shape.item.scalar in (GraphQLString, GraphQLID)
    )


def _readable(attr: str) -> bool:
    return attr.isidentifier() and not keyword.iskeyword(attr) and not attr.startswith("__")


class _Source:
    """The filler's source text under construction, and the names it refers to."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "isfinite": isfinite,
            "isinstance": isinstance,
            "all": all,
            "map": map,
            "is_str": str.__instancecheck__,
            "BaseException": BaseException,
            "Undefined": Undefined,
            "nested": _nested,
            "object_list": _object_list,
            "rendered_list": _rendered_list,
            "rendered_object": _rendered_object,
        }
        self.setup: list[str] = ["children = []"]  # once per call, before the loop
        self.body: list[str] = []  # once per parent object


def compile_filler(plan: ObjectPlan) -> Filler | None:
    """A filler for ``plan``; None when a child needs response paths (resolvers below it
    take ``info.path``), which only the generic runner tracks.

    Each field contributes its value (by field kind: constant, attribute, or a column
    computed before the fill) and its completion (by shape: leaf, list of leaves, object,
    list of objects), in the plan's order.
    """
    src = _Source()
    for index, field in enumerate(plan.fields):
        key = f"K{index}"
        src.namespace[key] = field.key
        if isinstance(field, TypenameField):
            src.namespace[f"T{index}"] = field.constant
            src.body.append(f"out[{key}] = T{index}")
            continue
        _emit_value(src, field, index)
        shape = field.shape
        if isinstance(shape, LeafShape):
            _emit_leaf(src, shape, index, key)
            continue
        child = object_plan(shape)
        if child is None:
            _emit_leaf_list(src, shape, index, key)
        elif child.needs_path:
            return None
        elif isinstance(shape, ObjectShape):
            _emit_object(src, shape, child, index, key)
        else:
            _emit_object_list(src, shape, child, index, key)
    return _compiled(src, plan.type_name)


def _emit_value(src: _Source, field: AttributeField | ComputedField, index: int) -> None:
    """``v = `` the field's value for ``obj``."""
    if isinstance(field, AttributeField):
        if _readable(field.attr):
            src.body.append(f"v = obj.{field.attr}")
        else:
            src.namespace[f"A{index}"] = field.attr
            src.body.append(f"v = getattr(obj, A{index})")
        return
    # relations, resolvers and methods: their column is computed before the fill
    src.setup.append(f"c{index} = columns[{index}]")
    src.body.append(f"v = c{index}[i]")


def _emit_leaf(src: _Source, shape: LeafShape, index: int, key: str) -> None:
    src.namespace[f"L{index}"] = leaf_completer(shape)
    guard = _GUARDS.get(shape.scalar)
    origin = _origin(shape)
    if guard is not None:
        src.body.append(f"out[{key}] = v if {guard} else L{index}(v)")
    elif origin is not None:
        # A value of the scalar's own Python class, serialized inline; anything
        # else (None included) and any None result take the exact completion.
        src.namespace[f"O{index}"] = origin
        src.namespace[f"C{index}"] = shape.coerce
        src.body.append(
            f"out[{key}] = r if (v.__class__ is O{index} and (r := C{index}(v)) "
            f"is not None and r is not Undefined) else L{index}(v)"
        )
    else:
        src.body.append(f"out[{key}] = L{index}(v)")


def _emit_leaf_list(src: _Source, shape: Shape, index: int, key: str) -> None:
    src.namespace[f"N{index}"] = _nested(shape, None)
    if _is_string_list(shape):
        # String and ID return any str as it is: such a list is its own output.
        src.body.append(
            f"out[{key}] = v if (v.__class__ is list and all(map(is_str, v))) else N{index}(v)"
        )
    else:
        src.body.append(f"out[{key}] = N{index}(v)")


def _child_group(src: _Source, child: ObjectPlan, index: int) -> None:
    src.namespace[f"P{index}"] = child
    src.setup.append(f"g{index} = new_group(P{index})")
    src.setup.append(f"children.append(g{index})")


def _emit_object(src: _Source, shape: ObjectShape, child: ObjectPlan, index: int, key: str) -> None:
    _child_group(src, child, index)
    if child.render is not None:
        src.namespace[f"P{index}_shape"] = shape
        src.setup.append(f"R{index} = rendered_object(P{index}_shape, g{index}, P{index})")
        src.body.append(f"out[{key}] = R{index}(v)")
        return
    src.namespace[f"Z{index}"] = _null_object(shape.non_null)
    src.setup.append(f"o{index} = g{index}.objs.append")
    src.setup.append(f"h{index} = g{index}.outs.append")
    src.body.extend(
        [
            "if v is None or v is Undefined or isinstance(v, BaseException):",
            f"    out[{key}] = Z{index}(v)",
            "else:",
            "    h = {}",
            f"    out[{key}] = h",
            f"    o{index}(v)",
            f"    h{index}(h)",
        ]
    )


def _emit_object_list(src: _Source, shape: Shape, child: ObjectPlan, index: int, key: str) -> None:
    assert isinstance(shape, ListShape)
    _child_group(src, child, index)
    maker = "object_list" if isinstance(shape.item, ObjectShape) else "nested"
    if maker == "object_list" and child.render is not None:
        src.setup.append(f"N{index} = rendered_list(P{index}_shape, g{index}, P{index})")
    else:
        src.setup.append(f"N{index} = {maker}(P{index}_shape, g{index})")
    src.namespace[f"P{index}_shape"] = shape
    src.body.append(f"out[{key}] = N{index}(v)")


def _compiled(src: _Source, type_name: str) -> Filler:
    lines = ["def fill(objs, outs, columns, new_group):"]
    lines.extend(f"    {line}" for line in src.setup)
    lines.append("    for i, obj in enumerate(objs):")
    lines.append("        out = outs[i]")
    lines.extend(f"        {line}" for line in src.body)
    lines.append("    return children")
    source = "\n".join(lines) + "\n"
    code = compile(source, f"<fastpath filler {type_name}>", "exec")
    namespace = src.namespace
    exec(code, namespace)  # our own source: see the module docstring
    fill: Filler = namespace["fill"]
    fill.source = source  # type: ignore[attr-defined]  # for debugging and tests
    return fill
