"""The web application's parts that need no server: the timeline calendar, Memento's timestamps
and closest capture, dates in Asia/Shanghai, escaping and marking archived text, and the Chinese
catalogue covering every string the templates show."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from archive.browse import Memento
from archive.query import CaptureSummary, EventSummary, PageHistory, VersionSummary
from archive.text.diff import char_spans
from newsarchive.web import i18n, memento
from newsarchive.web.dates import local, utc
from newsarchive.web.templating import _highlight, _spans
from newsarchive.web.timeline import timeline

URL = "http://www.chencang.gov.cn/col8173/col8174/202512/t20251201_1.html"
TEMPLATES = Path(__file__).parents[1] / "newsarchive" / "web" / "templates"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def capture(moment: str, outcome: str = "unchanged", version: int | None = 1) -> CaptureSummary:
    return CaptureSummary(at(moment), URL, URL, 200, outcome, version, None, None, None, None, None)


def version(number: int, moment: str, classes: tuple[str, ...] = ()) -> VersionSummary:
    return VersionSummary(number, at(moment), (), classes, 0, 0, "0" * 64, "1", "标题")


def history(captures, versions, events) -> PageHistory:
    return PageHistory(
        url=URL,
        urls=(URL,),
        site="chencang",
        kind="article",
        doc_id="1",
        state="live",
        is_listed=True,
        last_listed_at=None,
        first_seen_at=captures[0].captured_at,
        last_captured_at=captures[-1].captured_at,
        last_outcome="unchanged",
        versions=tuple(versions),
        captures=tuple(captures),
        events=tuple(events),
    )


def test_the_calendar_marks_each_shanghai_day_with_what_happened_and_the_state_it_left():
    found = timeline(
        history(
            [
                capture("2025-12-01T15:00:00+00:00", "new"),  # 23:00 on the 1st in Shanghai
                capture("2025-12-02T16:30:00+00:00", "changed", 2),  # 00:30 on the 3rd
                capture("2025-12-05T15:00:00+00:00", "not-found", None),
                capture("2025-12-06T15:00:00+00:00", "error", None),
                capture("2025-12-07T15:00:00+00:00", "unchanged", 2),
                capture("2026-01-02T03:00:00+00:00", "unchanged", 2),
            ],
            [
                version(1, "2025-12-01T15:00:00+00:00"),
                version(2, "2025-12-02T16:30:00+00:00", ("body",)),
            ],
            [
                EventSummary("gone", at("2025-12-06T15:00:00+00:00"), {}),
                EventSummary("reappeared", at("2025-12-07T15:00:00+00:00"), {}),
                EventSummary("moved", at("2025-12-07T15:00:00+00:00"), {"from": "a", "to": "b"}),
            ],
        )
    )
    december, january = found.months
    assert (december.first, january.first) == (date(2025, 12, 1), date(2026, 1, 1))
    days = {cell.day.day: cell for cell in december.days if cell is not None}
    assert sorted(days) == list(range(1, 32))
    assert days[1].marks == ("new", "captured") and days[1].version == 1
    assert days[2].marks == () and days[2].version == 1  # not checked that day
    assert days[3].marks == ("changed", "captured") and days[3].version == 2
    assert days[5].marks == ("captured",) and days[5].state == "live"  # a 404: gone comes later
    assert days[6].marks == ("gone", "failed") and days[6].state == "gone"
    assert days[7].marks == ("moved", "reappeared", "captured") and days[7].state == "live"
    assert days[7].mark == "moved" and days[8].state == "live" and days[8].marks == ()
    assert [cell.day.day for cell in january.days if cell is not None] == [1, 2]
    assert january.days[2:] == (None,) * 29
    assert [entry.kind for entry in found.entries] == [
        "new",
        "changed",
        "gone",
        "reappeared",
        "moved",
    ]


def test_a_month_row_has_31_cells_and_none_past_its_end():
    found = timeline(
        history(
            [capture("2026-02-27T03:00:00+00:00", "new"), capture("2026-03-01T03:00:00+00:00")],
            [version(1, "2026-02-27T03:00:00+00:00")],
            [],
        )
    )
    february = found.months[0]
    assert len(february.days) == 31
    assert [cell.day.day for cell in february.days if cell is not None] == [27, 28]


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("2025", datetime(2025, 1, 1, tzinfo=UTC)),
        ("202512", datetime(2025, 12, 1, tzinfo=UTC)),
        ("20251203150000", datetime(2025, 12, 3, 15, tzinfo=UTC)),
        ("2025120315", datetime(2025, 12, 3, 15, tzinfo=UTC)),
    ],
)
def test_a_partial_timestamp_is_the_earliest_moment_it_names(digits, expected):
    assert memento.parse_timestamp(digits) == expected


@pytest.mark.parametrize(
    "digits", ["", "2025x", "202513", "20251232", "123456789012345", "２０２５"]
)
def test_what_is_not_a_timestamp_is_refused(digits):
    with pytest.raises(ValueError):
        memento.parse_timestamp(digits)


def test_an_http_date_must_be_one():
    assert memento.parse_http_date("Wed, 03 Dec 2025 15:00:00 GMT") == datetime(
        2025, 12, 3, 15, tzinfo=UTC
    )
    for bad in ("yesterday", "2025-12-03", "Wed, 33 Dec 2025 15:00:00 GMT", ""):
        with pytest.raises(ValueError):
            memento.parse_http_date(bad)


def mementos(*moments: str) -> list[Memento]:
    return [Memento(i, at(m), 200, "0" * 64, (), 1) for i, m in enumerate(moments)]


def test_the_closest_memento_is_the_nearest_and_the_earlier_of_two_as_near():
    found = mementos("2025-12-01T00:00:00+00:00", "2025-12-03T00:00:00+00:00")
    assert memento.closest(found, at("2025-12-01T23:00:00+00:00")).capture_id == 0
    assert memento.closest(found, at("2025-12-02T01:00:00+00:00")).capture_id == 1
    assert memento.closest(found, at("2025-12-02T00:00:00+00:00")).capture_id == 0
    assert memento.closest(found, at("2030-01-01T00:00:00+00:00")).capture_id == 1


def test_a_mementos_links_name_its_neighbours():
    found = mementos(
        "2025-12-01T00:00:00+00:00", "2025-12-02T00:00:00+00:00", "2025-12-03T00:00:00+00:00"
    )
    routes = memento.Routes("http://127.0.0.1:1", URL)
    header = memento.link_header(routes, found, found[1])
    assert f'<{URL}>; rel="original"' in header
    assert f'<http://127.0.0.1:1/web/20251201000000/{URL}>; rel="first prev memento"' in header
    assert f'<http://127.0.0.1:1/web/20251203000000/{URL}>; rel="last next memento"' in header
    assert 'rel="timegate"' in header and 'rel="timemap"' in header
    assert "20251202000000" not in header  # the memento itself is not its own neighbour


def test_dates_show_shanghai_with_the_offset_and_utc_for_machines():
    moment = datetime(2025, 12, 2, 8, 0, tzinfo=UTC)
    assert local(moment) == "2025-12-02 16:00 +08:00"
    assert local(moment.astimezone()) == "2025-12-02 16:00 +08:00"
    assert utc(moment + timedelta(hours=8)) == "2025-12-02T16:00:00Z"


def test_archived_text_is_escaped_and_search_matches_marked_as_search_folds():
    hostile = '<script>alert("x")</script>"><img src=x onerror=alert(1)>会议２０２５'
    marked = str(_highlight(hostile, "2025"))
    assert "<script>" not in marked and "<img" not in marked
    assert "&lt;script&gt;" in marked and "&#34;&gt;&lt;img" in marked
    assert marked.endswith("会议<mark>２０２５</mark>")
    assert str(_highlight("会议会议", "会议")) == "<mark>会议</mark><mark>会议</mark>"


def test_diff_spans_are_escaped_and_each_side_keeps_its_own():
    spans = char_spans("<b>旧</b>", "<b>新</b>")
    assert str(_spans(spans, "old")) == '&lt;b&gt;<del class="change">旧</del>&lt;/b&gt;'
    assert str(_spans(spans, "new")) == '&lt;b&gt;<ins class="change">新</ins>&lt;/b&gt;'
    assert "<del" in str(_spans(spans)) and "<ins" in str(_spans(spans))


def template_strings() -> set[str]:
    pattern = re.compile(r"""_\(\s*(?:"([^"]+)"|'([^']+)')\s*\)""")
    found = set()
    for path in TEMPLATES.glob("*.html"):
        for double, single in pattern.findall(path.read_text(encoding="utf-8")):
            found.add(double or single)
    return found


