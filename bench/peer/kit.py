"""The peer's npm install and its processes: is PostGraphile usable here (and if not, why),
and start N instances of bench/peer/server.mjs on one port (SO_REUSEPORT when N > 1)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.server import stop

__all__ = ["KIT", "NODE", "STAMP", "Peer", "peer_skip_reason", "running_peer", "versions"]

KIT = Path(__file__).resolve().parent
NODE = KIT / "node_modules" / ".bin" / "node"
STAMP = KIT / "node_modules" / ".installed-stamp"  # written by the Makefile after `npm ci`
POOL_MAX = 16  # per instance, as the kit; the load is 16 connections


def _shown(path: Path) -> str:
    """``path`` relative to the repository when it is inside it."""
    root = KIT.parent.parent
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def peer_skip_reason(env: Mapping[str, str], stamp: Path = STAMP, node: Path = NODE) -> str | None:
    """Why the peer is not measured in this run, or None when it is."""
    if env.get("VANTA_BENCH_PEER", "on").strip().lower() in {"off", "0", "no", "false"}:
        return "PEER=off"
    if not stamp.exists():
        return (
            f"PostGraphile is not installed ({_shown(stamp)} missing): "
            "`make bench` runs `npm ci` in bench/peer/ when npm is on PATH"
        )
    if not node.exists():
        return f"{_shown(node)} missing: the `node` npm package did not install"
    return None


@dataclass(frozen=True, slots=True)
class Peer:
    """Running PostGraphile instances sharing one URL."""

    processes: list[subprocess.Popen[bytes]]
    url: str
    logs: list[Path]

    @property
    def pids(self) -> list[int]:
        """Root pids of the instances (for CPU, RSS and database-port accounting)."""
        return [process.pid for process in self.processes]

    def exited(self) -> str | None:
        """A message naming an instance that has exited, else None."""
        for process, log in zip(self.processes, self.logs, strict=True):
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                return f"PostGraphile (pid {process.pid}) exited with {process.returncode}:\n{tail}"
        return None


def peer_env(dsn: str, port: int, instances: int) -> dict[str, str]:
    """The environment of one instance: production mode, our database, our port band."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PG", "VANTA_"))}
    env.update(
        DATABASE_URL=dsn.replace("postgresql://", "postgres://", 1),
        PGL_HOST="127.0.0.1",
        PGL_PORT=str(port),
        PGL_REUSE_PORT="1" if instances > 1 else "0",
        PG_POOL_MAX=str(POOL_MAX),
        GRAPHILE_ENV="production",
        NODE_ENV="production",
    )
    return env


@contextmanager
def running_peer(dsn: str, port: int, instances: int, work: Path) -> Iterator[Peer]:
    """Start ``instances`` PostGraphile processes on ``port``; always stop them afterwards."""
    work.mkdir(parents=True, exist_ok=True)
    env = peer_env(dsn, port, instances)
    with ExitStack() as stack:
        processes, logs = [], []
        for index in range(instances):
            log = work / f"peer-{instances}x-{index}.log"
            sink = stack.enter_context(log.open("wb"))
            process = subprocess.Popen(
                [str(NODE), "server.mjs"], cwd=KIT, env=env, stdout=sink, stderr=subprocess.STDOUT
            )
            stack.callback(stop, process)
            processes.append(process)
            logs.append(log)
        yield Peer(processes, f"http://127.0.0.1:{port}/graphql", logs)


def versions() -> str:
    """'PostGraphile 5.1.5, Node v22.23.3' from the installed kit."""
    import json

    package = KIT / "node_modules" / "postgraphile" / "package.json"
    pgl = json.loads(package.read_text())["version"] if package.exists() else "?"
    node = subprocess.run([str(NODE), "--version"], capture_output=True, text=True, check=False)
    return f"PostGraphile {pgl} (Amber preset), Node {node.stdout.strip() or '?'}"
