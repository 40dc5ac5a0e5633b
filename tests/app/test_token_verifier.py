"""TokenVerifier: a token that verified is not verified again until it expires; nothing
that failed, nothing oversized and never more than the bound is remembered."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from app.auth import TokenVerifier
from app.errors import ApiError
from tests.conftest import JWT_SECRET, make_token


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token PyJWT verifies, in order."""
    seen: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return seen


def _signed(**claims: Any) -> str:
    now = int(time.time())
    body: dict[str, Any] = {"sub": "s", "role": "viewer", "companies": [1], "exp": now + 600}
    body.update(claims)
    return jwt.encode(body, JWT_SECRET, algorithm="HS256")


def test_a_verified_token_is_answered_from_memory(decodes: list[str]) -> None:
    verifier = TokenVerifier(JWT_SECRET)
    token = make_token("viewer", [1, 2], subject="alice")
    first, second = verifier.verify(token), verifier.verify(token)
    assert first == second and first.subject == "alice" and first.company_ids == frozenset({1, 2})
    assert decodes == [token] and len(verifier) == 1


def test_past_its_expiry_a_remembered_token_is_verified_again(decodes: list[str]) -> None:
    now = [time.time()]
    verifier = TokenVerifier(JWT_SECRET, clock=lambda: now[0])
    token = _signed(exp=int(now[0]) + 100)
    verifier.verify(token)
    now[0] += 99
    verifier.verify(token)
    assert len(decodes) == 1
    now[0] += 2  # past exp by the verifier's clock: PyJWT decides again
    verifier.verify(token)
    assert len(decodes) == 2


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param(_signed(exp=int(time.time()) - 10), id="expired"),
        pytest.param(_signed(role="root"), id="bad-role"),
        pytest.param(
            jwt.encode({"sub": "s", "role": "viewer", "exp": 2**40}, "x" * 40, algorithm="HS256"),
            id="wrong-secret",
        ),
    ],
)
def test_a_token_that_fails_is_not_remembered(token: str, decodes: list[str]) -> None:
    verifier = TokenVerifier(JWT_SECRET)
    for _ in range(2):
        with pytest.raises(ApiError) as raised:
            verifier.verify(token)
        assert raised.value.code == "UNAUTHENTICATED"
    assert len(verifier) == 0 and len(decodes) == 2


def test_the_memo_is_bounded_oldest_out_first(decodes: list[str]) -> None:
    verifier = TokenVerifier(JWT_SECRET, max_entries=2)
    one, two, three = (_signed(sub=name) for name in ("one", "two", "three"))
    for token in (one, two, three):
        verifier.verify(token)
    assert len(verifier) == 2
    verifier.verify(three)  # still remembered
    verifier.verify(one)  # dropped when three came in: verified again
    assert decodes == [one, two, three, one]


def test_oversized_tokens_and_a_zero_bound_remember_nothing(decodes: list[str]) -> None:
    big = _signed(padding="x" * TokenVerifier.MAX_TOKEN_CHARS)
    verifier = TokenVerifier(JWT_SECRET)
    assert verifier.verify(big).subject == "s"
    assert len(verifier) == 0
    off = TokenVerifier(JWT_SECRET, max_entries=0)
    off.verify(_signed())
    assert len(off) == 0
    with pytest.raises(ValueError, match="max_entries"):
        TokenVerifier(JWT_SECRET, max_entries=-1)
