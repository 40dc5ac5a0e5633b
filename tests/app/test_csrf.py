"""CSRF prevention: requests a browser could send cross-site without a preflight, with a
credential it could have attached, are refused."""

from __future__ import annotations

import io

import pytest

from tests.conftest import Api

QUERY = b'{"query": "{ __typename }"}'
SIMPLE_TYPES = [
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded",
]


COOKIE = {"Cookie": "session=from-the-browser"}


async def test_get_with_a_cookie_and_no_preflight_header_is_refused(api: Api) -> None:
    response = await api.client.get("/graphql", params={"query": "{ __typename }"}, headers=COOKIE)
    assert response.status == 400
    body = await response.json()
    assert body["errors"][0]["extensions"]["code"] == "CSRF_BLOCKED"
    assert "data" not in body


async def test_credential_less_get_needs_no_preflight_header(api: Api) -> None:
    """No Authorization, no Cookie: nothing a cross-site page could forge, so it runs."""
    response = await api.client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status == 200
    assert await response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("header", ["Apollo-Require-Preflight", "X-Apollo-Operation-Name"])
async def test_get_with_a_preflight_header_runs(api: Api, header: str) -> None:
    response = await api.client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={header: "yes"}
    )
    assert response.status == 200
    assert await response.json() == {"data": {"__typename": "Query"}}


async def test_get_with_an_empty_preflight_header_is_refused(api: Api) -> None:
    response = await api.client.get(
        "/graphql",
        params={"query": "{ __typename }"},
        headers={"Apollo-Require-Preflight": "", **COOKIE},
    )
    assert response.status == 400


async def test_get_with_a_non_simple_content_type_runs(api: Api) -> None:
    response = await api.client.get(
        "/graphql",
        params={"query": "{ __typename }"},
        headers={"Content-Type": "application/json", **COOKIE},
    )
    assert response.status == 200


@pytest.mark.parametrize("content_type", SIMPLE_TYPES)
async def test_simple_content_type_posts_are_refused_before_anything_runs(
    api: Api, content_type: str
) -> None:
    response = await api.client.post(
        "/graphql", data=io.BytesIO(QUERY), headers={"Content-Type": content_type}
    )
    assert response.status == 400
    body = await response.json()
    assert body["errors"][0]["extensions"]["code"] == "CSRF_BLOCKED"


async def test_post_without_content_type_is_refused(api: Api) -> None:
    response = await api.client.post(
        "/graphql", data=io.BytesIO(QUERY), skip_auto_headers=["Content-Type"]
    )
    assert response.status == 400
    assert (await response.json())["errors"][0]["extensions"]["code"] == "CSRF_BLOCKED"


async def test_json_post_needs_no_extra_header(api: Api) -> None:
    response = await api.client.post(
        "/graphql", data=io.BytesIO(QUERY), headers={"Content-Type": "application/json"}
    )
    assert response.status == 200


async def test_graphiql_page_stays_available_to_browsers(api: Api) -> None:
    response = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status == 200
    assert response.content_type == "text/html"


async def test_get_with_a_bearer_token_runs_because_the_header_forces_a_preflight(
    api: Api, admin_token: str
) -> None:
    response = await api.client.get(
        "/graphql",
        params={"query": "{ viewer { role } }"},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert response.status == 200
    assert await response.json() == {"data": {"viewer": {"role": "admin"}}}
