"""The web application over HTTP, as scripts and browsers reach it: every page with a permalink
and a JSON twin that says what the command line says, filters, languages, Atom feeds, the
headers that keep archived content harmless, and sentences (never a 500) for what it cannot
answer. Read-only: the archive's bytes are the same after every request."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from urllib.parse import quote
from xml.etree import ElementTree as ET

import pytest

from tests.cli import as_json, export, newsarchive
from tests.web import get, raw, serving

ATOM = "{http://www.w3.org/2005/Atom}"
WINDOW = ("--since", "2025-11-01", "--until", "2026-01-01")
QUERY_WINDOW = "since=2025-11-01&until=2026-01-01"


@pytest.fixture(scope="module")
def db(web_archive):
    return web_archive[0]


@pytest.fixture(scope="module")
def served(db):
    with serving(db) as server:
        yield server


def api(served, path: str):
    answer = get(served.app + "/api/v1" + path)
    assert answer.status == 200, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    return json.loads(answer.body)


@pytest.fixture(scope="module")
def article(served, db):
    """An article with at least three versions: its id and its history from the command line."""
    url = sorted({r["url"] for r in export(db, "--all-versions") if r["version"] >= 3})[0]
    found = get(served.app + "/api/v1/lookup?url=" + quote(url, safe=""))
    return json.loads(found.body)["id"], as_json("history", url, db=db)


PAGES = [
    "/",
    "/sites/chencang",
    "/articles/{id}",
    "/articles/{id}/versions/1",
    "/articles/{id}/diff",
    "/articles/{id}/diff?from=1&to=3",
    "/changes?" + QUERY_WINDOW,
    "/search?q=%E4%BC%9A%E8%AE%AE",
    "/runs",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_permalink_and_a_json_twin(served, article, path):
    target = path.format(id=article[0])
    page = get(served.app + target)
    assert page.status == 200, page.text
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'href="/api/v1{target.split("?")[0]}' in page.text
    twin = api(served, target)
    assert twin


def test_the_openapi_document_describes_every_api_route_and_no_page(served):
    document = json.loads(get(served.app + "/api/v1/openapi.json").body)
    assert set(document["paths"]) == {
        "/api/v1/",
        "/api/v1/sites/{site}",
        "/api/v1/articles/{pid}",
        "/api/v1/articles/{pid}/versions/{n}",
        "/api/v1/articles/{pid}/diff",
        "/api/v1/changes",
        "/api/v1/search",
        "/api/v1/runs",
        "/api/v1/lookup",
    }
    assert all(set(methods) == {"get"} for methods in document["paths"].values())


def test_an_articles_json_is_its_history_and_record_as_the_command_line_gives_them(
    served, db, article
):
    page_id, history = article
    shown = api(served, f"/articles/{page_id}")
    assert shown["history"] == history
    assert shown["record"] == as_json("show", history["url"], db=db)
    version = api(served, f"/articles/{page_id}/versions/2")
    assert {k: v for k, v in version.items() if k in shown["record"]} == as_json(
        "show", history["url"], "--version", "2", db=db
    )
    assert [c["payload_sha256"] for c in version["captures"]] == [
        c["payload_sha256"]
        for c in history["captures"]
        if c["version"] == 2
        and c["outcome"] in ("new", "changed", "unchanged", "reparsed")
        and c["payload_sha256"]
    ]


def test_a_diff_is_the_command_lines_diff(served, db, article):
    page_id, history = article
    shown = api(served, f"/articles/{page_id}/diff?from=1&to=3")
    expected = as_json("diff", history["url"], "--from", "1", "--to", "3", db=db)
    assert {k: v for k, v in shown.items() if k in expected} == expected
    assert set(shown["unchanged_fields"]).isdisjoint(shown["changed_fields"])


@pytest.mark.parametrize(
    "filters",
    [
        (),
        ("--kind", "changed"),
        ("--kind", "gone", "--kind", "moved"),
        ("--class", "title"),
        ("--no-cosmetic",),
        ("--site", "chencang", "--class", "body"),
    ],
)
def test_changes_are_the_command_lines_change_report_newest_first(served, db, filters):
    expected = as_json("changes", *WINDOW, *filters, db=db)
    query = QUERY_WINDOW
    for name, value in zip(filters[::2], [*filters[1::2], None], strict=False):
        key = name.removeprefix("--").replace("-", "_")
        query += f"&{key}={value}" if value else f"&{key}=true"
    if filters == ("--no-cosmetic",):
        query = QUERY_WINDOW + "&no_cosmetic=true"
    shown = api(served, "/changes?" + query)["events"]
    assert [{k: v for k, v in e.items() if k != "id"} for e in shown] == list(reversed(expected))
    assert all(isinstance(e["id"], int) for e in shown)


@pytest.mark.parametrize(
    ("query", "where"), [("会议", "any"), ("区", "current"), ("的", "removed")]
)
def test_search_is_the_command_lines_search(served, db, query, where):
    expected = as_json("search", query, "--in", where, "--limit", "50", db=db)
    shown = api(served, f"/search?q={quote(query)}&in={where}")
    assert shown["total"] == expected["total"]
    assert [{k: v for k, v in h.items() if k != "id"} for h in shown["results"]] == expected[
        "results"
    ]


def test_the_column_filters_by_state_change_and_publication_and_pages(served, db):
    everything = api(served, "/sites/chencang")
    assert everything["total"] > 50 and len(everything["articles"]) == 50
    second = api(served, "/sites/chencang?page=2")["articles"]
    assert {a["id"] for a in second}.isdisjoint(a["id"] for a in everything["articles"])
    dates = [a["published_at"] for a in everything["articles"]]
    assert dates == sorted(dates, reverse=True)
    gone = api(served, "/sites/chencang?state=gone")
    assert gone["total"] >= 1 and all(a["state"] == "gone" for a in gone["articles"])
    overview = api(served, "/")["sites"][0]
    assert gone["total"] == overview["by_state"]["gone"]
    unlisted = api(served, "/sites/chencang?state=unlisted")["articles"]
    assert unlisted and all(not a["listed"] for a in unlisted)
    changed = api(served, "/sites/chencang?changed=true")["articles"]
    assert changed and all(a["versions"] > 1 for a in changed)
    window = api(served, "/sites/chencang?from=2025-12-03&to=2025-12-05")["articles"]
    assert window and all(
        "2025-12-02T16:00" <= a["published_at"] < "2025-12-05T16:00" for a in window
    )


def test_home_shows_each_site_with_its_counts_last_crawl_and_latest_changes(served, db):
    home = api(served, "/")
    status = as_json("status", db=db)
    assert [s["name"] for s in home["sites"]] == ["chencang"]
    assert home["sites"][0]["articles"] == status["sites"][0]["articles"]
    assert home["sites"][0]["last_run"]["status"] == "finished"
    assert home["latest_changes"]["events"]
    page = get(served.app + "/").text
    assert "chencang" in page and "Atom" in page


def test_runs_are_the_command_lines_runs(served, db):
    assert api(served, "/runs?limit=5")["runs"] == as_json("runs", "--limit", "5", db=db)


def test_the_language_follows_the_browser_and_the_switch_is_remembered(served):
    chinese = get(served.app + "/runs", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    english = get(served.app + "/runs", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert "<title>运行记录 · newsarchive</title>" in chinese.text
    assert "<title>Runs · newsarchive</title>" in english.text
    assert english.headers["Content-Language"] == "en"
    switched = get(served.app + "/runs?lang=zh", headers={"Accept-Language": "en"})
    assert switched.headers["Content-Language"] == "zh"
    assert "lang=zh" in switched.headers["Set-Cookie"]
    remembered = get(served.app + "/runs", headers={"Accept-Language": "en", "Cookie": "lang=zh"})
    assert "运行记录" in remembered.text


def test_dates_show_shanghai_time_with_its_offset_and_utc_on_hover(served, article):
    page_id, history = article
    page = get(served.app + f"/articles/{page_id}/versions/1").text
    first = history["versions"][0]["captured_at"]  # UTC in JSON
    from datetime import datetime
    from zoneinfo import ZoneInfo

    moment = datetime.fromisoformat(first)
    utc = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    local = moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M +08:00")
    assert f'<time datetime="{utc}" title="{utc}">{local}</time>' in page


def test_atom_feeds_parse_and_carry_each_changes_summary_and_inline_diff(served, article):
    page_id, history = article
    for path in (f"/changes.atom?{QUERY_WINDOW}", f"/sites/chencang/changes.atom?{QUERY_WINDOW}"):
        answer = get(served.app + path)
        assert answer.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        feed = ET.fromstring(answer.body)
        entries = feed.findall(f"{ATOM}entry")
        assert entries and feed.find(f"{ATOM}updated") is not None
        for entry in entries:
            for name in ("id", "title", "updated", "summary"):
                assert entry.find(f"{ATOM}{name}").text
            assert entry.find(f"{ATOM}link").get("href").startswith(served.app + "/articles/")
        diffs = [e.find(f"{ATOM}content") for e in entries if e.find(f"{ATOM}content") is not None]
        assert diffs and all(
            d.get("type") == "html" and re.search("<(ins|del) ", d.text) for d in diffs
        )
        assert len({e.find(f"{ATOM}id").text for e in entries}) == len(entries)
    own = ET.fromstring(get(served.app + f"/articles/{page_id}/changes.atom").body)
    titles = [e.find(f"{ATOM}title").text for e in own.findall(f"{ATOM}entry")]
    versions = len(history["versions"])
    assert sum(t.startswith(("new:", "changed:", "reparsed:")) for t in titles) == versions


def test_pages_send_a_policy_that_frames_only_the_replay_origin(served, article):
    page = get(served.app + f"/articles/{article[0]}/versions/1")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    assert f"frame-src {served.replay}" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert f'<iframe class="original" sandbox src="{served.replay}/web/' in page.text
    assert "<script>" not in page.text  # the application's one script is a file, on diffs only


def test_a_memento_is_sandboxed_and_may_load_images_from_the_archive_alone(served, article):
    page = get(served.app + f"/articles/{article[0]}/versions/1").text
    src = re.search(r'<iframe class="original" sandbox src="([^"]+)"', page).group(1)
    memento = get(src)
    policy = memento.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox; default-src 'none'; ")
    assert f"img-src {served.replay} data:;" in policy and "style-src 'unsafe-inline'" in policy
    assert "script-src" not in policy


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
@pytest.mark.parametrize("origin", ["app", "replay"])
def test_only_get_and_head_are_answered(served, method, origin):
    base = served.app if origin == "app" else served.replay
    answer = raw(base, "/", method=method)
    assert answer.status == 405
    assert answer.headers["Allow"] == "GET, HEAD"
    assert answer.body.decode().endswith(
        "is not allowed: the archive is read here, never written.\n"
    )


def test_head_answers_without_a_body(served, article):
    answer = raw(served.app, f"/articles/{article[0]}", method="HEAD")
    assert answer.status == 200 and answer.body == b""


BAD = [
    ("/articles/../../../etc/passwd", 404),
    ("/articles/%2e%2e/%2e%2e/etc/passwd", 404),
    ("/static/../../../../etc/passwd", 404),
    ("/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd", 404),
    ("/articles/abc", 404),
    ("/articles/99999999999999999999999999", 404),
    ("/articles/-1", 404),
    ("/articles/%ff%fe", 404),
    ("/articles/{id}/versions/999", 404),
    ("/articles/{id}/versions/x", 404),
    ("/articles/{id}/diff?from=abc", 404),
    ("/articles/{id}/diff?from=1&to=99", 404),
    ("/articles/{id}?at=yesterday", 400),
    ("/changes?since=yesterday", 400),
    ("/changes?since=2025-12-05&until=2025-12-01", 400),
    ("/changes?kind=nope", 400),
    ("/changes?class=%3Cscript%3E", 400),
    ("/sites/chencang?state=nope", 400),
    ("/sites/chencang?page=0", 400),
    ("/sites/chencang?page=abc", 400),
    ("/sites/nosuchsite", 404),
    ("/search?q=%E4%BC%9A&in=nowhere", 400),
    ("/search?q=%E4%BC%9A&from=notadate", 400),
    ("/lookup?url=%00%01", 400),
    ("/lookup?url=http://www.chencang.gov.cn/never.html", 404),
    ("/lookup", 400),
    ("/nothing/here", 404),
    ("/articles/" + "1" * 9000, 400),
    ("/search?q=" + "%E4%BC%9A" * 3000, 400),
]


@pytest.mark.parametrize(("target", "status"), BAD)
@pytest.mark.parametrize("prefix", ["", "/api/v1"])
def test_what_cannot_be_answered_gets_its_status_and_one_sentence(
    served, article, target, status, prefix
):
    if prefix and target.startswith(("/static", "/nothing", "/articles/" + "1" * 100)):
        return
    answer = raw(served.app, prefix + target.format(id=article[0]))
    assert answer.status == status, answer.body[:300]
    text = answer.body.decode()
    if answer.headers["Content-Type"] == "application/json":
        sentence = json.loads(text)["error"]
    elif answer.headers["Content-Type"].startswith("text/html"):
        sentence = re.search(r'<p class="sentence">(.*?)</p>', text, re.S).group(1)
    else:
        sentence = text.strip()
    assert sentence.endswith(".") and len(sentence) < 400 and "Traceback" not in sentence


def test_queries_with_search_syntax_are_searched_for_literally_never_a_500(served):
    for query in ('"会议', "会议 OR 工作", "NEAR(会议", "*", "会议)", "'; DROP TABLE page; --"):
        answer = get(served.app + "/api/v1/search?q=" + quote(query))
        assert answer.status == 200, (query, answer.text)
    assert get(served.app + "/api/v1/search?q=%20").status == 400


def test_a_lookup_finds_an_article_by_any_url_it_has_had(served, db):
    moved = next(e for e in as_json("changes", *WINDOW, db=db) if e["kind"] == "moved")
    ids = {
        json.loads(get(served.app + "/api/v1/lookup?url=" + quote(url, safe="")).body)["id"]
        for url in (moved["from"], moved["to"])
    }
    assert len(ids) == 1
    redirect = get(served.app + "/lookup?url=" + quote(moved["from"], safe=""))
    assert redirect.status == 302 and redirect.headers["Location"] == f"/articles/{ids.pop()}"


def test_the_hostile_article_is_text_in_pages_json_and_feeds(served, web_archive):
    _, site = web_archive
    hostile = {h["role"]: h for h in site.truth()["hostile"]}["hostile_text"]
    found = get(served.app + "/api/v1/lookup?url=" + quote(hostile["url"], safe=""))
    page_id = json.loads(found.body)["id"]
    record = api(served, f"/articles/{page_id}")["record"]
    assert record["title"] == hostile["title"]
    page = get(served.app + f"/articles/{page_id}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page
    feed = get(served.app + f"/articles/{page_id}/changes.atom").body
    ET.fromstring(feed)  # well-formed whatever the title holds


def test_no_request_writes_to_the_archive(db, served, article):
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for path in PAGES:
        get(served.app + path.format(id=article[0]))
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_serving_beyond_loopback_is_said_and_the_replay_port_must_differ(db, tmp_path):
    with serving(db, "--host", "0.0.0.0") as server:
        assert get(server.app + "/api/v1/runs?limit=1").status == 200
    assert "Warning: serving on 0.0.0.0, not loopback" in server.stderr[0]
    assert server.app.startswith("http://0.0.0.0:")
    same = newsarchive("serve", "--port", "8123", "--replay-port", "8123", db=db)
    assert same.returncode == 2 and "--replay-port must differ from --port" in same.stderr
    missing = newsarchive("serve", db=tmp_path / "none.db")
    assert missing.returncode != 0 and "There is no archive at" in missing.stderr


def test_a_versions_images_and_attachments_link_to_their_archived_bytes(served, db):
    row = next(r for r in export(db) if r["attachments"] and r["images"])
    page_id = json.loads(get(served.app + "/api/v1/lookup?url=" + quote(row["url"], safe="")).body)[
        "id"
    ]
    shown = api(served, f"/articles/{page_id}/versions/{row['version']}")
    assert {f["url"] for f in shown["files"]} == set(row["images"]) | {
        a["url"] for a in row["attachments"]
    }
    page = get(served.app + f"/articles/{page_id}/versions/{row['version']}").text
    for file in shown["files"]:
        assert file["sha256"], file
        moment = datetime.fromisoformat(file["captured_at"]).astimezone(UTC)
        link = f"{served.replay}/web/{moment:%Y%m%d%H%M%S}/{file['url']}"
        assert f'href="{link}"' in page
        assert hashlib.sha256(get(link).body).hexdigest() == file["sha256"]
