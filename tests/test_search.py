"""Search in Chinese over every version: recall against a brute-force scan, what was removed,
queries that are not FTS syntax, and verify checking the index."""

from __future__ import annotations

import dataclasses
import random
import shutil
import sqlite3
from contextlib import closing
from datetime import timedelta

import pytest

from archive import dedup
from archive.database import open_archive
from archive.fixity import verify
from archive.query import iter_records
from archive.search import fold, search, segments
from archive.store import Store
from archive.text.segments import prepare
from tests.cli import as_json, newsarchive
from tests.test_store import RECORD, T0, URL, observe

LENGTHS = (1, 2, 3, 5)
QUERIES_PER_LENGTH = 30


@pytest.fixture(scope="module")
def corpus(day1_archive):
    """Every version of the day-1 archive: its URL and number, and its folded segments."""
    archive = open_archive(str(day1_archive), create=False, read_only=True)
    try:
        found = [
            (
                record.url,
                record.version,
                [fold(text) for _, _, text in segments(record.record.title, record.record.body)],
            )
            for record in iter_records(archive, all_versions=True)
        ]
    finally:
        archive.close()
    return found


def brute_force(corpus, query: str) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for url, version, texts in corpus:
        if any(query in text for text in texts):
            found.setdefault(url, set()).add(version)
    return found


@pytest.mark.parametrize("length", LENGTHS)
def test_recall_is_complete_for_queries_drawn_from_the_archives_text(day1_archive, corpus, length):
    rng = random.Random(1000 + length)
    archive = open_archive(str(day1_archive), create=False, read_only=True)
    try:
        for _ in range(QUERIES_PER_LENGTH):
            _, _, texts = rng.choice(corpus)
            text = rng.choice([t for t in texts if len(t) >= length] or texts)
            start = rng.randrange(0, max(1, len(text) - length + 1))
            query = text[start : start + length]
            if not query.strip():
                continue
            expected = brute_force(corpus, query.strip())  # spaces at a query's ends are ignored
            found = search(archive, query, limit=10_000)
            assert {hit.url: set(hit.versions) for hit in found.hits} == expected, query
    finally:
        archive.close()


def test_hits_are_ranked_and_pages_of_them_make_up_the_whole(day1_archive, corpus):
    """Titles before text, the latest version before earlier ones, the newest article first;
    the total counts every article; pages of results put together are the whole list."""
    archive = open_archive(str(day1_archive), create=False, read_only=True)
    try:
        whole = search(archive, "的", limit=10_000)
        assert whole.total == len(whole.hits) == len(brute_force(corpus, "的")) > 20
        assert any(hit.in_title for hit in whole.hits) and not all(h.in_title for h in whole.hits)
        keys = [
            (
                not h.in_title,
                not h.in_latest,
                -(h.published_at.timestamp() if h.published_at else 0),
            )
            for h in whole.hits
        ]
        assert keys == sorted(keys)
        paged = []
        for offset in range(0, whole.total, 7):
            part = search(archive, "的", limit=7, offset=offset)
            assert part.total == whole.total
            paged += part.hits
        assert [h.url for h in paged] == [h.url for h in whole.hits]
        beyond = search(archive, "的", limit=7, offset=whole.total + 10)
        assert (beyond.total, beyond.hits) == (whole.total, [])
    finally:
        archive.close()


def test_latin_letters_and_digits_mix_with_chinese(day1_archive, corpus):
    archive = open_archive(str(day1_archive), create=False, read_only=True)
    try:
        mixed = [
            text[i : i + 4]
            for _, _, texts in corpus
            for text in texts
            for i in range(len(text) - 3)
            if any(c.isdigit() for c in text[i : i + 4])
            and any("\u4e00" <= c <= "\u9fff" for c in text[i : i + 4])
        ]
        assert mixed
        for query in random.Random(7).sample(mixed, min(20, len(mixed))):
            found = search(archive, query, limit=10_000)
            assert {hit.url for hit in found.hits} == set(brute_force(corpus, query)), query
            wide = query.translate({ord(d): ord(d) - ord("0") + ord("０") for d in "0123456789"})
            assert search(archive, wide, limit=10_000).total == found.total  # full-width digits
    finally:
        archive.close()


@pytest.fixture
def edited(archive_url):
    """An article whose second version rewords a sentence: 区政府 became 区委 (on each engine)."""
    archive = open_archive(archive_url)
    store = Store(archive)
    first = dataclasses.replace(RECORD, body="会议在区政府召开。\n会议要求抓好落实。")
    store.record(observe(first))
    second = dataclasses.replace(RECORD, body="会议在区委召开。\n会议要求抓好落实。")
    store.record(observe(second, at=T0 + timedelta(days=1), payload=b"v2"))
    yield archive
    archive.close()


