"""The command line: exit codes, one-sentence errors that leave the archive as it was, --json shapes."""

from __future__ import annotations

import csv
import hashlib
import json
import socket

import pytest

from tests.cli import FAST, as_json, newsarchive

RECORD_KEYS = [
    "url",
    "title",
    "published_at",
    "published_precision",
    "source",
    "editor",
    "author",
    "column",
    "body",
    "body_html",
    "images",
    "attachments",
    "links",
    "doc_id",
    "version",
    "captured_at",
    "changed_fields",
    "state",
    "listed",
    "fallback",
    "provenance",
    "files",
]
COMMANDS = [
    "crawl",
    "fetch",
    "recheck",
    "history",
    "show",
    "diff",
    "changes",
    "copies",
    "search",
    "get",
    "serve",
    "export",
    "import",
    "extract",
    "reparse",
    "verify",
    "runs",
    "sites",
    "db upgrade",
    "worker",
]


@pytest.fixture(scope="module")
def archived(day1_archive):
    """An archive holding the default replica's day-1 crawl; tests must not write into it."""
    return day1_archive


@pytest.fixture(scope="module")
def article(replica):
    return next(a for a in replica.truth()["articles"] if a["template"] == "news" and a["images"])


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_sentence(text: str) -> bool:
    lines = [line for line in text.strip().splitlines() if line]
    return len(lines) == 1 and lines[0].startswith("Error: ") and lines[0].endswith(".")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    done = newsarchive(*command.split(), "--help")
    assert done.returncode == 0
    assert "newsarchive " + command.split()[-1] in done.stdout.replace("db upgrade", "upgrade")


def test_show_json_is_the_documented_record(archived, article):
    record = as_json("show", article["url"], db=archived)
    assert list(record) == RECORD_KEYS
    assert record["published_at"] == article["published_at"]
    assert record["published_at"].endswith("+08:00")
    assert record["published_precision"] == "minute"  # the platform's PubDate: 2025-11-22 08:05
    assert record["version"] == 1 and record["changed_fields"] == []
    assert record["images"] == article["images"]
    # The platform's own rules read every field: nothing came from the generic fallback.
    assert record["fallback"] == []
    assert record["provenance"]["body"].startswith("css:#Zoom")
    assert record["provenance"]["published_at"] == "meta:PubDate"


def test_show_at_a_time_before_the_first_capture_says_so(archived, article):
    done = newsarchive("show", article["url"], "--at", "2001-01-01", db=archived)
    assert done.returncode == 1
    assert one_sentence(done.stderr) and "had not been archived yet" in done.stderr


def test_show_accepts_any_spelling_of_the_url(archived, article):
    spelled = article["url"].replace("http://www.", "HTTPS://WWW.") + "#top"
    assert as_json("show", spelled, db=archived)["url"] == article["url"]


def test_history_json_lists_versions_and_captures(archived, article):
    history = as_json("history", article["url"], db=archived)
    assert [v["version"] for v in history["versions"]] == [1]
    (capture,) = history["captures"]
    assert capture["status"] == 200 and capture["outcome"] == "new"
    assert capture["requested_url"].startswith("http://127.0.0.1:")
    assert len(capture["payload_sha256"]) == 64


def test_diff_of_a_single_version_says_there_is_nothing_to_compare(archived, article):
    done = newsarchive("diff", article["url"], db=archived)
    assert done.returncode == 1 and one_sentence(done.stderr)


def test_export_csv_has_one_row_per_article(archived, replica, tmp_path):
    out = tmp_path / "export.csv"
    done = newsarchive("export", "--format", "csv", "--output", out, db=archived)
    assert done.returncode == 0
    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames == [key for key in RECORD_KEYS if key != "files"]
    assert sorted(row["url"] for row in rows) == sorted(
        a["url"] for a in replica.truth()["articles"]
    )
    assert all(json.loads(row["images"]) is not None for row in rows)
    assert "\n" in rows[0]["body"]


def test_runs_json(archived, replica):
    (run,) = as_json("runs", db=archived)
    assert (run["command"], run["status"], run["exit_code"]) == ("crawl", "finished", 0)
    articles = replica.truth()["articles"]
    files = {url for a in articles for url in a["images"]}
    files |= {link["url"] for a in articles for link in a["attachments"]}
    assert run["counts"]["files"] == {"new": len(files)}
    # 3 list pages, every article and every file it names, once (robots.txt aside)
    assert run["counts"]["requested"] == 3 + run["counts"]["new"] + len(files)


def test_sites_lists_the_profiles():
    names = [site["name"] for site in json.loads(newsarchive("sites", "--json").stdout)]
    assert "chencang" in names and "baoji-platform" not in names


