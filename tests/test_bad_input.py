"""Every command, every bad input: one sentence on stderr, a documented exit code, no traceback,
and the archive's bytes as they were."""

from __future__ import annotations

import hashlib
import shutil
import socket
import sqlite3
from contextlib import closing

import pytest

from tests.cli import FAST, newsarchive
from tests.operations import content

ARTICLE = "{article}"  # an article of the day-1 archive
QUICK = ("-s", "RETRY_BACKOFF_BASE=0.05")
URL_COMMANDS = ["history", "show", "diff", "copies", "untrack", "track", "fetch", "recheck"]
DB_COMMANDS = ["history", "show", "diff", "copies", "changes", "export", "verify", "runs", "status"]
NOT_HTTP = "ftp://www.chencang.gov.cn/col8173/a.html"
MALFORMED = "http://[www.chencang.gov.cn/a.html"


def url_arguments(command: str, url: str) -> list[str]:
    extra = {"untrack": ["--reason", "a test"]}.get(command, [])
    return [command, url, *extra]


def cases() -> list[tuple[str, list[str], int, str]]:
    """(name, arguments, exit code, what the sentence says); {db} and {port} filled in later."""
    found = []
    for command in URL_COMMANDS:
        found.append(
            (f"{command} ftp", url_arguments(command, NOT_HTTP), 2, "is not an http(s) URL")
        )
        found.append(
            (
                f"{command} malformed",
                url_arguments(command, MALFORMED),
                2,
                "is not a well-formed URL",
            )
        )
    for command in ("crawl", "recheck"):
        where = ["--log-file", "{tmp}/missing/folder/crawl.log"]
        args = ["crawl", *where] if command == "crawl" else ["recheck", ARTICLE, *where]
        found.append((f"{command} log folder", args, 2, "does not exist"))
    found.append(
        ("export output folder", ["export", "-o", "{tmp}/missing/out.jsonl"], 2, "does not exist")
    )
    for command in ("export", "changes", "crawl"):
        found.append((f"{command} unknown site", site_arguments(command), 2, "no site profile"))
    for command in ("export", "changes"):
        window = ["--since", "2025-12-05", "--until", "2025-12-01"]
        found.append((f"{command} window", [command, *window], 2, "the window is empty"))
    for command in DB_COMMANDS:
        arguments = url_arguments(command, ARTICLE) if command in URL_COMMANDS else [command]
        found.append(
            (
                f"{command} postgresql",
                [*arguments, "--db", "postgresql://127.0.0.1:1/archive"],
                2,
                "is not a database newsarchive can open: connection failed",
            )
        )
    nowhere = ["--base-url", "http://127.0.0.1:{port}", *FAST, *QUICK]
    found.append(("crawl unreachable", ["crawl", *nowhere], 69, "cannot reach 127.0.0.1"))
    found.append(("fetch unreachable", ["fetch", ARTICLE, *nowhere], 69, "cannot reach 127.0.0.1"))
    found.append(
        ("recheck unreachable", ["recheck", ARTICLE, *nowhere], 69, "cannot reach 127.0.0.1")
    )
    return found


def site_arguments(command: str) -> list[str]:
    return ["crawl", "atlantis"] if command == "crawl" else [command, "--site", "atlantis"]


CASES = cases()


@pytest.fixture(scope="module")
def port():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return unused.getsockname()[1]


@pytest.mark.parametrize(
    ("arguments", "code", "says"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_bad_input_is_one_sentence_an_exit_code_and_no_change(
    day1_archive, replica, tmp_path, port, arguments, code, says
):
    db = tmp_path / "archive.db"
    shutil.copy(day1_archive, db)
    before = hashlib.sha256(db.read_bytes()).hexdigest(), pages(db)
    article = replica.truth()["articles"][0]["url"]
    filled = [a.format(tmp=tmp_path, port=port, article=article) for a in arguments]
    done = newsarchive(*filled) if "--db" in filled else newsarchive(*filled, db=db)
    assert done.returncode == code, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    assert says in lines[0] and "Traceback" not in done.stderr
    if code == 69 and filled[0] != "fetch":  # a crawl that reached nothing is a failed run
        assert pages(db) == before[1] and runs(db)[-1] == ("failed", 69)
    else:
        assert (hashlib.sha256(db.read_bytes()).hexdigest(), pages(db)) == before


def pages(db):
    with closing(sqlite3.connect(db)) as connection:
        return (
            content(db),
            connection.execute("SELECT id, state, last_captured_at FROM page").fetchall(),
            connection.execute("SELECT count(*) FROM capture").fetchone(),
            connection.execute("SELECT count(*) FROM page_event").fetchone(),
        )


def runs(db):
    with closing(sqlite3.connect(db)) as connection:
        return connection.execute("SELECT status, exit_code FROM crawl_run ORDER BY id").fetchall()
