"""Compact captures (issue 15 §3), on both engines: a quiet day's captures are stored relative to
their page's base capture and read back field for field as fetched, verify finds a damaged one,
and an archive in the old form (revision 0013) upgraded reads the same and downgrades byte for
byte."""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import timedelta
from email.utils import format_datetime

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text

from archive import packing
from archive.captures import CAPTURE
from archive.columns import OUTCOME_CODES, OUTCOMES, header
from archive.database import (
    HEAD_REVISION,
    alembic_config,
    open_archive,
    resolve_db_url,
    upgrade_archive,
)
from archive.fixity import verify
from archive.models import Capture, Page
from archive.packing import raw
from archive.query import page_history
from archive.records import Outcome, PageKind
from archive.runs import RunArguments
from archive.store import CHECKPOINT_EVERY, Store
from tests.test_compression import article, listing
from tests.test_store import T0

ORIGIN = "http://www.chencang.gov.cn"
ARTICLES = 12


@pytest.fixture
def archive(archive_url):
    opened = open_archive(archive_url)
    yield opened
    opened.close()


def served(observation, at_hours: int, *, status: int = 200):
    """`observation` as the server answered it at that hour: its Date, and a 304's headers."""
    at = T0 + timedelta(hours=at_hours)
    headers = [("Date", format_datetime(at, usegmt=True)), *observation.headers]
    if status == 304:
        headers = [(k, v) for k, v in headers if k != "Content-Type"] + [("Content-Length", "0")]
        observation = dataclasses.replace(
            observation, verdict=Outcome.NOT_MODIFIED, payload=None, extracted=None
        )
    replica = observation.url.replace("www.chencang.gov.cn", "127.0.0.1:9")
    return dataclasses.replace(
        observation,
        fetched_at=at,
        status=status,
        headers=headers,
        requested_url=replica,
        final_url=replica,
    )


def two_days(archive):
    """A first crawl, and a quiet day: every article answers 304, the list page a new clock, one
    article redirects, and one article's requested URL is another (it is stored whole)."""
    store = Store(archive)
    fetched = []
    for day, status in ((0, 200), (24, 304)):
        run = store.begin_run(ORIGIN, RunArguments(command="crawl", site="chencang"))
        page = served(listing("chencang", f"clock {day}", 0), day)
        fetched.append(page)
        store.record(page, run)
        for n in range(ARTICLES):
            observation = served(article("chencang", n), day + 1, status=status)
            if day and n == 1:
                observation = dataclasses.replace(observation, final_url=observation.url)
            if day and n == 2:
                observation = dataclasses.replace(
                    observation, requested_url=observation.requested_url + "?from=list"
                )
            fetched.append(observation)
            store.record(observation, run)
        store.finish_run(run, "finished", {}, 0)
    return fetched


def read_back(archive):
    """Every capture as the models read it, in order."""
    columns = [c for c in Capture.__table__.c if c.name != "id"]
    with archive.engine.connect() as connection:
        return [
            dict(row._mapping) for row in connection.execute(select(*columns).order_by(Capture.id))
        ]


def stored(archive):
    """Every capture's URLs and headers as stored (relative or whole), in order."""
    names = packing.RELATIVE_COLUMNS
    with archive.engine.connect() as connection:
        query = select(*(raw(CAPTURE.c[name]) for name in names)).order_by(CAPTURE.c.id)
        return [tuple(row) for row in connection.execute(query)]


