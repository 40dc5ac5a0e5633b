"""Network namespaces as hosts: each joined to this namespace by a routed veth pair.

A host gets a namespace with only ``lo`` and one end of a veth; the other end stays here.
Both ends take private addresses the test chose (``10.231.N.1`` here, ``10.231.N.2`` in the
namespace, a /30 of its own), so the host reaches services listening on its ``gateway``
address and the test reaches the host's ``address``, with no forwarding, bridge or NAT and
nothing of the machine's own network changed. Hosts cannot reach each other: whatever they
share goes through the services. ``close`` removes every namespace and link it made.
"""

from __future__ import annotations

import os
import random
import subprocess
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Host", "Namespaces", "netns_missing_reason"]

SUBNET = "10.231"


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


def _must(*args: str) -> None:
    result = _ip(*args)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {result.stderr.strip()}")


def netns_missing_reason() -> str | None:
    """Why namespaces cannot be made here (not root, no ``ip``, not permitted), or None."""
    if os.geteuid() != 0:
        return "network namespaces need root (CAP_SYS_ADMIN and CAP_NET_ADMIN)"
    name = f"vanta-probe-{uuid.uuid4().hex[:8]}"
    try:
        result = _ip("netns", "add", name)
    except FileNotFoundError:
        return "the ip command (iproute2) is not installed"
    if result.returncode != 0:
        return f"ip netns add is not permitted here: {result.stderr.strip()}"
    _ip("netns", "del", name)
    return None


@dataclass(frozen=True)
class Host:
    namespace: str
    address: str  # the host's own address, inside its namespace
    gateway: str  # this namespace's end of the veth: services listen here for the host

    def command(self, args: Sequence[str]) -> list[str]:
        """``args`` run inside the host's namespace."""
        return ["ip", "netns", "exec", self.namespace, *args]


class Namespaces:
    """Hosts made by ``add``; ``close`` removes them all (also after a failed ``add``).

    Example::

        spaces = Namespaces()
        try:
            a = spaces.add()
            subprocess.run(a.command(["ip", "addr"]))
        finally:
            spaces.close()
    """

    def __init__(self) -> None:
        self._tag = uuid.uuid4().hex[:4]
        self._namespaces: list[str] = []
        self._links: list[str] = []
        self._subnets: set[int] = set()

    def _free_subnet(self) -> int:
        used = _ip("-4", "-o", "addr").stdout
        candidates = [n for n in range(1, 255) if f"{SUBNET}.{n}." not in used]
        candidates = [n for n in candidates if n not in self._subnets]
        if not candidates:
            raise RuntimeError(f"no free {SUBNET}.N.0/30 subnet")
        subnet = random.choice(candidates)
        self._subnets.add(subnet)
        return subnet

    def add(self) -> Host:
        index = len(self._namespaces)
        namespace = f"vanta-{self._tag}-{index}"
        outside, inside = f"vv{self._tag}{index}h", f"vv{self._tag}{index}n"
        subnet = self._free_subnet()
        gateway, address = f"{SUBNET}.{subnet}.1", f"{SUBNET}.{subnet}.2"
        _must("netns", "add", namespace)
        self._namespaces.append(namespace)
        _must("link", "add", outside, "type", "veth", "peer", "name", inside)
        self._links.append(outside)
        _must("link", "set", inside, "netns", namespace)
        _must("addr", "add", f"{gateway}/30", "dev", outside)
        _must("link", "set", outside, "up")
        for args in (
            ("addr", "add", f"{address}/30", "dev", inside),
            ("link", "set", inside, "up"),
            ("link", "set", "lo", "up"),
        ):
            _must("netns", "exec", namespace, "ip", *args)
        return Host(namespace, address, gateway)

    def close(self) -> None:
        """Remove every namespace (its veth end goes with it) and any link left here."""
        for namespace in reversed(self._namespaces):
            _ip("netns", "del", namespace)
        for link in self._links:
            if _ip("link", "show", link).returncode == 0:
                _ip("link", "del", link)
        self._namespaces.clear()
        self._links.clear()
