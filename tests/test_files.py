"""Images and attachments archived as captures of their own URLs, over six days of the replica's
--files scenario (tests/replica/README.md): shared, changed and restored, vanished, oversized,
lying about their type, on another host, of every type the platform links. Checked against the
replica's truth, through the command line as users read it."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crawler.plan.files import FilePolicy
from crawler.sites.profile import load_profile
from crawler.sites.urls import SiteUrls
from tests.cli import DAILY, as_json, crawl, newsarchive
from tests.web import crawl_days, evening

DAYS = 6


@dataclass
class Scenario:
    db: Path
    truth: list[dict[str, Any]]
    runs: list[dict[str, Any]]  # oldest first
    requests: list[dict[str, Any]]

    def file(self, role: str, suffix: str = "") -> dict[str, Any]:
        return next(f for f in self.truth if f["role"] == role and f["url"].endswith(suffix))


@pytest.fixture(scope="module")
def scenario(replica_factory, tmp_path_factory) -> Scenario:
    site = replica_factory(day=1, files=True)
    db = tmp_path_factory.mktemp("files") / "archive.db"
    site.reset_requests()
    # Files checked again with every check of their article: the scenario changes them daily.
    crawl_days(site, db, DAYS, "-s", "NEWSARCHIVE_FILE_RECHECK_EVERY=0")
    runs = list(reversed(as_json("runs", db=db)))
    return Scenario(db, site.truth()["files"], runs, site.requests()["requests"])


def history(scenario: Scenario, url: str) -> dict[str, Any]:
    return as_json("history", url, db=scenario.db)


def files_of(scenario: Scenario, article: str, **version: str) -> dict[str, dict[str, Any]]:
    args = [f"--{key}={value}" for key, value in version.items()]
    return {f["url"]: f for f in as_json("show", article, *args, db=scenario.db)["files"]}


def got(scenario: Scenario, url: str, *args: str) -> bytes:
    done = newsarchive(
        "get", url, "--output", str(scenario.db.parent / "out"), *args, db=scenario.db
    )
    assert done.returncode == 0, done.stderr
    return (scenario.db.parent / "out").read_bytes()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_every_file_of_the_site_is_archived_with_the_bytes_it_served(scenario):
    own = [f for f in scenario.truth if f["role"] not in ("offsite", "oversized", "vanished")]
    assert len(own) >= 12
    for truth in own:
        data = got(scenario, truth["url"], "--at", evening(1))
        assert sha256(data) == truth["changes"][0]["sha256"], truth["url"]


def test_each_article_lists_its_files_with_the_capture_that_holds_them(scenario):
    typed = [f for f in scenario.truth if f["role"] == "typed"]
    article = typed[0]["articles"][0]
    listed = files_of(scenario, article)
    assert set(listed) == {f["url"] for f in typed}
    for truth in typed:
        shown = listed[truth["url"]]
        assert (shown["role"], shown["sha256"], shown["size"]) == (
            "attachment",
            truth["sha256"],
            truth["size"],
        )
        assert shown["text"] == next(r["text"] for r in truth["references"])
        assert shown["content_type"] == truth["content_type_served"]


def test_a_file_shared_by_three_articles_is_fetched_once_a_run_and_stored_once(scenario):
    shared = scenario.file("shared")
    found = history(scenario, shared["url"])
    assert found["kind"] == "file"
    fetched = [c for c in found["captures"] if c["status"] is not None]
    assert len(fetched) == DAYS  # once a day, whichever articles name it
    assert [c["outcome"] for c in fetched] == ["new"] + ["not-modified"] * (DAYS - 1)
    for article in shared["articles"]:
        assert files_of(scenario, article)[shared["url"]]["sha256"] == shared["sha256"]
    with closing(sqlite3.connect(scenario.db)) as connection:
        (stored,) = connection.execute(
            "SELECT count(*) FROM blob WHERE sha256 = ?", (shared["sha256"],)
        ).fetchone()
    assert stored == 1


def test_a_file_whose_bytes_change_is_a_new_capture_and_its_article_no_new_version(scenario):
    image = scenario.file("changed", ".jpg")
    article = image["articles"][0]
    outcomes = {
        c["captured_at"][:10]: c["outcome"] for c in history(scenario, image["url"])["captures"]
    }
    days = {change["day"] for change in image["changes"]}
    assert days == {1, 3, 6}  # new bytes on day 3, the day-1 bytes again on day 6
    changed = sorted(day for day, outcome in outcomes.items() if outcome == "changed")
    assert changed == ["2025-12-03", "2025-12-06"]
    assert [v["version"] for v in history(scenario, article)["versions"]] == [1]
    for change, following in zip(image["changes"], [*image["changes"][1:], None], strict=True):
        last_day = following["day"] - 1 if following else DAYS
        for day in (change["day"], last_day):
            assert sha256(got(scenario, image["url"], "--at", evening(day))) == change["sha256"]
    assert files_of(scenario, article)[image["url"]]["sha256"] == image["changes"][-1]["sha256"]


def test_a_vanished_file_keeps_its_bytes_and_says_it_is_gone(scenario):
    vanished = scenario.file("vanished")
    captures = history(scenario, vanished["url"])["captures"]
    missing = [c for c in captures if c["outcome"] == "not-found"]
    assert len(missing) == DAYS - vanished["missing_from_day"] + 1
    assert all(c["payload_sha256"] is None for c in missing)  # the 404 page is not the image
    shown = files_of(scenario, vanished["articles"][0])[vanished["url"]]
    assert shown["sha256"] == vanished["changes"][0]["sha256"]
    assert shown["checked_outcome"] == "not-found"
    text = newsarchive("show", vanished["articles"][0], db=scenario.db).stdout
    assert "(last checked" in text and "not-found)" in text


def test_an_oversized_file_is_recorded_as_refused_with_its_announced_size(scenario):
    oversized = scenario.file("oversized")
    shown = files_of(scenario, oversized["articles"][0])[oversized["url"]]
    assert shown["sha256"] is None and shown["outcome"] == "rejected"
    assert shown["error"] == "31,457,280 bytes announced, over the 20,971,520-byte cap for files"
    assert shown["status"] == 200
    with closing(sqlite3.connect(scenario.db)) as connection:
        (biggest,) = connection.execute("SELECT max(size) FROM blob").fetchone()
    assert biggest < 1_000_000


def test_the_cap_is_a_setting(replica_factory, tmp_path):
    site = replica_factory(day=1, files=True)
    oversized = next(f for f in site.truth()["files"] if f["role"] == "oversized")
    db = tmp_path / "archive.db"
    done = newsarchive(
        "fetch",
        oversized["articles"][0],
        "--base-url",
        site.base_url,
        "-s",
        "NEWSARCHIVE_FILE_MAXSIZE=40000000",
        "--json",
        db=db,
    )
    assert done.returncode == 0, done.stderr
    assert sha256(got_from(db, oversized["url"])) == oversized["sha256"]


def got_from(db: Path, url: str) -> bytes:
    out = db.parent / "out.bin"
    done = newsarchive("get", url, "--output", str(out), db=db)
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


@pytest.mark.parametrize("suffix", [".png", ".pdf"])
def test_a_server_lying_about_a_type_is_kept_with_both_types(scenario, suffix):
    lying = scenario.file("lying_type", suffix)
    shown = files_of(scenario, lying["articles"][0])[lying["url"]]
    assert shown["sha256"] == lying["sha256"]
    assert shown["content_type"] == lying["content_type_served"]
    assert shown["media_type"] == lying["real_type"]


def test_a_file_on_another_host_is_recorded_once_and_never_fetched(scenario):
    offsite = scenario.file("offsite")
    captures = history(scenario, offsite["url"])["captures"]
    assert len(captures) == 1
    (capture,) = captures
    assert (capture["outcome"], capture["status"], capture["payload_sha256"]) == (
        "rejected",
        None,
        None,
    )
    assert capture["error"].startswith("on another host (img.example-cdn.invalid)")
    shown = files_of(scenario, offsite["articles"][0])[offsite["url"]]
    assert shown["outcome"] == "rejected" and shown["sha256"] is None


def test_files_are_checked_again_with_their_article_conditionally(scenario):
    typed = scenario.file("typed", ".docx")
    captures = history(scenario, typed["url"])["captures"]
    assert [c["outcome"] for c in captures] == ["new"] + ["not-modified"] * (DAYS - 1)
    asked = [r for r in scenario.requests if r["path"].endswith(typed["url"].rsplit("/", 1)[1])]
    assert len(asked) == DAYS


def test_each_run_counts_its_files(scenario):
    first, *later = scenario.runs
    expected_new = len([f for f in scenario.truth if f["role"] not in ("offsite", "oversized")])
    day_one_files = first["counts"]["files"]
    assert day_one_files["rejected"] == 2  # the oversized file and the one on another host
    assert day_one_files["new"] >= expected_new - 1  # the third sharer of one appears on day 3
    assert all(run["counts"]["errors"] == 0 for run in scenario.runs)
    assert later[1]["counts"]["files"].get("changed") == 1  # day 3: the image changes


@pytest.fixture
def policy():
    profile = load_profile("chencang")
    return FilePolicy(profile.files, SiteUrls(profile))


@pytest.mark.parametrize(
    ("url", "types", "refused"),
    [
        ("http://www.chencang.gov.cn/a/P0.rar", (None,), None),  # a platform extension
        ("http://www.chencang.gov.cn/a/download?id=7", ("application/pdf",), None),
        ("http://www.chencang.gov.cn/a/download?id=7", ("image/webp; charset=x",), None),
        ("http://www.chencang.gov.cn/a/download?id=7", ("text/html", "image/png"), None),
        (
            "http://www.chencang.gov.cn/a/run.exe",
            ("application/x-msdownload", None),
            "a type not taken: .exe, application/x-msdownload",
        ),
        ("http://www.chencang.gov.cn/a/x", (None,), "a type not taken: .(none), no type"),
    ],
)
def test_a_file_is_taken_by_its_extension_or_any_of_its_types(policy, url, types, refused):
    assert policy.type_refused(url, *types) == refused


def test_size_and_host_refusals_say_why(policy):
    assert policy.too_big(None) is None and policy.too_big(20 * 1024 * 1024) is None
    assert policy.too_big(20 * 1024 * 1024 + 1) == (
        "20,971,521 bytes announced, over the 20,971,520-byte cap for files"
    )
    assert policy.offsite("http://www.chencang.gov.cn/a.jpg") is None
    assert policy.offsite("https://CHENCANG.gov.cn/a.jpg") is None  # an alias of the site
    assert policy.offsite("http://cdn.example.invalid/a.jpg") == (
        "on another host (cdn.example.invalid): recorded, not fetched (the profile's [files] offsite)"
    )


def test_get_refuses_a_url_it_holds_no_bytes_of_with_a_sentence(scenario):
    offsite = scenario.file("offsite")
    done = newsarchive("get", offsite["url"], "--output", "/dev/null", db=scenario.db)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: No capture of ") and done.stderr.endswith(".\n")


def test_a_held_file_is_asked_for_again_only_once_its_recheck_interval_passed(
    replica_factory, tmp_path
):
    site = replica_factory(day=1, files=True)
    db = tmp_path / "archive.db"
    site.reset_requests()
    crawl_days(site, db, 3)  # the default: a held file again once its capture is 7 days old
    truth = site.truth()["files"]
    typed = next(f for f in truth if f["role"] == "typed" and f["url"].endswith(".docx"))
    name = typed["url"].rsplit("/", 1)[1]
    asked = [r for r in site.requests()["requests"] if r["path"].endswith(name)]
    assert len(asked) == 1  # day 1 only, though its article was checked each day
    runs = list(reversed(as_json("runs", db=db)))
    assert runs[1]["counts"]["files"]["not-due"] > 0
    third_sharer = next(f for f in truth if f["role"] == "shared")
    assert len(history_at(db, third_sharer["url"])) == 1  # fetched once, and held
    crawl(site.base_url, db, *DAILY, "-s", "NEWSARCHIVE_NOW=2025-12-08T23:00:01+08:00")
    outcomes = [c["outcome"] for c in history_at(db, typed["url"])]
    assert outcomes == ["new", "not-modified"]  # seven days on: asked again, conditionally


def history_at(db: Path, url: str) -> list[dict[str, Any]]:
    return as_json("history", url, db=db)["captures"]
