"""newsarchive import: a newsarchive export imports whole (pages, captures, payloads, versions,
lifecycle events as they were), another tool's WARC of the site imports through the crawl's own
path, and what cannot be read is one sentence each while the rest is imported."""

from __future__ import annotations

import gzip
import hashlib
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from tests.captures import captures
from tests.cli import as_json, newsarchive

CAPTURED = (
    "url",
    "captured_at",
    "requested_url",
    "final_url",
    "status",
    "outcome",
    "payload_sha256",
    "error",
    "headers",
    "media_type",
)
# What must come back exactly from an export, table by table (ids aside: they are the archive's).
SAME = {
    "pages": "SELECT url, current_url, kind, doc_id, state, is_listed FROM page",
    # As the models read them: a capture's stored forms name other captures by id.
    "captures": lambda db: [tuple(c[name] for name in CAPTURED) for c in captures(db)],
    "blobs": "SELECT sha256, size FROM blob",
    "versions": (
        "SELECT p.url, v.number, v.content_sha256, v.record_sha256, v.classes, v.created_at"
        " FROM version v JOIN page p ON p.id = v.page_id"
    ),
    "events": (
        "SELECT p.url, e.kind, e.at, e.detail FROM page_event e JOIN page p ON p.id = e.page_id"
    ),
    "files": (
        "SELECT p.url, c.captured_at, v.number, rp.url FROM capture c"
        " JOIN page p ON p.id = c.page_id LEFT JOIN version v ON v.id = c.referrer_version_id"
        " LEFT JOIN page rp ON rp.id = v.page_id WHERE p.kind = 'file'"
    ),
}


def rows(db: Path, query: str | Callable[[Path], list[tuple]]) -> list[tuple]:
    if callable(query):
        return sorted(query(db), key=repr)
    with closing(sqlite3.connect(db)) as connection:
        return sorted(connection.execute(query).fetchall(), key=repr)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def exported(web_archive, tmp_path_factory) -> dict[str, Path]:
    db, _ = web_archive
    folder = tmp_path_factory.mktemp("exported")
    files = {}
    for kind, name in (("warc", "all.warc.gz"), ("wacz", "all.wacz")):
        files[kind] = folder / name
        done = newsarchive("export", "--format", kind, "--output", str(files[kind]), db=db)
        assert done.returncode == 0, done.stderr
    return files


@pytest.mark.parametrize("kind", ["warc", "wacz"])
def test_an_export_imports_into_an_empty_archive_as_it_was(web_archive, exported, tmp_path, kind):
    db, _ = web_archive
    copy = tmp_path / "imported.db"
    done = newsarchive("import", str(exported[kind]), "--json", db=copy)
    assert done.returncode == 0, done.stderr
    for name, query in SAME.items():
        assert rows(copy, query) == rows(db, query), name
    assert rows(db, SAME["events"]), "the fixture's history has lifecycle events"
    assert {r[1] for r in rows(db, SAME["events"])} >= {"gone", "moved", "unlisted", "reappeared"}
    verified = newsarchive("verify", db=copy)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_importing_the_same_file_again_changes_nothing(exported, tmp_path):
    db = tmp_path / "twice.db"
    first = as_json("import", str(exported["warc"]), db=db)
    held = {name: rows(db, query) for name, query in SAME.items()}
    again = as_json("import", str(exported["warc"]), db=db)
    assert (again["captures"], again["events"], again["refused"]) == (0, 0, {})
    assert again["skipped"] == {"already in the archive": first["captures"] + first["events"]}
    assert {name: rows(db, query) for name, query in SAME.items()} == held


def test_a_capture_older_than_a_pages_history_is_refused_for_that_page(exported, tmp_path):
    db = tmp_path / "older.db"
    cut = tmp_path / "last-days.warc.gz"
    first = newsarchive("export", "--format", "warc", "--output", str(cut), db=db)
    assert first.returncode != 0  # no archive yet: build one from the last days only
    whole = tmp_path / "whole.db"
    as_json("import", str(exported["warc"]), db=whole)
    late = newsarchive(
        "export", "--format", "warc", "--since", "2025-12-10", "--output", str(cut), db=whole
    )
    assert late.returncode == 0, late.stderr
    as_json("import", str(cut), db=db)
    done = newsarchive("import", str(exported["warc"]), "--json", db=db)
    assert done.returncode == 1
    shape = as_json_text(done.stdout)
    older = shape["refused"]["older than the page's history in the archive"]
    assert older > 0 and shape["captures"] > 0  # pages first seen after the 10th came in whole


def as_json_text(text: str) -> dict:
    import json

    return json.loads(text)


def test_a_dry_run_reads_everything_and_writes_nothing(exported, tmp_path):
    db = tmp_path / "dry.db"
    done = newsarchive("import", str(exported["warc"]), "--dry-run", db=db)
    assert done.returncode == 2 or not db.exists() or done.returncode == 0
    assert not db.exists()
    existing = tmp_path / "existing.db"
    as_json("import", str(exported["warc"]), db=existing)
    before = digest(existing)
    again = newsarchive("import", str(exported["warc"]), "--dry-run", db=existing)
    assert digest(existing) == before
    assert "would record 0 captures" in again.stdout


