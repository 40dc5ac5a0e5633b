"""``GET /files/{documentId}``: a document's stored file, for callers whose token reaches it.

Tenant-checked like every other path: a document of another company answers exactly as a
missing one (404 NOT_FOUND), so the endpoint cannot be used to probe ids.
"""

from __future__ import annotations

import re

from aiohttp import web

from app.db.document_files import stored_file_of
from app.db.session import DbSession
from app.encoding import api_error_body, error_body, error_response, media_type_for
from app.errors import NOT_FOUND, UNAUTHENTICATED, ApiError
from app.identity import viewer_of
from app.protocol import RequestError
from app.request_id import REQUEST_ID_HEADER, request_id_of
from app.resources import DB_POOL, FILE_STORE, SETTINGS, TOKEN_VERIFIER

__all__ = ["download_handler"]

MSG_NOT_FOUND = "No such file."
MSG_UNAUTHENTICATED = "Send a bearer token to download files."
_ID = re.compile(r"^[1-9][0-9]{0,18}$")
_UNSAFE_FILENAME = re.compile(r"[^\w. ()+-]")


async def download_handler(request: web.Request) -> web.StreamResponse:
    request_id = request_id_of(request)
    media_type = media_type_for(request)
    try:
        viewer = viewer_of(request, request.app[TOKEN_VERIFIER])
    except RequestError as error:
        return error_response(
            error_body(error.message, error.code), error.status, media_type, request_id
        )
    except ApiError as error:
        return error_response(api_error_body(error), 401, media_type, request_id)
    if viewer is None:
        body = error_body(MSG_UNAUTHENTICATED, UNAUTHENTICATED)
        return error_response(body, 401, media_type, request_id)
    raw_id = request.match_info["document_id"]
    not_found = error_response(error_body(MSG_NOT_FOUND, NOT_FOUND), 404, media_type, request_id)
    if not _ID.match(raw_id) or int(raw_id) > 2**63 - 1:
        return not_found
    settings = request.app[SETTINGS]
    db = DbSession(request.app[DB_POOL], settings.db_acquire_timeout_seconds)
    try:
        row = await stored_file_of(db, int(raw_id), viewer.scope)
    except ApiError as error:  # the database is unavailable
        return error_response(api_error_body(error), 503, media_type, request_id)
    if row is None or not row["content_sha256"]:
        return not_found
    try:
        path = request.app[FILE_STORE].path_for(row["content_sha256"])
    except ValueError:
        return not_found
    if not path.is_file():
        return not_found
    filename = _UNSAFE_FILENAME.sub("_", row["filename"]) or "document"
    response = web.FileResponse(
        path,
        headers={
            "Content-Type": row["mime_type"] or "application/octet-stream",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            REQUEST_ID_HEADER: request_id,
        },
    )
    return response
