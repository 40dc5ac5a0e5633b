"""Types about the caller and the running process rather than about company data."""

from __future__ import annotations

import strawberry

from app.auth import Viewer
from app.monitoring import ProcessSnapshot

__all__ = ["SystemMetrics", "ViewerInfo"]


@strawberry.type(name="Viewer")
class ViewerInfo:
    subject: str
    role: str
    company_ids: list[strawberry.ID] | None = strawberry.field(
        description="Companies this token may see; null means all of them."
    )

    @classmethod
    def from_viewer(cls, viewer: Viewer) -> ViewerInfo:
        ids = viewer.scope
        return cls(
            subject=viewer.subject,
            role=viewer.role,
            company_ids=None if ids is None else [strawberry.ID(str(i)) for i in ids],
        )


@strawberry.type
class SystemMetrics:
    uptime_seconds: float
    rss_bytes: float = strawberry.field(description="Resident memory (Float: may exceed 2^31).")
    cpu_percent: float
    threads: int
    open_files: int
    db_pool_size: int
    db_pool_idle: int
    db_pool_max: int

    @classmethod
    def from_snapshot(cls, snap: ProcessSnapshot) -> SystemMetrics:
        return cls(
            uptime_seconds=snap.uptime_seconds,
            rss_bytes=float(snap.rss_bytes),
            cpu_percent=snap.cpu_percent,
            threads=snap.threads,
            open_files=snap.open_files,
            db_pool_size=snap.db_pool_size,
            db_pool_idle=snap.db_pool_idle,
            db_pool_max=snap.db_pool_max,
        )
