"""What one request costs beyond wall time: CPU of the server's process tree, CPU of the
PostgreSQL backends serving it, and the tree's memory.

PostgreSQL's side is read from /proc: the backends whose client port is one of the
server's own sockets to PostgreSQL (matched through pg_stat_activity.client_port), so two
servers on one database, or other sessions on the machine, never mix.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import psutil

__all__ = [
    "BackendSnapshot",
    "backend_cpu_seconds",
    "backend_snapshot",
    "cpu_ms_between",
    "parse_proc_stat",
    "tree",
    "tree_cpu_seconds",
    "tree_db_ports",
    "tree_rss_mib",
]

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree(pids: Iterable[int]) -> list[psutil.Process]:
    """The processes under ``pids`` (themselves and all descendants), without any PostgreSQL
    a server may have started for itself (an embedded one is not the server's CPU)."""
    found: dict[int, psutil.Process] = {}
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for proc in [root, *root.children(recursive=True)]:
                if not proc.name().startswith("postgres"):
                    found[proc.pid] = proc
        except psutil.NoSuchProcess:
            continue
    return list(found.values())


def tree_cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds the trees under ``pids`` have used so far."""
    total = 0.0
    for proc in tree(pids):
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def tree_rss_mib(pids: Iterable[int]) -> list[float]:
    """Resident memory of each process of the trees, largest first, in MiB (shared pages
    count in every process, as `ps` shows them: the same rule for both servers)."""
    sizes = []
    for proc in tree(pids):
        try:
            sizes.append(proc.memory_info().rss / 2**20)
        except psutil.NoSuchProcess:
            continue
    return sorted(sizes, reverse=True)


def tree_db_ports(pids: Iterable[int], db_port: int) -> set[int]:
    """Local ports of the trees' TCP connections to PostgreSQL on ``db_port``."""
    ports = set()
    for proc in tree(pids):
        try:
            connections = proc.net_connections(kind="tcp")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        for conn in connections:
            if conn.raddr and conn.raddr.port == db_port:
                ports.add(conn.laddr.port)
    return ports


def parse_proc_stat(text: str) -> float:
    """utime + stime in seconds from one /proc/<pid>/stat line (the command name, in
    parentheses, may hold spaces: split after its closing parenthesis)."""
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU seconds one backend has used, or None when it has exited."""
    try:
        return parse_proc_stat(Path(f"/proc/{pid}/stat").read_text())
    except (FileNotFoundError, ProcessLookupError):
        return None


@dataclass(frozen=True, slots=True)
class BackendSnapshot:
    """CPU seconds per backend pid at one moment."""

    cpu: dict[int, float]


async def _backend_pids(dsn: str, ports: set[int]) -> list[int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[]) "
            "AND client_addr IS NOT NULL",
            sorted(ports),
        )
    finally:
        await conn.close()
    return [row["pid"] for row in rows]


def backend_snapshot(dsn: str, pids: Iterable[int], db_port: int) -> BackendSnapshot:
    """CPU of every backend serving the trees under ``pids`` right now."""
    ports = tree_db_ports(pids, db_port)
    backends = asyncio.run(_backend_pids(dsn, ports)) if ports else []
    cpu = {pid: seconds for pid in backends if (seconds := backend_cpu_seconds(pid)) is not None}
    return BackendSnapshot(cpu)


def cpu_ms_between(before: BackendSnapshot, after: BackendSnapshot) -> float:
    """Backend CPU used between two snapshots, in ms; a backend that appeared in between
    counts from zero (it was started during the run); one that exited is lost (pools keep
    theirs open under load, so this is rare, and it can only make the figure smaller)."""
    return 1000 * sum(seconds - before.cpu.get(pid, 0.0) for pid, seconds in after.cpu.items())
