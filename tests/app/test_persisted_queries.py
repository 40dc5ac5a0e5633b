"""Persisted queries over real HTTP: Apollo's APQ protocol (in-process and Redis) and trusted mode."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.config import Settings
from app.persisted.trusted import ManifestError, TrustedDocuments
from app.server import create_app
from tests.conftest import Api, make_token, running, start_api
from tests.world import World

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
APQ_TTL_SECONDS = 900  # not the default, so the Redis TTL test proves the setting is used

DOCS = (
    "query CompanyDocuments($c: ID!) { documents(first: 3, filter: {companyId: $c}) "
    "{ nodes { id } totalCount } }"
)
MINE = "query Mine { documents(first: 100) { nodes { id } totalCount } companies { nodes { id } } }"
DELETE = "mutation Delete($id: ID!) { deleteDocument(id: $id) }"

NOT_FOUND_BODY = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def _body(response: Any) -> dict[str, Any]:
    """The JSON body, each error's ``requestId`` checked against X-Request-Id and removed
    (so bodies compare whole)."""
    body: dict[str, Any] = await response.json(content_type=None)
    for error in body.get("errors", []) if isinstance(body, dict) else []:
        assert error["extensions"].pop("requestId") == response.headers["X-Request-Id"]
    return body


def _persisted(digest: Any, version: Any = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


async def apq_post(
    api: Api,
    digest: Any,
    *,
    query: str | None = None,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    token: str | None = None,
    extensions: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any], Any]:
    """A POST as Apollo Client sends it: extensions always, the query only on a retry."""
    body: dict[str, Any] = {"extensions": extensions or _persisted(digest)}
    if query is not None:
        body["query"] = query
    if variables is not None:
        body["variables"] = variables
    if operation_name is not None:
        body["operationName"] = operation_name
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await api.client.post("/graphql", json=body, headers=headers)
    return response.status, await _body(response), response.headers


async def apq_get(
    api: Api,
    digest: Any,
    *,
    query: str | None = None,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    token: str | None = None,
    extensions: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any], Any]:
    """A GET as Apollo Client sends it: JSON-encoded ``extensions`` and ``variables``."""
    params = {"extensions": orjson.dumps(extensions or _persisted(digest)).decode()}
    if query is not None:
        params["query"] = query
    if variables is not None:
        params["variables"] = orjson.dumps(variables).decode()
    if operation_name is not None:
        params["operationName"] = operation_name
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await api.client.get("/graphql", params=params, headers=headers)
    return response.status, await _body(response), response.headers


# --- fixtures --------------------------------------------------------------------------------


def _sync_redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_connect_timeout=1, socket_timeout=2, retry=Retry(NoBackoff(), 0)
    )


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A reachable Redis (VANTA_TEST_REDIS_URL or the local default), else skip."""
    url = os.environ.get("VANTA_TEST_REDIS_URL") or DEFAULT_REDIS_URL
    client = _sync_redis(url)
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        reason = f"no Redis reachable at {url} ({error})"
        print(f"\n[tests] skipping Redis tests: {reason}")
        pytest.skip(reason)
    finally:
        client.close()
    yield url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards (never FLUSHDB)."""
    prefix = f"vanta-test-{uuid.uuid4().hex}:"
    yield prefix
    client = _sync_redis(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(params=["memory", "redis"])
def apq_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The production default (response cache on) on either APQ store."""
    base = replace(settings, cache_enabled=True, apq_ttl_seconds=APQ_TTL_SECONDS)
    if request.param == "memory":
        return base
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    return replace(base, redis_url=url, redis_prefix=prefix)


@pytest.fixture
async def apq_api(apq_settings: Settings, world: World) -> AsyncIterator[Api]:
    async for api in start_api(apq_settings):
        yield api


@pytest.fixture(scope="module")
def a_token(world: World) -> str:
    return make_token("viewer", [world.companies["a"]], subject="viewer-a")


@pytest.fixture(scope="module")
def b_token(world: World) -> str:
    return make_token("viewer", [world.companies["b"]], subject="viewer-b")


