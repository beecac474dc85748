"""Memento (RFC 7089) on the replay origin, checked by hand against the RFC and by independent
clients: memento-client (is_timegate, is_memento, parse_link_header) and memento-cli (`memento
list`). TimeGates, mementos at Wayback-style URIs, TimeMaps in link-format and JSON."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from memento_client import MementoClient

from archive.browse import HOLDING
from newsarchive.web.memento import http_date, timestamp
from tests.cli import as_json, export
from tests.web import get, serving

LINK_FORMAT = "application/link-format"


@pytest.fixture(scope="module")
def served(web_archive):
    db, _ = web_archive
    with serving(db) as server:
        yield server


@pytest.fixture(scope="module")
def changed(web_archive):
    """An article with two versions or more: its history as `history --json` gives it."""
    db, _ = web_archive
    urls = sorted({r["url"] for r in export(db, "--all-versions") if r["version"] >= 3})
    return as_json("history", urls[0], db=db)


def holding(history) -> list[dict]:
    """The captures that hold the page's bytes (what a TimeMap lists), oldest first."""
    return [c for c in history["captures"] if c["outcome"] in HOLDING and c["payload_sha256"]]


def moment(capture) -> str:
    from datetime import datetime

    return timestamp(datetime.fromisoformat(capture["captured_at"]))


def test_a_timegate_redirects_to_the_memento_closest_to_accept_datetime(served, changed):
    url, captures = changed["url"], holding(changed)
    first, last = captures[0], captures[-1]
    from datetime import datetime, timedelta

    just_after_first = datetime.fromisoformat(first["captured_at"]) + timedelta(minutes=5)
    answer = get(
        f"{served.replay}/timegate/{url}", headers={"Accept-Datetime": http_date(just_after_first)}
    )
    assert answer.status == 302  # not 307: RFC 7089's pattern 2.2 as archives answer it
    assert answer.headers["Location"] == f"{served.replay}/web/{moment(first)}/{url}"
    assert answer.headers["Vary"] == "accept-datetime"
    assert "Memento-Datetime" not in answer.headers
    links = MementoClient.parse_link_header(answer.headers["Link"])
    assert links[url]["rel"] == ["original"]
    assert "timemap" in links[f"{served.replay}/timemap/link/{url}"]["rel"]
    latest = get(f"{served.replay}/timegate/{url}")  # no Accept-Datetime: the latest
    assert latest.headers["Location"] == f"{served.replay}/web/{moment(last)}/{url}"


def test_independent_clients_recognise_the_timegate_and_the_mementos(served, changed):
    url = changed["url"]
    assert MementoClient.is_timegate(f"{served.replay}/timegate/{url}")
    for capture in holding(changed)[:3]:
        assert MementoClient.is_memento(f"{served.replay}/web/{moment(capture)}/{url}")
    assert not MementoClient.is_memento(f"{served.app}/api/v1/")


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2025-12-03T00:00:00Z",
        "Wed, 33 Dec 2025 15:00:00 GMT",
        "Mon, 01 Jan 1900 99:99:99 GMT",
    ],
)
def test_a_bad_accept_datetime_is_400_with_a_sentence(served, changed, value):
    answer = get(f"{served.replay}/timegate/{changed['url']}", headers={"Accept-Datetime": value})
    assert answer.status == 400
    assert answer.text.startswith("Accept-Datetime: ") and answer.text.endswith(".\n")


@pytest.mark.parametrize("kind", ["timegate", "timemap/link", "timemap/json", "web/20251203000000"])
def test_a_url_never_archived_is_404(served, kind):
    answer = get(f"{served.replay}/{kind}/http://www.chencang.gov.cn/never/archived.html")
    assert answer.status == 404
    assert "is not in the archive" in answer.text


def test_a_memento_is_the_captured_bytes_with_its_datetime_and_links(served, changed):
    url, captures = changed["url"], holding(changed)
    middle = captures[1]
    answer = get(f"{served.replay}/web/{moment(middle)}/{url}")
    assert answer.status == 200
    assert hashlib.sha256(answer.body).hexdigest() == middle["payload_sha256"]
    from datetime import datetime

    assert answer.headers["Memento-Datetime"] == http_date(
        datetime.fromisoformat(middle["captured_at"])
    )
    links = MementoClient.parse_link_header(answer.headers["Link"])
    rels = {uri: set(value["rel"]) for uri, value in links.items()}
    web = f"{served.replay}/web"
    assert rels[url] == {"original"}
    assert rels[f"{served.replay}/timegate/{url}"] == {"timegate"}
    assert rels[f"{served.replay}/timemap/link/{url}"] == {"timemap"}
    assert {"first", "prev", "memento"} <= rels[f"{web}/{moment(captures[0])}/{url}"]
    assert {"next", "memento"} <= rels[f"{web}/{moment(captures[2])}/{url}"]
    assert {"last", "memento"} <= rels[f"{web}/{moment(captures[-1])}/{url}"]


def test_a_near_timestamp_redirects_to_the_closest_capture_as_the_wayback_machine_does(
    served, changed
):
    url, first = changed["url"], holding(changed)[0]
    day = moment(first)[:8]  # the capture's day alone: its first second, not a capture time
    answer = get(f"{served.replay}/web/{day}/{url}")
    assert answer.status == 302
    assert answer.headers["Location"] == f"{served.replay}/web/{moment(first)}/{url}"
    assert "Memento-Datetime" not in answer.headers


@pytest.mark.parametrize("stamp", ["2025x", "123456789012345", "20251399000000", "-1"])
def test_a_malformed_timestamp_is_400(served, changed, stamp):
    answer = get(f"{served.replay}/web/{stamp}/{changed['url']}")
    assert answer.status == 400 and answer.text.endswith(".\n")


def test_the_timemap_lists_every_capture_that_holds_the_page(served, changed):
    url, captures = changed["url"], holding(changed)
    answer = get(f"{served.replay}/timemap/link/{url}")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == LINK_FORMAT  # exactly: memento-cli compares it so
    mementos = [line for line in answer.text.splitlines() if 'rel="memento"' in line]
    assert [line.split(">")[0][1:] for line in mementos] == [
        f"{served.replay}/web/{moment(c)}/{url}" for c in captures
    ]
    assert f'<{url}>; rel="original"' in answer.text
    shaped = json.loads(get(f"{served.replay}/timemap/json/{url}").body)
    assert [m["uri"] for m in shaped["mementos"]["list"]] == [
        f"{served.replay}/web/{moment(c)}/{url}" for c in captures
    ]
    assert shaped["original_uri"] == url


def test_memento_cli_lists_the_mementos_of_a_memento(served, changed):
    url, captures = changed["url"], holding(changed)
    command = Path(sys.executable).with_name("memento")
    listed = subprocess.run(
        [str(command), "list", f"{served.replay}/web/{moment(captures[0])}/{url}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split()[-1] for line in lines] == [
        f"{served.replay}/web/{moment(c)}/{url}" for c in captures
    ]


def test_a_moved_article_answers_at_its_old_url_too(served, web_archive):
    db, _ = web_archive
    moved = [
        e
        for e in as_json("changes", "--since", "2025-11-01", "--until", "2026-01-01", db=db)
        if e["kind"] == "moved"
    ]
    assert moved, "the replica's day 14 moves an article"
    old, new = moved[0]["from"], moved[0]["to"]
    for original in (old, new):
        answer = get(f"{served.replay}/timemap/link/{original}")
        assert answer.status == 200 and 'rel="memento"' in answer.text
