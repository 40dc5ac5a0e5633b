"""JWT bearer tokens: who the caller is and which companies exist for them."""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from app.config import Settings
from app.domain import ROLES
from app.errors import UNAUTHENTICATED, ApiError, forbidden
from app.sizing import DICT_SLOT_OVERHEAD, sizeof

__all__ = [
    "TokenVerifier",
    "Viewer",
    "companies_from_claim",
    "decode_token",
    "issue_token",
    "jwt_secret_for",
    "parse_companies",
]

ALGORITHM = "HS256"
_MAX_COMPANY_ID = 2**63 - 1  # company ids are PostgreSQL bigints
_DEV_SECRET_FILE = "jwt-secret"


@dataclass(frozen=True, slots=True)
class Viewer:
    """The authenticated caller. ``company_ids`` None means every company ("*")."""

    subject: str
    role: str
    company_ids: frozenset[int] | None

    @property
    def scope(self) -> list[int] | None:
        """Company ids for SQL (``= ANY($n)``), or None when unrestricted."""
        return None if self.company_ids is None else sorted(self.company_ids)

    def can_see(self, company_id: int) -> bool:
        return self.company_ids is None or company_id in self.company_ids

    def require_role(self, *roles: str) -> None:
        if self.role not in roles:
            raise forbidden(f"Role {self.role!r} may not do this; needs one of {', '.join(roles)}.")

    def require_write(self, company_id: int) -> None:
        """Writers are admins and accountants, and only on their own companies."""
        self.require_role("admin", "accountant")
        if not self.can_see(company_id):
            raise forbidden("You may not change data of this company.")


def jwt_secret_for(settings: Settings) -> str:
    """VANTA_JWT_SECRET, else a development secret created once under VANTA_DATA_DIR.

    The file lets ``vanta token`` and ``vanta serve`` agree without putting a secret in
    the repository; production sets VANTA_JWT_SECRET.
    """
    if settings.jwt_secret:
        return settings.jwt_secret
    path = Path(settings.data_dir) / _DEV_SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


def parse_companies(raw: str | list[Any]) -> frozenset[int] | None:
    """``"*"`` → None (all); ``"1,2"`` or ``[1, 2]`` → frozenset; anything else → ValueError."""
    if raw == "*":
        return None
    items = raw.split(",") if isinstance(raw, str) else raw
    ids: set[int] = set()
    for item in items:
        if isinstance(item, bool):
            raise ValueError(f"company id {item!r} is not an integer")
        try:
            value = int(str(item).strip())
        except ValueError:
            raise ValueError(f"company id {item!r} is not an integer") from None
        if not 0 < value <= _MAX_COMPANY_ID:
            raise ValueError(f"company id {value} must be positive and fit a bigint")
        ids.add(value)
    return frozenset(ids)


def companies_from_claim(raw: Any) -> frozenset[int] | None:
    """The ``companies`` claim as the contract defines it: ``"*"`` or a list of positive
    bigint ids; ValueError for anything else.

    Stricter than ``parse_companies`` (which also reads the CLI's ``1,2``): a token is
    written by a program, so a string list, an object or a bool is a forged or broken
    token, not a convenience, and an id past bigint would fail deep inside a query.
    """
    if raw == "*":
        return None
    if not isinstance(raw, list):
        raise ValueError('companies claim must be "*" or a list of ids')
    ids: set[int] = set()
    for item in raw:
        if type(item) is not int or not 0 < item <= _MAX_COMPANY_ID:
            raise ValueError("companies claim holds something that is not a company id")
        ids.add(item)
    return frozenset(ids)


