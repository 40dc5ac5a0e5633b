"""Two hosts behind one PostgreSQL and one Redis share what a load balancer needs them to.

Cache entries, invalidations, APQ registrations, rate budgets and subscription events
cross from one network namespace to the other; the hosts cannot reach each other, only
the services.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Any

import aiohttp
import orjson

from app.auth import issue_token
from tests.app.hosts.conftest import GUARD_SECONDS, RATE_PER_MINUTE, Hosts
from tests.conftest import JWT_SECRET

COMPANY = "query($id: ID!) { company(id: $id) { id name } }"
DOCUMENTS = """
query($companyId: ID!) {
  documents(first: 20, filter: {companyId: $companyId}) { nodes { id filename } }
}
"""
UPLOAD = """
mutation($companyId: ID!, $filename: String!) {
  uploadDocument(input: {companyId: $companyId, filename: $filename, documentType: "invoice",
                         content: "Invoice No: INV-2H-1\\nTotal KES 1,000.00"}) { id }
}
"""
SUBSCRIPTION = """
subscription($companyId: ID) { documentProcessed(companyId: $companyId) { id processingStatus } }
"""


def _token(subject: str) -> str:
    return issue_token(JWT_SECRET, subject=subject, role="admin", companies="*")


async def _post(
    session: aiohttp.ClientSession,
    url: str,
    token: str,
    query: str | None,
    variables: dict[str, Any] | None = None,
    extensions: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any], aiohttp.typedefs.LooseHeaders]:
    body: dict[str, Any] = {"variables": variables or {}}
    if query is not None:
        body["query"] = query
    if extensions is not None:
        body["extensions"] = extensions
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with session.post(f"{url}/graphql", data=orjson.dumps(body), headers=headers) as r:
        return r.status, orjson.loads(await r.read()), r.headers


async def test_a_cache_entry_stored_by_one_host_is_a_hit_on_the_other(hosts: Hosts) -> None:
    token = _token(f"cache-{uuid.uuid4().hex[:6]}")
    variables = {"id": str(hosts.company_id)}
    async with aiohttp.ClientSession() as session:
        status, first, headers = await _post(session, hosts.a, token, COMPANY, variables)
        assert status == 200 and headers["X-Cache"] == "MISS"
        status, second, headers = await _post(session, hosts.b, token, COMPANY, variables)
        assert status == 200 and headers["X-Cache"] == "HIT"
        assert (
            second
            == first
            == {"data": {"company": {"id": str(hosts.company_id), "name": "Two Hosts Ltd"}}}
        )


async def test_a_write_on_one_host_invalidates_the_other_hosts_answer(hosts: Hosts) -> None:
    token = _token(f"invalidate-{uuid.uuid4().hex[:6]}")
    variables = {"companyId": str(hosts.company_id)}
    async with aiohttp.ClientSession() as session:
        _, before, _ = await _post(session, hosts.a, token, DOCUMENTS, variables)
        _, _, headers = await _post(session, hosts.a, token, DOCUMENTS, variables)
        assert headers["X-Cache"] == "HIT"
        filename = f"invalidate-{uuid.uuid4().hex[:6]}.txt"
        status, uploaded, _ = await _post(
            session, hosts.b, token, UPLOAD, {**variables, "filename": filename}
        )
        assert status == 200 and "errors" not in uploaded, uploaded
        status, after, headers = await _post(session, hosts.a, token, DOCUMENTS, variables)
        assert status == 200 and headers["X-Cache"] == "MISS"
        names = [node["filename"] for node in after["data"]["documents"]["nodes"]]
        assert filename in names
        assert filename not in [n["filename"] for n in before["data"]["documents"]["nodes"]]


async def test_a_persisted_query_registered_on_one_host_runs_on_the_other(hosts: Hosts) -> None:
    token = _token(f"apq-{uuid.uuid4().hex[:6]}")
    query = f"query Apq{uuid.uuid4().hex[:8]} {{ viewer {{ subject }} }}"
    digest = hashlib.sha256(query.encode()).hexdigest()
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    async with aiohttp.ClientSession() as session:
        _, unknown, _ = await _post(session, hosts.b, token, None, extensions=persisted)
        assert unknown["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        status, registered, _ = await _post(session, hosts.a, token, query, extensions=persisted)
        assert status == 200 and "errors" not in registered
        status, answered, _ = await _post(session, hosts.b, token, None, extensions=persisted)
        assert status == 200 and answered == registered


async def test_one_rate_budget_spans_both_hosts(hosts: Hosts) -> None:
    token = _token(f"rate-{uuid.uuid4().hex[:6]}")
    async with aiohttp.ClientSession() as session:
        # Half the budget on each host: each alone has seen only half of it.
        for index in range(RATE_PER_MINUTE):
            url = hosts.a if index % 2 == 0 else hosts.b
            status, body, _ = await _post(session, url, token, "{ viewer { subject } }")
            assert status == 200, body
        for url in (hosts.a, hosts.b):
            status, body, headers = await _post(session, url, token, "{ viewer { subject } }")
            assert status == 429, body
            assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
            assert "Retry-After" in headers


async def test_a_document_processed_on_one_host_reaches_a_subscriber_on_the_other(
    hosts: Hosts,
) -> None:
    token = _token(f"subscriber-{uuid.uuid4().hex[:6]}")
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "text/event-stream",
        "Content-Type": "application/json",
    }
    body = orjson.dumps({"query": SUBSCRIPTION, "variables": {"companyId": str(hosts.company_id)}})
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{hosts.b}/graphql", data=body, headers=headers) as stream,
    ):
        assert stream.status == 200
        await _subscribed(session, hosts.b)
        filename = f"event-{uuid.uuid4().hex[:6]}.txt"
        status, uploaded, _ = await _post(
            session,
            hosts.a,
            token,
            UPLOAD,
            {"companyId": str(hosts.company_id), "filename": filename},
        )
        assert status == 200 and "errors" not in uploaded, uploaded
        document_id = uploaded["data"]["uploadDocument"]["id"]
        # Host a's worker processes it; its NOTIFY reaches host b's listener. (Documents
        # other tests uploaded may be processed meanwhile: their events come too.)
        event = await _next_event(stream)
        while event["data"]["documentProcessed"]["id"] != document_id:
            event = await _next_event(stream)
        assert event["data"]["documentProcessed"] == {
            "id": document_id,
            "processingStatus": "processed",
        }


async def _subscribed(session: aiohttp.ClientSession, url: str) -> None:
    """Until the host reports an active subscription in /metrics (a condition, polled)."""
    async with asyncio.timeout(GUARD_SECONDS):
        while True:
            async with session.get(f"{url}/metrics") as response:
                text = await response.text()
            for line in text.splitlines():
                if line.startswith("vanta_subscriptions_active ") and float(line.split()[1]) >= 1:
                    return
            await asyncio.sleep(0.05)


async def _next_event(stream: aiohttp.ClientResponse) -> dict[str, Any]:
    """The next ``next`` event's data (heartbeats and other events skipped)."""
    name, data = None, None
    async with asyncio.timeout(GUARD_SECONDS):
        while True:
            line = (await stream.content.readline()).decode()
            assert line, "stream ended"
            line = line.rstrip("\r\n")
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data = line[len("data: ") :]
            elif line == "" and name == "next" and data is not None:
                return orjson.loads(data)  # type: ignore[no-any-return]