def test_a_quiet_days_captures_read_back_as_fetched_and_are_stored_relative(archive):
    fetched = two_days(archive)
    captures = read_back(archive)
    assert len(captures) == len(fetched)
    for capture, observation in zip(captures, fetched, strict=True):
        assert capture["captured_at"] == observation.fetched_at
        assert capture["requested_url"] == observation.requested_url
        assert capture["final_url"] == observation.final_url
        assert capture["status"] == observation.status
        assert capture["headers"] == [list(pair) for pair in observation.headers]
        assert header(capture["headers"], "ETag") == observation.header("ETag")
        assert header(capture["headers"], "Last-Modified") == observation.header("Last-Modified")
        payload = observation.payload
        assert capture["payload_size"] == (len(payload) if payload is not None else None)
        assert (capture["payload_sha256"] is None) == (payload is None)
        quiet = observation.status == 304
        assert (capture["chain_sha256"] is None) == quiet  # a quiet one's only at checkpoints
    # What a history shows: the same values, the validators from the headers.
    quiet = fetched[len(fetched) // 2 + 1]
    shown = page_history(archive, quiet.url).captures[-1]
    assert (shown.captured_at, shown.requested_url, shown.final_url, shown.status) == (
        quiet.fetched_at,
        quiet.requested_url,
        quiet.final_url,
        304,
    )
    assert (shown.etag, shown.last_modified, shown.outcome) == (
        quiet.header("ETag"),
        quiet.header("Last-Modified"),
        Outcome.NOT_MODIFIED.value,
    )
    # The first day's captures are whole; the quiet day's relative to them, but for the one
    # whose requested URL differs (whole: the page's new base) and the redirect's final URL.
    forms = [tuple(packing.is_relative(value) for value in row) for row in stored(archive)]
    first, second = forms[: ARTICLES + 1], forms[ARTICLES + 1 :]
    assert set(first) == {(False, False, False)}
    assert second[0] == (True, True, True)  # the list page
    assert second[1 + 1] == (True, False, True)  # article 1: redirected
    assert second[1 + 2] == (False, False, False)  # article 2: another URL
    assert second[1:2] + second[1 + 3 :] == [(True, True, True)] * (ARTICLES - 2)
    # A quiet capture's headers are a few bytes: the delta of the base's (its Date, and a 304's
    # Content-Length, differ; its Content-Type is gone), where the base's are 150 as text.
    sizes = [len(row[2]) for row in stored(archive)[ARTICLES + 1 :] if packing.is_relative(row[2])]
    assert max(sizes) < 50
    assert verify(archive).ok


def test_verify_finds_a_damaged_compact_capture(archive):
    two_days(archive)
    assert verify(archive).ok
    last = len(stored(archive))
    with archive.engine.connect() as connection:
        headers = connection.scalar(select(raw(CAPTURE.c.headers)).where(CAPTURE.c.id == last))
    assert packing.is_relative(headers)
    changed = bytearray(headers)
    changed[-2] ^= 0x01  # the delta's last literal bytes: still a frame, another value
    with archive.engine.begin() as connection:
        connection.execute(
            text("UPDATE capture SET headers = :value WHERE id = :id"),
            {"value": bytes(changed), "id": last},
        )
    problems = verify(archive).problems
    assert [(p.kind, p.detail.split()[1]) for p in problems] == [("capture", str(last))]


def test_verify_finds_a_damaged_base_and_the_captures_relative_to_it(archive):
    two_days(archive)
    base_id, relative_id = 2, ARTICLES + 1 + 1 + 1  # article 0 on each day
    with archive.engine.connect() as connection:
        found = connection.scalar(
            select(raw(CAPTURE.c.requested_url)).where(CAPTURE.c.id == relative_id)
        )
    assert packing.split_relative(bytes(found)) == (base_id, b"")
    with archive.engine.begin() as connection:
        connection.execute(
            text("UPDATE capture SET requested_url = :value WHERE id = :id"),
            {"value": packing.relative(base_id) + b"x", "id": base_id},  # a base not whole
        )
    problems = verify(archive).problems
    damaged = sorted(int(p.detail.split()[1]) for p in problems if p.kind == "capture")
    assert damaged == [base_id, relative_id]


def snapshot(archive):
    """What readers see: every capture, and each page's history."""
    with archive.engine.connect() as connection:
        urls = list(connection.scalars(select(Page.url).where(Page.kind != PageKind.FILE.value)))
    histories = {url: page_history(archive, url).to_json() for url in urls}
    return read_back(archive), histories


def downgrade(archive, revision):
    config = alembic_config(archive.engine)
    with archive.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def raw_rows(archive, table="capture"):
    with archive.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]


def test_an_old_archive_upgraded_reads_the_same_and_downgrades_byte_for_byte(archive_url):
    archive = open_archive(archive_url)
    two_days(archive)
    seen = snapshot(archive)
    downgrade(archive, "0013")
    old_rows = raw_rows(archive)
    archive.close()
    assert not any(
        isinstance(value, bytes) and value[:1] == b"\xff" for r in old_rows for value in r
    )
    assert upgrade_archive(archive_url) == ("0013", HEAD_REVISION)
    archive = open_archive(archive_url)
    try:
        assert snapshot(archive) == seen
        assert verify(archive).ok
        assert any(packing.is_relative(value) for row in stored(archive) for value in row)
        downgrade(archive, "0013")
        assert raw_rows(archive) == old_rows
    finally:
        archive.close()


@pytest.mark.parametrize("delta", [b"", b"\x28\xb5\x2f\xfd"])
def test_relative_forms_name_their_base(delta):
    for base_id in (1, 127, 128, 300, 2**40):
        assert packing.split_relative(packing.relative(base_id, delta)) == (base_id, delta)


def test_every_outcome_is_stored_as_a_character_of_its_own():
    assert {outcome.value for outcome in Outcome} <= set(OUTCOMES)
    assert len(set(OUTCOME_CODES.values())) == len(OUTCOMES)


