"""``vanta persisted export``: a trusted-documents manifest from a folder of .graphql files."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    Node,
    OperationDefinitionNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

from app.persisted.trusted import MANIFEST_FORMAT, ManifestError

__all__ = ["build_manifest", "operations_in"]


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        if node.name.value not in self.names:
            self.names.append(node.name.value)


def _spreads(node: Node) -> list[str]:
    visitor = _Spreads()
    visit(node, visitor)
    return visitor.names


def build_manifest(folder: Path) -> dict[str, Any]:
    """One manifest entry per named operation, its body holding the fragments it uses.

    Fragments may live in any file of the folder; every operation must be named and
    names must be unique, as clients refer to operations by name.
    """
    files = sorted(folder.rglob("*.graphql"))
    if not files:
        raise ManifestError(f"no .graphql files under {folder}")
    operations: list[tuple[Path, OperationDefinitionNode]] = []
    fragments: dict[str, FragmentDefinitionNode] = {}
    for path in files:
        _collect(path.read_text(), path, operations, fragments)
    return {"format": MANIFEST_FORMAT, "version": 1, "operations": _entries(operations, fragments)}


def operations_in(text: str, source: Path) -> list[dict[str, str]]:
    """The manifest entries (id, name, type, body) of one document text.

    Each body is printed exactly as ``build_manifest`` prints it, so a client sending the
    manifest's body (or its id, in trusted mode) sends the same text. ``source`` names the
    file in errors (ManifestError).
    """
    operations: list[tuple[Path, OperationDefinitionNode]] = []
    fragments: dict[str, FragmentDefinitionNode] = {}
    _collect(text, source, operations, fragments)
    if not operations:
        raise ManifestError(f"{source}: no operation in this file")
    return _entries(operations, fragments)


def _collect(
    text: str,
    path: Path,
    operations: list[tuple[Path, OperationDefinitionNode]],
    fragments: dict[str, FragmentDefinitionNode],
) -> None:
    try:
        document = parse(text)
    except GraphQLError as error:
        raise ManifestError(f"{path}: {error.message}") from None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            operations.append((path, definition))
        elif isinstance(definition, FragmentDefinitionNode):
            if definition.name.value in fragments:
                raise ManifestError(f"{path}: fragment {definition.name.value} defined twice")
            fragments[definition.name.value] = definition


def _entries(
    operations: list[tuple[Path, OperationDefinitionNode]],
    fragments: dict[str, FragmentDefinitionNode],
) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = []
    names: set[str] = set()
    for path, operation in operations:
        if operation.name is None:
            raise ManifestError(f"{path}: every operation needs a name")
        name = operation.name.value
        if name in names:
            raise ManifestError(f"{path}: operation {name} is defined twice")
        names.add(name)
        body = print_ast(
            DocumentNode(definitions=(operation, *_fragments_of(operation, fragments, path)))
        )
        entries.append(
            {
                "id": hashlib.sha256(body.encode()).hexdigest(),
                "name": name,
                "type": operation.operation.value,
                "body": body,
            }
        )
    return entries


def _fragments_of(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode], path: Path
) -> list[FragmentDefinitionNode]:
    """Fragments used by ``operation``, transitively, in first-use order."""
    needed: list[str] = []
    queue = _spreads(operation)
    while queue:
        name = queue.pop(0)
        if name in needed:
            continue
        if name not in fragments:
            raise ManifestError(f"{path}: fragment {name} is used but not defined")
        needed.append(name)
        queue.extend(_spreads(fragments[name]))
    return [fragments[name] for name in needed]
