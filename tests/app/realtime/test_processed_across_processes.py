"""Issue 12's done-when, with real processing: the npm ``graphql-ws`` client, connected to
``vanta serve`` process B, receives the ``documentProcessed`` event of a document uploaded
(multipart, as apollo-upload-client builds it) to process A and processed by A's own job
worker. B runs no job worker, so the event can only have crossed PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import aiohttp
import orjson

from tests.app.processing.conftest import multipart_upload
from tests.app.realtime.conftest import GUARD_SECONDS, RealtimeWorld, token_for
from tests.app.realtime.node import node_clients
from tests.app.realtime.test_processes import _free_port, _until_subscribed, vanta_serve

PORTS = range(8160, 8170)  # this branch's ports on the shared machine
# The first document also pays the pool process's spaCy import: a guard, not a delay.
PROCESSED_GUARD_SECONDS = 120.0

SUBSCRIPTION = """subscription Processed($companyId: ID) {
  documentProcessed(companyId: $companyId) {
    id filename processingStatus metadata { entities { label text start end } } } }"""

CONTENT = (
    "INVOICE No INV-7781\nSupplier KRA PIN A123456789Z\nAmount due KES 12,500.00\n"
    "Pay by M-Pesa to 0712345678.\n"
)


async def test_node_client_on_b_gets_the_document_uploaded_and_processed_on_a(
    rt_world: RealtimeWorld, tmp_path: Path
) -> None:
    folder = node_clients()
    node = shutil.which("node")
    assert node is not None
    taken: set[int] = set()
    port_a, port_b = _free_port(taken, PORTS), _free_port(taken, PORTS)
    async with (
        vanta_serve(rt_world.url, port_a, tmp_path, VANTA_JOB_WORKERS="1") as a,
        vanta_serve(rt_world.url, port_b, tmp_path, VANTA_JOB_WORKERS="0") as b,
        aiohttp.ClientSession() as session,
    ):
        child = await asyncio.create_subprocess_exec(
            node,
            str(folder / "subscribe.mjs"),
            b.base.replace("http://", "ws://") + "/graphql",
            token_for(rt_world.alpha, subject="node-b"),
            str(rt_world.alpha),
            SUBSCRIPTION,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            assert child.stdout is not None
            first = await asyncio.wait_for(child.stdout.readline(), GUARD_SECONDS)
            assert first.strip() == b"connected"
            await asyncio.wait_for(_until_subscribed(session, b), GUARD_SECONDS)

            form = multipart_upload(
                {
                    "companyId": str(rt_world.alpha),
                    "filename": "inv-7781.txt",
                    "documentType": "invoice",
                },
                CONTENT.encode(),
                "inv-7781.txt",
                "text/plain",
            )
            writer = token_for(rt_world.alpha, subject="uploader", role="accountant")
            headers = {"Authorization": f"Bearer {writer}", "Apollo-Require-Preflight": "1"}
            async with session.post(f"{a.base}/graphql", data=form, headers=headers) as response:
                assert response.status == 200, await response.text()
                uploaded = (await response.json())["data"]["uploadDocument"]
            assert uploaded["processingStatus"] == "pending"

            line = await asyncio.wait_for(child.stdout.readline(), PROCESSED_GUARD_SECONDS)
            assert line, (await child.stderr.read()).decode() if child.stderr else "no output"
            event = orjson.loads(line)["data"]["documentProcessed"]
            assert event["id"] == uploaded["id"]
            assert event["filename"] == "inv-7781.txt"
            assert event["processingStatus"] == "processed"
            entities = event["metadata"]["entities"]
            pin = next(e for e in entities if e["label"] == "KRA_PIN")
            start = CONTENT.index("A123456789Z")
            assert pin == {
                "label": "KRA_PIN",
                "text": "A123456789Z",
                "start": start,
                "end": start + 11,
            }
            assert "INVOICE_NUMBER" in {e["label"] for e in entities}
            for entity in entities:  # every offset points at its text
                assert CONTENT[entity["start"] : entity["end"]] == entity["text"]
            assert await asyncio.wait_for(child.wait(), GUARD_SECONDS) == 0
        finally:
            if child.returncode is None:
                child.kill()
                await child.wait()
