"""Mutations. Each runs in one transaction: checks first, then writes, all or nothing."""

from __future__ import annotations

import asyncpg
import strawberry

from app.auth import Viewer
from app.cache import tags
from app.db import companies as company_sql
from app.db import document_writes
from app.db import documents as document_sql
from app.db import ledger as ledger_sql
from app.db.documents import Executor
from app.domain import DOCUMENT_STATUSES, DOCUMENT_TYPES, ENTRY_TYPES, category_for
from app.errors import CONFLICT, ApiError, bad_input
from app.metadata.lifecycle import remove_document
from app.metadata.store import MetadataRecord
from schema import intake
from schema.ids import parse_id
from schema.inputs import (
    CreateCompanyInput,
    LedgerEntryInput,
    UpdateDocumentInput,
    UploadDocumentInput,
    check_choice,
)
from schema.types import Company, Document, LedgerEntry
from schema.validation import (
    check_amount,
    check_currency,
    check_filename,
    check_tags,
    check_text,
    hidden,
    optional_text,
)

__all__ = ["Mutation"]


async def _check_project(db: Executor, project_id: int | None, company_id: int) -> None:
    if project_id is None:
        return
    rows = await company_sql.projects_by_ids(db, [project_id], [company_id])
    if not rows:
        raise bad_input(f"Project {project_id} does not belong to this company.", "projectId")


async def _check_document(db: Executor, document_id: int | None, company_id: int) -> None:
    if document_id is None:
        return
    rows = await document_sql.documents_by_ids(db, [document_id], [company_id])
    if not rows:
        raise bad_input(f"Document {document_id} does not belong to this company.", "documentId")


