"""Render ours-against-PostGraphile (bench/versus.py) for the terminal and RESULTS.md."""

from __future__ import annotations

from bench.pairs import PairSummary, summarise
from bench.report import markdown_table, text_table
from bench.versus import SideQuery, Versus

__all__ = ["HEADER", "rows", "versus_console", "versus_markdown"]

HEADER = [
    "query",
    "req/s ours / peer",
    "ours/peer (pairs, min..max)",
    "p50 ms ours / peer",
    "p99 ms ours / peer",
    "server CPU ms/req ours / peer",
    "PostgreSQL CPU ms/req ours / peer",
    "SQL statements ours / peer",
    "round trips ours / peer",
    "bytes ours / peer",
]


def _figure(ours: SideQuery, peer: SideQuery, pick: str) -> PairSummary:
    def values(side: SideQuery) -> list[float]:
        return [getattr(one, pick) for one in side.rounds]

    return summarise(values(ours), values(peer))


def _both(summary: PairSummary, digits: int) -> str:
    return f"{summary.ours:,.{digits}f} / {summary.peer:,.{digits}f}"


def _count(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def rows(result: Versus) -> list[list[str]]:
    """One row per query: medians over the pairs, ours / peer, and the pair ratio."""
    table = []
    for name, ours in result.ours.items():
        peer = result.peer[name]
        rps = _figure(ours, peer, "rps")
        table.append(
            [
                name,
                _both(rps, 0),
                rps.spread(),
                _both(_figure(ours, peer, "p50_ms"), 2),
                _both(_figure(ours, peer, "p99_ms"), 2),
                _both(_figure(ours, peer, "cpu_ms"), 2),
                _both(_figure(ours, peer, "pg_cpu_ms"), 2),
                f"{_count(ours.statements)} / {_count(peer.statements)}",
                f"{_count(ours.wire_round_trips)} / {_count(peer.wire_round_trips)}",
                f"{ours.bytes:,} / {peer.bytes:,}",
            ]
        )
    return table


def _title(result: Versus) -> str:
    if result.processes == 1:
        return "one process each"
    return f"{result.processes} workers against {result.processes} PostGraphile processes"


def _rss(sizes: list[float]) -> str:
    each = " + ".join(f"{size:.0f}" for size in sizes)
    return f"{sum(sizes):.0f} MiB ({each})" if len(sizes) > 1 else f"{sum(sizes):.0f} MiB"


def _memory(result: Versus) -> str:
    return (
        f"RSS after the run, whole process tree (each process): ours {_rss(result.rss_ours_mib)}, "
        f"PostGraphile {_rss(result.rss_peer_mib)}"
    )


def versus_console(results: list[Versus]) -> str:
    """The side-by-side tables for the terminal."""
    parts = []
    for result in results:
        parts.append(f"ours vs PostGraphile, {_title(result)}:")
        parts.append(text_table(HEADER, rows(result)))
        parts.append(_memory(result))
    return "\n".join(parts)


def versus_markdown(results: list[Versus], skipped: str | None, peer: str, seconds: int) -> str:
    """The RESULTS.md section; says why it is empty when the peer was skipped."""
    head = "## Against PostGraphile (issue 15)\n\n"
    if skipped:
        return head + f"Skipped: {skipped}.\n"
    pairs = results[0].ours[next(iter(results[0].ours))].rounds
    text = head + (
        f"{peer} on the same database, both servers up the whole time. Before timing, each "
        "query's answers are compared (the peer's names mapped to ours: `rowId` -> `id`, "
        "`companyByCompanyId` -> `company`, ...; enum case, timestamp digits and number "
        "types brought to one form): ids and every field must agree. Then "
        f"{len(pairs)} pairs per query, ours then the peer, wrk {seconds} s each with 16 "
        "connections; figures are medians over the pairs, the ratio is the median of the "
        "pairs' requests/s ratios with their min..max.\n\n"
        "- Server CPU: user + system of the server's process tree (psutil) over the run.\n"
        "- PostgreSQL CPU: utime + stime (/proc/<pid>/stat) of the backends whose client port "
        "is one of that server's sockets (pg_stat_activity.client_port), before/after the run.\n"
        "- SQL statements and round trips: counted at the wire protocol by a relay "
        "(bench/wire.py) between a separately started server and PostgreSQL, over 20 "
        "sequential requests per query after warm-up: Execute + simple-Query messages, and "
        "Sync + simple-Query messages (each a wait for PostgreSQL). pg_stat_statements is not "
        "loaded on this PostgreSQL (it needs a restart) and pg_stat_database counts "
        "transactions, not statements. Ours includes what asyncpg sends when a connection "
        "returns to the pool.\n"
        "- Bytes: one response body. RSS: every process of the server's tree after the run "
        "(ours: the gunicorn master, its workers and any job-pool process they started; the peer: one "
        "node process per instance), summed, each in parentheses.\n"
    )
    for result in results:
        text += f"\n### {_title(result)[0].upper()}{_title(result)[1:]}\n\n"
        text += markdown_table(HEADER, rows(result)) + "\n\n" + _memory(result) + ".\n"
        text += f"Answers compared: {result.matched_ids} ids per query matched.\n"
    return text
