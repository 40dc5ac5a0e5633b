"""The graphql-http audit (npm ``graphql-http``, ``serverAudits``) against the running app.

Every check must be ok: no warning, no notice. The tally is printed so the test log shows it.
"""

from __future__ import annotations

from tests.conftest import Api
from tests.nodejs import run_node


async def test_graphql_http_audit_is_all_ok(api: Api) -> None:
    status, result = await run_node("audit.mjs", str(api.client.make_url("/graphql")))
    tally = result["tally"]
    print(f"graphql-http audit: {tally}")
    for problem in result["problems"]:
        print(f"  {problem['status']} {problem['id']} {problem['name']}: {problem['reason']}")
    assert result["problems"] == []
    assert status == 0
    assert tally["ok"] > 0 and tally["warn"] == tally["notice"] == tally["error"] == 0
