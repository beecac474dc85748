"""The WARC export replayed as archivists replay it: pywb (`wb-manager init`/`add`, then `wayback`
on loopback) and Debian's chromium driven by Playwright. Each version of an edited article shows
its own text at its own timestamp, a 304 re-check shows the version it confirmed, pywb's
TimeMap lists every capture of the page, and nothing leaves for the network or the live site."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from archive.blobs import Reader
from archive.database import open_archive
from archive.models import Version
from tests.captures import captures
from tests.cli import newsarchive

BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As tests/test_web_browser.py: quiet and offline, no component updates, sync or first-run pages.
ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
COLLECTION = "news"
# pywb reads config.yaml from its folder: collections there, no live web, no recording, no proxy.
CONFIG = "collections_root: collections\nenable_memento: true\n"
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Wayback:
    origin: str  # http://127.0.0.1:PORT
    process: subprocess.Popen[str]
    log: Path

    def replay(self, timestamp: str, url: str, modifier: str = "") -> str:
        return f"{self.origin}/{COLLECTION}/{timestamp}{modifier}/{url}"


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(folder: Path, name: str, *arguments: str | Path) -> None:
    command = [str(BIN / name), *map(str, arguments)]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def warc(web_archive, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("warc") / "chencang.warc.gz"
    done = newsarchive("export", "--format", "warc", "--output", path, db=web_archive[0])
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture(scope="module")
def wayback(warc, tmp_path_factory) -> Iterator[Wayback]:
    """pywb serving the export, as its documentation sets it up, on a free loopback port."""
    folder = tmp_path_factory.mktemp("pywb")
    (folder / "config.yaml").write_text(CONFIG, encoding="utf-8")
    run(folder, "wb-manager", "init", COLLECTION)
    run(folder, "wb-manager", "add", COLLECTION, warc)
    port, log = free_port(), folder / "wayback.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(BIN / "wayback"), "-b", "127.0.0.1", "-p", str(port)],
            cwd=folder,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "no_proxy": "*"},
        )
    served = Wayback(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_up(served)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(served: Wayback) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise RuntimeError(f"wayback exited: {served.log.read_text()}")
        try:
            with urllib.request.urlopen(served.origin + "/", timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"wayback did not start: {served.log.read_text()}")


@dataclass(frozen=True)
class Shown:
    """A capture to replay, the title and paragraphs of the version it shows, and the other
    versions' paragraphs that this one does not hold (they must not show)."""

    timestamp: str
    version: int
    paragraphs: tuple[str, ...]
    absent: tuple[str, ...]

    def check(self, text: str) -> None:
        missing = [p for p in self.paragraphs if p not in text]
        assert missing == [], (self.timestamp, self.version, missing)
        wrong = [p for p in self.absent if p in text]
        assert wrong == [], (self.timestamp, self.version, wrong)


def timestamp(moment: datetime) -> str:
    """A capture's time (UTC) as 14 digits."""
    return moment.strftime("%Y%m%d%H%M%S")


def versions_and_captures(db: Path) -> tuple[str, list[Shown], list[str]]:
    """An article with three texts (title and body) or more: its URL as captured, for each
    version its first capture and then a 304 that confirmed it; and the times of every capture
    of the URL."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        pages = connection.execute(
            "SELECT page_id FROM version GROUP BY page_id HAVING COUNT(*) >= 3 ORDER BY page_id"
        ).fetchall()
        for (page_id,) in pages:
            found = _shown(connection, db, page_id)
            if found is not None:
                url, shown = found
                every = [
                    c["captured_at"]
                    for c in captures(db)
                    if c["final_url"] == url and c["status"] is not None
                ]
                return url, shown, [timestamp(at) for at in every]
    raise AssertionError("no article has three versions with different texts")


def _shown(
    connection: sqlite3.Connection, db: Path, page_id: int
) -> tuple[str, list[Shown]] | None:
    texts = {
        version_id: (number, (title, *(line.strip() for line in body.split("\n") if line.strip())))
        for version_id, number, title, body in version_texts(db, page_id)
    }
    if len({paragraphs for _, paragraphs in texts.values()}) < 3:
        return None
    found = sorted(
        (c["captured_at"], c["id"], c["status"], c["version_id"], c["final_url"])
        for c in captures(db)
        if c["page_id"] == page_id and c["status"] in (200, 304)
    )
    shown, seen = [], set()
    for at, _, status, version_id, _ in found:
        if (version_id, status) in seen or (status == 304 and (version_id, 200) not in seen):
            continue
        seen.add((version_id, status))
        number, paragraphs = texts[version_id]
        whole = "\n".join(paragraphs)
        absent = {
            paragraph
            for other, (_, theirs) in texts.items()
            if other != version_id
            for paragraph in theirs
            if paragraph not in whole
        }
        shown.append(Shown(timestamp(at), number, paragraphs, tuple(sorted(absent))))
    return found[0][4], shown


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: .ci/run installs it with apt-get.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGUMENTS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, wayback):
    """A page whose requests may reach pywb only: any other is refused and kept in `escaped`."""
    context = browser.new_context(locale="zh-CN")
    escaped: list[str] = []

    def guard(route):
        if route.request.url.startswith(wayback.origin + "/"):
            route.continue_()
        else:
            escaped.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    opened = context.new_page()
    opened.escaped = escaped  # type: ignore[attr-defined]
    yield opened
    context.close()


def test_each_version_shows_its_own_text_at_its_own_timestamp(page, wayback, web_archive):
    db, site = web_archive
    url, shown, _ = versions_and_captures(db)
    assert len({s.version for s in shown}) >= 3 and any(
        s.timestamp != shown[0].timestamp for s in shown
    )
    site.reset_requests()
    for capture in shown:
        page.goto(wayback.replay(capture.timestamp, url))
        frame = page.frame_locator("#replay_iframe")
        body = frame.locator("body")
        body.wait_for()
        capture.check(body.inner_text())
        replayed = next(f.url for f in page.frames if "mp_/" in f.url)
        assert f"/{capture.timestamp}mp_/" in replayed
    assert page.escaped == []  # type: ignore[attr-defined]
    assert site.requests()["requests"] == []


def test_a_not_modified_capture_replays_the_bytes_it_confirmed(wayback, web_archive):
    """Raw (`id_`) replay of a 304 gives exactly the payload of the 200 it confirmed, with its
    headers agreeing with it: the archive's bytes, byte for byte."""
    url, shown, _ = versions_and_captures(web_archive[0])
    held = sorted(
        (c["captured_at"], c["id"], c["status"], c["payload_sha256"])
        for c in captures(web_archive[0])
        if c["final_url"] == url
    )
    by_time = {timestamp(at): (status, digest) for at, _, status, digest in held}
    blobs = stored_payloads(web_archive[0])
    confirmed = [s for s in shown if by_time[s.timestamp][0] == 304]
    assert confirmed
    for capture in confirmed:
        original = max(
            ts for ts, (status, _) in by_time.items() if status == 200 and ts < capture.timestamp
        )
        payload = blobs[by_time[original][1]]
        with urllib.request.urlopen(wayback.replay(capture.timestamp, url, "id_")) as answer:
            assert answer.read() == payload
            assert answer.headers["Content-Length"] == str(len(payload))
            assert answer.headers["Memento-Datetime"]


