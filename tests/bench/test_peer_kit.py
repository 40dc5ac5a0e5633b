"""When the peer runs and when the bench skips it (and says why), without starting Node."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.peer.kit import peer_env, peer_skip_reason
from bench.run import measure_peer


def _kit(tmp_path: Path, *, stamp: bool, node: bool) -> tuple[Path, Path]:
    stamp_path, node_path = tmp_path / "stamp", tmp_path / "node"
    if stamp:
        stamp_path.touch()
    if node:
        node_path.touch()
    return stamp_path, node_path


@pytest.mark.parametrize("value", ["off", "OFF", "0", "no"])
def test_peer_off_skips_whatever_is_installed(tmp_path: Path, value: str) -> None:
    stamp, node = _kit(tmp_path, stamp=True, node=True)
    assert peer_skip_reason({"VANTA_BENCH_PEER": value}, stamp, node) == "PEER=off"


def test_a_missing_install_is_named(tmp_path: Path) -> None:
    stamp, node = _kit(tmp_path, stamp=False, node=False)
    assert "npm ci" in (peer_skip_reason({}, stamp, node) or "")
    stamp, node = _kit(tmp_path, stamp=True, node=False)
    assert "node" in (peer_skip_reason({"VANTA_BENCH_PEER": "on"}, stamp, node) or "")


def test_an_installed_peer_runs(tmp_path: Path) -> None:
    stamp, node = _kit(tmp_path, stamp=True, node=True)
    assert peer_skip_reason({"VANTA_BENCH_PEER": "on"}, stamp, node) is None


def test_measure_peer_with_peer_off_starts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VANTA_BENCH_PEER", "off")

    def boom(*_: object) -> None:
        raise AssertionError("nothing may start with PEER=off")

    monkeypatch.setattr("bench.run.count_statements", boom)
    monkeypatch.setattr("bench.run.measure_versus", boom)
    assert measure_peer(None, 3) == ([], "PEER=off")  # type: ignore[arg-type]


def test_the_peer_gets_our_database_production_mode_and_reuse_port_only_when_shared() -> None:
    one = peer_env("postgresql://postgres@127.0.0.1:5432/vanta_bench", 9301, 1)
    two = peer_env("postgresql://postgres@127.0.0.1:5432/vanta_bench", 9301, 2)
    assert one["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/vanta_bench"
    assert (one["PGL_PORT"], one["GRAPHILE_ENV"], one["NODE_ENV"]) == (
        "9301",
        "production",
        "production",
    )
    assert (one["PGL_REUSE_PORT"], two["PGL_REUSE_PORT"]) == ("0", "1")
    assert not any(key.startswith("VANTA_") for key in one)