def issue_token(
    secret: str,
    *,
    subject: str,
    role: str,
    companies: str | list[int],
    ttl_seconds: int = 24 * 3600,
) -> str:
    """Sign a token with the claims the server expects."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    scope = parse_companies(companies)
    now = int(time.time())
    claims = {
        "sub": subject,
        "role": role,
        "companies": "*" if scope is None else sorted(scope),
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> Viewer:
    """Verify signature, expiry and claim shapes; raise ApiError(UNAUTHENTICATED) otherwise."""
    return _decode(secret, token)[0]


class TokenVerifier:
    """``decode_token`` for one secret, remembering tokens that verified until they expire.

    A client sends the same token with every request, and checking its HMAC and claims
    again each time is a measurable share of a small request. A token that verified once
    verifies again, with the same claims, until its ``exp``: that is the only check that
    depends on time and can turn a valid token invalid (``nbf``/``iat`` can only turn an
    invalid one valid, and invalid tokens are not remembered). A hit past ``exp`` is
    dropped and verified again, which reports the expiry exactly as before. The memo is
    bounded (oldest out first) and skips oversized tokens, so callers cannot grow it.
    """

    __slots__ = ("_clock", "_max_bytes", "_max_entries", "_secret", "_verified", "size")

    MAX_TOKEN_CHARS = 4096

    def __init__(
        self,
        secret: str,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.time,
        max_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        if max_entries < 0:
            raise ValueError(f"max_entries must be >= 0, got {max_entries}")
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        self._secret = secret
        self._clock = clock
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._verified: dict[str, tuple[Viewer, float, int]] = {}
        self.size = 0  # bytes the memo holds (tokens, viewers, their company sets)

    def __len__(self) -> int:
        return len(self._verified)

    def verify(self, token: str) -> Viewer:
        """The token's viewer; ApiError(UNAUTHENTICATED) when it does not verify now."""
        return self.verify_until(token)[0]

    def verify_until(self, token: str) -> tuple[Viewer, float]:
        """The viewer and its expiry (epoch seconds): long-lived connections end then."""
        verified = self._verified
        hit = verified.get(token)
        if hit is not None:
            if self._clock() < hit[1]:
                return hit[0], hit[1]
            self._forget(token)
        viewer, expires_at = _decode(self._secret, token)
        if self._max_entries and len(token) <= self.MAX_TOKEN_CHARS:
            size = _memo_size(token, viewer)
            if size > self._max_bytes:
                return viewer, expires_at
            while verified and (
                len(verified) >= self._max_entries or self.size + size > self._max_bytes
            ):
                self._forget(next(iter(verified)))
            verified[token] = (viewer, expires_at, size)
            self.size += size
        return viewer, expires_at

    def _forget(self, token: str) -> None:
        self.size -= self._verified.pop(token)[2]


def _memo_size(token: str, viewer: Viewer) -> int:
    """What one remembered token holds: the token, its viewer and the viewer's parts."""
    return (
        sizeof(token, viewer, viewer.subject, viewer.company_ids)
        + sys.getsizeof((viewer, 0.0, 0))
        + DICT_SLOT_OVERHEAD
    )


MSG_MALFORMED = "Invalid token: malformed token (not a JWT)."


def _decode(secret: str, token: str) -> tuple[Viewer, float]:
    """The viewer and the expiry (epoch seconds) of a token that verifies."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
    except jwt.ExpiredSignatureError:
        raise ApiError("Token has expired.", UNAUTHENTICATED) from None
    except jwt.InvalidSignatureError:
        raise ApiError("Invalid token: signature verification failed.", UNAUTHENTICATED) from None
    except jwt.DecodeError:  # not three base64url JSON segments: the codec's words help nobody
        raise ApiError(MSG_MALFORMED, UNAUTHENTICATED) from None
    except jwt.PyJWTError as exc:
        raise ApiError(f"Invalid token: {exc}.", UNAUTHENTICATED) from None
    role = claims.get("role")
    if role not in ROLES:
        raise ApiError("Invalid token: unknown role claim.", UNAUTHENTICATED)
    try:
        company_ids = companies_from_claim(claims.get("companies"))
    except ValueError:
        raise ApiError("Invalid token: bad companies claim.", UNAUTHENTICATED) from None
    viewer = Viewer(subject=str(claims["sub"]), role=role, company_ids=company_ids)
    return viewer, float(claims["exp"])