def test_verify_finds_an_outcome_changed_or_unknown(archive):
    two_days(archive)
    last = len(stored(archive))
    for code, kind in ((OUTCOME_CODES["unchanged"], "altered"), ("~", "unknown")):
        with archive.engine.begin() as connection:
            connection.execute(
                text("UPDATE capture SET outcome = :code WHERE id = :id"),
                {"code": code, "id": last},
            )
        problems = verify(archive).problems
        # Altered, the run's last capture (quiet) no longer ends the chain the run recorded;
        # unknown, it no longer reads back.
        found = [("run", "2")] if kind == "altered" else [("capture", str(last))]
        assert [(p.kind, p.detail.split()[1]) for p in problems] == found, kind


def test_a_delta_gives_back_every_value_from_its_base():
    rng = random.Random(15)
    alphabet = 'ab", []:日期0123456789'
    for _ in range(500):
        base = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
        value = list(base)
        for _ in range(rng.randrange(0, 6)):
            at = rng.randrange(0, len(value) + 1)
            if rng.random() < 0.5 and at < len(value):
                del value[at : at + rng.randrange(1, 8)]
            else:
                value[at:at] = rng.choice(alphabet) * rng.randrange(1, 4)
        changed = "".join(value)
        assert packing.apply_delta(base, packing.make_delta(changed, base)) == changed
    for damaged in (b"\x05", b"\xfd\x01", b"\x80"):  # an insert cut short, a skip too far, cut
        with pytest.raises(ValueError):
            packing.apply_delta("abc", damaged)


def quiet_day_in_batches(archive, batch: int = 50, articles: int = 150):
    """A first crawl, then a quiet day written as the writer writes a crawl: several pages a
    transaction (record_many). Returns the quiet day's run id."""
    store = Store(archive)
    for day, status in ((0, 200), (24, 304)):
        run = store.begin_run(ORIGIN, RunArguments(command="crawl", site="chencang"))
        pages = [served(listing("chencang", f"clock {day}", 0), day)]
        pages += [served(article("chencang", n), day + 1, status=status) for n in range(articles)]
        for start in range(0, len(pages), batch):
            results = store.record_many([(page, run) for page in pages[start : start + batch]])
            assert not [r for r in results if isinstance(r, Exception)]
        store.finish_run(run, "finished", {}, 0)
    return run


def digests(archive, run_id):
    """(capture id, outcome, stored digest or None) of a run's captures, in order."""
    with archive.engine.connect() as connection:
        query = (
            select(Capture.id, Capture.outcome, Capture.chain_sha256)
            .where(Capture.run_id == run_id)
            .order_by(Capture.id)
        )
        return [tuple(row) for row in connection.execute(query)]


def run_digest(archive, run_id):
    with archive.engine.connect() as connection:
        return connection.scalar(
            text("SELECT chain_sha256 FROM crawl_run WHERE id = :id"), {"id": run_id}
        )


def test_quiet_captures_store_their_digest_only_at_checkpoints(archive):
    run = quiet_day_in_batches(archive)
    rows = digests(archive, run)
    kept = [index for index, (_, _, digest) in enumerate(rows) if digest is not None]
    # The list page (not quiet, and the run's first), then every 64th capture.
    assert kept == [0, CHECKPOINT_EVERY, 2 * CHECKPOINT_EVERY]
    assert {outcome for _, outcome, digest in rows if digest is None} == {"not-modified"}
    assert run_digest(archive, run) is not None  # the head the last capture's digest is
    assert verify(archive).ok


@pytest.mark.parametrize("damage", ["UPDATE capture SET status = 200", "DELETE FROM capture"])
def test_verify_finds_an_altered_or_removed_capture_between_checkpoints(archive, damage):
    run = quiet_day_in_batches(archive)
    rows = digests(archive, run)
    quiet_id, checkpoint_id = rows[2][0], rows[CHECKPOINT_EVERY][0]
    with archive.engine.connect() as connection:
        url = connection.scalar(
            select(Page.url).join(Capture, Capture.page_id == Page.id).where(Capture.id == quiet_id)
        )
    with archive.engine.begin() as connection:
        connection.execute(text(f"{damage} WHERE id = :id"), {"id": quiet_id})
    problems = verify(archive).problems
    assert [(p.kind, p.detail.split()[1]) for p in problems] == [("capture", str(checkpoint_id))]
    if damage.startswith("UPDATE"):
        assert url in problems[0].pages  # the checkpoint names the pages it covers


