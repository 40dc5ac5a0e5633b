"""Word lists and row generators behind ``app.seed``: an invented Kenyan group of companies."""

from __future__ import annotations

import hashlib
import json
import math
import random
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.domain import DOCUMENT_TYPES, ENTRY_TYPES, category_for

__all__ = [
    "ANCHOR_DATE",
    "COLUMNS",
    "IdBases",
    "Plan",
    "Row",
    "SyntheticGroup",
]

Row = tuple[Any, ...]

# Every date is relative to this fixed day, so a seed gives the same data on any day it runs.
ANCHOR_DATE = date(2026, 6, 30)
WINDOW_DAYS = 730
_WINDOW_START = datetime.combine(ANCHOR_DATE, datetime.min.time(), UTC) - timedelta(WINDOW_DAYS)
_DAYS = [_WINDOW_START + timedelta(days=d) for d in range(WINDOW_DAYS + 1)]

COLUMNS: dict[str, tuple[str, ...]] = {
    "companies": (
        "id", "name", "registration_number", "industry", "company_type", "status",
        "contact", "tax_info", "created_at", "updated_at",
    ),
    "projects": (
        "id", "company_id", "name", "client", "value", "start_date", "end_date", "status",
    ),
    "company_relationships": ("company_a_id", "company_b_id", "relationship_type", "strength"),
    "documents": (
        "id", "company_id", "project_id", "filename", "document_type", "category", "status",
        "processing_status", "mime_type", "file_size", "content_sha256", "uploaded_at",
        "uploaded_by",
    ),
    "document_metadata": (
        "document_id", "tags", "keywords", "classification", "summary", "invoice_number",
        "vendor_name", "total_amount", "currency", "risk_score", "entities", "text",
    ),
    "ledger_entries": (
        "id", "company_id", "project_id", "document_id", "entry_type", "category",
        "description", "amount", "currency", "reference_number", "transaction_date",
        "approval_status", "approved_by", "created_at",
    ),
}  # fmt: skip

_NAME_WORDS = (
    "Amani", "Kilima", "Baraka", "Nyota", "Upendo", "Zawadi", "Imara", "Neema", "Tumaini",
    "Faraja", "Mwangaza", "Kijani", "Pwani", "Bahari", "Milima", "Mvua", "Jabali", "Mawingu",
    "Nuru", "Shwari", "Tulivu", "Heshima", "Bidii", "Fahari", "Kesho", "Msitu", "Chemchemi",
    "Riziki", "Jasiri", "Mapema",
)  # fmt: skip
_INDUSTRIES = {
    "Construction": ("Builders", "Construction", "Contractors"),
    "Logistics": ("Logistics", "Freight", "Transporters"),
    "Agriculture": ("Agri", "Farms", "Growers"),
    "Real Estate": ("Properties", "Estates", "Realty"),
    "Hospitality": ("Hotels", "Hospitality"),
    "Manufacturing": ("Industries", "Manufacturers"),
    "Technology": ("Technologies", "Systems", "Digital"),
    "Energy": ("Energy", "Solar", "Power"),
    "Trading": ("Traders", "Trading", "Supplies"),
    "Financial Services": ("Capital", "Investments", "Finance"),
    "Healthcare": ("Medical", "Health Services"),
}
_INDUSTRY_NAMES = tuple(_INDUSTRIES)
_LEGAL_SUFFIXES = ("Ltd", "Ltd", "Limited", "Group Ltd", "& Sons Ltd", "Ltd")
_CITIES = (
    "Nairobi", "Mombasa", "Kisumu", "Nakuru", "Eldoret", "Thika", "Machakos", "Nyeri",
    "Malindi", "Naivasha", "Kericho", "Kitale",
)  # fmt: skip
_VENDOR_WORDS = (
    "Mwamba", "Lulu", "Kito", "Tausi", "Sifa", "Pendo", "Dira", "Zuri", "Kasuku", "Nyati",
    "Mbuni", "Korongo", "Jiwe", "Nanga", "Upeo", "Mlima",
)  # fmt: skip
_VENDOR_TRADES = (
    "Hardware", "Fuel Services", "Office Supplies", "Cement Distributors", "Motors", "Printers",
    "Catering", "Security Services", "Electricals", "Stationers", "IT Solutions", "Plant Hire",
    "Auditors", "Advocates", "Tyre Centre",
)  # fmt: skip
# A fixed vendor universe: every word meets several trades, no random draw needed.
_VENDORS = tuple(
    f"{word} {_VENDOR_TRADES[(i * 7 + j * 4) % len(_VENDOR_TRADES)]} Ltd"
    for i, word in enumerate(_VENDOR_WORDS)
    for j in range(4)
)
_STAFF = (
    "wanjiku.kamau", "otieno.ouma", "achieng.odhiambo", "mwangi.njoroge", "chebet.kiprono",
    "mutua.musyoka", "akinyi.owino", "kiptoo.rotich", "njeri.wambui", "barasa.wafula",
    "nekesa.simiyu", "omondi.okoth", "wairimu.githinji", "auma.adhiambo", "kiprop.koech",
)  # fmt: skip
_APPROVERS = _STAFF[:5]
_PROJECT_KINDS = (
    "Warehouse Expansion", "Borehole Drilling", "Office Fit-out", "Solar Installation",
    "Road Resurfacing", "Housing Phase II", "Fleet Renewal", "ERP Rollout", "Greenhouse Build",
    "Hotel Renovation", "Water Pipeline", "Cold Storage Facility",
)  # fmt: skip
_ITEMS = (
    "office furniture", "diesel fuel", "road construction materials", "ICT equipment",
    "security services", "cleaning services", "borehole drilling", "solar panels",
    "catering services", "motor vehicle servicing",
)  # fmt: skip
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
_DAY_TEXT = [f"{d.day} {_MONTHS[d.month - 1]} {d.year}" for d in _DAYS]

