"""CORS: listed origins get a grant, preflights are answered before CSRF prevention."""

from __future__ import annotations

import io
import uuid

import asyncpg
import pytest

from app.config import ConfigError, Settings
from app.http.cors import cors_middleware
from tests.conftest import StartApp

APP = "http://localhost:5173"
EVIL = "http://evil.example"


def _preflight(origin: str, headers: str = "authorization, content-type") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": headers,
    }


async def test_preflight_from_a_listed_origin_is_granted_before_csrf(start_app: StartApp) -> None:
    async with start_app(cors_origins=(APP,)) as client:
        response = await client.options("/graphql", headers=_preflight(APP))
        assert response.status == 204
        headers = response.headers
        assert headers["Access-Control-Allow-Origin"] == APP
        assert headers["Access-Control-Allow-Credentials"] == "true"
        assert {"GET", "POST"} <= set(headers["Access-Control-Allow-Methods"].split(", "))
        allowed = {name.lower() for name in headers["Access-Control-Allow-Headers"].split(", ")}
        assert {
            "authorization",
            "apollo-require-preflight",
            "content-type",
            "idempotency-key",
        } <= allowed
        assert "Origin" in headers["Vary"]


async def test_actual_request_from_a_listed_origin_gets_the_grant_and_exposed_headers(
    start_app: StartApp, admin_token: str
) -> None:
    async with start_app(cors_origins=(APP,)) as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ viewer { role } }"},
            headers={"Origin": APP, "Authorization": f"Bearer {admin_token}"},
        )
        assert response.status == 200
        assert (await response.json())["data"] == {"viewer": {"role": "admin"}}
        assert response.headers["Access-Control-Allow-Origin"] == APP
        assert "X-Request-Id" in response.headers["Access-Control-Expose-Headers"]
        vary = {item.strip() for item in response.headers["Vary"].split(",")}
        assert {"Origin", "Authorization"} <= vary


async def test_unlisted_origin_gets_no_cors_headers(start_app: StartApp) -> None:
    async with start_app(cors_origins=(APP,)) as client:
        preflight = await client.options("/graphql", headers=_preflight(EVIL))
        assert preflight.status == 403
        assert "Access-Control-Allow-Origin" not in preflight.headers
        response = await client.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Origin": EVIL},
        )
        assert response.status == 200
        assert not [name for name in response.headers if name.startswith("Access-Control-")]


async def test_unlisted_origin_cannot_change_state_with_a_simple_request(
    start_app: StartApp, admin_token: str, test_db: object
) -> None:
    """A form-style POST needs no preflight: CSRF prevention refuses it; nothing is written."""
    registration = f"REG-CORS-{uuid.uuid4().hex[:10]}"
    mutation = (
        'mutation { createCompany(input: {name: "Cross Site", companyType: CORE_FAMILY, '
        f'registrationNumber: "{registration}"}}) {{ id }} }}'
    )
    body = ('{"query": ' + _json_string(mutation) + "}").encode()
    async with start_app(cors_origins=(APP,)) as client:
        response = await client.post(
            "/graphql",
            data=io.BytesIO(body),
            headers={"Origin": EVIL, "Content-Type": "text/plain", "Cookie": "session=1"},
        )
        assert response.status == 400
        assert (await response.json())["errors"][0]["extensions"]["code"] == "CSRF_BLOCKED"
        assert "Access-Control-Allow-Origin" not in response.headers
    conn = await asyncpg.connect(test_db.url)  # type: ignore[attr-defined]
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM companies WHERE registration_number = $1", registration
        )
    finally:
        await conn.close()
    assert count == 0


async def test_wildcard_grants_any_origin_without_credentials(start_app: StartApp) -> None:
    async with start_app(cors_origins=("*",)) as client:
        preflight = await client.options("/graphql", headers=_preflight(EVIL))
        assert preflight.status == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in preflight.headers
        response = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": EVIL}
        )
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers


async def test_without_cors_origins_a_preflight_is_not_granted(start_app: StartApp) -> None:
    async with start_app() as client:
        response = await client.options("/graphql", headers=_preflight(APP))
        assert "Access-Control-Allow-Origin" not in response.headers
        assert response.status != 204  # CSRF prevention refuses it (the symptom)


async def test_errors_outside_graphql_carry_the_grant(start_app: StartApp) -> None:
    async with start_app(cors_origins=(APP,)) as client:
        response = await client.get("/no-such-path", headers={"Origin": APP})
        assert response.status == 404
        assert response.headers["Access-Control-Allow-Origin"] == APP


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ()),
        ("*", ("*",)),
        (
            "http://localhost:5173, https://app.example.com/",
            ("http://localhost:5173", "https://app.example.com"),
        ),
    ],
)
def test_cors_origins_setting_parses(raw: str, expected: tuple[str, ...]) -> None:
    assert Settings.from_env({"VANTA_CORS_ORIGINS": raw}).cors_origins == expected


@pytest.mark.parametrize(
    "raw", ["*, http://a.example", "localhost:5173", "http://a.example/path", "ftp://a.example"]
)
def test_bad_cors_origins_name_the_variable(raw: str) -> None:
    with pytest.raises(ConfigError, match="VANTA_CORS_ORIGINS"):
        Settings.from_env({"VANTA_CORS_ORIGINS": raw})


def test_middleware_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="origins"):
        cors_middleware(())
    with pytest.raises(ValueError, match="origins"):
        cors_middleware(("*", APP))


def _json_string(text: str) -> str:
    import json

    return json.dumps(text)