def test_the_runs_own_digest_covers_its_last_captures(archive):
    run = quiet_day_in_batches(archive)
    last_id = digests(archive, run)[-1][0]
    assert digests(archive, run)[-1][2] is None  # covered by no later capture of the run
    with archive.engine.begin() as connection:
        connection.execute(text("DELETE FROM capture WHERE id = :id"), {"id": last_id})
    problems = verify(archive).problems
    assert [(p.kind, p.detail.split()[1]) for p in problems] == [("run", str(run))]


def test_a_writer_started_again_mid_run_continues_the_chain(archive):
    store = Store(archive)
    run = store.begin_run(ORIGIN, RunArguments(command="crawl", site="chencang"))
    first = [served(article("chencang", n), 1) for n in range(4)]
    store.record_many([(page, run) for page in first])
    quiet = [served(article("chencang", n), 25, status=304) for n in range(4)]
    store.record_many([(page, run) for page in quiet[:2]])
    # The writer dies here, its run unfinished: the run's digest is where its chain is.
    assert verify(archive).ok
    again = Store(archive)  # a new writer: its first capture links to the run's digest
    again.record_many([(page, run) for page in quiet[2:]])
    stored_or_not = [digest is not None for _, _, digest in digests(archive, run)]
    assert stored_or_not == [True] * 4 + [False, False, True, False]
    again.finish_run(run, "finished", {}, 0)
    assert verify(archive).ok


def test_a_pages_last_outcome_is_one_character_and_0015_converts_it_both_ways(archive_url):
    archive = open_archive(archive_url)
    two_days(archive)
    seen = snapshot(archive)
    stored_outcomes = {row[0] for row in page_rows_of(archive, "last_outcome")}
    assert stored_outcomes == {OUTCOME_CODES["not-modified"], OUTCOME_CODES["listing"]}
    downgrade(archive, "0014")
    assert {row[0] for row in page_rows_of(archive, "last_outcome")} == {"not-modified", "listing"}
    old_rows = raw_rows(archive, "page")
    archive.close()
    assert upgrade_archive(archive_url) == ("0014", HEAD_REVISION)
    archive = open_archive(archive_url)
    try:
        assert snapshot(archive) == seen
        assert {row[0] for row in page_rows_of(archive, "last_outcome")} == stored_outcomes
        downgrade(archive, "0014")
        assert raw_rows(archive, "page") == old_rows
    finally:
        archive.close()


def page_rows_of(archive, column):
    with archive.engine.connect() as connection:
        return list(connection.execute(text(f"SELECT {column} FROM page")))


def test_0015_refuses_an_outcome_it_does_not_know_and_leaves_the_archive_as_it_was(archive_url):
    archive = open_archive(archive_url)
    two_days(archive)
    downgrade(archive, "0014")
    with archive.engine.begin() as connection:
        connection.execute(text("UPDATE page SET last_outcome = 'bogus' WHERE id = 1"))
    before = raw_rows(archive, "page")
    archive.close()
    with pytest.raises(Exception, match="page outcomes \\['bogus'\\] are none revision 0015 knows"):
        upgrade_archive(archive_url)
    engine = create_engine(resolve_db_url(archive_url))
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT version_num FROM alembic_version")) == "0014"
            rows = connection.execute(text("SELECT * FROM page ORDER BY 1"))
            assert [tuple(row) for row in rows] == before
    finally:
        engine.dispose()


def http_date(seconds: int) -> str:
    return format_datetime(T0 + timedelta(seconds=seconds), usegmt=True)


def test_a_delta_moves_http_dates_and_gives_every_value_back():
    rng = random.Random(16)
    for _ in range(300):
        dates = [http_date(rng.randrange(-(10**8), 10**9)) for _ in range(4)]
        base = json.dumps([["Date", dates[0]], ["Last-Modified", dates[1]], ["Server", "nginx"]])
        headers = [["Date", dates[2]], ["Last-Modified", rng.choice(dates[1:4:2])]]
        headers += rng.choice([[["Server", "nginx"]], [["Server", "nginx/1"]], []])
        value = json.dumps(headers)
        assert packing.apply_delta(base, packing.make_delta(value, base)) == value
    # A day later, a Date moved takes a few bytes where its changed characters took more.
    base = json.dumps([["Date", http_date(0)], ["ETag", '"5f3"']])
    value = json.dumps([["Date", http_date(86_400 * 9 + 3_907)], ["ETag", '"5f3"']])
    delta = packing.make_delta(value, base)
    assert packing.apply_delta(base, delta) == value and len(delta) <= 6
    # A move whose base holds no date there, or a date the move cannot reach, does not decode.
    for other in (json.dumps([["Date", "x" * 29], ["ETag", '"5f3"']]), base[:10]):
        with pytest.raises(ValueError):
            packing.apply_delta(other, delta)