def _docs_data(world: World, key: str) -> dict[str, Any]:
    ids = world.documents[key]
    return {"documents": {"nodes": [{"id": str(i)} for i in ids[:3]], "totalCount": len(ids)}}


# --- automatic persisted queries (both stores) ----------------------------------------------


async def test_apollo_round_trip_hash_then_query_then_get_by_hash(
    apq_api: Api, world: World, a_token: str
) -> None:
    digest = sha256(DOCS)
    variables = {"c": str(world.companies["a"])}
    call = {"variables": variables, "operation_name": "CompanyDocuments", "token": a_token}
    expected = {"data": _docs_data(world, "a")}

    status, body, _ = await apq_post(apq_api, digest, **call)
    assert (status, body) == (200, NOT_FOUND_BODY)

    status, body, _ = await apq_post(apq_api, digest, query=DOCS, **call)
    assert (status, body) == (200, expected)

    status, body, headers = await apq_get(apq_api, digest, **call)
    assert (status, body) == (200, expected)
    assert headers["Cache-Control"].startswith("private, max-age=")

    status, body, _ = await apq_post(apq_api, digest, **call)
    assert (status, body) == (200, expected)


async def test_unknown_hash_over_get_is_not_found_and_not_http_cacheable(
    apq_api: Api, a_token: str
) -> None:
    status, body, headers = await apq_get(apq_api, sha256(DOCS), token=a_token)
    assert (status, body) == (200, NOT_FOUND_BODY)
    # A shared HTTP cache keeping this answer would stop the client ever registering the query.
    assert headers["Cache-Control"] == "no-store"


async def test_hash_is_of_the_query_text_exactly_as_received(
    apq_api: Api, world: World, a_token: str
) -> None:
    variant = DOCS.replace(" { ", "  {  ")
    assert variant != DOCS and sha256(variant) != sha256(DOCS)
    call = {"variables": {"c": str(world.companies["a"])}, "token": a_token}
    expected = {"data": _docs_data(world, "a")}
    assert (await apq_post(apq_api, sha256(DOCS), query=DOCS, **call))[:2] == (200, expected)

    # No normalisation: the variant is another text, unknown until registered itself.
    assert (await apq_post(apq_api, sha256(variant), **call))[:2] == (200, NOT_FOUND_BODY)
    status, body, _ = await apq_post(apq_api, sha256(DOCS), query=variant, **call)
    assert status == 400
    assert _codes(body) == ["PERSISTED_QUERY_MISMATCH"]

    assert (await apq_post(apq_api, sha256(variant), query=variant, **call))[:2] == (200, expected)
    assert (await apq_post(apq_api, sha256(variant), **call))[:2] == (200, expected)
    assert (await apq_post(apq_api, sha256(DOCS), **call))[:2] == (200, expected)


async def test_hash_that_does_not_match_the_query_is_400_and_stores_nothing(
    apq_api: Api, world: World, a_token: str
) -> None:
    other = "query Other { viewer { subject } }"
    call = {"variables": {"c": str(world.companies["a"])}, "token": a_token}
    status, body, _ = await apq_post(apq_api, sha256(other), query=DOCS, **call)
    assert status == 400
    assert _codes(body) == ["PERSISTED_QUERY_MISMATCH"]
    assert "data" not in body

    for digest in (sha256(other), sha256(DOCS)):
        assert (await apq_post(apq_api, digest, **call))[:2] == (200, NOT_FOUND_BODY)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("query Broken { documents(first: 1 { nodes { id } } }", "GRAPHQL_PARSE_FAILED"),
        (
            "query Unknown { documents(first: 1) { nodes { noSuchField } } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ],
    ids=["parse", "validation"],
)
async def test_query_that_fails_to_parse_or_validate_is_not_stored(
    apq_api: Api, a_token: str, query: str, code: str
) -> None:
    digest = sha256(query)
    status, body, _ = await apq_post(apq_api, digest, query=query, token=a_token)
    assert status == 200  # a request error, answered as application/json
    assert code in _codes(body)
    assert "data" not in body
    assert (await apq_post(apq_api, digest, token=a_token))[:2] == (200, NOT_FOUND_BODY)


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("version", [2, 0, "1", None])
async def test_unsupported_persisted_query_version_is_400(
    apq_api: Api, a_token: str, method: str, version: Any
) -> None:
    send = apq_post if method == "POST" else apq_get
    extensions = _persisted(sha256(DOCS), version=version)
    status, body, _ = await send(apq_api, None, extensions=extensions, token=a_token)
    assert status == 400
    assert _codes(body) == ["PERSISTED_QUERY_NOT_SUPPORTED"]


