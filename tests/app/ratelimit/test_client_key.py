"""Whom a request counts against: subject, else address; X-Forwarded-For only via trusted proxies."""

from __future__ import annotations

import ipaddress
from unittest.mock import Mock

from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from app.auth import TokenVerifier
from app.config import IPNetwork
from app.ratelimit.client_key import client_ip, key_function
from tests.conftest import JWT_SECRET, make_token

PROXIES: tuple[IPNetwork, ...] = (ipaddress.ip_network("10.0.0.0/8"),)


def _request(peer: str, **headers: str) -> web.Request:
    transport = Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        (peer, 40000) if name == "peername" else default
    )
    return make_mocked_request("POST", "/graphql", headers=headers, transport=transport)


def test_forwarded_for_is_ignored_from_an_untrusted_peer() -> None:
    request = _request("203.0.113.9", **{"X-Forwarded-For": "198.51.100.1"})
    assert client_ip(request, PROXIES) == "203.0.113.9"
    assert client_ip(request, ()) == "203.0.113.9"


def test_forwarded_for_is_followed_through_trusted_proxies() -> None:
    # client, then a forged hop it added itself, then our two proxies
    request = _request("10.0.0.2", **{"X-Forwarded-For": "6.6.6.6, 198.51.100.1, 10.0.0.1"})
    assert client_ip(request, PROXIES) == "198.51.100.1"


def test_repeated_forwarded_for_headers_read_as_one_list() -> None:
    transport = Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        ("10.0.0.2", 40000) if name == "peername" else default
    )
    headers = CIMultiDict([("X-Forwarded-For", "198.51.100.1"), ("X-Forwarded-For", "10.0.0.1")])
    request = make_mocked_request("POST", "/graphql", headers=headers, transport=transport)
    assert client_ip(request, PROXIES) == "198.51.100.1"


def test_garbage_in_forwarded_for_stops_at_the_last_vouched_address() -> None:
    request = _request("10.0.0.2", **{"X-Forwarded-For": "198.51.100.1, not-an-ip"})
    assert client_ip(request, PROXIES) == "10.0.0.2"


def test_key_is_the_token_subject_else_the_address() -> None:
    key_of = key_function(TokenVerifier(JWT_SECRET), PROXIES)
    token = make_token(subject="alice")
    assert key_of(_request("203.0.113.9", Authorization=f"Bearer {token}")) == "sub:alice"
    assert key_of(_request("203.0.113.9", Authorization="Bearer forged")) == "ip:203.0.113.9"
    assert key_of(_request("203.0.113.9")) == "ip:203.0.113.9"
