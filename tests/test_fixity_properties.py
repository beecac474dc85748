"""Fixity as a property: whatever a capture holds and whatever clock stamped it, an intact archive
verifies; and whichever single stored value is changed afterwards, verify finds it."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.clock import frozen_clock
from archive.database import Archive, open_archive
from archive.fixity import CHAINED, verify
from archive.records import (
    RECORD_FIELDS,
    ArticleRecord,
    Extracted,
    Link,
    Observation,
    Outcome,
    PageKind,
)
from archive.runs import RunArguments
from archive.store import Store

ORIGIN = "http://www.chencang.gov.cn"
# Text as a database keeps it: any character but lone surrogates (which UTF-8 cannot hold).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
WORDS = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
INSTANTS = st.builds(
    lambda naive, zone: naive.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    OFFSETS,
)
NOT_CONTENT = [o for o in Outcome if o not in (Outcome.CONTENT, Outcome.MIRROR_COPY)]
NOT_CONTENT = [o for o in NOT_CONTENT if o.value not in ("new", "changed", "reparsed", "unchanged")]


@st.composite
def records(draw: st.DrawFn) -> ArticleRecord:
    links = st.lists(st.builds(Link, TEXT, TEXT), max_size=3).map(tuple)
    return ArticleRecord(
        title=draw(WORDS),
        published_at=draw(st.none() | INSTANTS),
        source=draw(TEXT),
        editor=draw(TEXT),
        author=draw(TEXT),
        column=draw(TEXT),
        body=draw(WORDS),
        body_html=draw(TEXT),
        images=tuple(draw(st.lists(TEXT, max_size=3))),
        attachments=draw(links),
        links=draw(links),
        doc_id=draw(st.none() | TEXT),
    )


@st.composite
def observations(draw: st.DrawFn, path: str) -> Observation:
    verdict = draw(st.sampled_from([Outcome.CONTENT, *NOT_CONTENT]))
    extracted = None
    if verdict is Outcome.CONTENT:
        extracted = Extracted(draw(records()), {"title": draw(TEXT)}, draw(WORDS))
    return Observation(
        site="chencang",
        site_origin=ORIGIN,
        url=f"{ORIGIN}/{path}",
        kind=PageKind.ARTICLE,
        requested_url=draw(TEXT),
        final_url=draw(TEXT),
        fetched_at=draw(INSTANTS),
        verdict=verdict,
        status=draw(st.none() | st.integers(min_value=100, max_value=599)),
        headers=draw(st.lists(st.tuples(WORDS, TEXT), max_size=4)),
        payload=draw(st.none() | st.binary(max_size=200)),
        error=draw(st.none() | TEXT),
        extracted=extracted,
    )


@st.composite
def crawls(draw: st.DrawFn) -> tuple[datetime, list[Observation]]:
    pages = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=8))
    return draw(INSTANTS), [draw(observations(path)) for path in pages]


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    """A new archive, copied for each example (creating one runs every migration)."""
    db = tmp_path_factory.mktemp("empty") / "archive.db"
    open_archive(str(db)).close()
    return db


def archived(empty, folder, clock_at: datetime, observed: list[Observation]) -> Archive:
    db = folder / "archive.db"
    shutil.copy(empty, db)
    archive = open_archive(str(db), clock=frozen_clock(clock_at))
    store = Store(archive)
    run = store.begin_run(ORIGIN, RunArguments(command="crawl", site="chencang"))
    for observation in observed:
        store.record(observation, run)
    store.finish_run(run, "finished", {}, 0)
    return archive


PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(crawl=crawls())
def test_whatever_was_captured_at_whatever_offset_verifies(empty, tmp_path_factory, crawl):
    clock_at, observed = crawl
    archive = archived(empty, tmp_path_factory.mktemp("crawl"), clock_at, observed)
    try:
        report = verify(archive)
    finally:
        archive.close()
    assert report.problems == [] and report.captures == len(observed)


# One stored value changed: a blob byte, a field of a version, a column of a capture.
CHANGES = st.one_of(
    st.just(("blob", "data")),
    st.sampled_from([("version", name) for name in RECORD_FIELDS]),
    st.sampled_from([("capture", name) for name in CHAINED if name not in ("page_id", "run_id")]),
)


@PROPERTY
@given(crawl=crawls(), change=CHANGES, pick=st.integers(min_value=0))
def test_any_one_changed_value_is_found_and_named(empty, tmp_path_factory, crawl, change, pick):
    clock_at, observed = crawl
    folder = tmp_path_factory.mktemp("tampered")
    archive = archived(empty, folder, clock_at, observed)
    archive.close()
    table, column = change
    with closing(sqlite3.connect(folder / "archive.db")) as connection, connection:
        keys = [row[0] for row in connection.execute(f"SELECT rowid FROM {table} ORDER BY 1")]
        if not keys:
            return  # nothing of that kind was stored in this example
        key = keys[pick % len(keys)]
        (before,) = connection.execute(
            f'SELECT "{column}" FROM {table} WHERE rowid = ?', (key,)
        ).fetchone()
        connection.execute(
            f'UPDATE {table} SET "{column}" = ? WHERE rowid = ?', (altered(before), key)
        )
        pages = named_pages(connection, table, key)
    archive = open_archive(str(folder / "archive.db"), create=False)
    try:
        report = verify(archive)
    finally:
        archive.close()
    assert report.problems, f"{table}.{column} changed and verify found nothing"
    named = {url for problem in report.problems for url in problem.pages}
    assert pages <= named


def altered(value: object) -> object:
    """A different value of the same kind."""
    if isinstance(value, bytes):
        return bytes([value[0] ^ 1]) + value[1:] if value else b"\x00"
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "改" if not value.endswith("改") else value[:-1]
    return "altered"


def named_pages(connection: sqlite3.Connection, table: str, key: int) -> set[str]:
    """The pages verify must name for a change to this row."""
    query = {
        "blob": "SELECT p.current_url FROM capture c JOIN page p ON p.id = c.page_id "
        "JOIN blob b ON b.sha256 = c.payload_sha256 WHERE b.rowid = ?",
        "version": "SELECT p.current_url FROM version v JOIN page p ON p.id = v.page_id "
        "WHERE v.rowid = ?",
        "capture": "SELECT p.current_url FROM capture c JOIN page p ON p.id = c.page_id "
        "WHERE c.rowid = ?",
    }[table]
    return {row[0] for row in connection.execute(query, (key,))}


def test_the_clock_of_a_crawl_at_plus_eight_hours_hashes_as_it_reads_back(empty, tmp_path):
    """The reproduction: NEWSARCHIVE_NOW=2026-12-20T20:00:00+08:00 made every capture 'altered'."""
    at = datetime(2026, 12, 20, 20, tzinfo=timezone(timedelta(hours=8)))
    observed = Observation(
        site="chencang",
        site_origin=ORIGIN,
        url=f"{ORIGIN}/a",
        kind=PageKind.ARTICLE,
        requested_url=f"{ORIGIN}/a",
        final_url=f"{ORIGIN}/a",
        fetched_at=at,
        verdict=Outcome.NOT_FOUND,
        status=404,
    )
    archive = archived(empty, tmp_path, at, [observed])
    try:
        assert verify(archive).problems == []
        assert at.astimezone(UTC).isoformat() == "2026-12-20T12:00:00+00:00"
    finally:
        archive.close()