@pytest.mark.parametrize(
    "extensions",
    [
        _persisted(sha256(DOCS).upper()),
        _persisted(sha256(DOCS)[:63]),
        _persisted(sha256(DOCS) + "0"),
        _persisted("z" * 64),
        _persisted(12345),
        _persisted(None),
        {"persistedQuery": "not-an-object"},
    ],
    ids=["uppercase", "short", "long", "not-hex", "number", "null", "not-object"],
)
async def test_malformed_persisted_query_is_400_bad_request(
    apq_api: Api, a_token: str, extensions: dict[str, Any]
) -> None:
    status, body, _ = await apq_post(apq_api, None, extensions=extensions, token=a_token)
    assert status == 400
    assert _codes(body) == ["BAD_REQUEST"]


async def test_persisted_mutation_over_get_is_405_allow_post(apq_api: Api, world: World) -> None:
    digest = sha256(DELETE)
    variables = {"id": str(world.documents["m"][0])}
    # Registered over POST without a token: it validates, then fails harmlessly.
    status, body, _ = await apq_post(apq_api, digest, query=DELETE, variables=variables)
    assert status == 200
    assert _codes(body) == ["UNAUTHENTICATED"]

    admin = make_token("admin", "*")
    for query in (None, DELETE):
        status, body, headers = await apq_get(
            apq_api, digest, query=query, variables=variables, token=admin
        )
        assert status == 405
        assert headers["Allow"] == "POST"
        assert _codes(body) == ["METHOD_NOT_ALLOWED"]


async def test_query_registered_by_one_tenant_runs_with_the_callers_access(
    apq_api: Api, world: World, a_token: str, b_token: str
) -> None:
    digest = sha256(MINE)
    a, b = world.companies["a"], world.companies["b"]

    def mine(key: str, company: int) -> dict[str, Any]:
        ids = world.documents[key]
        return {
            "documents": {"nodes": [{"id": str(i)} for i in ids], "totalCount": len(ids)},
            "companies": {"nodes": [{"id": str(company)}]},
        }

    status, body, _ = await apq_post(apq_api, digest, query=MINE, token=a_token)
    assert (status, body) == (200, {"data": mine("a", a)})

    for send in (apq_post, apq_get):
        status, body, _ = await send(apq_api, digest, token=b_token)
        assert (status, body) == (200, {"data": mine("b", b)})
        status, body, _ = await send(apq_api, digest, token=a_token)
        assert (status, body) == (200, {"data": mine("a", a)})


# --- Redis store -----------------------------------------------------------------------------


async def test_redis_store_keeps_query_with_apq_ttl_shared_by_instances(
    settings: Settings, world: World, redis_url: str, redis_prefix: str, a_token: str
) -> None:
    shared = replace(
        settings, redis_url=redis_url, redis_prefix=redis_prefix, apq_ttl_seconds=APQ_TTL_SECONDS
    )
    digest = sha256(DOCS)
    call = {"variables": {"c": str(world.companies["a"])}, "token": a_token}
    expected = {"data": _docs_data(world, "a")}
    async with running(shared) as first, running(shared) as second:
        assert (await apq_post(second, digest, **call))[:2] == (200, NOT_FOUND_BODY)
        assert (await apq_post(first, digest, query=DOCS, **call))[:2] == (200, expected)

        client = _sync_redis(redis_url)
        try:
            key = f"{redis_prefix}apq:r:{digest}"
            assert client.get(key) == DOCS.encode()
            ttl_ms = client.pttl(key)
        finally:
            client.close()
        # Written moments ago with the configured TTL (a minute of slack for a slow machine).
        assert APQ_TTL_SECONDS * 1000 - 60_000 < ttl_ms <= APQ_TTL_SECONDS * 1000

        assert (await apq_post(second, digest, **call))[:2] == (200, expected)
        assert (await apq_get(second, digest, **call))[:2] == (200, expected)


