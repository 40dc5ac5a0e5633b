"""Who a request counts against: the token's subject, else the client's IP address.

``X-Forwarded-For`` is believed only when the TCP peer is a trusted proxy; then the rightmost
address that is not itself a trusted proxy is the client (everything left of it could be forged).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence

from aiohttp import web

from app.auth import TokenVerifier
from app.config import IPNetwork
from app.errors import ApiError
from app.identity import viewer_of
from app.protocol import RequestError

__all__ = ["client_ip", "key_function"]

UNKNOWN_IP = "unknown"


def _parse(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(raw.strip())
    except ValueError:
        return None


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Sequence[IPNetwork]
) -> bool:
    return any(address in network for network in proxies)


def client_ip(request: web.Request, trusted_proxies: Sequence[IPNetwork]) -> str:
    """The client address, following X-Forwarded-For only through trusted proxies."""
    peer = _parse(request.remote or "")
    if peer is None:
        return request.remote or UNKNOWN_IP
    if not trusted_proxies or not _trusted(peer, trusted_proxies):
        return str(peer)
    client = peer
    hops = ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break  # garbage: stop at the last address a trusted proxy vouched for
        client = address
        if not _trusted(address, trusted_proxies):
            break
    return str(client)


def key_function(
    verifier: TokenVerifier, trusted_proxies: Sequence[IPNetwork]
) -> Callable[[web.Request], str]:
    """``request -> key``: ``sub:<subject>`` for a valid bearer token, else ``ip:<address>``."""

    def key_of(request: web.Request) -> str:
        try:
            viewer = viewer_of(request, verifier)  # verified once; the handler reuses it
        except (ApiError, RequestError):
            viewer = None  # an invalid token identifies nobody: count it against the address
        if viewer is not None:
            return f"sub:{viewer.subject}"
        return f"ip:{client_ip(request, trusted_proxies)}"

    return key_of
