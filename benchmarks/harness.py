"""What the benchmarks share: alternating timed runs and scratch databases (SQLite file, PostgreSQL schema)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assessment.storage import temporary_schema  # noqa: E402

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test")


def timed(fns: list[Callable[[], object]], repeat: int) -> list[list[float]]:
    """Seconds per run of each function; runs alternate so that load on the machine hits all alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, out in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return times


@contextmanager
def sqlite_url() -> Iterator[str]:
    """A scratch SQLite file, deleted afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


def postgres_url() -> AbstractContextManager[str]:
    """A scratch schema on the PostgreSQL server, dropped afterwards."""
    return temporary_schema(PG_URL, "bench")
