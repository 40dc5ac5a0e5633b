"""Fresh request ids: unique within a process and across forked workers."""

from __future__ import annotations

import os

from app.request_id import new_request_id


def test_ids_are_32_hex_digits_and_never_repeat() -> None:
    ids = [new_request_id() for _ in range(1000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_a_forked_worker_numbers_its_ids_under_a_prefix_of_its_own() -> None:
    """gunicorn forks the workers after the app module is imported: without a new prefix
    two workers would hand out the same ids."""
    parent = new_request_id()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next id, then leave without pytest's teardown
        try:
            os.write(write, new_request_id().encode())
        finally:
            os._exit(0)
    os.close(write)
    try:
        child = os.read(read, 64).decode()
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    assert len(child) == 32
    assert child[:16] != parent[:16]
    assert new_request_id()[:16] == parent[:16]  # the parent keeps its own