def test_removed_finds_what_only_earlier_versions_said(edited):
    (removed,) = search(edited, "区政府", where="removed").hits
    assert (removed.url, removed.versions, removed.latest, removed.in_latest) == (
        URL,
        (1,),
        2,
        False,
    )
    assert search(edited, "区政府", where="current").hits == []
    assert [h.versions for h in search(edited, "区委", where="current").hits] == [(2,)]
    assert [h.versions for h in search(edited, "会议", where="any").hits] == [(1, 2)]
    assert search(edited, "会议", where="removed").hits == []
    before, match, after = removed.snippet
    assert (before, match, after) == ("会议在", "区政府", "召开。")


@pytest.mark.parametrize(
    "query", ['"会议', "会议 AND", "NEAR(会议", "会议*", "a:b", "(", "OR", "'"]
)
def test_fts_syntax_in_a_query_is_searched_for_literally(edited, query):
    assert search(edited, query).total == 0


def test_the_command_line_searches_and_refuses_a_query_it_cannot_search(archive_url, edited):
    db = archive_url
    found = as_json("search", "区政府", "--in", "removed", db=db)
    assert [r["url"] for r in found["results"]] == [URL]
    assert found["results"][0]["snippet"]["match"] == "区政府"
    for query in ("", "   ", "会议\n召开"):
        done = newsarchive("search", query, db=db)
        assert done.returncode == 2 and done.stderr.startswith("Error: ")
        assert len(done.stderr.strip().splitlines()) == 1
    text = newsarchive("search", '"会议 AND', db=db)
    assert text.returncode == 0 and text.stdout.startswith("no article holds")


def test_verify_checks_the_index_against_the_versions(edited, tmp_path):
    if edited.engine.dialect.name != "sqlite":
        pytest.skip("damages a copy of the SQLite file's FTS5 index")
    path = tmp_path / "archive.db"
    assert verify(edited).ok
    edited.close()
    for damage in (
        "DELETE FROM version_segment WHERE id = (SELECT max(id) FROM version_segment)",
        "INSERT INTO segment_fts(segment_fts) VALUES ('delete-all')",
        "UPDATE text_segment SET text = text || '。' WHERE id = (SELECT max(id) FROM text_segment)",
    ):
        copy = tmp_path / "damaged.db"
        shutil.copy(path, copy)
        with closing(sqlite3.connect(copy)) as connection, connection:
            connection.execute(damage)
        damaged = open_archive(str(copy), create=False)
        try:
            kinds = {problem.kind for problem in verify(damaged).problems}
        finally:
            damaged.close()
        assert kinds == {"index"}, damage


def test_segments_worked_out_beforehand_are_indexed_as_the_writer_would(archive_url):
    """The segments an extraction worker prepared are used when they are of the record, and
    passed by when not (the record was changed after): the index holds the record's own."""
    archive = open_archive(archive_url)
    store = Store(archive)
    first = dataclasses.replace(RECORD, body="第一段文字。\n第二段文字。")
    second = dataclasses.replace(RECORD, body="第三段文字。")
    stale = prepare(RECORD.title, "别的文字。")
    for day, (record, prepared) in enumerate(
        ((first, prepare(first.title, first.body)), (second, stale))
    ):
        observed = observe(record, at=T0 + timedelta(days=day), payload=b"v%d" % day)
        assert observed.extracted is not None
        extracted = dataclasses.replace(observed.extracted, segments=prepared)
        store.record(dataclasses.replace(observed, extracted=extracted))
    assert [h.versions for h in search(archive, "第二段").hits] == [(1,)]
    assert [h.versions for h in search(archive, "第三段").hits] == [(2,)]
    assert search(archive, "别的").total == 0
    assert verify(archive).ok, verify(archive).problems
    archive.close()


def test_a_fetch_rolled_back_to_its_savepoint_leaves_nothing_in_the_index(archive_url, monkeypatch):
    """record_many inserts the index rows of its pages at the end of its transaction: those of a
    page that failed after its segments were stored are left out with the rest of it."""
    archive = open_archive(archive_url)
    store = Store(archive)
    index_links = dedup.index_version

    def fail_on_lost(connection, page_id, version_id, body, *rest):
        if "失落" in body:
            raise RuntimeError("failed after the segments were stored")
        return index_links(connection, page_id, version_id, body, *rest)

    monkeypatch.setattr(dedup, "index_version", fail_on_lost)
    kept = dataclasses.replace(RECORD, body="保留的段落。")
    lost = dataclasses.replace(RECORD, body="失落的段落。")
    fetches = [
        (observe(kept), None),
        (observe(lost, at=T0 + timedelta(days=1), payload=b"v2"), None),
    ]
    recorded, failed = store.record_many(fetches)
    assert isinstance(failed, RuntimeError) and recorded.version == 1
    assert search(archive, "保留").total == 1 and search(archive, "失落").total == 0
    assert verify(archive).ok, verify(archive).problems
    archive.close()
