"""A small, fully known dataset the tests assert against (inserted once per session)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import asyncpg
import orjson

from app.domain import category_for

BASE_TIME = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
TYPES_CYCLE = ("invoice", "receipt", "contract", "report", "other")


@dataclass
class World:
    companies: dict[str, int] = field(default_factory=dict)
    # newest first, as documents(orderBy: UPLOADED_AT_DESC) returns them
    documents: dict[str, list[int]] = field(default_factory=dict)
    projects: dict[str, list[int]] = field(default_factory=dict)
    ledger: dict[str, list[int]] = field(default_factory=dict)
    cement_documents: dict[str, list[int]] = field(default_factory=dict)


async def _company(conn: asyncpg.Connection, name: str, ctype: str, status: str = "active") -> int:
    return await conn.fetchval(
        "INSERT INTO companies (name, registration_number, industry, company_type, status) "
        "VALUES ($1, $2, 'testing', $3, $4) RETURNING id",
        name,
        f"REG-{name.upper().replace(' ', '-')}",
        ctype,
        status,
    )


async def _documents(
    conn: asyncpg.Connection, world: World, key: str, company_id: int, count: int, offset: int
) -> None:
    ids: list[int] = []
    cement: list[int] = []
    for i in range(count):
        dtype = TYPES_CYCLE[i % len(TYPES_CYCLE)]
        uploaded = BASE_TIME + timedelta(hours=offset + i)
        status = "archived" if i % 7 == 6 else "active"
        processing = "pending" if i in (3, 4) else "processed"
        doc_id = await conn.fetchval(
            "INSERT INTO documents (company_id, filename, document_type, category, status, "
            "processing_status, mime_type, file_size, uploaded_at, uploaded_by) "
            "VALUES ($1, $2, $3, $4, $5, $6, 'application/pdf', $7, $8, 'seed') RETURNING id",
            company_id,
            f"{key}-{dtype}-{i:03d}.pdf",
            dtype,
            category_for(dtype),
            status,
            processing,
            1000 + i,
            uploaded,
        )
        tags = [dtype, "urgent"] if i % 4 == 0 else [dtype]
        if i % 5 == 0:
            text = f"Cement supply for site {i}. Cement bags delivered by Simba Cement."
            if i == 10:
                text = "Cement cement cement: bulk cement order, cement quality report."
            cement.append(doc_id)
        else:
            text = f"Routine {dtype} number {i} for {key} operations and maintenance."
        await conn.execute(
            "INSERT INTO document_metadata (document_id, tags, keywords, classification, "
            "summary, invoice_number, vendor_name, total_amount, currency, risk_score, "
            "entities, text) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'KES', $9, $10, $11)",
            doc_id,
            tags,
            ["test"],
            "internal",
            text[:60],
            f"INV-{key}-{i:03d}" if dtype == "invoice" else None,
            "Simba Cement" if i % 5 == 0 else "Other Vendor",
            Decimal(f"{100 + i}.50"),
            0.1,
            orjson.dumps([{"label": "ORG", "text": "Simba", "start": 0, "end": 5}]).decode(),
            text,
        )
        ids.append(doc_id)
    world.documents[key] = list(reversed(ids))
    world.cement_documents[key] = cement


async def _entry(
    conn: asyncpg.Connection,
    company_id: int,
    entry_type: str,
    amount: str,
    day: date,
    status: str = "approved",
) -> int:
    return await conn.fetchval(
        "INSERT INTO ledger_entries (company_id, entry_type, category, description, amount, "
        "transaction_date, approval_status, approved_by) "
        "VALUES ($1, $2, 'ops', 'test entry', $3, $4, $5, $6) RETURNING id",
        company_id,
        entry_type,
        Decimal(amount),
        day,
        status,
        "auditor" if status == "approved" else None,
    )


async def build_world(conn: asyncpg.Connection) -> World:
    world = World()
    a = await _company(conn, "Acme Test Holdings", "core_family")
    b = await _company(conn, "Beta Partner Ltd", "business_partner")
    c = await _company(conn, "Cedar Subsidiary", "subsidiary", status="inactive")
    m = await _company(conn, "Mutable Co", "core_family")
    world.companies = {"a": a, "b": b, "c": c, "m": m}
    await conn.executemany(
        "INSERT INTO company_relationships VALUES ($1, $2, $3, $4)",
        [(a, b, "partner", 0.8), (a, c, "parent", 1.0), (b, c, "supplier", 0.3)],
    )
    for key, cid, names in (("a", a, ["Road", "Bridge"]), ("b", b, ["Depot"]), ("m", m, ["Own"])):
        world.projects[key] = [
            await conn.fetchval(
                "INSERT INTO projects (company_id, name, client, value, status) "
                "VALUES ($1, $2, 'County', 1500000.00, 'active') RETURNING id",
                cid,
                name,
            )
            for name in names
        ]
    await _documents(conn, world, "a", a, 25, 0)
    await _documents(conn, world, "b", b, 12, 100)
    await _documents(conn, world, "c", c, 3, 200)
    await _documents(conn, world, "m", m, 2, 300)
    world.ledger["a"] = [
        await _entry(conn, a, "income", "1000.00", date(2025, 1, 10)),
        await _entry(conn, a, "income", "2500.50", date(2025, 2, 10)),
        await _entry(conn, a, "expense", "300.25", date(2025, 2, 15)),
        await _entry(conn, a, "withdrawal", "200.00", date(2025, 3, 1)),
        await _entry(conn, a, "income", "999.99", date(2025, 3, 2), status="pending"),
        await _entry(conn, a, "expense", "50.00", date(2025, 3, 3), status="rejected"),
    ]
    world.ledger["b"] = [await _entry(conn, b, "income", "777.00", date(2025, 1, 5))]
    return world
