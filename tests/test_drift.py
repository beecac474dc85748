"""Drift: when a profile's rules miss on too many of a run's article pages, the run says so in
one sentence, is degraded and exits 3; a few odd pages are not an alarm."""

from __future__ import annotations

import json

import pytest

from crawler.run.drift import DriftPolicy
from crawler.run.exits import EXIT_DEGRADED, EXIT_ERRORS, EXIT_INTERRUPTED, EXIT_OK
from crawler.run.summary import STATS, RunSummary
from tests.cli import FAST, as_json, newsarchive
from tests.replica.process import ReplicaProcess


def test_a_rule_that_misses_on_most_pages_is_drift_in_one_sentence():
    sentence = DriftPolicy().sentence("chencang", 37, {"body": 37, "title": 0})
    assert sentence == (
        "the body rule of profile chencang matched 0 of 37 article pages: "
        "the site's markup may have changed"
    )


def test_both_rules_are_named_when_both_miss():
    sentence = DriftPolicy().sentence("weibin", 20, {"body": 20, "title": 8})
    assert sentence is not None
    assert "the body rule of profile weibin matched 0 of 20" in sentence
    assert "the title rule of profile weibin matched 12 of 20" in sentence


def test_the_threshold_is_a_share_and_a_floor():
    policy = DriftPolicy(share=0.10, minimum_pages=5)
    assert policy.sentence("chencang", 100, {"body": 10}) is None  # 10% is not more than 10%
    assert policy.sentence("chencang", 100, {"body": 11}) is not None
    assert policy.sentence("chencang", 4, {"body": 4}) is None  # fewer than 5 pages missed
    assert policy.sentence("chencang", 5, {"body": 5}) is not None
    assert policy.sentence("chencang", 0, {}) is None


def summary(**stats: object) -> RunSummary:
    return RunSummary.from_stats({f"{STATS}/{k}": v for k, v in stats.items()}, "finished")


def test_a_drifted_run_is_degraded_exits_3_and_its_line_says_why():
    drifted = summary(drift="the body rule of profile chencang matched 0 of 9 article pages")
    assert (drifted.status, drifted.exit_code) == ("degraded", EXIT_DEGRADED)
    assert drifted.line().endswith(
        "; degraded: the body rule of profile chencang matched 0 of 9 article pages"
    )
    assert drifted.counts()["drift"].startswith("the body rule")
    calm = summary()
    assert (calm.status, calm.exit_code, calm.counts()["drift"]) == ("finished", EXIT_OK, None)


def test_drift_outranks_page_errors_and_yields_to_an_interruption():
    with_errors = summary(drift="x", **{"outcome/error": 2})
    assert with_errors.exit_code == EXIT_DEGRADED and with_errors.errors == 2
    assert summary(**{"outcome/error": 2}).exit_code == EXIT_ERRORS
    stopped = RunSummary.from_stats({f"{STATS}/drift": "x"}, "shutdown")
    assert (stopped.status, stopped.exit_code) == ("interrupted", EXIT_INTERRUPTED)


# --- end to end: the replica re-platformed under the crawler


@pytest.fixture(scope="module")
def replatformed(tmp_path_factory):
    """A first crawl of the replica serving its article pages in a new CMS's template."""
    with ReplicaProcess(article_template="replatformed") as site:
        db = tmp_path_factory.mktemp("drift") / "archive.db"
        done = newsarchive("crawl", "--base-url", site.base_url, *FAST, "--json", db=db)
        yield site.truth(), db, done


def test_a_crawl_of_a_redesigned_site_is_degraded_and_says_which_rule_drifted(replatformed):
    truth, db, done = replatformed
    assert done.returncode == EXIT_DEGRADED, done.stderr
    summary = json.loads(done.stdout)
    read = summary["extraction"]["read"]
    assert read == len(truth["articles"]) and summary["extraction"]["fallback"] == read
    assert summary["rules_missed"]["body"] == read
    assert summary["drift"] == (
        f"the body rule of profile chencang matched 0 of {read} article pages: "
        "the site's markup may have changed"
    )
    (run,) = as_json("runs", db=db)
    assert (run["status"], run["exit_code"], run["counts"]["drift"]) == (
        "degraded",
        EXIT_DEGRADED,
        summary["drift"],
    )
    (event,) = [e for e in as_json("changes", db=db) if e["kind"] == "drift"]
    assert event["title"] == summary["drift"] and event["run"] == run["id"]


def test_the_fallback_reads_the_redesigned_pages_and_their_versions_say_so(replatformed):
    truth, db, _ = replatformed
    for article in [a for a in truth["articles"] if a["template"] == "news"][:5]:
        record = as_json("show", article["url"], db=db)
        assert (record["title"], record["body"]) == (article["title"], article["body"])
        assert record["published_at"] == article["published_at"]
        assert "body" in record["fallback"] and record["provenance"]["body"] == "generic:density"
        history = newsarchive("history", article["url"], db=db).stdout
        assert "read by the generic fallback: " in history


def test_a_quiet_crawl_prints_the_drift_for_cron(tmp_path):
    with ReplicaProcess(article_template="replatformed") as site:
        fresh = tmp_path / "quiet.db"
        done = newsarchive("crawl", "--base-url", site.base_url, *FAST, "--quiet", db=fresh)
    assert done.returncode == EXIT_DEGRADED
    drift = as_json("runs", db=fresh)[0]["counts"]["drift"]
    assert done.stdout.strip().endswith(f"; degraded: {drift}")
