"""GraphQL over HTTP: request parsing, status codes, media types, request ids and health."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.config import Settings
from app.server import MAX_BODY_BYTES, create_app
from tests.conftest import Api, start_api
from tests.world import World

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
CLOSED_PORT_URL = "postgresql://postgres@127.0.0.1:1/x"
PREFLIGHT = {"Apollo-Require-Preflight": "true"}  # GET must prove it is no cross-site form


def _codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def _raw_post(
    api: Api, body: bytes, content_type: str = "application/json", **headers: str
) -> tuple[int, dict[str, Any], Any]:
    # a file object: aiohttp warns (an error here) about large raw bytes bodies
    response = await api.client.post(
        "/graphql", data=io.BytesIO(body), headers={"Content-Type": content_type, **headers}
    )
    return response.status, await response.json(content_type=None), response.headers


# --- request bodies --------------------------------------------------------------------------


async def test_malformed_json_is_400_bad_request(api: Api) -> None:
    status, body, headers = await _raw_post(api, b'{"query": "{ __typename }"')
    assert status == 400
    assert headers["Content-Type"].startswith("application/json")
    request_id = headers["X-Request-Id"]
    assert body == {
        "errors": [
            {
                "message": "The request body is not valid JSON.",
                "extensions": {"code": "BAD_REQUEST", "requestId": request_id},
            }
        ]
    }


@pytest.mark.parametrize(
    "payload",
    [b'"{ __typename }"', b"42", b"null"],
    ids=["string", "number", "null"],
)
async def test_json_that_is_not_an_object_is_400(api: Api, payload: bytes) -> None:
    status, body, _ = await _raw_post(api, payload)
    assert status == 400
    assert _codes(body) == ["BAD_REQUEST"]
    assert "data" not in body


@pytest.mark.parametrize(
    "payload",
    [
        {"query": 42},
        {"query": "{ __typename }", "variables": [1]},
        {"query": "{ __typename }", "operationName": 7},
        {"query": "{ __typename }", "extensions": "x"},
        {},
    ],
    ids=["query-not-string", "variables-list", "operation-name-int", "extensions-str", "no-query"],
)
async def test_badly_shaped_request_object_is_400(api: Api, payload: dict[str, Any]) -> None:
    status, body, _ = await _raw_post(api, orjson.dumps(payload))
    assert status == 400
    assert _codes(body) == ["BAD_REQUEST"]


async def test_text_plain_is_415(api: Api) -> None:
    status, body, _ = await _raw_post(
        api, b'{"query": "{ __typename }"}', "text/plain", **PREFLIGHT
    )
    assert status == 415
    assert _codes(body) == ["UNSUPPORTED_MEDIA_TYPE"]


async def test_application_graphql_body_is_a_query(api: Api) -> None:
    status, body, _ = await _raw_post(api, b"{ __typename }", "application/graphql")
    assert status == 200
    assert body == {"data": {"__typename": "Query"}}


async def test_body_over_two_mebibytes_is_413(api: Api) -> None:
    filler = "x" * (MAX_BODY_BYTES + 1024)
    payload = orjson.dumps({"query": "{ __typename }", "variables": {"filler": filler}})
    assert MAX_BODY_BYTES == 2 * 1024 * 1024
    status, body, _ = await _raw_post(api, payload)
    assert status == 413
    assert _codes(body) == ["PAYLOAD_TOO_LARGE"]


async def test_body_just_under_the_limit_is_accepted(api: Api) -> None:
    filler = "x" * (MAX_BODY_BYTES - 1024)
    payload = orjson.dumps({"query": "{ __typename }", "variables": {"filler": filler}})
    status, body, _ = await _raw_post(api, payload)
    assert status == 200
    assert body == {"data": {"__typename": "Query"}}


# --- GraphQL request errors ------------------------------------------------------------------


# GraphQL over HTTP: a request error is 200 for application/json (no Accept is JSON) and
# 400 for application/graphql-response+json; either way errors and no "data".
MEDIA_STATUS = [(None, 200), ("application/json", 200), (GRAPHQL_RESPONSE_JSON, 400)]
MEDIA_IDS = ["no-accept", "json", "graphql-response-json"]


def _accept(media_type: str | None) -> dict[str, str]:
    return {} if media_type is None else {"Accept": media_type}


@pytest.mark.parametrize(("media_type", "expected"), MEDIA_STATUS, ids=MEDIA_IDS)
async def test_syntax_error_is_parse_failed(
    api: Api, admin_token: str, media_type: str | None, expected: int
) -> None:
    status, body, headers = await api.post(
        "{ companies { nodes { id }", token=admin_token, headers=_accept(media_type)
    )
    assert status == expected
    assert headers["Content-Type"].startswith(media_type or "application/json")
    assert _codes(body) == ["GRAPHQL_PARSE_FAILED"]
    assert "data" not in body
    assert body["errors"][0]["locations"]


@pytest.mark.parametrize(("media_type", "expected"), MEDIA_STATUS, ids=MEDIA_IDS)
async def test_unknown_field_is_validation_failed(
    api: Api, admin_token: str, media_type: str | None, expected: int
) -> None:
    status, body, _ = await api.post(
        "{ companies { nodes { nope } } }", token=admin_token, headers=_accept(media_type)
    )
    assert status == expected
    assert _codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "nope" in body["errors"][0]["message"]
    assert "data" not in body


@pytest.mark.parametrize(("media_type", "expected"), MEDIA_STATUS, ids=MEDIA_IDS)
@pytest.mark.parametrize(
    "variables",
    [{"first": "ten"}, {"first": None}, {}, {"first": 1.5}],
    ids=["string-for-int", "null-for-non-null", "missing", "float-for-int"],
)
async def test_bad_variable_is_bad_user_input(
    api: Api, admin_token: str, variables: dict[str, Any], media_type: str | None, expected: int
) -> None:
    status, body, _ = await api.post(
        "query($first: Int!) { companies(first: $first) { nodes { id } } }",
        variables,
        admin_token,
        headers=_accept(media_type),
    )
    # a request error: execution never started, so no "data" key (as for validation)
    assert status == expected
    assert _codes(body) == ["BAD_USER_INPUT"]
    assert "data" not in body


@pytest.mark.parametrize(("media_type", "expected"), MEDIA_STATUS, ids=MEDIA_IDS)
async def test_unknown_operation_name_is_a_request_error(
    api: Api, media_type: str | None, expected: int
) -> None:
    response = await api.client.post(
        "/graphql",
        json={"query": "query A { __typename } query B { __typename }", "operationName": "C"},
        headers=_accept(media_type),
    )
    assert response.status == expected
    body = await response.json(content_type=None)
    assert _codes(body) == ["OPERATION_RESOLUTION_FAILURE"]
    assert "data" not in body


async def test_operation_name_picks_the_operation(api: Api) -> None:
    response = await api.client.post(
        "/graphql",
        json={"query": "query A { a: __typename } query B { b: __typename }", "operationName": "B"},
    )
    assert response.status == 200
    assert await response.json() == {"data": {"b": "Query"}}


# --- media types and methods -----------------------------------------------------------------


async def test_graphql_response_json_when_accepted(api: Api) -> None:
    _, _, headers = await api.post(
        "{ __typename }", headers={"Accept": f"{GRAPHQL_RESPONSE_JSON}, application/json;q=0.9"}
    )
    assert headers["Content-Type"].split(";")[0] == GRAPHQL_RESPONSE_JSON
    _, _, headers = await api.post("{ __typename }", headers={"Accept": GRAPHQL_RESPONSE_JSON})
    assert headers["Content-Type"].split(";")[0] == GRAPHQL_RESPONSE_JSON


async def test_application_json_by_default(api: Api) -> None:
    _, _, headers = await api.post("{ __typename }")
    assert headers["Content-Type"].split(";")[0] == "application/json"
    _, _, headers = await api.post("{ __typename }", headers={"Accept": "*/*"})
    assert headers["Content-Type"].split(";")[0] == "application/json"


async def test_error_responses_use_the_accepted_media_type(api: Api) -> None:
    status, _, headers = await _raw_post(api, b"{oops", Accept=GRAPHQL_RESPONSE_JSON)
    assert status == 400
    assert headers["Content-Type"].split(";")[0] == GRAPHQL_RESPONSE_JSON


async def test_get_runs_queries_with_variables(api: Api, world: World, admin_token: str) -> None:
    a = world.companies["a"]
    response = await api.client.get(
        "/graphql",
        params={
            "query": "query Named($id: ID!) { company(id: $id) { id name } }",
            "variables": orjson.dumps({"id": str(a)}).decode(),
            "operationName": "Named",
        },
        headers={"Authorization": f"Bearer {admin_token}", **PREFLIGHT},
    )
    assert response.status == 200
    assert await response.json() == {
        "data": {"company": {"id": str(a), "name": "Acme Test Holdings"}}
    }


async def test_get_with_invalid_variables_json_is_400(api: Api) -> None:
    response = await api.client.get(
        "/graphql", params={"query": "{ __typename }", "variables": "{not json"}, headers=PREFLIGHT
    )
    assert response.status == 400
    assert _codes(await response.json()) == ["BAD_REQUEST"]


async def test_browser_get_without_query_serves_graphiql(api: Api) -> None:
    response = await api.client.get("/graphql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status == 200
    assert response.content_type == "text/html"
    assert "graphiql" in (await response.text()).lower()


async def test_browser_get_with_query_and_preflight_header_runs_it(api: Api) -> None:
    response = await api.client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"Accept": "text/html", **PREFLIGHT}
    )
    assert response.status == 200
    assert await response.json(content_type=None) == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_405(api: Api, method: str) -> None:
    response = await api.client.request(method, "/graphql", json={"query": "{ __typename }"})
    assert response.status == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert _codes(await response.json(content_type=None)) == ["METHOD_NOT_ALLOWED"]


# --- request ids -----------------------------------------------------------------------------


async def test_request_id_is_echoed_when_given(api: Api) -> None:
    _, _, headers = await api.post("{ __typename }", headers={"X-Request-Id": "client-req.42_A"})
    assert headers["X-Request-Id"] == "client-req.42_A"


async def test_request_id_is_generated_when_absent_or_unsafe(api: Api) -> None:
    _, _, first = await api.post("{ __typename }")
    _, _, second = await api.post("{ __typename }")
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-Id"])
    assert first["X-Request-Id"] != second["X-Request-Id"]
    for unsafe in ("has spaces in it", "x" * 65, "<script>"):
        _, _, headers = await api.post("{ __typename }", headers={"X-Request-Id": unsafe})
        assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-Id"]), unsafe


async def test_request_id_is_on_error_responses(api: Api) -> None:
    _, _, headers = await _raw_post(api, b"{oops", **{"X-Request-Id": "bad-body-1"})
    assert headers["X-Request-Id"] == "bad-body-1"


# --- health ----------------------------------------------------------------------------------


async def test_healthz_is_200(api: Api) -> None:
    response = await api.client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_readyz_is_200_when_postgres_answers(api: Api) -> None:
    response = await api.client.get("/readyz")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok"
    assert body["checks"]["postgres"] == "ok"


@pytest.fixture
async def unreachable_db_client(settings: Settings) -> AsyncIterator[TestClient]:
    app = create_app(replace(settings, database_url=CLOSED_PORT_URL, db_pool_min=0))
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_readyz_is_503_naming_postgres_when_unreachable(
    unreachable_db_client: TestClient,
) -> None:
    response = await unreachable_db_client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["postgres"]
    assert body["checks"]["postgres"] != "ok"
    health = await unreachable_db_client.get("/healthz")
    assert health.status == 200


async def test_data_query_is_service_unavailable_when_postgres_unreachable(
    unreachable_db_client: TestClient, admin_token: str
) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"}
    for query in ('{ company(id: "1") { id } }', "{ documents { nodes { id } } }"):
        response = await unreachable_db_client.post(
            "/graphql", json={"query": query}, headers=headers
        )
        assert response.status == 200
        body = await response.json()
        assert _codes(body) == ["SERVICE_UNAVAILABLE"], body
        assert body["errors"][0]["extensions"]["requestId"] == response.headers["X-Request-Id"]
    # requests that need no database still work
    response = await unreachable_db_client.post("/graphql", json={"query": "{ __typename }"})
    assert await response.json() == {"data": {"__typename": "Query"}}


async def test_unexpected_failure_outside_execution_is_masked(
    api: Api, admin_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.request_context as serving

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(serving, "create_loaders", broken)
    response = await api.client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert response.status == 500
    body = await response.json()
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert body["errors"][0]["extensions"]["requestId"] == response.headers["X-Request-Id"]
    assert "secret" not in await response.text()


async def test_responses_vary_on_authorization(api: Api, admin_token: str) -> None:
    response = await api.client.get(
        "/graphql",
        params={"query": "{ viewer { role } }"},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert response.status == 200
    assert response.headers["Vary"] == "Authorization"


async def test_variables_nested_too_deep_to_encode_are_a_client_error_not_a_500(
    settings: Settings, admin_token: str
) -> None:
    # The response cache encodes variables into its key: this is the path that must not fail.
    deep: Any = 1
    for _ in range(300):
        deep = [deep]
    async for cached in start_api(replace(settings, cache_enabled=True)):
        status, body, headers = await cached.post("{ __typename }", {"x": deep}, admin_token)
        assert status == 200, body
        assert body["data"] == {"__typename": "Query"}
        assert headers["X-Cache"] == "BYPASS"
