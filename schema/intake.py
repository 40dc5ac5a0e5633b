"""Document intake: ``uploadDocument`` (text content or a multipart file) and
``reprocessDocument``. The row commits as ``pending`` together with its processing job;
a worker (app.jobs) does the rest."""

from __future__ import annotations

from typing import Any

from app.auth import Viewer
from app.cache import tags
from app.db import companies as company_sql
from app.db import document_writes
from app.db.documents import Executor
from app.domain import DOCUMENT_TYPES, category_for
from app.errors import bad_input
from app.files.sniff import TEXT
from app.files.store import FileStore, StoredUpload
from app.jobs.queue import enqueue
from app.metadata.lifecycle import create_document
from app.text_metadata import derive_metadata
from schema.ids import parse_id
from schema.inputs import UploadDocumentInput, check_choice
from schema.types import Document
from schema.validation import MAX_CONTENT_BYTES, check_filename, check_tags, hidden, optional_text

__all__ = ["reprocess_document", "upload_document"]

MSG_ONE_OF = "Send exactly one of content and file."


def _writer_sees(viewer: Viewer, company_id: int, what: str, ident: int) -> None:
    if not viewer.can_see(company_id):
        raise hidden(viewer, what, ident)
    viewer.require_write(company_id)


def _content(input: UploadDocumentInput, store: FileStore) -> tuple[StoredUpload, str | None]:
    """The stored file of the upload and its text when it is known now (text content)."""
    if (input.content is None) == (input.file is None):
        raise bad_input(MSG_ONE_OF, "content")
    if input.file is not None:
        upload: StoredUpload = input.file
        text = None
        if upload.mime_type == TEXT and upload.size <= MAX_CONTENT_BYTES:
            text = upload.path.read_bytes().decode("utf-8", "replace")
        return upload, text
    assert input.content is not None
    data = input.content.encode()
    if len(data) > MAX_CONTENT_BYTES:
        raise bad_input(f"content is limited to {MAX_CONTENT_BYTES} bytes.", "content")
    if "\x00" in input.content:
        raise bad_input("content must not contain NUL characters.", "content")
    mime = optional_text(input.mime_type, "mimeType", 127)
    filename = check_filename(input.filename)
    return store.save_bytes(data, filename=filename, mime_type=mime or TEXT), input.content


async def upload_document(ctx: Any, input: UploadDocumentInput) -> Document:
    """Validate, store the content, commit row (``pending``) + metadata + job together."""
    viewer = ctx.require_viewer()
    company_id = parse_id(input.company_id, "companyId")
    _writer_sees(viewer, company_id, "Company", company_id)
    document_type = check_choice(input.document_type, DOCUMENT_TYPES, "documentType")
    assert document_type is not None
    filename = check_filename(input.filename)
    document_tags = check_tags(input.tags) or []
    project_id = None if input.project_id is None else parse_id(input.project_id, "projectId")
    if input.content is not None and input.file is None:
        optional_text(input.mime_type, "mimeType", 127)  # checked before anything is stored
    stored, text = _content(input, FileStore(ctx.settings.data_dir / "files"))
    # First metadata from cheap rules (text only); the worker replaces it when it is done.
    if text is not None:
        metadata = derive_metadata(text, document_type)
    else:
        metadata = {"classification": document_type, "keywords": [], "entities": []}
    metadata["tags"] = document_tags
    values = {
        "company_id": company_id,
        "project_id": project_id,
        "filename": filename,
        "document_type": document_type,
        "category": category_for(document_type),
        "mime_type": stored.mime_type,
        "file_size": stored.size,
        "content_sha256": stored.sha256,
        "uploaded_by": viewer.subject,
    }

    async def check(tx: Executor) -> None:
        if await company_sql.companies_by_ids(tx, [company_id], None) == []:
            raise hidden(viewer, "Company", company_id)
        if project_id is not None:
            rows = await company_sql.projects_by_ids(tx, [project_id], [company_id])
            if not rows:
                raise bad_input(
                    f"Project {project_id} does not belong to this company.", "projectId"
                )

    async def job(tx: Any, row: Any) -> None:
        await enqueue(tx, row["id"], ctx.settings.job_max_attempts)

    # Invalidated even if the upload fails: with MongoDB the row is visible as pending for a
    # moment before it is rolled back, and a list cached meanwhile must not keep it.
    ctx.invalidations.update((tags.company_documents(company_id), tags.ALL_DOCUMENTS))
    row = await create_document(ctx.db, ctx.metadata, values, metadata, check, job)
    ctx.invalidations.add(tags.document(row["id"]))
    return Document.from_row(row)


async def reprocess_document(ctx: Any, raw_id: str) -> Document:
    """Queue the document for processing again (admins and accountants, own companies)."""
    viewer = ctx.require_viewer()
    document_id = parse_id(raw_id)
    async with ctx.db.transaction() as tx:
        current = await document_writes.lock_document(tx, document_id)
        if current is None:
            raise hidden(viewer, "Document", document_id)
        _writer_sees(viewer, current["company_id"], "Document", document_id)
        await enqueue(tx, document_id, ctx.settings.job_max_attempts)
        row = await document_writes.set_processing_status(tx, document_id, "pending")
    assert row is not None
    ctx.invalidations.update(tags.document_change(document_id, row["company_id"]))
    return Document.from_row(row)
