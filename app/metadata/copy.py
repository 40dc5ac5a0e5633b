"""Copy all metadata from one backend to the other, in batches, idempotently."""

from __future__ import annotations

from tqdm import tqdm

from app.metadata.store import MetadataStore

__all__ = ["copy_metadata"]


async def copy_metadata(
    source: MetadataStore,
    target: MetadataStore,
    *,
    batch_size: int = 1000,
    progress: bool = True,
) -> int:
    """Upsert every record of ``source`` into ``target`` by ascending id; returns how many.

    Running it again rewrites the same records (same result). Records whose document row
    no longer exists are skipped by the PostgreSQL target.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    total = await source.count()
    copied = 0
    after = 0
    with tqdm(total=total, unit="doc", desc="metadata", disable=not progress) as bar:
        while True:
            batch = await source.scan(after, batch_size)
            if not batch:
                break
            await target.write_many(batch)
            after = batch[-1].document_id
            copied += len(batch)
            bar.update(len(batch))
    return copied
