"""Random query operations drawn from the real schema, for the differential test.

Random field subsets, nested relations and connections, aliases, duplicate fields (merged),
named and inline fragments, @skip/@include with literals and variables, and arguments
passed as literals or variables. Arguments take values from the seeded world so most
operations return data; a few are deliberately wrong (runtime errors → stock fallback).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
    is_object_type,
)

from tests.world import World

__all__ = ["Operation", "OperationGenerator"]

# Root fields whose answers do not change between two runs (systemMetrics does).
ROOT_FIELDS = (
    "company",
    "companies",
    "document",
    "documents",
    "searchDocuments",
    "ledgerEntries",
    "financialSummary",
    "documentStatistics",
    "viewer",
)
MAX_DEPTH = 5


@dataclass
class Operation:
    query: str
    variables: dict[str, Any]


@dataclass
class _Build:
    rng: random.Random
    world: World
    variable_defs: dict[str, str] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    fragments: dict[str, str] = field(default_factory=dict)

    def variable(self, type_: str, value: Any) -> str:
        name = f"v{len(self.variable_defs)}"
        self.variable_defs[name] = type_
        self.variables[name] = value
        return f"${name}"


class OperationGenerator:
    """``next()`` gives a new random operation; the sequence is fixed by ``seed``."""

    def __init__(self, schema: GraphQLSchema, world: World, seed: int) -> None:
        self.schema = schema
        self.world = world
        self.rng = random.Random(seed)

    def next(self) -> Operation:
        build = _Build(self.rng, self.world)
        query_type = self.schema.query_type
        assert query_type is not None
        count = self.rng.choice((1, 1, 1, 2, 3))
        roots = [self.rng.choice(ROOT_FIELDS) for _ in range(count)]
        parts = [self._field(build, query_type, name, 0) for name in roots]
        body = " ".join(parts)
        header = ""
        if build.variable_defs:
            defs = ", ".join(f"${name}: {type_}" for name, type_ in build.variable_defs.items())
            header = f"query Random({defs}) "
        fragments = " ".join(build.fragments.values())
        return Operation(f"{header}{{ {body} }} {fragments}".strip(), build.variables)

    # -- selections ------------------------------------------------------------------

    def _field(self, build: _Build, parent: GraphQLObjectType, name: str, depth: int) -> str:
        rng = build.rng
        definition = parent.fields[name]
        text = name
        if rng.random() < 0.25:
            text = f"{rng.choice(('a', 'b', 'x'))}{rng.randint(0, 3)}: {name}"
        args = self._arguments(build, parent.name, name, definition)
        if args:
            text += f"({args})"
        text += self._directive(build)
        named = get_named_type(definition.type)
        if is_object_type(named):
            assert isinstance(named, GraphQLObjectType)
            text += " { " + self._selection(build, named, depth + 1) + " }"
        return text

    def _selection(self, build: _Build, type_: GraphQLObjectType, depth: int) -> str:
        rng = build.rng
        names = list(type_.fields)
        if depth >= MAX_DEPTH:
            names = [n for n in names if is_leaf_type(get_named_type(type_.fields[n].type))]
        if not names:
            return "__typename"
        picked = rng.sample(names, k=min(len(names), rng.randint(1, 5)))
        parts = [self._field(build, type_, name, depth) for name in picked]
        if rng.random() < 0.2:
            parts.append("__typename")
        if rng.random() < 0.25:  # a duplicate: same response key, merged by CollectFields
            parts.append(rng.choice(parts))
        rng.shuffle(parts)
        return " ".join(self._wrap(build, type_, part) for part in parts)

    def _wrap(self, build: _Build, type_: GraphQLObjectType, part: str) -> str:
        roll = build.rng.random()
        if roll < 0.12:
            return f"... on {type_.name}{self._directive(build)} {{ {part} }}"
        if roll < 0.18:
            return f"...{self._directive(build)} {{ {part} }}"
        if roll < 0.28:
            name = f"F{len(build.fragments)}"
            build.fragments[name] = f"fragment {name} on {type_.name} {{ {part} }}"
            return f"...{name}{self._directive(build)}"
        return part

    def _directive(self, build: _Build) -> str:
        rng = build.rng
        roll = rng.random()
        if roll > 0.2:
            return ""
        which = rng.choice(("skip", "include"))
        value = rng.random() < 0.5
        condition = (
            build.variable("Boolean!", value)
            if rng.random() < 0.5
            else ("true" if value else "false")
        )
        return f" @{which}(if: {condition})"

    # -- arguments -------------------------------------------------------------------

    def _arguments(self, build: _Build, parent: str, name: str, definition: GraphQLField) -> str:
        rng = build.rng
        values: dict[str, tuple[str, Any]] = {}  # argument → (GraphQL type, value)
        companies = list(build.world.companies.values())
        documents = [d for ids in build.world.documents.values() for d in ids]
        for arg_name, arg in definition.args.items():
            required = "!" in str(arg.type)
            if not required and rng.random() < 0.5:
                continue
            if arg_name == "first":
                value = rng.choice((0, 1, 2, 3, 5, 8)) if rng.random() > 0.02 else 500
                values[arg_name] = ("Int", value)
            elif arg_name in ("id",) and name == "document":
                values[arg_name] = ("ID!", str(rng.choice(documents)))
            elif arg_name in ("id", "companyId"):
                pick = rng.choice(companies) if rng.random() > 0.05 else 999999
                values[arg_name] = ("ID!" if required else "ID", str(pick))
            elif arg_name == "query":
                values[arg_name] = ("String!", rng.choice(("cement", "routine", "invoice")))
            elif arg_name == "orderBy":
                values[arg_name] = (
                    "DocumentOrder",
                    rng.choice(("UPLOADED_AT_DESC", "UPLOADED_AT_ASC")),
                )
            elif arg_name in ("from", "to"):
                values[arg_name] = ("Date", "2025-01-01" if arg_name == "from" else "2025-12-31")
            elif arg_name == "filter":
                values[arg_name] = self._filter(build, str(arg.type))
        parts = []
        for arg_name, (type_, value) in values.items():
            if rng.random() < 0.4:
                parts.append(f"{arg_name}: {build.variable(type_, value)}")
            else:
                parts.append(f"{arg_name}: {_literal(type_, value)}")
        return ", ".join(parts)

    def _filter(self, build: _Build, type_: str) -> tuple[str, Any]:
        rng = build.rng
        if type_ == "DocumentFilter":
            options: list[dict[str, Any]] = [
                {"documentType": "invoice"},
                {"status": "active"},
                {"tag": "urgent"},
                {"companyId": str(rng.choice(list(build.world.companies.values())))},
            ]
        elif type_ == "CompanyFilter":
            options = [{"status": "active"}, {"companyType": "CORE_FAMILY"}, {"search": "a"}]
        else:
            options = [{"entryType": "income"}, {"approvalStatus": "approved"}]
        return type_, rng.choice(options)


def _literal(type_: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{k}: {_literal(_enum_field(k), v)}" for k, v in value.items())
        return "{" + inner + "}"
    if type_.rstrip("!") in ("DocumentOrder", "CompanyType"):
        return str(value)
    return '"' + str(value) + '"'


def _enum_field(key: str) -> str:
    return "CompanyType" if key == "companyType" else "String"
