"""Payloads on PostgreSQL: the archive's own zlib blobs in bytea against raw bytes left to TOAST (lz4, pglz).

The same payloads (the replica's article and list pages as served, N of them) go into three
tables on a throwaway PostgreSQL server, each a `bytea` column as the archive's `blob.data` is:

- `zlib`: what the archive stores today (archive.blobs.compress, zlib level 6; TOAST then finds
  nothing left to compress);
- `lz4`: the raw bytes, the column's TOAST compression set to lz4 (PostgreSQL 14+);
- `pglz`: the raw bytes with PostgreSQL's default TOAST compression.

Printed for each: the table's bytes on disk (pg_total_relation_size, TOAST and index included)
as a ratio to the raw payloads, the insert and the read-back rate (a read of zlib includes its
decompression in Python), each the median of a few rounds measured in the same run. Nothing is
asserted; docs/decisions.md says which the archive keeps and why.

    python -m bench.pg_blobs [--pages 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from archive import blobs
from tests.postgres import postgresql_server
from tests.replica.model import LIST_PATH, Options
from tests.replica.site import Site
from tests.replica.truth import site_truth

HOST = "www.chencang.gov.cn"
KINDS = ("zlib", "lz4", "pglz")


def payloads(pages: int) -> list[bytes]:
    """The bodies of day 1's article pages and list pages of a replica of `pages` articles."""
    site = Site(Options(articles=pages))
    paths = [a["path"] for a in site_truth(site.timeline, 1)["articles"] if a["status"] == 200]
    paths += [LIST_PATH] + [f"{LIST_PATH}index_{n}.html" for n in range(1, pages // 20)]
    return [site.get(path, {}, HOST).body for path in paths]


@contextmanager
def server() -> Iterator[Engine]:
    folder = Path(tempfile.mkdtemp(prefix="newsarchive-pg-"))  # reachable by the postgres user
    try:
        with postgresql_server(folder) as url:
            engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            yield engine
            engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def create_tables(engine: Engine) -> None:
    with engine.begin() as connection:
        for kind in KINDS:
            connection.execute(text(f"DROP TABLE IF EXISTS blob_{kind}"))
            connection.execute(
                text(f"CREATE TABLE blob_{kind} (sha256 text PRIMARY KEY, data bytea NOT NULL)")
            )
        connection.execute(text("ALTER TABLE blob_lz4 ALTER COLUMN data SET COMPRESSION lz4"))
        connection.execute(text("ALTER TABLE blob_pglz ALTER COLUMN data SET COMPRESSION pglz"))


def stored(kind: str, payload: bytes) -> bytes:
    return blobs.compress(payload)[1] if kind == "zlib" else payload


def insert(engine: Engine, kind: str, rows: list[tuple[str, bytes]]) -> float:
    """Seconds to insert every row, one transaction."""
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(
            text(f"INSERT INTO blob_{kind} (sha256, data) VALUES (:sha256, :data)"),
            [{"sha256": sha, "data": stored(kind, payload)} for sha, payload in rows],
        )
    return time.perf_counter() - started


def read_back(engine: Engine, kind: str) -> tuple[float, int]:
    """Seconds to read every payload back as its original bytes, and their total size."""
    unpack: Callable[[bytes], bytes] = (
        (lambda data: blobs.decompress(blobs.ZLIB, data)) if kind == "zlib" else bytes
    )
    started = time.perf_counter()
    with engine.connect() as connection:
        total = sum(
            len(unpack(data))
            for (data,) in connection.execute(text(f"SELECT data FROM blob_{kind}"))
        )
    return time.perf_counter() - started, total


def table_bytes(engine: Engine, kind: str) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text(f"SELECT pg_total_relation_size('blob_{kind}')")))


def measure(engine: Engine, rows: list[tuple[str, bytes]], rounds: int) -> dict[str, dict]:
    figures: dict[str, dict[str, list[float]]] = {k: {"insert": [], "read": []} for k in KINDS}
    sizes: dict[str, int] = {}
    for number in range(rounds):
        create_tables(engine)
        for kind in KINDS if number % 2 == 0 else KINDS[::-1]:
            figures[kind]["insert"].append(insert(engine, kind, rows))
            seconds, total = read_back(engine, kind)
            assert total == sum(len(p) for _, p in rows), kind  # every byte comes back
            figures[kind]["read"].append(seconds)
            sizes[kind] = table_bytes(engine, kind)
    return {
        kind: {
            "bytes": sizes[kind],
            "insert_s": statistics.median(figures[kind]["insert"]),
            "read_s": statistics.median(figures[kind]["read"]),
        }
        for kind in KINDS
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="replica articles (>= 40)")
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    bodies = payloads(max(40, arguments.pages))
    rows = [(blobs.sha256_hex(body), body) for body in {b: None for b in bodies}]
    raw = sum(len(body) for _, body in rows)
    print(f"{len(rows)} payloads, {raw:,} bytes raw ({raw // len(rows):,} bytes each on average)")
    with server() as engine:
        figures = measure(engine, rows, arguments.rounds)
    base = figures["zlib"]
    for kind, found in figures.items():
        print(
            f"{kind:5} {found['bytes']:>12,} bytes = {found['bytes'] / raw:.3f} × raw, "
            f"{found['bytes'] / base['bytes']:.2f} × zlib; "
            f"insert {len(rows) / found['insert_s']:,.0f}/s ({base['insert_s'] / found['insert_s']:.2f} × zlib's rate), "
            f"read {len(rows) / found['read_s']:,.0f}/s ({base['read_s'] / found['read_s']:.2f} × zlib's rate)"
        )  # fmt: skip


if __name__ == "__main__":
    main()
