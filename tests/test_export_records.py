"""Export's records made straight from the rows (archive.query.iter_record_json) are the records'
own JSON (iter_records, to_json), on archives of both engines and on a crawled one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from archive.database import open_archive
from archive.query import iter_record_json, iter_records
from archive.records import ArticleRecord, Extracted, Link, Observation, Outcome, PageKind
from archive.store import Store

CST = timezone(timedelta(hours=8))
ORIGIN = "http://www.chencang.gov.cn"
T0 = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)


def observation(number: int, at: datetime, edit: int) -> Observation:
    """Article `number` as fetched at `at`, its body at edit `edit`; some with files and links,
    a date to the day, a provenance naming fields the generic fallback read."""
    url = f"{ORIGIN}/col8173/col8174/202405/t20240501_{160000 + number}.html"
    record = ArticleRecord(
        title=f"第{number}号文章",
        published_at=datetime(2024, 5, 1, 10 if number % 2 else 0, 0, tzinfo=CST),
        published_precision="minute" if number % 2 else "day",
        source="区融媒体中心",
        column="陈仓要闻",
        body=f"正文{number}，第{edit}稿",
        body_html=f"<p>正文{number}，第{edit}稿</p>",
        images=(f"{ORIGIN}/images/{number}.jpg",) if number % 3 == 0 else (),
        attachments=(Link(f"{ORIGIN}/files/{number}.pdf", "附件：通知"),)
        if number % 4 == 0
        else (),
        links=(Link(f"{ORIGIN}/col8173/index.html", "返回"),) if number % 5 == 0 else (),
        doc_id=str(160000 + number),
        editor="张三" if number % 2 else "",
    )
    provenance = {"title": "meta", "body": "rule"}
    if number % 3 == 1:
        provenance["fallback"] = "source,title"
    return Observation(
        site="chencang",
        site_origin=ORIGIN,
        url=url,
        kind=PageKind.ARTICLE,
        requested_url=url,
        final_url=url,
        fetched_at=at,
        verdict=Outcome.CONTENT,
        status=200,
        headers=[("Content-Type", "text/html")],
        payload=f"<html>{record.body}</html>".encode(),
        extracted=Extracted(record, provenance, "test/1"),
        doc_id=str(160000 + number),
    )


def _same(archive, **options) -> int:
    fast = list(iter_record_json(archive, **options))
    assert fast == [record.to_json() for record in iter_records(archive, **options)], options
    return len(fast)


def test_records_from_rows_equal_the_records_json_on_both_engines(archive_url):
    archive = open_archive(archive_url)
    try:
        store = Store(archive)
        for number in range(24):
            store.record(observation(number, T0, 0))
        for number in range(0, 24, 2):
            store.record(observation(number, T0 + timedelta(days=1), 1))
        store.set_tracked(observation(3, T0, 0).url, False, "test")
        assert _same(archive) == 24
        assert _same(archive, all_versions=True) == 36
        assert _same(archive, site="chencang", since=T0 + timedelta(hours=1)) == 12
        assert _same(archive, all_versions=True, until=T0 + timedelta(hours=1)) == 24
    finally:
        archive.close()


def test_records_from_rows_equal_the_records_json_on_a_crawled_archive(day1_archive):
    archive = open_archive(str(day1_archive), create=False, read_only=True)
    try:
        assert _same(archive) > 0
        assert _same(archive, all_versions=True) > 0
    finally:
        archive.close()
