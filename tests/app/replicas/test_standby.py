"""Read replicas against a real hot standby: where reads go, lag, read-your-writes, failure.

The proof that a read came from the standby is the data itself: with replay paused, a row
written straight to the primary is invisible through the API until replay resumes.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from app.replicas.replica import ReplicaState
from tests.app.replicas.conftest import Pair, metric, readyz_replica, replica_api, wait_for
from tests.conftest import make_token
from tests.services import redis_url

COMPANY = "query($id: ID!) { company(id: $id) { id name } }"
CREATE = """
mutation($name: String!) {
  createCompany(input: {name: $name, companyType: BUSINESS_PARTNER}) { id name }
}
"""
UPLOAD = """
mutation($companyId: ID!) {
  uploadDocument(input: {companyId: $companyId, filename: "ryw.txt", documentType: "invoice",
                         content: "Invoice No: INV-RYW-1"}) { id filename }
}
"""
DOCUMENT = "query($id: ID!) { document(id: $id) { id filename } }"

READER = make_token("admin", "*", subject="reader")
WRITER = make_token("admin", "*", subject="writer")


async def test_queries_read_from_the_replica(pair: Pair, tmp_path: Path) -> None:
    async with replica_api(pair, tmp_path) as (api, _router):
        await pair.pause_replay()
        try:
            hidden = await pair.new_company("Hidden While Paused")
            data = await api.data(COMPANY, {"id": str(hidden)}, READER)
            assert data["company"] is None  # the standby has not replayed it
            assert await metric(api, "vanta_db_reads_total", target="replica-0", reason="replica")
            sessions = await pair.on_standby(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'vanta-replica-0'"
            )
            assert sessions >= 1
        finally:
            await pair.resume_replay()

        async def visible() -> bool:
            found = await api.data(COMPANY, {"id": str(hidden)}, READER)
            return found["company"] is not None

        await wait_for(visible, "the replayed company through the API")


async def test_a_writer_reads_its_own_write_while_replay_is_paused(
    pair: Pair, tmp_path: Path
) -> None:
    async with replica_api(pair, tmp_path) as (api, _router):
        await pair.pause_replay()
        try:
            created = (await api.data(CREATE, {"name": "Written Ltd"}, WRITER))["createCompany"]
            uploaded = (await api.data(UPLOAD, {"companyId": str(pair.company_id)}, WRITER))[
                "uploadDocument"
            ]
            # The writer reads from the primary: both are there at once.
            mine = await api.data(COMPANY, {"id": created["id"]}, WRITER)
            assert mine["company"] == created
            document = await api.data(DOCUMENT, {"id": uploaded["id"]}, WRITER)
            assert document["document"] == uploaded
            # Anyone else reads from the paused standby, which has neither yet.
            theirs = await api.data(COMPANY, {"id": created["id"]}, READER)
            assert theirs["company"] is None
            assert (
                await metric(api, "vanta_db_reads_total", target="primary", reason="recent_write")
                == 2
            )
            assert await metric(api, "vanta_db_reads_total", target="primary", reason="mutation")
        finally:
            await pair.resume_replay()


async def test_a_lagging_replica_is_skipped_and_reported(pair: Pair, tmp_path: Path) -> None:
    async with replica_api(pair, tmp_path, replica_max_lag_seconds=0.5) as (api, router):
        replica = router.replicas.replicas[0]
        await wait_for(lambda: _state(router, ReplicaState.OK), "replica ok")
        # An idle primary: the standby's last replayed commit grows old, yet it misses
        # nothing, so it is not lagging (its replay position is the primary's).
        polls = router.replicas.polls
        await wait_for(
            lambda: pair.on_standby(
                "SELECT now() - pg_last_xact_replay_timestamp() > interval '1 second'"
            ),
            "an old last replayed commit",
        )
        await wait_for(_after(router, polls + 2), "two polls")
        assert replica.state is ReplicaState.OK
        assert replica.lag_seconds is not None and replica.lag_seconds < 1.0
        await pair.pause_replay()
        try:
            written = await pair.new_company("Written During Lag")
            await wait_for(lambda: _state(router, ReplicaState.LAGGING), "replica lagging")
            report = await readyz_replica(api)
            assert report["state"] == "lagging" and report["replay_paused"] is True
            assert report["lag_seconds"] > 0.5
            assert await metric(api, "vanta_db_replica_up", replica="replica-0") == 0
            assert (
                await metric(api, "vanta_db_replica_state", replica="replica-0", state="lagging")
                == 1
            )
            assert await metric(api, "vanta_db_replica_lag_seconds", replica="replica-0") > 0.5
            # Reads go to the primary meanwhile, and see the new row.
            data = await api.data(COMPANY, {"id": str(written)}, READER)
            assert data["company"] is not None
            assert await metric(
                api, "vanta_db_reads_total", target="primary", reason="no_usable_replica"
            )
        finally:
            await pair.resume_replay()
        await wait_for(lambda: _state(router, ReplicaState.OK), "replica ok again")
        report = await readyz_replica(api)
        assert report["state"] == "ok" and report["lag_seconds"] < 0.5


async def test_the_replica_stopping_mid_use_sends_reads_to_the_primary(
    pair: Pair, tmp_path: Path
) -> None:
    # No background poll after start-up: only the failing read can notice the stop.
    async with replica_api(pair, tmp_path, replica_poll_seconds=3600.0) as (api, router):
        assert (await api.data(COMPANY, {"id": str(pair.company_id)}, READER))["company"]
        assert router.replicas.replicas[0].state is ReplicaState.OK
        pair.standby.stop("fast")
        try:
            for _ in range(3):
                data = await api.data(COMPANY, {"id": str(pair.company_id)}, READER)
                assert data["company"]["name"] == "Replica Base Ltd"
            report = await readyz_replica(api)
            assert report["state"] == "down" and report["fallbacks"] == 1
            assert await metric(api, "vanta_db_replica_fallbacks_total", replica="replica-0") == 1
            assert (
                await metric(
                    api, "vanta_db_reads_total", target="primary", reason="no_usable_replica"
                )
                == 2
            )
        finally:
            pair.standby.start()
    # With polling, a returning replica is used again.
    async with replica_api(pair, tmp_path) as (api, router):
        await wait_for(lambda: _state(router, ReplicaState.OK), "replica back")
        await api.data(COMPANY, {"id": str(pair.company_id)}, READER)
        assert await metric(api, "vanta_db_reads_total", target="replica-0", reason="replica")


async def _state(router, state: ReplicaState) -> bool:  # type: ignore[no-untyped-def]
    return router.replicas.replicas[0].state is state  # type: ignore[no-any-return]


def _after(router, polls: int):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return router.replicas.polls >= polls  # type: ignore[no-any-return]

    return check


async def test_read_your_writes_holds_across_processes_through_redis(
    pair: Pair, tmp_path: Path
) -> None:
    url = await redis_url()
    if url is None:
        pytest.skip("no Redis reachable (VANTA_TEST_REDIS_URL or 127.0.0.1:6379)")
    shared = {"redis_url": url, "redis_prefix": f"vanta-test-{uuid.uuid4().hex[:8]}:"}
    async with (
        replica_api(pair, tmp_path / "a", **shared) as (first, _),
        replica_api(pair, tmp_path / "b", **shared) as (second, _),
    ):
        await pair.pause_replay()
        try:
            created = (await first.data(CREATE, {"name": "Cross Host Ltd"}, WRITER))[
                "createCompany"
            ]
            # The writer's next request lands on the other process: it still sees its write.
            mine = await second.data(COMPANY, {"id": created["id"]}, WRITER)
            assert mine["company"] == created
            assert await metric(
                second, "vanta_db_reads_total", target="primary", reason="recent_write"
            )
            theirs = await second.data(COMPANY, {"id": created["id"]}, READER)
            assert theirs["company"] is None  # others read from the paused standby
        finally:
            await pair.resume_replay()


async def test_a_writer_is_not_served_the_stale_answer_others_cached(
    pair: Pair, tmp_path: Path
) -> None:
    async with replica_api(pair, tmp_path, cache_enabled=True) as (api, _router):
        await pair.pause_replay()
        try:
            created = (await api.data(CREATE, {"name": "Cached Ltd"}, WRITER))["createCompany"]
            variables = {"id": created["id"]}
            # Another user (same role and companies: the same cache entry) reads the paused
            # standby, and that answer is cached.
            for expected in ("MISS", "HIT"):
                status, body, headers = await api.post(COMPANY, variables, READER)
                assert status == 200 and body["data"]["company"] is None
                assert headers["X-Cache"] == expected
            # The writer skips the cache and reads the primary.
            status, body, headers = await api.post(COMPANY, variables, WRITER)
            assert body["data"]["company"] == created
            assert headers["X-Cache"] == "BYPASS"
        finally:
            await pair.resume_replay()
