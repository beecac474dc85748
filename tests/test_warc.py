"""WARC 1.1, CDXJ and WACZ exports of fourteen crawled days, checked by the tools archivists use:
`warcio check` verifies every digest, cdxj-indexer's index of the WARC is the exported CDXJ,
`wacz validate` accepts the package; and the records themselves, read back with warcio, against
the archive: a response per answered capture with the archive's SHA-256, 304s and repeated
payloads as revisits of what they confirm, metadata records for versions and events, the same
bytes from the same archive, and daily exports with a state file holding each capture once."""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
import sys
import zipfile
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.cli import DAILY, as_json, crawl, export, newsarchive

BIN = Path(sys.executable).parent
IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


def tool(name: str, *arguments: str | Path) -> subprocess.CompletedProcess[str]:
    """A command the validators' packages install beside this Python."""
    command = [str(BIN / name), *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def export_to(db: Path, fmt: str, output: Path, *extra: str) -> str:
    done = newsarchive("export", "--format", fmt, "--output", output, *extra, db=db)
    assert done.returncode == 0, done.stderr
    return done.stderr


@dataclass(frozen=True)
class Record:
    """A record as warcio reads it back: its WARC fields, HTTP head and content."""

    type: str
    fields: dict[str, str]
    statusline: str | None
    http: list[tuple[str, str]]
    content: bytes

    @property
    def status(self) -> str | None:
        return self.statusline.split(" ", 1)[0] if self.statusline else None

    @property
    def id(self) -> str:
        return self.fields["WARC-Record-ID"]

    def json(self) -> dict:
        return json.loads(self.content)


def read_warc(path: Path) -> list[Record]:
    found = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            http = record.http_headers
            found.append(
                Record(
                    record.rec_type,
                    dict(record.rec_headers.headers),
                    _first_line(record.rec_type, http),
                    list(http.headers) if http else [],
                    record.raw_stream.read(),
                )
            )
    return found


def _first_line(kind: str, http) -> str | None:
    """A response's status line without its protocol (`200 OK`); a request's whole line."""
    if http is None:
        return None
    return f"{http.protocol} {http.statusline}" if kind == "request" else http.statusline


def rows(db: Path, query: str) -> list[tuple]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        return connection.execute(query).fetchall()


@pytest.fixture(scope="module")
def exported(web_archive, tmp_path_factory) -> Path:
    """The fourteen days as chencang.warc.gz, chencang.cdxj and chencang.wacz."""
    folder = tmp_path_factory.mktemp("exports")
    for fmt, name in (("warc", "chencang.warc.gz"), ("cdxj", "chencang.cdxj")):
        export_to(web_archive[0], fmt, folder / name)
    export_to(web_archive[0], "wacz", folder / "chencang.wacz")
    return folder


@pytest.fixture(scope="module")
def records(exported) -> list[Record]:
    return read_warc(exported / "chencang.warc.gz")


def by_type(records: list[Record], kind: str) -> list[Record]:
    return [record for record in records if record.type == kind]


def metadata(records: list[Record], kind: str) -> list[dict]:
    return [r.json() for r in by_type(records, "metadata") if r.json()["type"] == kind]


def test_warcio_check_verifies_every_digest(exported, records):
    done = tool("warcio", "check", "-v", exported / "chencang.warc.gz")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "failed" not in done.stdout
    verdicts = Counter(line.strip() for line in done.stdout.splitlines()[1:] if "digest" in line)
    revisits = len(by_type(records, "revisit"))
    assert verdicts == {
        "digest pass": len(records) - revisits,
        "digest present but not checked (revisit)": revisits,
    }


def test_each_response_carries_the_archives_sha256_of_its_payload(records, web_archive):
    stored = dict(rows(web_archive[0], "SELECT id, payload_sha256 FROM capture"))
    captures = {c["capture"]: c for c in metadata(records, "capture")}
    answers = {r.id: r for r in records if r.type in ("response", "revisit")}
    responses = by_type(records, "response")
    assert responses
    for response in responses:
        digest = response.fields["WARC-Payload-Digest"]
        assert digest.startswith("sha256:") and len(digest) == 7 + 64
    checked = 0
    for capture in captures.values():
        if capture["status"] is None or capture["status"] == 304:
            continue
        answer = answers[_answer_of(records, capture["capture"])]
        assert answer.fields["WARC-Payload-Digest"] == "sha256:" + stored[capture["capture"]]
        checked += 1
    assert checked == len(responses) + len(
        [r for r in by_type(records, "revisit") if r.fields["WARC-Profile"] == IDENTICAL]
    )


def _answer_of(records: list[Record], capture_id: int) -> str:
    """The response or revisit a capture's metadata record is concurrent to."""
    for record in by_type(records, "metadata"):
        shape = record.json()
        if shape["type"] == "capture" and shape["capture"] == capture_id:
            return record.fields["WARC-Concurrent-To"]
    raise AssertionError(f"no metadata record for capture {capture_id}")


def test_cdxj_indexer_indexes_the_exported_warc_exactly_as_exported(exported):
    done = tool("cdxj-indexer", "--sort", exported / "chencang.warc.gz")
    assert done.returncode == 0, done.stderr
    ours = (exported / "chencang.cdxj").read_text(encoding="utf-8")
    assert done.stdout == ours
    lines = ours.splitlines()
    assert lines == sorted(lines, key=lambda line: line.encode("utf-8"))
    first = json.loads(lines[0].split(" ", 2)[2])
    assert list(first)[:2] == ["url", "mime"] and first["filename"] == "chencang.warc.gz"


def test_wacz_validate_accepts_the_package(exported):
    done = tool("wacz", "validate", "-f", exported / "chencang.wacz")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation succeeded" in done.stdout
    with zipfile.ZipFile(exported / "chencang.wacz") as package:
        methods = {info.filename: info.compress_type for info in package.infolist()}
        package_json = json.loads(package.read("datapackage.json"))
    assert methods["archive/data.warc.gz"] == zipfile.ZIP_STORED
    assert methods["indexes/index.cdx.gz"] == zipfile.ZIP_STORED
    assert package_json["wacz_version"] == "1.1.1"
    assert {r["path"] for r in package_json["resources"]} == {
        "archive/data.warc.gz",
        "indexes/index.cdx.gz",
        "indexes/index.idx",
        "pages/pages.jsonl",
    }


def test_the_wacz_holds_the_same_warc_and_index_and_lists_every_article(exported, web_archive):
    with zipfile.ZipFile(exported / "chencang.wacz") as package:
        warc = package.read("archive/data.warc.gz")
        index = gzip.decompress(package.read("indexes/index.cdx.gz")).decode("utf-8")
        pages = [json.loads(line) for line in package.read("pages/pages.jsonl").splitlines()]
    assert warc == (exported / "chencang.warc.gz").read_bytes()
    cdxj = (exported / "chencang.cdxj").read_text(encoding="utf-8")
    assert index == cdxj.replace('"chencang.warc.gz"', '"data.warc.gz"')
    assert pages[0]["format"] == "json-pages-1.0" and pages[0]["hasText"] is True
    articles = {urlsplit(r["url"]).path: r for r in export(web_archive[0])}
    listed = {urlsplit(page["url"]).path: page for page in pages[1:]}
    assert listed.keys() == articles.keys()
    for path, page in listed.items():
        assert page["title"] == articles[path]["title"]
        assert page["text"] == articles[path]["body"]
        assert page["ts"].endswith("Z") and page["id"]


def test_the_same_archive_exports_the_same_bytes(exported, web_archive, tmp_path):
    for fmt, name in (("warc", "again.warc.gz"), ("wacz", "again.wacz")):
        export_to(web_archive[0], fmt, tmp_path / name)
        first = exported / ("chencang" + name.removeprefix("again"))
        assert (tmp_path / name).read_bytes() == first.read_bytes()
    export_to(web_archive[0], "cdxj", tmp_path / "again.cdxj", "--warc-name", "chencang.warc.gz")
    assert (tmp_path / "again.cdxj").read_bytes() == (exported / "chencang.cdxj").read_bytes()


def test_a_warcinfo_record_opens_the_file_and_names_the_archive(records):
    warcinfo = records[0]
    assert warcinfo.type == "warcinfo" and by_type(records, "warcinfo") == [warcinfo]
    fields = dict(
        line.split(": ", 1) for line in warcinfo.content.decode("utf-8").splitlines() if line
    )
    assert fields["software"].startswith("newsarchive/")
    assert fields["format"] == "WARC File Format 1.1"
    assert fields["isPartOf"].startswith("urn:uuid:")
    assert all(r.fields["WARC-Warcinfo-ID"] == warcinfo.id for r in records[1:])
    assert len({record.id for record in records}) == len(records)


def test_every_answered_capture_is_an_exchange_and_every_capture_a_metadata_record(
    records, web_archive
):
    db = web_archive[0]
    answered = rows(db, "SELECT COUNT(*) FROM capture WHERE status IS NOT NULL")[0][0]
    assert len(metadata(records, "capture")) == rows(db, "SELECT COUNT(*) FROM capture")[0][0]
    answers = {r.id: r for r in records if r.type in ("response", "revisit")}
    requests = by_type(records, "request")
    assert len(answers) == len(requests) == answered
    for request in requests:
        answer = answers[request.fields["WARC-Concurrent-To"]]
        assert request.fields["WARC-Target-URI"] == answer.fields["WARC-Target-URI"]
        target = urlsplit(answer.fields["WARC-Target-URI"])
        assert request.statusline == f"GET {target.path} HTTP/1.1" and request.content == b""
        assert ("Host", target.netloc) in request.http
    for response in by_type(records, "response"):
        assert response.fields["Content-Type"] == "application/http; msgtype=response"
        length = [value for name, value in response.http if name.lower() == "content-length"]
        assert length == [str(len(response.content))]


def test_404_410_and_301_stay_responses_with_their_status_line(records, web_archive):
    statuses = Counter(r.status for r in by_type(records, "response"))
    stored = Counter(
        str(status)
        for (status,) in rows(web_archive[0], "SELECT status FROM capture WHERE status != 200")
    )
    for status in ("404", "410", "301"):
        assert statuses[status] == stored[status] > 0
    lines = {r.statusline for r in by_type(records, "response")}
    assert {"200 OK", "404 Not Found", "410 Gone", "301 Moved Permanently"} <= lines


def test_a_304_is_a_revisit_of_the_capture_it_confirms(records):
    answers = {r.id: r for r in records if r.type in ("response", "revisit")}
    not_modified = [
        r for r in by_type(records, "revisit") if r.fields["WARC-Profile"] == NOT_MODIFIED
    ]
    assert len(not_modified) > 100  # the daily re-checks
    for revisit in not_modified:
        assert revisit.content == b"" and revisit.fields["Content-Length"] == "0"
        assert "WARC-Payload-Digest" not in revisit.fields
        original = answers[revisit.fields["WARC-Refers-To"]]
        assert original.type == "response" and original.status == "200"
        assert revisit.fields["WARC-Refers-To-Target-URI"] == original.fields["WARC-Target-URI"]
        assert revisit.fields["WARC-Refers-To-Date"] == original.fields["WARC-Date"]
        assert original.fields["WARC-Date"] < revisit.fields["WARC-Date"]


def test_a_byte_identical_payload_is_a_revisit_of_the_first_response_with_it(records):
    answers = {r.id: r for r in records if r.type in ("response", "revisit")}
    identical = [r for r in by_type(records, "revisit") if r.fields["WARC-Profile"] == IDENTICAL]
    assert identical  # list pages and files fetched again unchanged
    first_with = {}
    for response in by_type(records, "response"):
        first_with.setdefault(response.fields["WARC-Payload-Digest"], response.id)
    for revisit in identical:
        digest = revisit.fields["WARC-Payload-Digest"]
        assert revisit.fields["WARC-Refers-To"] == first_with[digest]
        original = answers[first_with[digest]]
        assert revisit.fields["WARC-Refers-To-Target-URI"] == original.fields["WARC-Target-URI"]
        assert revisit.fields["WARC-Refers-To-Date"] == original.fields["WARC-Date"]
        # The HTTP head the capture received, without the payload (it is the original's).
        assert revisit.status.startswith("2") and revisit.http and revisit.content == b""


def test_each_version_and_event_is_a_metadata_record_concurrent_to_its_capture(
    records, web_archive
):
    db = web_archive[0]
    versions = metadata(records, "version")
    assert len(versions) == rows(db, "SELECT COUNT(*) FROM version")[0][0]
    events = metadata(records, "event")
    assert Counter(e["kind"] for e in events) == Counter(
        kind for (kind,) in rows(db, "SELECT kind FROM page_event")
    )
    changed = next(v for v in versions if v["version"] >= 2 and v["classes"])
    shown = as_json("show", changed["page"], "--version", str(changed["version"]), db=db)
    for field, value in changed["record"].items():
        assert shown[field] == value, field
    assert changed["changed_fields"] == shown["changed_fields"]
    history = as_json("history", changed["page"], db=db)
    summary = history["versions"][changed["version"] - 1]
    for key in ("classes", "content_sha256", "parser_version", "chars_added", "fields"):
        assert changed[key] == summary[key], key
    answers = {r.id for r in records if r.type in ("response", "revisit")}
    for record in by_type(records, "metadata"):
        assert record.fields["Content-Type"] == "application/json"
        assert record.fields["WARC-Target-URI"].startswith("urn:newsarchive:")
        shape = record.json()
        if shape["type"] != "event" or shape["capture"] is not None:
            assert record.fields["WARC-Concurrent-To"] in answers


def test_cron_exports_with_a_state_file_hold_each_capture_exactly_once(replica_factory, tmp_path):
    site = replica_factory(day=1)
    db, state = tmp_path / "archive.db", tmp_path / "warc.state"
    now = ("-s", "NEWSARCHIVE_NOW=2025-12-01T23:00:00+08:00")
    crawl(site.base_url, db, *DAILY, *now)
    first = export_to(db, "warc", tmp_path / "day1.warc.gz", "--state", state)
    site.set_day(2)
    crawl(site.base_url, db, *DAILY, "-s", "NEWSARCHIVE_NOW=2025-12-02T23:00:00+08:00")
    export_to(db, "warc", tmp_path / "day2.warc.gz", "--state", state)
    empty = export_to(db, "warc", tmp_path / "day3.warc.gz", "--state", state)
    exported = [
        shape["capture"]
        for day in ("day1", "day2", "day3")
        for shape in metadata(read_warc(tmp_path / f"{day}.warc.gz"), "capture")
    ]
    all_captures = [capture_id for (capture_id,) in rows(db, "SELECT id FROM capture")]
    assert sorted(exported) == sorted(all_captures)
    assert len(exported) == len(set(exported))
    events = [
        shape["at"] + shape["kind"]
        for day in ("day1", "day2", "day3")
        for shape in metadata(read_warc(tmp_path / f"{day}.warc.gz"), "event")
    ]
    assert len(events) == rows(db, "SELECT COUNT(*) FROM page_event")[0][0]
    assert first.startswith(f"{len(metadata(read_warc(tmp_path / 'day1.warc.gz'), 'capture'))} ")
    assert empty.startswith("0 captures")
    saved = json.loads(state.read_text())
    assert saved["last_capture_id"] == max(all_captures)
    assert saved["export_format"] == "warc" and saved["archive"].startswith("urn:uuid:")
    refused = newsarchive(
        "export", "--format", "wacz", "-o", tmp_path / "x.wacz", "--state", state, db=db
    )
    assert refused.returncode == 2 and "state file is for --format warc" in refused.stderr


def test_the_export_options_refuse_what_they_cannot_do(day1_archive, tmp_path):
    state = ("--state", tmp_path / "s")
    cases = [
        (("--format", "warc"), "--format warc needs --output FILE."),
        (("--format", "warc", "-o", tmp_path / "a.warc.gz", "--all-versions"), "--all-versions"),
        (("--format", "jsonl", "--state", tmp_path / "s"), "--state is for --format warc"),
        (
            ("--format", "warc", "-o", tmp_path / "a.warc.gz", "--until", "2025-12-02", *state),
            "--until cannot be used with --state",
        ),
    ]
    for arguments, sentence in cases:
        done = newsarchive("export", *arguments, db=day1_archive)
        assert done.returncode == 2 and sentence in done.stderr, done.stderr
    assert not (tmp_path / "a.warc.gz").exists()