def test_fetch_one_article_then_again(replica, article, tmp_path):
    db = tmp_path / "fetch.db"
    first = newsarchive(
        "fetch", article["url"], "--base-url", replica.base_url, *FAST, "--json", db=db
    )
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {
        "url": article["url"],
        "outcome": "new",
        "version": 1,
        "changed_fields": [],
    }
    again = newsarchive("fetch", article["url"], "--base-url", replica.base_url, *FAST, db=db)
    assert again.returncode == 0
    assert again.stdout.strip() == f"unchanged: {article['url']} is at version 1"
    (run, _) = as_json("runs", db=db)
    assert run["command"] == "fetch"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["history", "http://www.chencang.gov.cn/col8173/col8174/202001/t20200101_1.html"],
            "is not in the archive",
        ),
        (
            ["show", "http://www.chencang.gov.cn/nothing.html", "--version", "1"],
            "is not in the archive",
        ),
    ],
)
def test_a_url_that_is_not_archived_exits_1_and_changes_nothing(archived, args, message):
    before = digest(archived)
    done = newsarchive(*args, db=archived)
    assert done.returncode == 1
    assert one_sentence(done.stderr) and message in done.stderr
    assert digest(archived) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "atlantis"], "no site profile named 'atlantis'"),
        (["fetch", "not a url"], "is not an http(s) URL"),
        (
            ["fetch", "ftp://www.chencang.gov.cn/a.html", "--site", "chencang"],
            "is not an http(s) URL",
        ),
        (["fetch", "http://www.baoji.gov.cn/a.html", "--site", "chencang"], "is not on chencang"),
        (["crawl", "--base-url", "localhost:8000"], "is not an http(s) origin"),
        (["crawl", "-s", "DOWNLOAD_DELAY"], "is not NAME=VALUE"),
        (["show", "http://www.chencang.gov.cn/a.html", "--at", "yesterday"], "is not an ISO 8601"),
    ],
)
def test_usage_errors_exit_2_with_one_sentence_and_leave_the_archive_alone(archived, args, message):
    before = digest(archived)
    done = newsarchive(*args, db=archived)
    assert done.returncode == 2, done.stderr
    assert one_sentence(done.stderr) and message in done.stderr
    assert digest(archived) == before


def test_a_file_that_is_not_a_database_is_refused_and_untouched(tmp_path):
    notes = tmp_path / "notes.db"
    notes.write_text("not a database\n" * 100)
    before = digest(notes)
    for args in (
        ["history", "http://www.chencang.gov.cn/a.html"],
        ["crawl", "--base-url", "http://127.0.0.1:9"],
    ):
        done = newsarchive(*args, db=notes)
        assert done.returncode == 2 and one_sentence(done.stderr)
        assert "is not a database newsarchive can open" in done.stderr
    assert digest(notes) == before


def test_queries_never_create_an_archive(tmp_path):
    missing = tmp_path / "missing.db"
    done = newsarchive("history", "http://www.chencang.gov.cn/a.html", db=missing)
    assert done.returncode == 2 and "There is no archive at" in done.stderr
    assert not missing.exists()


def test_an_archive_path_that_cannot_be_created_is_refused(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where a folder should be")
    done = newsarchive("crawl", "--base-url", "http://127.0.0.1:9", db=blocker / "archive.db")
    assert done.returncode == 2 and one_sentence(done.stderr)
    assert "Cannot create the folder" in done.stderr
    assert blocker.read_text() == "a file where a folder should be"


def test_a_crawl_of_an_unreachable_site_exits_69_and_says_so_in_one_sentence(tmp_path):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    db = tmp_path / "a.db"
    quick = ("-s", "RETRY_BACKOFF_BASE=0.05")  # retried as usual, without the waits
    done = newsarchive(
        "crawl", "--base-url", f"http://127.0.0.1:{port}", *FAST, *quick, "--json", db=db
    )
    assert done.returncode == 69
    assert done.stderr.strip() == f"Error: cannot reach 127.0.0.1:{port}: connection refused."
    summary = json.loads(done.stdout)
    assert summary["unreachable"] == f"cannot reach 127.0.0.1:{port}: connection refused"
    (run,) = as_json("runs", db=db)
    assert (run["status"], run["exit_code"]) == ("failed", 69)


def test_status_shows_the_archive_at_a_glance(archived, replica):
    articles = len(replica.truth()["articles"])
    status = as_json("status", db=archived)
    (site,) = status["sites"]
    assert (site["name"], site["articles"], site["by_state"]) == (
        "chencang",
        articles,
        {"live": articles},
    )
    assert site["versions"] == articles and site["captures"] > articles
    assert (site["last_run"]["status"], site["last_run"]["exit_code"]) == ("finished", 0)
    assert site["rechecks_due"]["count"] >= 0
    assert status["blobs"] > articles and status["stored_bytes"] < status["blob_bytes"]
    text = newsarchive("status", db=archived).stdout
    assert f"articles: {articles} ({articles} live; 0 unlisted)" in text


def test_history_text_shows_each_capture_with_its_payload_sha256(archived, article):
    history = as_json("history", article["url"], db=archived)
    text = newsarchive("history", article["url"], db=archived).stdout
    assert history["captures"][0]["payload_sha256"] in text
    assert as_json("show", article["url"], db=archived)["title"] in text.splitlines()[1]


def test_export_takes_a_window_carries_the_state_and_writes_csv_for_spreadsheets(
    archived, tmp_path
):
    records = [json.loads(line) for line in newsarchive("export", db=archived).stdout.splitlines()]
    assert {(r["state"], r["listed"]) for r in records} == {("live", True)}
    times = sorted(r["captured_at"] for r in records)
    middle = times[len(times) // 2]
    later = newsarchive("export", "--since", middle, db=archived).stdout.splitlines()
    expected = {r["url"] for r in records if r["captured_at"] >= middle}
    assert {json.loads(line)["url"] for line in later} == expected and 0 < len(expected) < len(
        times
    )
    before = newsarchive("export", "--until", times[0], db=archived)
    assert (before.returncode, before.stdout) == (0, "")  # nothing before the first capture
    out = tmp_path / "excel.csv"
    done = newsarchive("export", "--format", "csv", "--excel", "-o", out, db=archived)
    assert done.returncode == 0
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode()) and raw.count("\ufeff".encode()) == 1
    assert "版" in raw.decode("utf-8-sig") or "区" in raw.decode("utf-8-sig")
