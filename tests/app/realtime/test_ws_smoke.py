from __future__ import annotations

from app.events.setup import EVENT_HUB
from tests.app.realtime.conftest import RealtimeWorld, new_document, open_ws, process, token_for
from tests.conftest import Api


async def test_event_received_with_selected_fields(rt_api: Api, rt_world: RealtimeWorld) -> None:
    hub = rt_api.client.server.app[EVENT_HUB]
    client = await open_ws(rt_api)
    assert (await client.init(token_for(rt_world.alpha)))["type"] == "connection_ack"
    before = hub.subscribed.value
    await client.subscribe("1", {"companyId": str(rt_world.alpha)})
    await hub.subscribed.wait(before + 1)
    doc = await new_document(rt_world.url, rt_world.alpha, "inv-1.pdf")
    await process(rt_world.url, doc)
    message = await client.receive()
    assert message == {
        "id": "1",
        "type": "next",
        "payload": {
            "data": {
                "documentProcessed": {
                    "id": str(doc),
                    "filename": "inv-1.pdf",
                    "processingStatus": "processed",
                    "company": {"id": str(rt_world.alpha), "name": "Alpha Realtime"},
                }
            }
        },
    }
    await client.ws.close()