def _writer_sees(viewer: Viewer, company_id: int, what: str, ident: int) -> None:
    if not viewer.can_see(company_id):
        raise hidden(viewer, what, ident)
    viewer.require_write(company_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Admins only.")
    async def create_company(self, info: strawberry.Info, input: CreateCompanyInput) -> Company:
        ctx = info.context
        ctx.require_viewer().require_role("admin")
        values = {
            "name": check_text(input.name, "name", 200),
            "company_type": input.company_type.value,
            "registration_number": (
                check_text(input.registration_number, "registrationNumber", 64)
                if input.registration_number is not None
                else None
            ),
            "industry": optional_text(input.industry, "industry", 100),
            "contact": {
                key: value
                for key, value in (
                    ("email", optional_text(input.email, "email", 254)),
                    ("phone", optional_text(input.phone, "phone", 32)),
                )
                if value
            },
        }
        try:
            async with ctx.db.transaction() as tx:
                row = await company_sql.insert_company(tx, values)
        except asyncpg.UniqueViolationError:
            raise ApiError(
                "A company with this registration number exists already.", CONFLICT
            ) from None
        ctx.invalidations.update((tags.ALL_COMPANIES, tags.company(row["id"])))
        return Company.from_row(row)

    @strawberry.mutation(
        description="Stores text content or a multipart file; the document is `pending` "
        "until a worker has processed it."
    )
    async def upload_document(self, info: strawberry.Info, input: UploadDocumentInput) -> Document:
        return await intake.upload_document(info.context, input)

    @strawberry.mutation(
        description="Queue a document for processing again (admins and accountants)."
    )
    async def reprocess_document(self, info: strawberry.Info, id: strawberry.ID) -> Document:
        return await intake.reprocess_document(info.context, id)

    @strawberry.mutation
    async def update_document(
        self,
        info: strawberry.Info,
        id: strawberry.ID,
        input: UpdateDocumentInput,
    ) -> Document:
        ctx = info.context
        viewer = ctx.require_viewer()
        document_id = parse_id(id)
        changes: dict[str, object] = {}
        if input.filename is not None:
            changes["filename"] = check_filename(input.filename)
        if input.document_type is not None:
            document_type = check_choice(input.document_type, DOCUMENT_TYPES, "documentType")
            changes["document_type"] = document_type
            changes["category"] = category_for(input.document_type)
        if input.status is not None:
            changes["status"] = check_choice(input.status, DOCUMENT_STATUSES, "status")
        project_id = None if input.project_id is None else parse_id(input.project_id, "projectId")
        if project_id is not None:
            changes["project_id"] = project_id
        new_tags = check_tags(input.tags)
        async with ctx.db.transaction() as tx:
            current = await document_writes.lock_document(tx, document_id)
            if current is None:
                raise hidden(viewer, "Document", document_id)
            _writer_sees(viewer, current["company_id"], "Document", document_id)
            await _check_project(tx, project_id, current["company_id"])
            row = await document_writes.update_document(tx, document_id, changes)
            if new_tags is not None:
                record = MetadataRecord(document_id, row["company_id"], row["uploaded_at"], {})
                await ctx.metadata.set_tags(record, new_tags, tx=tx)
        ctx.invalidations.update(tags.document_change(document_id, row["company_id"]))
        return Document.from_row(row)

    @strawberry.mutation
    async def delete_document(self, info: strawberry.Info, id: strawberry.ID) -> bool:
        ctx = info.context
        viewer = ctx.require_viewer()
        document_id = parse_id(id)

        owner: list[int] = []  # the company of the row being deleted, for invalidation

        def check(current: asyncpg.Record | None) -> None:
            if current is None:
                raise hidden(viewer, "Document", document_id)
            _writer_sees(viewer, current["company_id"], "Document", document_id)
            owner.append(current["company_id"])

        deleted = await remove_document(ctx.db, ctx.metadata, document_id, check)
        ctx.invalidations.update(tags.document_change(document_id, owner[0]))
        return deleted

    @strawberry.mutation
    async def record_ledger_entry(
        self, info: strawberry.Info, input: LedgerEntryInput
    ) -> LedgerEntry:
        ctx = info.context
        viewer = ctx.require_viewer()
        company_id = parse_id(input.company_id, "companyId")
        _writer_sees(viewer, company_id, "Company", company_id)
        values = {
            "company_id": company_id,
            "entry_type": check_choice(input.entry_type, ENTRY_TYPES, "entryType"),
            "amount": check_amount(input.amount),
            "currency": check_currency(input.currency),
            "transaction_date": input.transaction_date,
            "category": optional_text(input.category, "category", 100),
            "description": optional_text(input.description, "description", 2000),
            "reference_number": optional_text(input.reference_number, "referenceNumber", 100),
            "project_id": None
            if input.project_id is None
            else parse_id(input.project_id, "projectId"),
            "document_id": (
                None if input.document_id is None else parse_id(input.document_id, "documentId")
            ),
        }
        async with ctx.db.transaction() as tx:
            if await company_sql.companies_by_ids(tx, [company_id], None) == []:
                raise hidden(viewer, "Company", company_id)
            await _check_project(tx, values["project_id"], company_id)  # type: ignore[arg-type]
            await _check_document(tx, values["document_id"], company_id)  # type: ignore[arg-type]
            row = await ledger_sql.insert_entry(tx, values)
        ctx.invalidations.update(tags.ledger_change(company_id, row["document_id"]))
        return LedgerEntry.from_row(row)

    @strawberry.mutation(description="Approve a pending entry; approving twice is a CONFLICT.")
    async def approve_ledger_entry(self, info: strawberry.Info, id: strawberry.ID) -> LedgerEntry:
        ctx = info.context
        viewer = ctx.require_viewer()
        entry_id = parse_id(id)
        async with ctx.db.transaction() as tx:
            current = await ledger_sql.lock_entry(tx, entry_id)
            if current is None:
                raise hidden(viewer, "Ledger entry", entry_id)
            _writer_sees(viewer, current["company_id"], "Ledger entry", entry_id)
            if current["approval_status"] != "pending":
                raise ApiError(
                    f"Ledger entry {entry_id} is {current['approval_status']} already.", CONFLICT
                )
            row = await ledger_sql.approve_entry(tx, entry_id, viewer.subject)
        ctx.invalidations.add(tags.ledger_entry(entry_id))
        ctx.invalidations.update(tags.ledger_change(row["company_id"], row["document_id"]))
        return LedgerEntry.from_row(row)
