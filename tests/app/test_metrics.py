"""/metrics speaks the Prometheus text format and counts GraphQL requests."""

from __future__ import annotations

from tests.conftest import Api


async def test_metrics_count_requests_and_round_trips(api: Api, admin_token: str) -> None:
    def sample(text: str, name: str) -> float:
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return 0.0

    before = await (await api.client.get("/metrics")).text()
    await api.data("{ companies(first: 1) { nodes { id } } }", token=admin_token)
    response = await api.client.get("/metrics")
    after = await response.text()

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    ok = 'vanta_graphql_requests_total{status="200"}'
    assert sample(after, ok) == sample(before, ok) + 1
    rt = "vanta_graphql_db_round_trips_count"
    assert sample(after, rt) == sample(before, rt) + 1
    assert 'vanta_db_pool_connections{state="idle"}' in after
    assert "process_resident_memory_bytes" in after
