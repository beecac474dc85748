"""`newsarchive extract` (a page's record, with provenance, no archive) and `fetch` of a page on
a host no profile covers (read by the generic reader, archived as that host's page)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import FAST, as_json, newsarchive
from tests.replica.process import ReplicaProcess

GOLDEN = Path(__file__).with_name("golden") / "news-images"


def golden() -> tuple[Path, str, dict]:
    meta = json.loads((GOLDEN / "meta.json").read_text(encoding="utf-8"))
    expected = json.loads((GOLDEN / "expected.json").read_text(encoding="utf-8"))
    return GOLDEN / "page.html", meta["url"], expected


def extract(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "newsarchive", "extract", *args]
    return subprocess.run(command, input=stdin, capture_output=True, timeout=120)


def test_a_saved_page_reads_as_the_archive_would_keep_it(tmp_path):
    page, url, expected = golden()
    done = extract(str(page), "--url", url, "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    for name in ("title", "published_at", "source", "column", "body", "images"):
        assert record[name] == expected["record"][name], name
    assert (record["profile"], record["fallback"]) == ("chencang", [])
    assert record["provenance"]["title"] == expected["provenance"]["title"]


def test_the_generic_reader_alone_reads_the_same_page_and_says_so():
    page, url, expected = golden()
    done = extract("-", "--url", url, "--generic", "--json", stdin=page.read_bytes())
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["profile"] == "generic-http-www.chencang.gov.cn"
    assert set(record["fallback"]) == {"title", "published_at", "source", "column", "body"}
    assert record["title"] == expected["record"]["title"]
    assert record["provenance"]["body"] == "generic:density"
    text = extract("-", "--url", url, "--generic", stdin=page.read_bytes()).stdout.decode()
    assert "read by the generic fallback: " in text and expected["record"]["title"] in text


@pytest.fixture(scope="module")
def redesigned():
    with ReplicaProcess(article_template="replatformed") as site:
        yield site


def test_a_live_page_of_a_redesigned_site_reads_through_the_fallback(redesigned):
    article = next(a for a in redesigned.truth()["articles"] if a["template"] == "news")
    live = redesigned.url(article["url"].removeprefix("http://www.chencang.gov.cn"))
    done = extract(live, "--site", "chencang", "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert (record["title"], record["body"]) == (article["title"], article["body"])
    assert record["published_at"] == article["published_at"]
    assert "body" in record["fallback"] and "title" not in record["fallback"]


@pytest.mark.parametrize(
    ("make", "code", "sentence"),
    [
        (lambda p: p.write_bytes(b""), 65, "is empty: there is no page to read."),
        (
            lambda p: p.write_bytes(Path(sys.executable).read_bytes()[:4096]),
            65,
            "is not an HTML page",
        ),
        (
            lambda p: p.write_text("<html><body><ul><li><a href=a>一</a></li></ul></body></html>"),
            65,
            "holds no article: no title was found.",
        ),
    ],
    ids=["empty", "binary", "no article"],
)
def test_input_that_holds_no_page_is_one_sentence_and_exit_65(tmp_path, make, code, sentence):
    page = tmp_path / "page.html"
    make(page)
    done = extract(str(page))
    assert done.returncode == code
    (line,) = done.stderr.decode().strip().splitlines()
    assert line.startswith("Error: ") and sentence in line


def test_usage_and_network_errors_are_one_sentence(tmp_path, closed_port):
    cases = [
        (("nothing-here.html",), 2, "is neither a file nor an http(s) URL."),
        (("x.html", "--site", "chencang", "--generic"), 2, "Give --site or --generic, not both."),
        ((f"http://127.0.0.1:{closed_port}/a.html",), 69, "Cannot reach"),
    ]
    for args, code, sentence in cases:
        done = extract(*args)
        assert done.returncode == code, args
        (line,) = done.stderr.decode().strip().splitlines()
        assert sentence in line and "Traceback" not in done.stderr.decode()


def test_extract_touches_no_archive(tmp_path, monkeypatch):
    page, url, _ = golden()
    db = tmp_path / "never.db"
    monkeypatch.setenv("NEWSARCHIVE_DB", str(db))
    assert extract(str(page), "--url", url).returncode == 0
    assert not db.exists()


def test_a_page_on_a_host_no_profile_covers_is_archived_as_that_hosts(redesigned, tmp_path):
    article = next(a for a in redesigned.truth()["articles"] if a["template"] == "news")
    live = redesigned.url(article["url"].removeprefix("http://www.chencang.gov.cn"))
    db = tmp_path / "generic.db"
    done = newsarchive("fetch", live, *FAST, "--json", db=db)
    assert done.returncode == 0, done.stderr
    record = as_json("show", live, db=db)
    assert (record["title"], record["body"]) == (article["title"], article["body"])
    assert "body" in record["fallback"]
    host = live.split("/")[2]
    (run,) = as_json("runs", db=db)
    assert run["site"] == f"generic-http-{host}"
