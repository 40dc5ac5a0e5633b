"""CSRF prevention as in Apollo Server: refuse requests a browser sends cross-site unasked.

A browser sends a cross-site GET, or a POST whose Content-Type is text/plain, multipart/form-data
or application/x-www-form-urlencoded, without a CORS preflight: the server would run it with the
victim's cookies or network position before any CORS check. Requiring a non-simple
Content-Type (e.g. application/json) or one of the headers below forces a preflight.

A GET that carries no credential at all (no Authorization, no Cookie) has nothing to forge:
it runs as an anonymous caller (introspection, ``__typename``) whoever sent it, and a GET
never mutates, so it passes without a preflight header (GraphQL over HTTP expects a plain
GET to work). A GET with a Cookie is still refused: the browser attached it, not the user.
"""

from __future__ import annotations

from aiohttp import web

__all__ = ["MSG_CSRF", "PREFLIGHT_HEADERS", "SIMPLE_CONTENT_TYPES", "is_csrf_risk"]

SIMPLE_CONTENT_TYPES = frozenset(
    {"text/plain", "multipart/form-data", "application/x-www-form-urlencoded"}
)
# Any header outside the CORS safelist forces a preflight; Authorization is one, and it is how
# every caller of this API authenticates, so bearer-token GETs (curl, Apollo Client) pass.
PREFLIGHT_HEADERS = ("X-Apollo-Operation-Name", "Apollo-Require-Preflight", "Authorization")
MSG_CSRF = (
    "This request has been blocked as a potential cross-site request forgery (it carries a "
    "cookie, or it is a POST with a simple content type). Send a "
    "Content-Type other than text/plain, multipart/form-data or "
    "application/x-www-form-urlencoded (e.g. application/json), or a non-empty "
    "Authorization, X-Apollo-Operation-Name or Apollo-Require-Preflight header."
)


def is_csrf_risk(request: web.Request) -> bool:
    """True when a browser could have sent this request cross-site without a preflight."""
    if any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        return False
    if request.method == "GET" and "Cookie" not in request.headers:
        return False  # no credential a browser could have attached: nothing to forge
    if "Content-Type" not in request.headers:
        return True  # e.g. a plain GET, or a POST without a body type
    return request.content_type.lower() in SIMPLE_CONTENT_TYPES
