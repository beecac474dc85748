"""The one write path: versions only on real change, captures always, one transaction per page."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from archive.database import open_archive
from archive.query import page_history, version_record
from archive.records import ArticleRecord, Extracted, Link, Observation, Outcome, PageKind
from archive.runs import RunArguments
from archive.store import Store

URL = "http://www.chencang.gov.cn/col8173/col8174/202402/t20240207_160040.html"
CST = timezone(timedelta(hours=8))
T0 = datetime(2025, 12, 1, 0, 0, tzinfo=UTC)
RECORD = ArticleRecord(
    title="我区召开全区工作会议",
    published_at=datetime(2024, 2, 7, 10, 7, tzinfo=CST),
    source="区融媒体中心",
    column="陈仓要闻",
    body="2月5日下午，我区召开会议。\n图为会议现场",
    body_html="<p>2月5日下午，我区召开会议。</p><p>图为会议现场</p>",
    images=("http://www.chencang.gov.cn/col8173/col8174/202402/W020240207.jpg",),
    attachments=(Link("http://www.chencang.gov.cn/col8173/col8174/202402/P0.pdf", "要点"),),
    doc_id="160040",
)


def observe(
    record=RECORD, *, at=T0, payload=b"<html>v1</html>", verdict=Outcome.CONTENT, status=200
):
    return Observation(
        site="chencang",
        site_origin="http://www.chencang.gov.cn",
        url=URL,
        kind=PageKind.ARTICLE,
        requested_url=URL.replace("www.chencang.gov.cn", "127.0.0.1:9"),
        final_url=URL.replace("www.chencang.gov.cn", "127.0.0.1:9"),
        fetched_at=at,
        verdict=verdict,
        status=status,
        headers=[("Content-Type", "text/html"), ("ETag", '"abc"')],
        payload=payload,
        extracted=Extracted(record, {"title": "meta:ArticleTitle"}, "chencang/1+x1")
        if verdict is Outcome.CONTENT
        else None,
        doc_id="160040",
    )


@pytest.fixture
def archive(archive_url):
    opened = open_archive(archive_url)
    yield opened
    opened.close()


def rows(archive, table):
    """Every row of `table` as the database holds it, read past the application's models."""
    with archive.engine.connect() as connection:
        found = connection.execute(text(f"SELECT * FROM {table} ORDER BY 1"))
        return [dict(row) for row in found.mappings()]


def test_first_capture_makes_version_1(archive):
    recorded = Store(archive).record(observe())
    assert (recorded.outcome, recorded.version, recorded.changed_fields) == (Outcome.NEW, 1, ())
    record = version_record(archive, URL)
    assert record.record == RECORD
    assert record.to_json()["published_at"] == "2024-02-07T10:07:00+08:00"
    assert record.to_json()["attachments"] == [{"url": RECORD.attachments[0].url, "text": "要点"}]


def test_unchanged_refetch_adds_a_capture_and_no_version(archive):
    store = Store(archive)
    store.record(observe())
    recorded = store.record(
        observe(at=T0 + timedelta(days=1), payload=b"<html>v1 counter 2</html>")
    )
    assert (recorded.outcome, recorded.version) == (Outcome.UNCHANGED, 1)
    history = page_history(archive, URL)
    assert [v.number for v in history.versions] == [1]
    assert [c.outcome for c in history.captures] == ["new", "unchanged"]
    assert [c.version for c in history.captures] == [1, 1]


def test_markup_only_change_is_not_a_version(archive):
    store = Store(archive)
    store.record(observe())
    restyled = dataclasses.replace(RECORD, body_html='<p class="x">2月5日下午，我区召开会议。</p>')
    assert store.record(observe(restyled, at=T0 + timedelta(hours=1))).outcome is Outcome.UNCHANGED


def test_changed_content_makes_the_next_version_with_its_changed_fields(archive):
    store = Store(archive)
    store.record(observe())
    edited = dataclasses.replace(RECORD, title="我区召开全区工作大会", source="")
    recorded = store.record(observe(edited, at=T0 + timedelta(days=1), payload=b"v2"))
    assert (recorded.outcome, recorded.version) == (Outcome.CHANGED, 2)
    assert recorded.changed_fields == ("title", "source")
    versions = rows(archive, "version")
    assert versions[1]["parent_id"] == versions[0]["id"]
    assert version_record(archive, URL, number=1).record.title == RECORD.title
    assert version_record(archive, URL).changed_fields == ("title", "source")


def test_none_and_empty_are_different_values(archive):
    store = Store(archive)
    store.record(observe(dataclasses.replace(RECORD, published_at=None)))
    recorded = store.record(observe(at=T0 + timedelta(days=1)))
    assert recorded.changed_fields == ("published_at",)


def test_identical_payloads_are_stored_once_compressed(archive):
    store = Store(archive)
    payload = b"<html>" + "陈仓要闻".encode() * 500 + b"</html>"
    store.record(observe(payload=payload))
    store.record(observe(at=T0 + timedelta(days=1), payload=payload))
    blobs = rows(archive, "blob")
    assert len(blobs) == 1
    assert blobs[0]["size"] == len(payload)
    assert len(blobs[0]["data"]) < len(payload) / 10
    assert [c["payload_sha256"] for c in rows(archive, "capture")] == [blobs[0]["sha256"]] * 2