def test_every_string_a_template_shows_has_a_chinese_translation():
    translate = i18n.translator("zh")
    strings = template_strings()
    assert len(strings) > 60
    missing = sorted(s for s in strings if translate(s) == s)
    assert missing == []


@pytest.mark.parametrize(
    "word",
    [
        *("live", "unreachable", "gone", "untracked", "unlisted"),  # states
        *("new", "changed", "reparsed", "moved", "reappeared", "recovered", "relisted"),  # kinds
        *("title", "body", "published_at", "source", "images", "attachments", "cosmetic"),
        *("unchanged", "not-modified", "not-found", "soft-404", "error", "finished", "failed"),
        *("in:any", "in:current", "in:removed", "captured", "not checked"),
    ],
)
def test_words_the_archive_gives_are_translated_too(word):
    assert i18n.translator("zh")(word) != word
    assert i18n.translator("en")(word) == word


def test_the_servers_connections_send_without_waiting_for_acks():
    """Nagle's algorithm off on every accepted connection: a response written in two pieces
    (head, then body) otherwise waits for a keep-alive client's delayed ACK. asyncio turns it
    off only on sockets it sees are TCP, so the listening socket must say so."""
    import asyncio
    import socket

    from newsarchive.web.server import listen

    async def accepted_nodelay() -> int:
        sock = listen("127.0.0.1", 0)
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            option = writer.get_extra_info("socket").getsockopt(
                socket.IPPROTO_TCP, socket.TCP_NODELAY
            )
            seen.set_result(option)
            writer.close()

        server = await asyncio.start_server(handle, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
            option = await asyncio.wait_for(seen, 30)
            writer.close()
        return option

    assert asyncio.run(accepted_nodelay()) != 0


def test_a_date_alone_is_shown_as_a_day_not_as_midnight():
    from archive.records import ArticleRecord
    from newsarchive.web.templating import _published

    cst = timezone(timedelta(hours=8))
    day = ArticleRecord(
        title="t",
        published_at=datetime(2025, 11, 18, tzinfo=cst),
        published_precision="day",
        source="",
        column="",
        body="b",
        body_html="",
    )
    assert str(_published(day)) == '<time datetime="2025-11-18">2025-11-18</time>'
    minute = replace(day, published_at=datetime(2025, 11, 18, 12, 58, tzinfo=cst))
    minute = replace(minute, published_precision="minute")
    assert "2025-11-18 12:58 +08:00" in str(_published(minute))
    assert str(_published(replace(day, published_at=None))) == "—"
