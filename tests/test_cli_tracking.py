"""The change-tracking commands: changes, recheck, crawl --max-revisits, history's lifecycle."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.cli import FAST, as_json, crawl, newsarchive

DAY1 = "2025-12-01T23:00:00+08:00"
DAY2 = "2025-12-02T23:00:00+08:00"


@dataclass
class TwoDays:
    db: str
    truth: dict[str, Any]
    base_url: str
    day2_run: dict[str, Any]


@pytest.fixture(scope="module")
def two_days(replica_factory, module_archive_url) -> TwoDays:
    site = replica_factory(day=1)
    db = module_archive_url  # a SQLite file or a PostgreSQL database: each module runs on both
    crawl(site.base_url, db, "-s", f"NEWSARCHIVE_NOW={DAY1}")
    site.set_day(2)
    day2 = crawl(site.base_url, db, "-s", f"NEWSARCHIVE_NOW={DAY2}")
    return TwoDays(db, site.truth(), site.base_url, day2)


def day2_changes(two_days: TwoDays, kind: str) -> list[dict[str, Any]]:
    return [c for c in two_days.truth["changes"] if c["day"] == 2 and c["kind"] == kind]


def test_changes_json_lists_new_changed_and_unreachable_articles(two_days):
    report = as_json("changes", "--since", "2025-12-02", "--until", "2025-12-03", db=two_days.db)
    assert {e["kind"] for e in report} == {"new", "changed", "unreachable"}
    changed = {e["url"]: e for e in report if e["kind"] == "changed"}
    expected = {c["url"]: c["classes"] for c in day2_changes(two_days, "edited")}
    assert {url: e["classes"] for url, e in changed.items()} == expected
    for event in changed.values():
        assert set(event) == {
            "url",
            "kind",
            "at",
            "title",
            "version",
            "classes",
            "chars_added",
            "chars_removed",
            "fields",
        }
        assert event["version"] == 2 and event["at"] == "2025-12-02T15:00:00+00:00"
    added = {c["url"]: c for c in day2_changes(two_days, "edited")}
    paragraph = next(url for url, c in added.items() if c["edit"] == "paragraph_added")
    assert changed[paragraph]["chars_added"] > 20 and changed[paragraph]["chars_removed"] == 0
    char_fixed = next(url for url, c in added.items() if c["edit"] == "char_fixed")
    assert (changed[char_fixed]["chars_added"], changed[char_fixed]["chars_removed"]) == (1, 1)


def test_changes_filters_by_class_and_kind(two_days):
    window = ("--since", "2025-12-02", "--until", "2025-12-03")
    titles = as_json("changes", *window, "--class", "title", db=two_days.db)
    assert [e["classes"] for e in titles] == [["title"]]
    new = as_json("changes", *window, "--kind", "new", db=two_days.db)
    assert len(new) == 3
    assert as_json("changes", "--since", "2025-12-04", db=two_days.db) == []


def test_changes_text_names_each_event(two_days):
    done = newsarchive("changes", "--since", "2025-12-02", "--until", "2025-12-03", db=two_days.db)
    assert done.returncode == 0
    titled = next(c for c in day2_changes(two_days, "edited") if c["classes"] == ["title"])
    (line,) = [line for line in done.stdout.splitlines() if titled["url"] in line]
    assert "changed     v2 [title] title +" in line
    latest = as_json("show", titled["url"], db=two_days.db)["title"]
    assert line.endswith(f"{titled['url']}  {latest}")
    assert "unreachable" in done.stdout


def test_changes_and_history_count_each_field_exactly_as_diff_does(two_days):
    report = as_json("changes", "--since", "2025-12-02", "--until", "2025-12-03", db=two_days.db)
    changed = [event for event in report if event["kind"] == "changed"]
    assert changed
    for event in changed:
        diff = as_json("diff", event["url"], "--to", str(event["version"]), db=two_days.db)
        by_diff = {f["field"]: (f["chars_added"], f["chars_removed"]) for f in diff["fields"]}
        by_report = {f["field"]: (f["chars_added"], f["chars_removed"]) for f in event["fields"]}
        assert by_report == by_diff
        classed = [f for f in event["fields"] if f["class"] is not None]
        totals = (sum(f["chars_added"] for f in classed), sum(f["chars_removed"] for f in classed))
        assert (event["chars_added"], event["chars_removed"]) == totals
        history = as_json("history", event["url"], db=two_days.db)
        (version,) = [v for v in history["versions"] if v["version"] == event["version"]]
        assert version["fields"] == event["fields"]


def test_history_shows_the_lifecycle(two_days):
    (deleted,) = day2_changes(two_days, "deleted")
    history = as_json("history", deleted["url"], db=two_days.db)
    assert history["state"] == "unreachable"
    assert [e["kind"] for e in history["events"]] == ["unreachable"]
    assert history["events"][0]["status"] == 404
    text = newsarchive("history", deleted["url"], db=two_days.db).stdout
    assert "state: unreachable" in text and "lifecycle (1):" in text


def test_day2_revisits_were_conditional(two_days):
    run = two_days.day2_run
    assert run["revisits_checked"] == run["revisits_due"] > 30
    assert (
        run["not-modified"] == run["revisits_due"] - 4 - 2
    )  # the edited, the deleted, the soft 404


def test_recheck_sends_validators_and_records_a_304(two_days):
    (edited, *_) = day2_changes(two_days, "edited")
    done = newsarchive(
        "recheck", edited["url"], "--base-url", two_days.base_url, *FAST, "--json", db=two_days.db
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    # the page (robots.txt is not one)
    assert (summary["requested"], summary["not-modified"], summary["revisits_checked"]) == (1, 1, 1)
    history = as_json("history", edited["url"], db=two_days.db)
    assert history["captures"][-1]["outcome"] == "not-modified"
    assert history["captures"][-1]["status"] == 304


def test_recheck_of_a_page_not_archived_says_to_fetch_it(two_days):
    url = "http://www.chencang.gov.cn/col8173/col8174/202001/t20200101_99.html"
    done = newsarchive("recheck", url, "--base-url", two_days.base_url, db=two_days.db)
    assert done.returncode == 1
    assert f"is not in the archive; archive it first with: newsarchive fetch {url}" in done.stderr


def test_max_revisits_bounds_the_work_and_the_summary_says_what_is_left(replica_factory, tmp_path):
    site = replica_factory(day=1)
    db = tmp_path / "archive.db"
    crawl(site.base_url, db, "-s", f"NEWSARCHIVE_NOW={DAY1}")
    run = crawl(site.base_url, db, "--max-revisits", "5", "-s", f"NEWSARCHIVE_NOW={DAY2}")
    assert run["revisits_checked"] == 5
    assert run["revisits_left"] == run["revisits_due"] - 5 > 0
    done = newsarchive("runs", db=db)
    assert done.returncode == 0


def test_bad_tracking_settings_are_one_sentence(two_days):
    done = newsarchive(
        "crawl",
        "--base-url",
        two_days.base_url,
        "-s",
        "NEWSARCHIVE_GONE_AFTER=soon",
        db=two_days.db,
    )
    assert done.returncode == 2
    assert "A setting is not valid: NEWSARCHIVE_GONE_AFTER: 'soon' is not a duration" in done.stderr