_PDF = ("application/pdf", "pdf")
_JPG = ("image/jpeg", "jpg")
_CSV = ("text/csv", "csv")
_XLSX = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
_DOCX = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
_FILE_SIZES = {
    "pdf": (40_000, 2_500_000), "jpg": (150_000, 4_000_000), "csv": (5_000, 300_000),
    "xlsx": (15_000, 800_000), "docx": (20_000, 1_500_000),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _DocKind:
    """How one document type looks: weight, number prefix, files, amounts, tags, text."""

    weight: int
    prefix: str
    mimes: tuple[tuple[str, str], ...]
    amounts: tuple[float, float] | None
    tags: tuple[str, ...]
    classification: str
    template: str


_DOC_KINDS = {
    "invoice": _DocKind(
        30, "INV", (_PDF,) * 5 + (_JPG,), (5e3, 3e6), ("accounts-payable", "vat", "supplier"),
        "internal",
        "Tax invoice {number} issued by {vendor} to {company} on {date}. Amount due: {amount} "
        "inclusive of 16% VAT. Payment terms are {terms} days by bank transfer; quote the "
        "invoice number as reference. Goods delivered to the {city} site.",
    ),
    "receipt": _DocKind(
        25, "RCT", (_PDF, _JPG, _JPG), (5e2, 2.5e5), ("paid", "petty-cash", "mpesa"), "internal",
        "Official receipt {number} from {vendor} acknowledging payment of {amount} received "
        "from {company} on {date} at the {city} branch. Payment settled by M-Pesa. Retain this "
        "receipt for expense claims and VAT records.",
    ),
    "contract": _DocKind(
        7, "CTR", (_PDF,), (2e5, 5e7), ("signed", "legal-review"), "confidential",
        "Service agreement {number} between {company} and {vendor}, signed in {city} on "
        "{date}. Total contract value is {amount}, payable in milestones over {terms} days. "
        "Either party may terminate with thirty days written notice.",
    ),
    "tender": _DocKind(
        5, "TND", (_PDF,), (1e6, 2e8), ("bid", "procurement"), "public",
        "Tender {number}: {company} invites sealed bids for the supply of {item} in {city}. "
        "Bids close on {date}. Estimated budget {amount}. Bidders must hold a valid tax "
        "compliance certificate. Shortlisted bidder: {vendor}.",
    ),
    "report": _DocKind(
        7, "RPT", (_PDF, _XLSX, _DOCX), None, ("monthly", "management"), "internal",
        "{period} management report for {company}, {city} operations, prepared on {date}. "
        "Revenue was tracked against budget and project spending reviewed. Largest supplier "
        "this period was {vendor}. Risks and follow-up actions are listed in the appendix.",
    ),
    "bank_statement": _DocKind(
        8, "BST", (_PDF, _PDF, _CSV), (5e4, 8e7), ("bank", "reconciliation"), "confidential",
        "Bank statement for {company} covering {period}, issued on {date}. Closing balance "
        "{amount}. Largest debit was a payment to {vendor}; all transactions were reconciled "
        "at the {city} branch. Account reference {number}.",
    ),
    "tax_compliance": _DocKind(
        5, "TCC", (_PDF,), None, ("kra", "tcc"), "confidential",
        "Tax compliance certificate {number} for {company}, issued on {date} and valid for "
        "twelve months. Returns filed for {period} were reviewed and found complete. "
        "Registered office: {city}.",
    ),
    "license": _DocKind(
        3, "LIC", (_PDF,), None, ("permit", "renewal"), "public",
        "Single business permit {number} granted to {company} to operate in {city} from "
        "{date} for one year. The permit must be displayed at the business premises and "
        "renewed before expiry.",
    ),
    "proposal": _DocKind(
        5, "PRP", (_PDF, _DOCX), (1e5, 2e7), ("client", "pricing"), "internal",
        "Proposal {number} from {company} to {vendor} for {item} in {city}, dated {date}. "
        "Quoted price {amount} with delivery within {terms} days. The proposal is valid for "
        "sixty days from the date of issue.",
    ),
    "other": _DocKind(
        5, "DOC", (_PDF, _DOCX, _JPG), None, ("misc", "correspondence"), "internal",
        "Correspondence {number} between {company} and {vendor} dated {date}, concerning "
        "{item} at the {city} office. Filed for reference; no action required at this time.",
    ),
}  # fmt: skip
assert tuple(_DOC_KINDS) == DOCUMENT_TYPES
_DOC_WEIGHTS = tuple(kind.weight for kind in _DOC_KINDS.values())
# Template fields that become named entities; the other fields are plain text.
_ENTITY_LABELS = {"vendor": "ORG", "company": "ORG", "amount": "MONEY", "date": "DATE",
                  "city": "GPE"}  # fmt: skip
_Part = tuple[str, str | None]  # literal text, then the field that follows it (or None)
_COMPILED: dict[str, list[_Part]] = {
    name: [(literal, field) for literal, field, _, _ in string.Formatter().parse(kind.template)]
    for name, kind in _DOC_KINDS.items()
}
_HAS_VENDOR = frozenset(name for name, kind in _DOC_KINDS.items() if "{vendor}" in kind.template)

# entry type: (weight, reference prefix, amount range in KES, categories)
_ENTRY_KINDS: dict[str, tuple[int, str, tuple[float, float], tuple[str, ...]]] = {
    "income": (30, "INC", (5e3, 5e6), ("sales", "consulting fees", "rental income",
                                       "contract payment")),
    "expense": (40, "EXP", (5e2, 2e6), ("fuel", "salaries", "materials", "rent", "utilities",
                                        "equipment hire", "professional fees", "transport")),
    "transfer": (10, "TRF", (1e4, 1e7), ("inter-company transfer", "bank transfer")),
    "withdrawal": (8, "WDL", (1e3, 5e5), ("owner drawings", "petty cash")),
    "investment": (6, "IVT", (1e5, 2e7), ("fixed deposit", "treasury bills",
                                          "equipment purchase")),
    "loan": (6, "LON", (2e5, 5e7), ("bank loan", "director loan", "loan repayment")),
}  # fmt: skip
assert tuple(_ENTRY_KINDS) == ENTRY_TYPES
_FINANCIAL_TYPES = frozenset({"invoice", "receipt", "bank_statement"})


@dataclass(frozen=True, slots=True)
class Plan:
    """Sizes of one seed run, fixed before any id is reserved."""

    random_seed: int
    companies: int
    project_counts: tuple[int, ...]
    documents: int
    ledger_entries: int

    @classmethod
    def create(cls, random_seed: int, companies: int, documents: int, ledger: int) -> Plan:
        """Draw the per-company project counts from their own stream of the seed."""
        rng = random.Random(f"{random_seed}/plan")
        counts = tuple(rng.randint(2, 5) for _ in range(companies))
        return cls(random_seed, companies, counts, documents, ledger)

    @property
    def projects(self) -> int:
        return sum(self.project_counts)


@dataclass(frozen=True, slots=True)
class IdBases:
    """First id reserved in each identity table; a run's ids are contiguous from there."""

    companies: int
    projects: int
    documents: int
    ledger_entries: int


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split total into integer shares proportional to weights (largest remainder)."""
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _owners(rng: random.Random, total: int, weights: Sequence[float]) -> list[int]:
    """Company index of each of ``total`` rows: exact skewed shares, shuffled."""
    owners = [i for i, count in enumerate(_allocate(total, weights)) for _ in range(count)]
    rng.shuffle(owners)
    return owners


def _money(rng: random.Random, low: float, high: float) -> Decimal:
    """A log-uniform KES amount with two decimal places."""
    cents = int(math.exp(rng.uniform(math.log(low), math.log(high))) * 100)
    return Decimal(cents).scaleb(-2)


def _pick(rng: random.Random, weighted: tuple[tuple[float, str], ...]) -> str:
    """One value from (cumulative probability, value) pairs, cheaper than ``choices``."""
    roll = rng.random()
    for limit, value in weighted:
        if roll < limit:
            return value
    return weighted[-1][1]


_DOC_STATUS = ((0.88, "active"), (0.96, "archived"), (1.0, "draft"))
_PROCESSING = ((0.92, "processed"), (0.97, "pending"), (1.0, "failed"))
_APPROVAL = ((0.85, "approved"), (0.95, "pending"), (1.0, "rejected"))
_COMPANY_STATUS = ((0.85, "active"), (0.95, "inactive"), (1.0, "archived"))
_COMPANY_TYPE = ((0.2, "core_family"), (0.6, "subsidiary"), (1.0, "business_partner"))
_PROJECT_STATUS = ((0.45, "active"), (0.75, "completed"), (0.9, "planned"), (1.0, "cancelled"))


def _compose(parts: list[_Part], values: dict[str, str]) -> tuple[str, str]:
    """Fill a compiled template; return the text and its entities as JSON with true offsets."""
    chunks: list[str] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    for literal, field in parts:
        chunks.append(literal)
        pos += len(literal)
        if field is None:
            continue
        value = values[field]
        label = _ENTITY_LABELS.get(field)
        if label is not None:
            entities.append({"label": label, "text": value, "start": pos, "end": pos + len(value)})
        chunks.append(value)
        pos += len(value)
    return "".join(chunks), json.dumps(entities)


def _project_dates(rng: random.Random, status: str) -> tuple[date, date | None]:
    """Start and end dates that agree with the status as seen on the anchor date."""
    if status == "planned":
        start = ANCHOR_DATE + timedelta(rng.randrange(15, 180))
        return start, start + timedelta(rng.randrange(90, 720))
    if status == "completed":
        start = ANCHOR_DATE - timedelta(rng.randrange(400, 1100))
        return start, start + timedelta(rng.randrange(60, 360))
    start = ANCHOR_DATE - timedelta(rng.randrange(30, 700))
    if status == "cancelled":
        return start, None
    return start, start + timedelta(rng.randrange(180, 900))


class SyntheticGroup:
    """Rows of one seed run; each table draws from its own named stream of the random seed.

    Call ``companies``, ``projects`` and ``documents`` before the generators that refer to
    them (relationships, metadata, ledger entries), as ``app.seed`` does.
    """

    def __init__(self, plan: Plan, ids: IdBases) -> None:
        self.plan = plan
        self.ids = ids
        self._companies: list[Row] = []
        self._cities: list[str] = []
        self._projects_of: list[list[int]] = [[] for _ in range(plan.companies)]
        self._documents: list[Row] = []
        self._numbers: list[str] = []
        # Company 1 is the busiest; the others share a shuffled 1/k curve.
        rest = [1 / k for k in range(2, plan.companies + 1)]
        self._rng("weights").shuffle(rest)
        self._weights = [1.5, *rest]

    def _rng(self, table: str) -> random.Random:
        # Seeding with a str hashes it with SHA-512: stable across processes, unlike hash().
        return random.Random(f"{self.plan.random_seed}/{table}")

    def companies(self) -> list[Row]:
        rng = self._rng("companies")
        words = list(_NAME_WORDS)
        rng.shuffle(words)
        for i in range(self.plan.companies):
            company_id, word = self.ids.companies + i, words[i % len(words)]
            if i == 0:
                kind, industry, name = "core_family", "Diversified Holdings", f"{word} Holdings Ltd"
            else:
                kind = ("subsidiary", "business_partner")[i - 1] if i < 3 else ""
                kind = kind or _pick(rng, _COMPANY_TYPE)
                industry = rng.choice(_INDUSTRY_NAMES)
                noun = rng.choice(_INDUSTRIES[industry])
                name = f"{word} {noun} {rng.choice(_LEGAL_SUFFIXES)}"
            city = rng.choice(_CITIES)
            created = _WINDOW_START - timedelta(rng.randrange(3650), rng.randrange(86400))
            lifetime = int((_DAYS[-1] - created).total_seconds())
            updated = created + timedelta(seconds=rng.randrange(lifetime))
            contact = {
                "email": f"info@{word.lower()}{company_id}.co.ke",
                "phone": f"+254 7{rng.randrange(10, 100)} {rng.randrange(1_000_000):06d}",
                "address": f"P.O. Box {rng.randrange(100, 99_999)}, {city}",
                "city": city,
            }
            letter = rng.choice(string.ascii_uppercase)
            tax_info = {
                "kra_pin": f"P{rng.randrange(10**9):09d}{letter}",
                "vat_registered": rng.random() < 0.8,
            }
            status = "active" if i == 0 else _pick(rng, _COMPANY_STATUS)
            registration = f"PVT-{created.year}-{company_id:05d}"
            self._companies.append(
                (company_id, name, registration, industry, kind, status, json.dumps(contact),
                 json.dumps(tax_info), created, updated)
            )  # fmt: skip
            self._cities.append(city)
        return self._companies

    def projects(self) -> list[Row]:
        rng, rows = self._rng("projects"), []
        for i, count in enumerate(self.plan.project_counts):
            for _ in range(count):
                project_id = self.ids.projects + len(rows)
                status = _pick(rng, _PROJECT_STATUS)
                start, end = _project_dates(rng, status)
                name = f"{rng.choice(_CITIES)} {rng.choice(_PROJECT_KINDS)}"
                client = rng.choice(_VENDORS).replace(" Ltd", " Developers Ltd")
                value = Decimal(rng.randrange(500, 250_000) * 100_000).scaleb(-2)
                company_id = self.ids.companies + i
                rows.append((project_id, company_id, name, client, value, start, end, status))
                self._projects_of[i].append(project_id)
        return rows

    def relationships(self) -> list[Row]:
        """About 1.5 links per company: every subsidiary owned by a core company, then random."""
        rng, rows, seen = self._rng("relationships"), [], set()
        ids = [row[0] for row in self._companies]
        cores = [row[0] for row in self._companies if row[4] == "core_family"]
        wanted = len(ids) * 3 // 2 if len(ids) > 1 else 0
        candidates = [(rng.choice(cores), row[0], "ownership")
                      for row in self._companies if row[4] == "subsidiary"]  # fmt: skip
        for _ in range(wanted * 4):
            a, b = rng.sample(ids, 2)
            kind = rng.choice(("supplier", "customer", "joint_venture", "shared_directors"))
            candidates.append((a, b, kind))
        for a, b, kind in candidates:
            if len(rows) < wanted and (a, b, kind) not in seen:
                seen.add((a, b, kind))
                rows.append((a, b, kind, round(rng.uniform(0.1, 1.0), 2)))
        return rows

    def documents(self) -> list[Row]:
        """Document rows in upload order; kept, since metadata and the ledger refer to them."""
        rng, n = self._rng("documents"), self.plan.documents
        owners = _owners(rng, n, self._weights)
        types = rng.choices(DOCUMENT_TYPES, _DOC_WEIGHTS, k=n)
        offsets = sorted(rng.randrange(WINDOW_DAYS * 86400) for _ in range(n))
        # Each company numbers each type from its own starting point, like real registers.
        counters = [{t: rng.randrange(1, 4000) for t in DOCUMENT_TYPES} for _ in self._cities]
        for k in range(n):
            owner, kind = owners[k], types[k]
            counters[owner][kind] += 1
            number = f"{_DOC_KINDS[kind].prefix}-{counters[owner][kind]:06d}"
            uploaded = _WINDOW_START + timedelta(seconds=offsets[k])
            mime, ext = rng.choice(_DOC_KINDS[kind].mimes)
            stem = kind.replace("_", "-")
            filename = f"{stem}-{uploaded.year}-{uploaded.month:02d}-{number}.{ext}"
            doc_id = self.ids.documents + k
            projects = self._projects_of[owner]
            project = rng.choice(projects) if rng.random() < 0.3 else None
            digest = hashlib.sha256(f"vanta-seed:{doc_id}:{filename}".encode()).hexdigest()
            self._documents.append(
                (doc_id, self.ids.companies + owner, project, filename, kind, category_for(kind),
                 _pick(rng, _DOC_STATUS), _pick(rng, _PROCESSING), mime,
                 rng.randrange(*_FILE_SIZES[ext]), digest, uploaded, rng.choice(_STAFF))
            )  # fmt: skip
            self._numbers.append(number)
        return self._documents

    def document_metadata(self) -> Iterator[Row]:
        """One metadata row per document, its entities pointing into its text."""
        rng, base = self._rng("document_metadata"), self.ids.companies
        for doc, number in zip(self._documents, self._numbers, strict=True):
            kind, owner = _DOC_KINDS[doc[4]], doc[1] - base
            day = (doc[11] - _WINDOW_START).days
            vendor = rng.choice(_VENDORS)
            amount = _money(rng, *kind.amounts) if kind.amounts else None
            values = {
                "number": number,
                "vendor": vendor,
                "company": self._companies[owner][1],
                "date": _DAY_TEXT[day],
                "city": rng.choice((self._cities[owner], *_CITIES[:3])),
                "amount": f"KES {amount:,.2f}" if amount is not None else "",
                "terms": str(rng.choice((14, 30, 45, 60, 90))),
                "item": rng.choice(_ITEMS),
                "period": _DAY_TEXT[day].split(" ", 1)[1],
            }
            text, entities = _compose(_COMPILED[doc[4]], values)
            tags = [doc[4], f"fy{doc[11].year}", rng.choice(kind.tags)]
            if rng.random() < 0.05:
                tags.append("urgent")
            keywords = [vendor.split()[0].lower(), values["city"].lower(), doc[5]]
            summary = f"{doc[4].replace('_', ' ').capitalize()} {number} - {vendor}"
            if amount is not None:
                summary += f" - {values['amount']}"
            yield (doc[0], tags, keywords, kind.classification, summary,
                   number if doc[4] in ("invoice", "receipt") else None,
                   vendor if doc[4] in _HAS_VENDOR else None, amount, "KES",
                   round(rng.random() ** 3, 3), entities, text)  # fmt: skip

    def ledger_entries(self) -> Iterator[Row]:
        """Ledger rows in date order; some point to a financial document of their company."""
        rng, n, base = self._rng("ledger_entries"), self.plan.ledger_entries, self.ids.companies
        owners = _owners(rng, n, self._weights)
        weights = [kind[0] for kind in _ENTRY_KINDS.values()]
        types = rng.choices(ENTRY_TYPES, weights, k=n)
        days = sorted(rng.randrange(WINDOW_DAYS) for _ in range(n))
        docs_of: list[list[int]] = [[] for _ in self._cities]
        for doc in self._documents:
            if doc[4] in _FINANCIAL_TYPES:
                docs_of[doc[1] - base].append(doc[0])
        counters = [rng.randrange(1, 9000) for _ in self._cities]
        for k in range(n):
            owner, day = owners[k], _DAYS[days[k]]
            _, prefix, amounts, categories = _ENTRY_KINDS[types[k]]
            counters[owner] += 1
            category = rng.choice(categories)
            docs, projects = docs_of[owner], self._projects_of[owner]
            document = rng.choice(docs) if docs and rng.random() < 0.3 else None
            project = rng.choice(projects) if rng.random() < 0.25 else None
            approval = _pick(rng, _APPROVAL)
            yield (self.ids.ledger_entries + k, base + owner, project, document, types[k],
                   category, f"{category.capitalize()} - {rng.choice(_VENDORS)}",
                   _money(rng, *amounts), "KES", f"{prefix}-{day:%y%m}-{counters[owner]:06d}",
                   day.date(), approval,
                   rng.choice(_APPROVERS) if approval == "approved" else None,
                   day + timedelta(seconds=rng.randrange(28_800, 64_800)))  # fmt: skip
