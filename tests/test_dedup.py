"""Deduplication in the archive: one article at several URLs is linked, near-duplicates are
found through the band index, and copies from other sites never become articles."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from archive.copies import copies
from archive.database import open_archive
from archive.query import page_history
from archive.records import Extracted, Outcome
from archive.store import Store
from archive.text.similarity import NEAR_DUPLICATE, jaccard, shingles
from tests.test_store import RECORD, URL, observe

OTHER_COLUMN = (
    "http://www.chencang.gov.cn/col14317/col14320/col14328/col14329/202402/t20240207_999.html"
)
REPUBLISHED = "http://www.chencang.gov.cn/col8173/col8174/202403/t20240301_888.html"
UNRELATED = "http://www.chencang.gov.cn/col8173/col8174/202403/t20240302_777.html"
T0 = datetime(2025, 12, 1, 15, tzinfo=UTC)
BODY = (
    "2月5日下午，我区召开全区安全生产工作会议，安排部署当前安全生产重点工作。区委常委、副区长主持会议。\n"
    "会议指出，各镇街、各部门要牢固树立安全发展理念，坚持人民至上、生命至上，压紧压实安全生产责任。\n"
    "会议要求，要深入开展隐患排查整治，聚焦道路交通、建筑施工、危险化学品等重点领域，确保不留死角。\n"
    "会议强调，要加强应急值守，严格落实领导带班和二十四小时值班制度，确保全区安全形势持续稳定。"
)
EDITED = (
    BODY.replace("确保不留死角", "做到全覆盖、无死角")
    + "\n区应急管理局、区交通运输局负责同志作了发言。"
)


@pytest.fixture
def archive(archive_url):
    opened = open_archive(archive_url)
    yield opened
    opened.close()


def at(url, body=BODY, title=RECORD.title, days=0, doc_id="160040"):
    record = dataclasses.replace(RECORD, title=title, body=body)
    return dataclasses.replace(
        observe(record, at=T0 + timedelta(days=days), payload=url.encode()), url=url, doc_id=doc_id
    )


def test_the_same_article_in_another_column_is_linked_as_a_duplicate(archive):
    store = Store(archive)
    store.record(at(URL))
    recorded = store.record(at(OTHER_COLUMN, doc_id="999"))
    assert (recorded.outcome, recorded.duplicates) == (Outcome.NEW, (("duplicate", URL, 1.0),))
    (copy,) = copies(archive, URL)
    assert (copy.kind, copy.url, copy.similarity) == ("duplicate", OTHER_COLUMN, 1.0)
    assert copies(archive, OTHER_COLUMN)[0].url == URL


def test_punctuation_width_and_spacing_do_not_hide_a_duplicate(archive):
    store = Store(archive)
    store.record(at(URL))
    respaced = BODY.replace("，", ",").replace("。", ". ")
    assert (
        store.record(at(OTHER_COLUMN, body=respaced, doc_id="999")).duplicates[0][0] == "duplicate"
    )


def test_a_lightly_re_edited_copy_is_a_near_duplicate_with_its_similarity(archive):
    score = jaccard(shingles(BODY), shingles(EDITED))
    assert NEAR_DUPLICATE <= score < 1.0
    store = Store(archive)
    store.record(at(URL))
    recorded = store.record(
        at(REPUBLISHED, body=EDITED, title="我区召开全区安全生产工作会议", doc_id="888")
    )
    assert recorded.duplicates == (("near-duplicate", URL, round(score, 4)),)


def test_an_unrelated_article_is_not_linked(archive):
    store = Store(archive)
    store.record(at(URL))
    other = "区农业农村局组织技术人员深入田间地头，开展冬季果树管护技术培训，发放资料三百余份。\n群众纷纷表示，培训内容实用，学到了真本领。"
    assert (
        store.record(at(UNRELATED, body=other, title="冬季果树管护培训", doc_id="777")).duplicates
        == ()
    )


def test_a_page_is_linked_once_however_often_it_changes(archive):
    store = Store(archive)
    store.record(at(URL))
    store.record(at(OTHER_COLUMN, doc_id="999"))
    again = store.record(at(OTHER_COLUMN, body=EDITED, doc_id="999", days=1))
    assert again.outcome is Outcome.CHANGED and again.duplicates == ()
    assert len(copies(archive, URL)) == 1


def test_a_mirror_copy_is_a_capture_of_the_original_never_an_article(archive):
    store = Store(archive)
    store.record(at(URL))
    mirror = dataclasses.replace(
        at(URL, body=EDITED, title=""),
        requested_url="http://jczszy.cn/col8173/col8174/202402/t20240207_160040.html",
        verdict=Outcome.MIRROR_COPY,
    )
    mirror = dataclasses.replace(
        mirror,
        extracted=Extracted(
            mirror.extracted.record, {}, "copy", {"pinyin_annotations_removed": 12}
        ),
    )
    assert store.record(mirror).outcome is Outcome.MIRROR_COPY
    history = page_history(archive, URL)
    assert [v.number for v in history.versions] == [1]
    assert [c.outcome for c in history.captures] == ["new", "mirror-copy"]
    assert history.state == "live" and history.events == ()
    (copy,) = copies(archive, URL)
    assert (copy.kind, copy.url, copy.repairs) == (
        "mirror",
        mirror.requested_url,
        {"pinyin_annotations_removed": 12},
    )
    assert copy.text == EDITED and 0.6 < copy.similarity < 1.0


def test_a_rejected_page_keeps_its_capture_and_its_reason(archive):
    store = Store(archive)
    store.record(at(URL))
    rejected = dataclasses.replace(
        at(URL, days=1), verdict=Outcome.REJECTED, extracted=None, error="date_in_future: …"
    )
    assert store.record(rejected).outcome is Outcome.REJECTED
    history = page_history(archive, URL)
    assert [(c.outcome, c.error) for c in history.captures][-1] == ("rejected", "date_in_future: …")
    assert [v.number for v in history.versions] == [1]
