"""The web application in a real browser, as a person uses it: Debian's chromium driven by
Playwright (never a downloaded browser). Walk a timeline, compare versions, open the captured
page, search a two-character word, read the feed, use it at phone width; and the replica's
hostile articles prove archived scripts never run and nothing is fetched from the live site.
Screenshots of each main page are saved under the test's temporary folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree as ET

import pytest

from tests.cli import export
from tests.web import get, serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Quiet and offline: no component updates, sync or first-run pages fetching anything.
ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: .ci/run installs it with apt-get.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGUMENTS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def served(web_archive):
    with serving(web_archive[0]) as server:
        yield server


@pytest.fixture
def page(browser, served):
    """A page in Chinese; every request that left the browser is kept in `page.requested`
    (those a Content-Security-Policy stopped before they were sent are not)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    requested: list[str] = []
    context.on("requestfinished", lambda request: requested.append(request.url))
    context.on(
        "requestfailed",
        lambda request: None if request.failure == "csp" else requested.append(request.url),
    )
    opened.requested = requested  # type: ignore[attr-defined]
    yield opened
    context.close()


def api(served, path: str):
    return json.loads(get(served.app + "/api/v1" + path).body)


def article_id(served, url: str) -> int:
    return int(api(served, "/lookup?url=" + quote(url, safe=""))["id"])


@pytest.fixture(scope="module")
def edited(served, web_archive):
    """An article with three versions or more: its id."""
    rows = export(web_archive[0], "--all-versions")
    return article_id(served, sorted({r["url"] for r in rows if r["version"] >= 3})[0])


def shoot(page, folder: Path, name: str, full_page: bool = True) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


def test_open_an_article_from_its_column_and_walk_its_timeline(page, served, edited, tmp_path):
    page.goto(served.app + "/")
    shoot(page, tmp_path, "home")
    page.click("table.sites a[href='/sites/chencang']")
    page.check("input[name=changed]")
    page.click("form.filters button")
    assert "changed=true" in page.url
    shoot(page, tmp_path, "column")
    page.goto(served.app + f"/articles/{edited}")
    shoot(page, tmp_path, "article")
    versions = api(served, f"/articles/{edited}")["history"]["versions"]
    changed_days = page.locator("table.calendar td.mark-changed a")
    assert changed_days.count() >= len(versions) - 1 >= 2
    last_change = changed_days.last
    assert "v" in last_change.get_attribute("title")
    last_change.click()
    page.wait_for_url("**/versions/*")
    number = int(page.url.rsplit("/", 1)[1])
    assert page.locator("h1").inner_text() == versions[number - 1]["title"]
    page.click("nav.versions a[rel=prev]")
    assert page.url.endswith(f"/versions/{number - 1}")


def test_compare_two_versions_side_by_side_and_walk_their_edits(page, served, edited, tmp_path):
    page.goto(served.app + f"/articles/{edited}")
    page.click("text=最近修改")
    page.select_option("select[name=from]", "1")
    page.select_option("select[name=to]", "3")
    page.click("form.filters button:not([type=button])")
    assert page.url.endswith(f"/articles/{edited}/diff?from=1&to=3")
    shoot(page, tmp_path, "diff")
    shown = api(served, f"/articles/{edited}/diff?from=1&to=3")
    inserted = "".join(
        s["text"] for f in shown["fields"] for s in f["spans"] if s["op"] == "insert"
    )
    deleted = "".join(s["text"] for f in shown["fields"] for s in f["spans"] if s["op"] == "delete")
    assert "".join(page.locator(".side-by-side .new ins").all_inner_texts()) == inserted
    assert "".join(page.locator(".side-by-side .old del").all_inner_texts()) == deleted
    page.click("button[data-jump='1']")
    assert page.locator(".side-by-side .current").count() == 1
    page.keyboard.press("n")
    assert page.locator(".side-by-side .current").count() == 1
    page.click("nav.versions a[rel=next]") if page.locator(
        "nav.versions a[rel=next]"
    ).count() else None


def test_the_captured_original_opens_in_a_sandbox_from_the_replay_origin(
    page, served, edited, tmp_path
):
    page.goto(served.app + f"/articles/{edited}/versions/2")
    frame_element = page.locator("iframe.original")
    assert frame_element.get_attribute("sandbox") == ""
    frame = frame_element.element_handle().content_frame()
    frame.wait_for_load_state()
    assert frame.url.startswith(served.replay + "/web/")
    title = api(served, f"/articles/{edited}/versions/2")["title"]
    assert title in frame.locator("body").inner_text()
    frame_element.screenshot(path=str(tmp_path / "original.png"))
    assert {urlsplit(u).netloc for u in page.requested} <= {
        urlsplit(served.app).netloc,
        urlsplit(served.replay).netloc,
    }


def test_search_a_two_character_word_and_land_on_the_version_that_holds_it(page, served, tmp_path):
    page.goto(served.app + "/")
    page.fill("form.quick input[name=q]", "会议")
    page.press("form.quick input[name=q]", "Enter")
    page.wait_for_url("**/search?q=*")
    shoot(page, tmp_path, "search")
    hits = api(served, "/search?q=" + quote("会议"))["results"]
    first = page.locator("ol.hits li.hit").first
    assert first.locator("a.title").inner_text() == hits[0]["title"]
    assert first.locator("mark").first.inner_text() == "会议"
    first.locator("a.title").click()
    page.wait_for_url("**/versions/*")
    assert page.url.split("?")[0].endswith(
        f"/articles/{hits[0]['id']}/versions/{hits[0]['versions'][-1]}"
    )
    assert page.locator("main mark").first.inner_text() == "会议"


