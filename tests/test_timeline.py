"""Thirty simulated days, crawled once a day like cron, against the replica's change log: exactly.

Every edit must come out as a version with the truth's change classes on the day it was made,
no other version may exist, and every removal must reach the right state on the right day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from archive.database import open_archive
from archive.query import page_history
from tests.cli import DAILY, as_json, crawl, export, newsarchive

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = date(2025, 12, 1)
DAYS = 30
# Removals that make a page gone once confirmed a day later; the others are passing failures.
MISSING = {"deleted", "deleted_410", "soft_404"}
PASSING = {"challenge", "truncated", "server_error", "redirect_home"}

Event = tuple[str, str, int, tuple[str, ...]]  # doc id, kind, day, classes


@dataclass
class Timeline:
    truth: dict[str, Any]
    report: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    doc_ids: dict[str, str]
    db: Any


def evening(day: int) -> str:
    """The crawl time of simulated day `day`: 23:00 in Shanghai, after everything published."""
    return datetime.combine(START + timedelta(days=day - 1), time(23), SHANGHAI).isoformat()


@pytest.fixture(scope="module")
def timeline(replica_factory, module_archive_url) -> Timeline:
    site = replica_factory(day=1)
    db = module_archive_url  # a SQLite file or a PostgreSQL database: each module runs on both
    runs = []
    for day in range(1, DAYS + 1):
        site.set_day(day)
        now = ("-s", f"NEWSARCHIVE_NOW={evening(day)}")
        runs.append(crawl(site.base_url, db, *DAILY, *now, exit_codes=(0, 1)))
    report = as_json("changes", "--since", "2025-11-01", "--until", "2026-02-01", db=db)
    doc_ids = {record["url"]: record["doc_id"] for record in export(db)}
    return Timeline(site.truth(), report, runs, doc_ids, db)


def expected_events(truth: dict[str, Any]) -> set[Event]:
    doc = {article["url"]: article["doc_id"] for article in truth["articles"]}
    events: set[Event] = set()
    removals: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for change in truth["changes"]:
        doc_id, day, kind = doc[change["url"]], change["day"], change["kind"]
        if kind == "published":
            events.add((doc_id, "new", day, ()))
        elif kind == "edited":
            events.add((doc_id, "changed", day, tuple(change["classes"])))
        elif kind in ("unlisted", "relisted", "moved"):
            events.add((doc_id, kind, day, ()))
        else:
            removals[doc_id].append(change)
    for doc_id, changes in removals.items():
        events |= _removal_events(doc_id, changes)
    return events


def _removal_events(doc_id: str, changes: list[dict[str, Any]]) -> set[Event]:
    """A removal is unreachable at once; a 404 kept a day later is gone; a return is a recovery
    after a passing failure or a one-day 404, and a reappearance after a page was gone."""
    events: set[Event] = set()
    for removal, back in zip(changes[::2], [*changes[1::2], None], strict=False):
        start = removal["day"]
        events.add((doc_id, "unreachable", start, ()))
        returned = back["day"] if back else None
        if removal["kind"] in PASSING or returned == start + 1:
            if returned:
                events.add((doc_id, "recovered", returned, ()))
            continue
        if start + 1 <= DAYS:
            events.add((doc_id, "gone", start + 1, ()))
        if returned:
            events.add((doc_id, "reappeared", returned, ()))
    return events


def archived_events(timeline: Timeline) -> set[Event]:
    found: set[Event] = set()
    for event in timeline.report:
        day = (datetime.fromisoformat(event["at"]).astimezone(SHANGHAI).date() - START).days + 1
        classes = tuple(event.get("classes", ())) if event["kind"] == "changed" else ()
        found.add((timeline.doc_ids[event["url"]], event["kind"], day, classes))
    return found


def test_the_archive_tells_the_same_story_as_the_change_log(timeline):
    expected, archived = expected_events(timeline.truth), archived_events(timeline)
    assert sorted(archived - expected) == [], "events the change log does not have"
    assert sorted(expected - archived) == [], "events of the change log the archive missed"


def test_every_edit_is_a_version_and_no_other_version_exists(timeline):
    edits = [c for c in timeline.truth["changes"] if c["kind"] == "edited"]
    changed = [e for e in timeline.report if e["kind"] == "changed"]
    assert len(changed) == len(edits) == 18
    assert not [e for e in timeline.report if e["kind"] == "reparsed"]


def test_cosmetic_edits_are_classed_cosmetic(timeline):
    cosmetic = [
        e for e in timeline.report if e["kind"] == "changed" and e["classes"] == ["cosmetic"]
    ]
    assert len(cosmetic) == 1
    assert cosmetic[0]["chars_added"] == cosmetic[0]["chars_removed"] == 1


def test_final_states_match_the_truth(timeline):
    states = {"live": "live", "unlisted": "live", "moved": "live"}
    states |= dict.fromkeys(("not_found", "gone_410", "soft_404"), "gone")
    archive = open_archive(str(timeline.db), create=False)
    for article in timeline.truth["articles"]:
        history = page_history(archive, article["url"])
        assert history.state == states[article["state"]], article["url"]
        if history.state == "live":
            # Gone pages leave the list too; only a live page is said to be unlisted.
            assert history.is_listed == article["listed"], article["url"]
    archive.close()


def test_revisits_are_conditional(timeline):
    later = timeline.runs[1:]
    assert sum(run["not-modified"] for run in later) > 20 * len(later)
    # A 200 with unchanged content happens only where the server ignored the validators.
    assert sum(run["unchanged"] for run in later) <= 2


def test_the_moved_article_keeps_its_history_at_the_new_url(timeline):
    (moved,) = [a for a in timeline.truth["articles"] if a["moved_to"]]
    history = as_json("history", moved["moved_to"], db=timeline.db)
    assert history["urls"] == [moved["url"], moved["moved_to"]]
    assert [v["version"] for v in history["versions"]] == [1]
    assert as_json("history", moved["url"], db=timeline.db) == history


@pytest.mark.parametrize(
    ("kind", "outcome", "status"),
    [
        ("soft_404", "soft-404", 200),
        ("challenge", "blocked", 412),
        ("truncated", "truncated", 200),
        ("server_error", "error", 500),
        ("redirect_home", "redirected", 302),
        ("deleted_410", "not-found", 410),
    ],
)
def test_pages_that_are_not_content_are_captures_never_versions(timeline, kind, outcome, status):
    change = next(c for c in timeline.truth["changes"] if c["kind"] == kind)
    archive = open_archive(str(timeline.db), create=False)
    history = page_history(archive, change["url"])
    archive.close()
    that_day = [
        c
        for c in history.captures
        if (c.captured_at.astimezone(SHANGHAI).date() - START).days + 1 == change["day"]
    ]
    assert [(c.outcome, c.status, c.version) for c in that_day] == [(outcome, status, None)]
    assert that_day[0].payload_sha256 is not None  # the evidence is kept
    assert [v.number for v in history.versions] == [1]


def test_the_change_report_shows_a_move_from_and_to_with_its_title(timeline):
    moves = [event for event in timeline.report if event["kind"] == "moved"]
    assert moves
    window = ("--since", "2025-11-01", "--until", "2026-02-01", "--kind", "moved")
    lines = newsarchive("changes", *window, db=timeline.db).stdout.splitlines()
    assert len(lines) == len(moves)
    for event, line in zip(moves, lines, strict=True):
        assert f"{event['from']} → {event['to']}  {event['title']}" in line