def test_the_timemap_lists_every_exported_capture_of_the_page(wayback, web_archive):
    url, _, every = versions_and_captures(web_archive[0])
    link = f"{wayback.origin}/{COLLECTION}/timemap/link/{url}"
    with urllib.request.urlopen(link) as answer:
        timemap = answer.read().decode("utf-8")
    mementos = [line for line in timemap.splitlines() if 'memento"' in line]
    listed = sorted(line.split(f"/{COLLECTION}/", 1)[1][:14] for line in mementos)
    assert listed == sorted(every)
    assert f'<{url}>; rel="original"' in timemap


def test_pywb_starts_quietly_from_its_config(wayback):
    """Its log holds its start line and no complaint (a missing config.yaml, a traceback);
    that it fetches nothing is shown by the replay tests: the live replica is asked nothing."""
    log = wayback.log.read_text()
    assert "Starting Gevent Server" in log
    assert "Traceback" not in log and "No such file" not in log


def version_texts(db: Path, page_id: int) -> list[tuple[int, int, str, str]]:
    """The page's versions (id, number, title, body), their packed text read as text."""
    archive = open_archive(str(db), create=False, read_only=True)
    try:
        with archive.reading() as session:
            query = select(Version.id, Version.number, Version.title, Version.body).where(
                Version.page_id == page_id
            )
            return [tuple(row) for row in session.execute(query)]
    finally:
        archive.close()


def stored_payloads(db: Path) -> dict[str, bytes]:
    """Every payload the archive holds, by SHA-256, decoded from its stored form."""
    archive = open_archive(str(db), create=False, read_only=True)
    try:
        with archive.engine.connect() as connection:
            reader = Reader(connection)
            digests = list(connection.scalars(text("SELECT sha256 FROM blob")))
            return {sha256: reader.read(sha256) for sha256 in digests}
    finally:
        archive.close()


def article_with_images(db: Path) -> tuple[str, str, int]:
    """An article page whose captured HTML names its images by relative URLs (no cache-busting
    query: pywb looks those up as written): its URL as fetched, a capture time, how many."""
    found = [
        (c["final_url"], c["captured_at"], c["payload_sha256"])
        for c in captures(db)
        if c["kind"] == "article" and c["status"] == 200
    ]
    payloads = stored_payloads(db)
    for url, at, sha256 in found:
        html = payloads[sha256].decode("utf-8", "replace")
        images = html.count('<img src="./W0')
        if images and "?v=" not in html:
            return url, timestamp(at), images
    raise AssertionError("no captured article names its images by relative URLs")


def test_an_articles_images_replay_from_the_export(page, wayback, web_archive):
    db, site = web_archive
    url, moment, images = article_with_images(db)
    site.reset_requests()
    page.goto(wayback.replay(moment, url))
    frame = next(f for f in page.frames if "mp_/" in f.url)
    frame.wait_for_load_state("load")
    widths = frame.evaluate(
        "[...document.querySelectorAll('img')]"
        ".filter(i => (i.getAttribute('src') || '').includes('/W0'))"
        ".map(i => i.complete ? i.naturalWidth : -1)"
    )
    assert len(widths) == images and all(width > 0 for width in widths), widths
    assert page.escaped == []  # type: ignore[attr-defined]
    assert site.requests()["requests"] == []