def removed_words(served):
    """Two-character words an edit deleted from an article: (article id, word)."""
    for row in api(served, "/sites/chencang?changed=true")["articles"]:
        diff = api(served, f"/articles/{row['id']}/diff?from=1&to={row['versions']}")
        latest = api(served, f"/articles/{row['id']}")["record"]
        for field in diff["fields"]:
            for span in field["spans"]:
                word = span["text"].strip()[:2]
                deleted = field["field"] == "body" and span["op"] == "delete" and len(word) == 2
                if deleted and word not in latest["body"] and word not in latest["title"]:
                    yield row["id"], word


def test_text_removed_from_an_article_is_found_in_the_version_that_had_it(page, served, tmp_path):
    page_id, word = next(removed_words(served))
    page.goto(served.app + "/search")
    page.fill("form.search input[name=q]", word)
    page.select_option("form.search select[name=in]", "removed")
    page.click("form.search button")
    shoot(page, tmp_path, "search-removed")
    hit = page.locator(f"ol.hits li.hit:has(a.title[href^='/articles/{page_id}/'])")
    assert hit.locator(".badge").inner_text() == "当前版本中已不存在"
    hit.locator("a.title").click()
    page.wait_for_url("**/versions/*")
    number = int(page.url.split("?")[0].rsplit("/", 1)[1])
    assert number < api(served, f"/articles/{page_id}")["record"]["version"]
    assert page.locator(".badge", has_text="已被取代").count() == 1
    assert page.locator(".body mark").first.inner_text() == word


def test_the_atom_feed_parses(page, served):
    response = page.request.get(served.app + "/changes.atom?since=2025-11-01&until=2026-01-01")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.body())
    assert feed.findall("{http://www.w3.org/2005/Atom}entry")


MAIN_PAGES = [
    "/",
    "/sites/chencang",
    "/articles/{id}",
    "/articles/{id}/versions/2",
    "/articles/{id}/diff?from=1&to=3",
    "/changes?since=2025-11-01",
    "/search?q=%E4%BC%9A%E8%AE%AE",
    "/runs",
]


def test_every_main_page_fits_a_phone(browser, served, edited, tmp_path):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    phone = context.new_page()
    try:
        for index, path in enumerate(MAIN_PAGES):
            phone.goto(served.app + path.format(id=edited))
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (path, width)
            phone.screenshot(path=str(tmp_path / f"phone-{index}.png"), full_page=True)
    finally:
        context.close()


def test_archived_scripts_never_run_and_nothing_is_fetched_from_the_live_site(
    page, served, web_archive, tmp_path
):
    _, site = web_archive
    markup = {h["role"]: h for h in site.truth()["hostile"]}["hostile_markup"]
    page_id = article_id(served, markup["url"])
    site.reset_requests()
    page.goto(served.app + f"/articles/{page_id}/versions/1")
    frame = page.locator("iframe.original").element_handle().content_frame()
    frame.wait_for_load_state("load")
    page.wait_for_timeout(500)  # time for anything an archived page might start
    shoot(page, tmp_path, "hostile-markup")
    assert frame.evaluate("document.documentElement.getAttribute('data-pwned')") is None
    assert page.evaluate("document.documentElement.getAttribute('data-pwned')") is None
    memento = frame.url
    page.goto(memento)  # the memento alone, at the top: its own policy still forbids scripts
    page.wait_for_timeout(500)
    assert page.evaluate("document.documentElement.getAttribute('data-pwned')") is None
    ours = {urlsplit(served.app).netloc, urlsplit(served.replay).netloc}
    elsewhere = [u for u in page.requested if urlsplit(u).netloc not in ours and u != "about:blank"]
    assert elsewhere == []
    asked = site.requests()["requests"]
    assert [r for r in asked if "HeadlessChrome" in (r["user_agent"] or "")] == []
    assert [r for r in asked if r["path"].startswith("/_replica/beacon")] == []


def test_hostile_text_renders_as_text(page, served, web_archive, tmp_path):
    _, site = web_archive
    hostile = {h["role"]: h for h in site.truth()["hostile"]}["hostile_text"]
    page_id = article_id(served, hostile["url"])
    page.goto(served.app + f"/articles/{page_id}")
    shoot(page, tmp_path, "hostile-text", full_page=False)  # a 1 MB line is a tall page
    assert page.locator("h1").inner_text() == hostile["title"]
    assert page.locator("main img").count() == 0
    assert page.evaluate("document.documentElement.getAttribute('data-pwned')") is None
    body = page.locator(".body").inner_text()
    assert "<script>alert('正文')</script>" in body and "\u202e" in body
    longest = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.body p')].map(p => p.textContent.length))"
    )
    assert longest >= 300_000
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.goto(served.app + f"/articles/{page_id}/versions/1?q=" + quote("<script>"))
    assert page.locator("main mark").first.inner_text() == "<script>"