def replica_warc(site, path: Path, paths: list[str]) -> None:
    """The pages at `paths` as GNU Wget captures them off the live replica (`--warc-file`):
    another tool's WARC, with the replica's host, wget's records and digests."""
    assert path.name.endswith(".warc.gz")
    stem = str(path)[: -len(".warc.gz")]
    command = ["wget", "--quiet", f"--warc-file={stem}", "--output-document=/dev/null"]
    done = subprocess.run(
        [*command, *(site.url(p) for p in paths)], capture_output=True, timeout=120
    )
    assert done.returncode == 0 and path.exists(), done.stderr


def test_another_tools_warc_of_the_site_imports_through_the_crawls_path(replica, tmp_path):
    truth = replica.truth()
    articles = [a for a in truth["articles"] if a["template"] == "news"][:3]
    image = next(url for a in truth["articles"] for url in a["images"])
    paths = ["/col8173/col8174/"] + [
        a["url"].removeprefix("http://www.chencang.gov.cn") for a in articles
    ]
    paths.append(image.removeprefix("http://www.chencang.gov.cn"))
    warc = tmp_path / "other.warc.gz"
    replica_warc(replica, warc, paths)
    db = tmp_path / "other.db"
    skipped = as_json("import", str(warc), db=db)
    assert skipped["captures"] == 0
    assert skipped["skipped"] == {"on a host of no site profile": len(paths)}
    done = as_json("import", str(warc), "--site", "chencang", db=db)
    assert done["recorded"] == {"listing": 1, "new": 4}
    for article in articles:
        record = as_json("show", article["url"], db=db)
        assert (record["title"], record["body"]) == (article["title"], article["body"])
    assert newsarchive("verify", db=db).returncode == 0


@pytest.mark.parametrize("compressed", [True, False], ids=["warc.gz", "warc"])
def test_a_file_cut_short_imports_what_it_holds_and_says_where_it_ends(
    web_archive, exported, tmp_path, compressed
):
    whole = (
        exported["warc"].read_bytes()
        if compressed
        else gzip.decompress(exported["warc"].read_bytes())
    )
    cut = tmp_path / ("cut.warc.gz" if compressed else "cut.warc")
    cut.write_bytes(whole[: len(whole) // 2])
    db = tmp_path / "cut.db"
    done = newsarchive("import", str(cut), "--json", db=db)
    assert done.returncode == 1
    (sentence,) = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert sentence.startswith(f"Error: {cut.name} is cut short after its record ")
    assert as_json_text(done.stdout)["captures"] > 10
    assert newsarchive("verify", db=db).returncode == 0
    # What the cut file held is the same as the whole file's: the rest comes in after it.
    rest = newsarchive("import", str(exported["warc"]), "--json", db=db)
    assert rest.returncode == 0, rest.stderr
    original, _ = web_archive
    for name, query in SAME.items():
        assert rows(db, query) == rows(original, query), name


def test_a_file_that_is_no_warc_is_refused_and_nothing_is_written(tmp_path):
    text = tmp_path / "notes.warc.gz"
    text.write_text("these are my notes, not a WARC\n", encoding="utf-8")
    db = tmp_path / "none.db"
    done = newsarchive("import", str(text), db=db)
    assert done.returncode == 65
    assert done.stderr.startswith("Error: notes.warc.gz is not a WARC file")
    assert not db.exists() or rows(db, "SELECT count(*) FROM capture") == [(0,)]


def test_a_record_whose_digest_does_not_match_is_skipped_and_the_rest_imported(replica, tmp_path):
    truth = replica.truth()
    articles = [a for a in truth["articles"] if a["template"] == "news"][:2]
    paths = [a["url"].removeprefix("http://www.chencang.gov.cn") for a in articles]
    clean = tmp_path / "clean.warc.gz"
    replica_warc(replica, clean, paths)
    tampered = tmp_path / "tampered.warc"
    tamper_first_response(clean, tampered)
    db = tmp_path / "tampered.db"
    done = newsarchive("import", str(tampered), "--site", "chencang", "--json", db=db)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "does not match its digest: skipped." in errors[0]
    assert as_json_text(done.stdout)["recorded"] == {"new": 1}
    assert newsarchive("verify", db=db).returncode == 0


def tamper_first_response(source: Path, target: Path) -> None:
    """The WARC uncompressed, one character of the first response's payload changed for another
    of the same length, every length and digest left as it was."""
    data = gzip.decompress(source.read_bytes())
    response = data.index(b"WARC-Type: response")
    at = data.index("的".encode(), response)
    target.write_bytes(data[:at] + "地".encode() + data[at + 3 :])
