"""Deduplication end to end on the replica: one article at several URLs, canonical URLs for the
list's traps, impossible articles refused, and mirror copies repaired and kept as copies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.cli import FAST, as_json, crawl, export, newsarchive

DAY1 = "2025-12-01T23:00:00+08:00"
NOW = ("-s", f"NEWSARCHIVE_NOW={DAY1}")


@dataclass
class Crawled:
    truth: dict[str, Any]
    run: dict[str, Any]
    records: list[dict[str, Any]]
    db: Path
    mirror_url: str


@pytest.fixture(scope="module")
def crawled(replica_factory, tmp_path_factory) -> Crawled:
    site = replica_factory(mirror=True, duplicates=True, invalid=True)
    db = tmp_path_factory.mktemp("dedup") / "archive.db"
    run = crawl(site.base_url, db, *NOW)
    return Crawled(site.truth(), run, export(db), db, site.mirror_url)


def test_one_article_at_several_urls_is_linked(crawled):
    kinds = {"two_columns": "duplicate", "legacy_url": "duplicate", "re_edited": "near-duplicate"}
    for duplicate in crawled.truth["duplicates"]:
        original, copy = duplicate["urls"]
        found = {c["url"]: c for c in as_json("copies", original, db=crawled.db)}
        assert copy in found, duplicate["kind"]
        assert found[copy]["kind"] == kinds[duplicate["kind"]]
        if duplicate["kind"] == "re_edited":
            assert 0.6 <= found[copy]["similarity"] < 1.0
        else:
            assert found[copy]["similarity"] == 1.0
    assert crawled.run["duplicates_found"] == {"duplicate": 2, "near-duplicate": 1}


def test_every_spelling_of_a_url_is_one_page(crawled):
    urls = {record["url"] for record in crawled.records}
    for url in urls:
        parts = urlsplit(url)
        assert parts.netloc == "www.chencang.gov.cn" and not parts.fragment and not parts.query
        assert "/../" not in parts.path and "/./" not in parts.path
    for trap in crawled.truth["traps"]:
        if trap["where"] == "list":
            assert trap["url"] in urls
    article_urls = {a["url"] for a in crawled.truth["articles"]}
    copies = {d["urls"][1] for d in crawled.truth["duplicates"]}
    invalid = {i["url"] for i in crawled.truth["invalid"]}
    assert urls == (article_urls | copies) - invalid


def test_impossible_articles_are_refused_with_their_reason_and_captured(crawled):
    reasons = {}
    for invalid in crawled.truth["invalid"]:
        history = as_json("history", invalid["url"], db=crawled.db)
        assert history["versions"] == []
        (capture,) = history["captures"]
        assert capture["outcome"] == "rejected"
        assert capture["error"].startswith(invalid["reason"] + ":")
        assert capture["payload_sha256"]
        reasons[invalid["reason"]] = reasons.get(invalid["reason"], 0) + 1
    assert crawled.run["rejected_by_reason"] == reasons
    assert crawled.run["rejected"] == len(crawled.truth["invalid"]) == 3


def chosen_mirrors(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """One copy of each kind of damage: title kept or dropped, with or without mojibake."""
    chosen: dict[tuple[bool, bool], dict[str, Any]] = {}
    for mirror in truth["mirrors"]:
        chosen.setdefault((mirror["title_dropped"], mirror["mojibake"]), mirror)
    assert len(chosen) == 4
    return list(chosen.values())


def test_mirror_copies_are_repaired_and_kept_as_copies(crawled):
    for mirror in chosen_mirrors(crawled.truth):
        done = newsarchive("fetch", mirror["url"], *FAST, *NOW, "--json", db=crawled.db)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["outcome"] == "mirror-copy"
        (copy,) = [
            c
            for c in as_json("copies", mirror["original_url"], db=crawled.db)
            if c["kind"] == "mirror"
        ]
        assert copy["url"] == mirror["url"]
        assert copy["repairs"]["pinyin_annotations_removed"] == mirror["annotations"]
        original = mirror["original_body"]
        if mirror["mojibake"]:
            assert copy["repairs"]["mojibake_runs_repaired"] == 1
            assert len(copy["text"]) == len(original) - 1  # the character at the broken byte
        else:
            assert copy["text"] == original
        assert copy["similarity"] > 0.9
        history = as_json("history", mirror["original_url"], db=crawled.db)
        assert [v["version"] for v in history["versions"]] == [1]
        assert history["captures"][-1]["outcome"] == "mirror-copy"
        assert history["state"] == "live" and history["events"] == []


def test_a_copy_of_an_article_that_is_not_archived_is_not_kept_as_a_copy(crawled):
    # No archived article has this path: the mirror's page is a page of its own host, read
    # generically; the mirror answers 404, so nothing is archived.
    done = newsarchive(
        "fetch", crawled.mirror_url + "/col8173/col8174/202001/t20200101_1.html", db=crawled.db
    )
    assert done.returncode == 65
    assert "is not an article (HTTP 404). Nothing was archived." in done.stderr
