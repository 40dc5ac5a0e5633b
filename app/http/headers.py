"""Header helpers shared by the HTTP middlewares."""

from __future__ import annotations

from multidict import CIMultiDict, CIMultiDictProxy

__all__ = ["add_vary"]


def add_vary(headers: CIMultiDict[str] | CIMultiDictProxy[str], name: str) -> None:
    """Add ``name`` to ``Vary`` once, keeping what the handler put there (e.g. Authorization)."""
    current = headers.get("Vary", "")
    names = [item.strip() for item in current.split(",") if item.strip()]
    if any(item.lower() == name.lower() or item == "*" for item in names):
        return
    headers["Vary"] = ", ".join([*names, name])  # type: ignore[index]
