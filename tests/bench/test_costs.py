"""Cost accounting without timing: /proc parsing, backend CPU deltas, process trees."""

from __future__ import annotations

import os

from bench.costs import (
    CLOCK_TICKS,
    BackendSnapshot,
    cpu_ms_between,
    parse_proc_stat,
    tree,
    tree_rss_mib,
)


def test_proc_stat_is_read_after_a_command_name_with_spaces_and_parentheses() -> None:
    fields = ["S"] + ["0"] * 10 + [str(3 * CLOCK_TICKS), str(CLOCK_TICKS)] + ["0"] * 30
    line = "4242 (postgres: a (b) c) " + " ".join(fields)
    assert parse_proc_stat(line) == 4.0


def test_this_process_stat_parses() -> None:
    with open(f"/proc/{os.getpid()}/stat") as stat:
        assert parse_proc_stat(stat.read()) >= 0


def test_backend_cpu_counts_new_backends_from_zero_and_ignores_exited_ones() -> None:
    before = BackendSnapshot({1: 1.0, 2: 5.0})
    after = BackendSnapshot({1: 1.25, 3: 0.5})  # 2 exited, 3 started during the run
    assert cpu_ms_between(before, after) == 750.0


def test_a_tree_holds_the_process_and_its_memory() -> None:
    assert tree([os.getpid()])[0].pid == os.getpid()
    assert tree_rss_mib([os.getpid()])[0] > 1
    assert tree([2**22 + 12345]) == []  # a pid that does not exist is skipped