# --- trusted documents -----------------------------------------------------------------------

FRAGMENTS = "fragment DocFields on Document { id filename }\n"
RECENT = (
    "query RecentDocuments($c: ID!) {\n"
    "  documents(first: 2, filter: {companyId: $c}) { nodes { ...DocFields } }\n"
    "}\n"
)
ONE = "query OneDocument($id: ID!) { document(id: $id) { ...DocFields company { id } } }\n"


def _cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("VANTA_")}


async def _export(folder: Path, output: Path) -> tuple[int, str]:
    """Run ``vanta persisted export FOLDER -o OUTPUT``; (exit code, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "persisted",
        "export",
        str(folder),
        "-o",
        str(output),
        cwd=ROOT,
        env=_cli_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, err.decode()


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


@pytest.fixture(scope="module")
async def manifest_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("trusted")
    # The shared fragment lives in a file of its own; one operation sits in a subfolder.
    folder = _write(
        base / "operations",
        {"fragments.graphql": FRAGMENTS, "recent.graphql": RECENT, "nested/one.graphql": ONE},
    )
    output = base / "manifest.json"
    code, err = await _export(folder, output)
    assert code == 0, err
    assert "wrote 2 operations" in err
    return output


@pytest.fixture(scope="module")
def manifest(manifest_file: Path) -> dict[str, Any]:
    return orjson.loads(manifest_file.read_bytes())  # type: ignore[no-any-return]


def _operation(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    return next(op for op in manifest["operations"] if op["name"] == name)


@pytest.fixture
async def trusted_api(settings: Settings, world: World, manifest_file: Path) -> AsyncIterator[Api]:
    async for api in start_api(replace(settings, trusted_documents=manifest_file)):
        yield api


def test_export_writes_an_apollo_manifest_with_the_fragments_each_operation_uses(
    manifest: dict[str, Any],
) -> None:
    assert manifest["format"] == "apollo-persisted-query-manifest"
    assert manifest["version"] == 1
    assert sorted(op["name"] for op in manifest["operations"]) == ["OneDocument", "RecentDocuments"]
    for operation in manifest["operations"]:
        assert set(operation) == {"id", "name", "type", "body"}
        assert operation["type"] == "query"
        assert operation["id"] == sha256(operation["body"])
        assert operation["body"].count("fragment DocFields on Document") == 1
        assert operation["body"].startswith(f"query {operation['name']}(")


async def test_trusted_mode_runs_listed_operations_by_id_and_by_identical_body(
    trusted_api: Api, world: World, manifest: dict[str, Any], a_token: str
) -> None:
    recent = _operation(manifest, "RecentDocuments")
    variables = {"c": str(world.companies["a"])}
    ids = world.documents["a"][:2]
    expected_ids = [str(i) for i in ids]

    for send in (apq_post, apq_get):
        status, body, _ = await send(trusted_api, recent["id"], variables=variables, token=a_token)
        assert status == 200, body
        assert [n["id"] for n in body["data"]["documents"]["nodes"]] == expected_ids
        assert all(n["filename"].startswith("a-") for n in body["data"]["documents"]["nodes"])

    status, body, _ = await trusted_api.post(recent["body"], variables, a_token)
    assert status == 200, body
    assert [n["id"] for n in body["data"]["documents"]["nodes"]] == expected_ids

    one = _operation(manifest, "OneDocument")
    status, body, _ = await apq_post(
        trusted_api, one["id"], variables={"id": str(ids[0])}, token=a_token
    )
    assert status == 200, body
    assert body["data"]["document"]["company"] == {"id": str(world.companies["a"])}


async def test_trusted_mode_refuses_other_bodies_and_unknown_ids(
    trusted_api: Api, world: World, manifest: dict[str, Any], a_token: str
) -> None:
    variables = {"c": str(world.companies["a"])}
    # The source text as written differs from the manifest's printed body: not the same document.
    source = FRAGMENTS + RECENT
    for query in ("{ __typename }", source, DOCS):
        status, body, _ = await trusted_api.post(query, variables, a_token)
        assert status == 400, query
        assert _codes(body) == ["QUERY_NOT_IN_SAFELIST"]
        assert "data" not in body

    for send in (apq_post, apq_get):
        status, body, _ = await send(trusted_api, sha256(DOCS), variables=variables, token=a_token)
        assert status == 400
        assert _codes(body) == ["PERSISTED_QUERY_NOT_IN_LIST"]


async def test_apq_registration_does_not_bypass_trusted_mode(
    trusted_api: Api, world: World, a_token: str
) -> None:
    call = {"variables": {"c": str(world.companies["a"])}, "token": a_token}
    digest = sha256(DOCS)
    status, body, _ = await apq_post(trusted_api, digest, query=DOCS, **call)
    assert status == 400
    assert _codes(body) == ["QUERY_NOT_IN_SAFELIST"]
    status, body, _ = await apq_post(trusted_api, digest, **call)
    assert status == 400
    assert _codes(body) == ["PERSISTED_QUERY_NOT_IN_LIST"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "cannot read a JSON manifest"),
        (b'{"format": "relay", "version": 1, "operations": []}', "format must be"),
        (
            b'{"format": "apollo-persisted-query-manifest", "version": 2, "operations": []}',
            "only version 1",
        ),
        (b'{"format": "apollo-persisted-query-manifest", "version": 1}', "'operations' must be"),
        (
            b'{"format": "apollo-persisted-query-manifest", "version": 1, "operations": '
            b'[{"id": "x", "name": "A", "type": "query"}]}',
            r"operations\[0\] needs string 'id' and 'body'",
        ),
        (
            b'{"format": "apollo-persisted-query-manifest", "version": 1, "operations": ['
            b'{"id": "same", "name": "A", "type": "query", "body": "query A { __typename }"},'
            b'{"id": "same", "name": "B", "type": "query", "body": "query B { __typename }"}]}',
            "id 'same' is listed twice with different bodies",
        ),
    ],
    ids=["not-json", "wrong-format", "wrong-version", "no-operations", "no-body", "duplicate-id"],
)
def test_invalid_manifest_is_rejected_with_a_message(
    tmp_path: Path, settings: Settings, content: bytes, message: str
) -> None:
    path = tmp_path / "manifest.json"
    path.write_bytes(content)
    with pytest.raises(ManifestError, match=message) as raised:
        TrustedDocuments.load(path)
    assert str(path) in str(raised.value)
    # The server refuses to start on it rather than serving without the allow-list.
    with pytest.raises(ManifestError, match=message):
        create_app(replace(settings, trusted_documents=path))


def test_manifest_may_list_the_same_operation_twice(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    op = {"id": "same", "name": "A", "type": "query", "body": "query A { __typename }"}
    path.write_bytes(
        orjson.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [op, op]}
        )
    )
    assert len(TrustedDocuments.load(path)) == 1


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.graphql": "{ documents { nodes { id } } }"}, "every operation needs a name"),
        (
            {"a.graphql": "query A { documents { nodes { ...Missing } } }"},
            "fragment Missing is used but not defined",
        ),
        (
            {
                "a.graphql": "query Same { viewer { subject } }",
                "b.graphql": "query Same { __typename }",
            },
            "operation Same is defined twice",
        ),
    ],
    ids=["unnamed", "missing-fragment", "duplicate-name"],
)
async def test_export_errors_exit_2_with_a_message(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    folder = _write(tmp_path / "operations", files)
    output = tmp_path / "manifest.json"
    code, err = await _export(folder, output)
    assert code == 2
    assert err.startswith("vanta persisted export: ")
    assert message in err
    assert not output.exists()


async def test_trusted_mode_refuses_a_listed_body_sent_under_another_listed_id(
    trusted_api: Api, world: World, manifest: dict[str, Any], a_token: str
) -> None:
    recent, one = _operation(manifest, "RecentDocuments"), _operation(manifest, "OneDocument")
    status, body, _ = await apq_post(
        trusted_api,
        one["id"],
        query=recent["body"],
        variables={"c": str(world.companies["a"])},
        token=a_token,
    )
    assert status == 400
    assert _codes(body) == ["PERSISTED_QUERY_MISMATCH"]
