"""Several processes writing one archive at once (crawl workers, a fetch beside a crawl), on both
engines: no page, URL or version is made twice, no write is lost, and none fails."""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
from datetime import timedelta

from sqlalchemy import text

from archive.database import open_archive
from archive.store import Store
from tests.test_store import RECORD, T0, URL, observe

WRITERS = 4
URLS = [URL.replace("_160040", f"_16{n:04d}") for n in range(12)]
# Each writer records each URL in every round; the body changes every other round, so most
# captures find the latest version unchanged and a few must make the next one, all racing.
ROUNDS = 6


def _body(round_: int) -> str:
    return f"{RECORD.body}\n第{round_ // 2}稿"


def _write(archive_url: str, writer: int) -> int:
    archive = open_archive(archive_url)
    store = Store(archive)
    recorded = 0
    try:
        for round_ in range(ROUNDS):
            for n, url in enumerate(URLS):
                record = dataclasses.replace(RECORD, body=_body(round_), doc_id=f"16{n:04d}")
                observation = dataclasses.replace(
                    observe(record, at=T0 + timedelta(hours=round_, seconds=writer)),
                    url=url,
                    doc_id=f"16{n:04d}",
                    payload=f"<html>{writer}:{round_}:{n}</html>".encode(),
                )
                store.record(observation)
                recorded += 1
    finally:
        archive.close()
    return recorded


def _count(connection, sql: str) -> list[tuple]:
    return [tuple(row) for row in connection.execute(text(sql))]


def test_writers_racing_on_the_same_pages_make_each_page_and_version_once(archive_url):
    open_archive(archive_url).close()  # the schema, before the writers race to make it
    with multiprocessing.get_context("spawn").Pool(WRITERS) as pool:
        done = pool.starmap(_write, [(archive_url, w) for w in range(WRITERS)])
    assert done == [ROUNDS * len(URLS)] * WRITERS
    archive = open_archive(archive_url)
    try:
        with archive.engine.connect() as connection:
            assert _count(connection, "SELECT count(*), count(DISTINCT url) FROM page") == [
                (len(URLS), len(URLS))
            ]
            assert _count(connection, "SELECT count(*) FROM page_url") == [(len(URLS),)]
            assert _count(connection, "SELECT count(*) FROM site") == [(1,)]
            # Every capture kept, once.
            assert _count(connection, "SELECT count(*) FROM capture") == [
                (WRITERS * ROUNDS * len(URLS),)
            ]
            versions = _count(
                connection,
                "SELECT p.url, v.number, v.content_sha256 FROM version v"
                " JOIN page p ON p.id = v.page_id ORDER BY p.url, v.number",
            )
    finally:
        archive.close()
    by_page: dict[str, list[tuple[int, str]]] = {}
    for url, number, digest in versions:
        by_page.setdefault(url, []).append((number, digest))
    assert set(by_page) == set(URLS)
    for url, history in by_page.items():
        numbers = [number for number, _ in history]
        assert numbers == list(range(1, len(numbers) + 1)), url
        # A version is made only for a real change: never the same content as its parent.
        digests = [digest for _, digest in history]
        assert all(a != b for a, b in itertools.pairwise(digests)), url
        assert len(digests) >= ROUNDS // 2, url
