"""Run by test_serve_processes in a subprocess: the app as `vanta serve` builds it (with
its processing pool), one upload processed, then what this process has imported."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import orjson
from aiohttp.test_utils import TestClient, TestServer

from app.auth import issue_token
from app.config import Settings
from app.server import create_app

UPLOAD = "mutation($input: UploadDocumentInput!) { uploadDocument(input: $input) { id } }"
READ = "query($id: ID!) { document(id: $id) { processingStatus metadata { entities { label } } } }"


async def main(dsn: str, data_dir: str, secret: str, company: str) -> dict[str, object]:
    settings = Settings(
        database_url=dsn,
        data_dir=Path(data_dir),
        jwt_secret=secret,
        job_workers=1,
        job_poll_seconds=0.2,
        rate_limit_per_minute=0,
        rate_limit_per_hour=0,
    )
    token = issue_token(secret, subject="probe", role="admin", companies="*")
    headers = {"Authorization": f"Bearer {token}"}
    client = TestClient(TestServer(create_app(settings, run_workers=True)))
    await client.start_server()
    try:
        variables = {
            "input": {
                "companyId": company,
                "filename": "probe.txt",
                "documentType": "tax_compliance",
                "content": "KRA PIN A123456789Z",
            }
        }
        response = await client.post(
            "/graphql", json={"query": UPLOAD, "variables": variables}, headers=headers
        )
        doc_id = (await response.json())["data"]["uploadDocument"]["id"]
        ready = await (await client.get("/readyz")).json()
        deadline = time.monotonic() + 120
        document = None
        while time.monotonic() < deadline:
            response = await client.post(
                "/graphql", json={"query": READ, "variables": {"id": doc_id}}, headers=headers
            )
            document = (await response.json())["data"]["document"]
            if document["processingStatus"] != "pending":
                break
            await asyncio.sleep(0.1)
        metrics = await (await client.get("/metrics")).text()
    finally:
        await client.close()
    return {
        "document": document,
        "ready_queue": ready.get("queue"),
        "jobs_done_metric": any(
            line.startswith("vanta_jobs_done_total") and not line.endswith(" 0.0")
            for line in metrics.splitlines()
        ),
        "spacy_imported": "spacy" in sys.modules,
        "pypdf_imported": "pypdf" in sys.modules,
    }


if __name__ == "__main__":
    result = asyncio.run(main(*sys.argv[1:5]))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
