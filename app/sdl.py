"""The schema as SDL, for codegen: ``GET /graphql/schema.graphql`` and ``vanta schema export``.

Introspection rules apply: with ``VANTA_ENV=production`` (introspection off) the endpoint
answers 404, as if the file did not exist, so it never reveals more than introspection would.
"""

from __future__ import annotations

import strawberry
from aiohttp import web

from app.encoding import JSON, error_body, error_response
from app.errors import NOT_FOUND
from app.request_id import request_id_of
from app.resources import SCHEMA, SETTINGS

__all__ = ["MSG_SDL_OFF", "SDL_PATH", "schema_sdl", "sdl_handler"]

SDL_PATH = "/graphql/schema.graphql"
MSG_SDL_OFF = "The schema is not published here: introspection is off (VANTA_ENV=production)."


def schema_sdl(schema: strawberry.Schema) -> str:
    """The SDL text, ending in one newline (the committed schema.graphql is exactly this)."""
    return schema.as_str().rstrip("\n") + "\n"


async def sdl_handler(request: web.Request) -> web.Response:
    if not request.app[SETTINGS].introspection:
        body = error_body(MSG_SDL_OFF, NOT_FOUND)
        return error_response(body, 404, JSON, request_id_of(request))
    response = web.Response(text=schema_sdl(request.app[SCHEMA]), content_type="text/plain")
    response.headers["Cache-Control"] = "no-cache"
    return response