def test_a_404_is_a_capture_and_leaves_the_version_alone(archive):
    store = Store(archive)
    store.record(observe())
    recorded = store.record(
        observe(at=T0 + timedelta(days=1), verdict=Outcome.NOT_FOUND, status=404, payload=b"gone")
    )
    assert (recorded.outcome, recorded.version) == (Outcome.NOT_FOUND, None)
    assert version_record(archive, URL).version == 1
    assert page_history(archive, URL).last_outcome == "not-found"


def test_history_rows_are_never_rewritten(archive):
    store = Store(archive)
    store.record(observe())
    before = {table: rows(archive, table) for table in ("version", "blob", "capture")}
    store.record(
        observe(
            dataclasses.replace(RECORD, body="新的正文"), at=T0 + timedelta(days=1), payload=b"x"
        )
    )
    store.record(
        observe(at=T0 + timedelta(days=2), verdict=Outcome.NOT_FOUND, status=404, payload=b"y")
    )
    for table, earlier in before.items():
        current = rows(archive, table)
        assert all(row in current for row in earlier), table


def test_a_failing_write_leaves_no_trace(archive):
    store = Store(archive)
    store.record(observe())
    before = {table: rows(archive, table) for table in ("page", "version", "blob", "capture")}
    broken = dataclasses.replace(
        RECORD, title=None, body="changed"
    )  # violates NOT NULL at the version
    with pytest.raises(IntegrityError):
        store.record(observe(broken, at=T0 + timedelta(days=1), payload=b"new bytes"))
    assert {table: rows(archive, table) for table in before} == before


def test_pages_recorded_together_are_each_their_own_savepoint_and_chain_in_order(archive):
    """record_many: one commit for several fetches; the one that fails (a broken record) leaves
    nothing of itself, the others are written and chained as record() would have, and a later
    record() continues the run's chain."""
    from archive.fixity import verify

    store = Store(archive)
    run_id = store.begin_run(
        "http://www.chencang.gov.cn", RunArguments(command="crawl", site="chencang", full=True)
    )
    broken = dataclasses.replace(RECORD, title=None, body="changed")  # NOT NULL at the version
    fetches = [
        (observe(), run_id),
        (observe(broken, at=T0 + timedelta(days=1), payload=b"broken bytes"), run_id),
        (observe(dataclasses.replace(RECORD, body="v2"), at=T0 + timedelta(days=2)), run_id),
    ]
    first, failed, second = store.record_many(fetches)
    assert isinstance(failed, IntegrityError)
    assert (first.outcome, second.outcome, second.version) == (Outcome.NEW, Outcome.CHANGED, 2)
    store.record(observe(at=T0 + timedelta(days=3), payload=b"v3"), run_id)
    assert len(rows(archive, "capture")) == 3
    assert b"broken bytes" not in [bytes(row["data"]) for row in rows(archive, "blob")]
    store.finish_run(run_id, "finished", {}, 0)
    assert verify(archive).ok, verify(archive).problems


def test_pages_recorded_together_are_committed_together_or_not_at_all(archive, monkeypatch):
    """When the commit fails, every fetch of the batch gets its exception and the run's chain
    ends where it did: the next record() chains to the last capture committed."""
    from archive.fixity import verify

    store = Store(archive)
    run_id = store.begin_run(
        "http://www.chencang.gov.cn", RunArguments(command="crawl", site="chencang", full=True)
    )
    store.record(observe(), run_id)
    real_chain, chained = store._commit_chain, []

    def chain_then_fail(capture):  # after the first page of the batch: the whole batch fails
        if chained:
            raise RuntimeError("the disk is full")
        chained.append(real_chain(capture))

    monkeypatch.setattr(store, "_commit_chain", chain_then_fail)
    fetches = [(observe(at=T0 + timedelta(days=d), payload=b"%d" % d), run_id) for d in (1, 2)]
    assert [str(r) for r in store.record_many(fetches)] == ["the disk is full"] * 2
    monkeypatch.undo()
    store.record(observe(dataclasses.replace(RECORD, body="v2"), at=T0 + timedelta(days=4)), run_id)
    assert len(rows(archive, "capture")) == 2
    store.finish_run(run_id, "finished", {}, 0)
    assert verify(archive).ok, verify(archive).problems


def test_runs_record_their_arguments_and_counts(archive):
    store = Store(archive)
    arguments = RunArguments(command="crawl", site="chencang", full=True)
    run_id = store.begin_run("http://www.chencang.gov.cn", arguments)
    store.record(observe(), run_id)
    store.finish_run(run_id, "finished", {"new": 1}, 0)
    (run,) = rows(archive, "crawl_run")
    assert (run["status"], run["exit_code"]) == ("finished", 0)
    arguments = run["arguments"]  # JSON text on SQLite, decoded by the driver on PostgreSQL
    arguments = json.loads(arguments) if isinstance(arguments, str) else arguments
    assert (run["command"], arguments["full"]) == ("crawl", True)
    assert rows(archive, "capture")[0]["run_id"] == run_id
