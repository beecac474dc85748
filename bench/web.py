"""The web application's response times on a large archive, next to the issue's targets.

Starts `newsarchive serve` on the archive (a real process, both origins, on loopback), then times
GET requests over one keep-alive connection per origin (http.client): the article page, a version,
a diff (of an article with two versions or more), the same three under /api/v1, the changes of
one day (page and API), a search for a 2- and a 3-character word drawn from the archive's own
text (page and API), and the replay origin's TimeGate with an Accept-Datetime. Each round draws
fresh random targets and visits the routes in a shuffled order; two rounds warm up first. A
request's time is its wall time on the client, from sending it to reading the whole body, the
client acknowledging at once (TCP_QUICKACK: see Client; the cost of delayed ACKs is measured
apart, on the baseline); the baseline is a trivial request timed in the same rounds (GET /static/style.css), so each route's
median is also shown as a ratio to it (the machine is shared and noisy: compare ratios across
runs, not milliseconds). Printed, never asserted; a route that answers an unexpected status is
reported with the first such answer.

Targets (the issue's): article, version, diff ≤ 50 ms; a day's changes ≤ 100 ms; search for 2-
and 3-character queries ≤ 100 ms; TimeGate ≤ 20 ms.

    python -m bench.web [--db PATH] [--rounds 20] [--seed 1]
    python -m bench.web --pages 20000 --versions 40000 --captures 100000   # builds one first

Without --db, an archive is built with bench.synthetic (same defaults: 200,000 pages, 400,000
versions, 1,000,000 captures; minutes) into a temporary folder, and removed afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import random
import re
import select
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from archive.columns import from_micros

ANNOUNCED = re.compile(r"^newsarchive: (http://\S+)/ \(archived pages from (http://\S+)\)$")
START_TIMEOUT = 120.0
WARMUP = 2
CJK = re.compile(r"[\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Route:
    name: str
    origin: str  # "app" or "replay"
    target_ms: float | None
    expect: int
    # (rng, targets) -> (path, headers)
    request: Callable[[random.Random, Targets], tuple[str, dict[str, str]]]


@dataclass
class Timing:
    times: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    unexpected: str = ""
    totals: list[int] = field(default_factory=list)  # search hits, from the API's JSON


@dataclass(frozen=True)
class Targets:
    """What the requests are drawn from, read from the archive before the server starts."""

    articles: list[int]
    versions: list[tuple[int, int]]  # (article id, version number)
    changed: list[int]  # articles with two versions or more
    days: list[str]  # ISO dates with versions made that day
    words2: list[str]
    words3: list[str]
    mementos: list[tuple[str, float, float]]  # (url, first and last capture as POSIX times)
    counts: dict[str, int]


def read_targets(db: Path, rng: random.Random, rounds: int) -> Targets:
    """Random articles, versions, days, words and URLs from the archive (opened read-only)."""
    uri = f"{db.resolve().as_uri()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as connection:
        counts = {
            table: connection.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
            for table in ("page", "version", "capture", "text_segment")
        }
        wanted = 4 * (rounds + WARMUP)
        versions = connection.execute(
            "SELECT page_id, number FROM version WHERE id IN "
            f"(SELECT abs(random()) % {counts['version']} + 1 FROM version LIMIT {wanted})"
        ).fetchall()
        changed = [
            row[0]
            for row in connection.execute(
                "SELECT page_id FROM version WHERE number = 2 ORDER BY random() LIMIT ?", (wanted,)
            )
        ]
        first, last = connection.execute(
            "SELECT min(created_at), max(created_at) FROM version"
        ).fetchone()
        start = datetime.fromisoformat(first).date()
        span = (datetime.fromisoformat(last).date() - start).days
        days = [
            str(start + timedelta(days=rng.randint(1, max(1, span - 1)))) for _ in range(wanted)
        ]
        words2, words3 = _words(connection, rng, counts["text_segment"], wanted)
        mementos = []
        for page_id, url in connection.execute(
            "SELECT id, current_url FROM page WHERE kind = 'article' AND id IN "
            f"(SELECT abs(random()) % {counts['page']} + 1 FROM page LIMIT {wanted})"
        ):
            first_at, last_at = connection.execute(
                "SELECT min(captured_at), max(captured_at) FROM capture "
                "WHERE page_id = ? AND payload_sha256 IS NOT NULL",
                (page_id,),
            ).fetchone()
            if first_at:
                mementos.append((url, _posix(first_at), _posix(last_at)))
    return Targets(
        articles=sorted({page for page, _ in versions}),
        versions=versions,
        changed=changed,
        days=days,
        words2=words2,
        words3=words3,
        mementos=mementos,
        counts=counts,
    )


def _posix(stored: int) -> float:
    """A capture's stored time (integer microseconds, archive.columns) as POSIX seconds."""
    return from_micros(stored).timestamp()


def _words(
    connection: sqlite3.Connection, rng: random.Random, segments: int, wanted: int
) -> tuple[list[str], list[str]]:
    """Words of 2 and 3 Chinese characters at random places of random titles and paragraphs."""
    words: dict[int, list[str]] = {2: [], 3: []}
    while len(words[2]) < wanted or len(words[3]) < wanted:
        row = connection.execute(
            "SELECT text FROM text_segment WHERE id = ?", (rng.randint(1, segments),)
        ).fetchone()
        runs = [run for run in CJK.findall(row[0] if row else "") if len(run) >= 3]
        if not runs:
            continue
        run = rng.choice(runs)
        size = rng.choice((2, 3))
        at = rng.randrange(len(run) - size + 1)
        if len(words[size]) < wanted:
            words[size].append(run[at : at + size])
    return words[2], words[3]


def _q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _day(rng: random.Random, t: Targets) -> str:
    day = rng.choice(t.days)
    following = (datetime.fromisoformat(day) + timedelta(days=1)).date()
    return f"since={day}T00:00:00&until={following}T00:00:00"


def _timegate(rng: random.Random, t: Targets) -> tuple[str, dict[str, str]]:
    url, first, last = rng.choice(t.mementos)
    moment = datetime.fromtimestamp(rng.uniform(first - 86400, last + 86400), UTC)
    return f"/timegate/{url}", {"Accept-Datetime": format_datetime(moment, usegmt=True)}


def _version(rng: random.Random, t: Targets, prefix: str = "") -> tuple[str, dict[str, str]]:
    page, number = rng.choice(t.versions)
    return f"{prefix}/articles/{page}/versions/{number}", {}


ROUTES = [
    Route("baseline: /static/style.css", "app", None, 200, lambda r, t: ("/static/style.css", {})),
    Route("article", "app", 50, 200, lambda r, t: (f"/articles/{r.choice(t.articles)}", {})),
    Route("version", "app", 50, 200, lambda r, t: _version(r, t)),
    Route("diff", "app", 50, 200, lambda r, t: (f"/articles/{r.choice(t.changed)}/diff", {})),
    Route(
        "api article",
        "app",
        50,
        200,
        lambda r, t: (f"/api/v1/articles/{r.choice(t.articles)}", {}),
    ),
    Route("api version", "app", 50, 200, lambda r, t: _version(r, t, "/api/v1")),
    Route(
        "api diff",
        "app",
        50,
        200,
        lambda r, t: (f"/api/v1/articles/{r.choice(t.changed)}/diff", {}),
    ),
    Route("changes, one day", "app", 100, 200, lambda r, t: (f"/changes?{_day(r, t)}", {})),
    Route(
        "api changes, one day", "app", 100, 200, lambda r, t: (f"/api/v1/changes?{_day(r, t)}", {})
    ),
    Route(
        "search, 2 chars", "app", 100, 200, lambda r, t: (f"/search?q={_q(r.choice(t.words2))}", {})
    ),
    Route(
        "search, 3 chars", "app", 100, 200, lambda r, t: (f"/search?q={_q(r.choice(t.words3))}", {})
    ),
    Route(
        "api search, 2 chars",
        "app",
        100,
        200,
        lambda r, t: (f"/api/v1/search?q={_q(r.choice(t.words2))}", {}),
    ),
    Route(
        "api search, 3 chars",
        "app",
        100,
        200,
        lambda r, t: (f"/api/v1/search?q={_q(r.choice(t.words3))}", {}),
    ),
    Route("timegate (replay origin)", "replay", 20, 302, _timegate),
]


@contextmanager
def serving(db: Path) -> Iterator[tuple[str, str]]:
    """`newsarchive serve` on free ports; yields the two origins it announces."""
    command = [sys.executable, "-m", "newsarchive", "serve", "--db", str(db), "--port", "0"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    try:
        deadline, said = time.monotonic() + START_TIMEOUT, []
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([process.stderr], [], [], left)[0]:
                raise RuntimeError(f"newsarchive serve did not start: {''.join(said)}")
            line = process.stderr.readline()
            if not line:
                raise RuntimeError(f"newsarchive serve exited: {''.join(said)}")
            found = ANNOUNCED.match(line.strip())
            if found:
                yield found.group(1), found.group(2)
                return
            said.append(line)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _QuickAckReader(io.RawIOBase):
    """Reads a socket, asking for an immediate ACK before each read (Linux clears the flag)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return self.sock.recv_into(buffer)


class _QuickAckSocket:
    """A socket whose responses are read through _QuickAckReader; everything else as is."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_QuickAckReader(self._sock))


class _QuickAckConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = _QuickAckSocket(self.sock)  # type: ignore[assignment]


class Client:
    """One keep-alive connection to an origin; reconnects if the server closed it.

    With `quickack` (the default) the client acknowledges every segment at once (TCP_QUICKACK
    before each read): a response the server writes in two segments is then not held back by
    Nagle's algorithm until the client's delayed ACK (about 40 ms), so the time measured is the
    server's. Without it, the client is an ordinary one."""

    def __init__(self, origin: str, *, quickack: bool = True) -> None:
        parts = urllib.parse.urlsplit(origin)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        quick = quickack and hasattr(socket, "TCP_QUICKACK")
        self.kind = _QuickAckConnection if quick else http.client.HTTPConnection
        self.connection = self.kind(self.host, self.port, timeout=120)

    def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes, float]:
        for attempt in (0, 1):
            try:
                started = time.perf_counter()
                self.connection.request("GET", path, headers=headers)
                response = self.connection.getresponse()
                body = response.read()
                return response.status, body, (time.perf_counter() - started) * 1000
            except (http.client.RemoteDisconnected, ConnectionError):
                self.connection.close()
                self.connection = self.kind(self.host, self.port, timeout=120)
                if attempt:
                    raise
        raise AssertionError("unreachable")


def measure(app: str, replay: str, targets: Targets, rounds: int, seed: int) -> dict[str, Timing]:
    clients = {"app": Client(app), "replay": Client(replay)}
    rng = random.Random(seed)
    timings = {route.name: Timing() for route in ROUTES}
    for number in range(WARMUP + rounds):
        order = list(ROUTES)
        rng.shuffle(order)
        for route in order:
            path, headers = route.request(rng, targets)
            status, body, ms = clients[route.origin].get(path, headers)
            if number < WARMUP:
                continue
            timing = timings[route.name]
            timing.times.append(ms)
            timing.statuses[status] = timing.statuses.get(status, 0) + 1
            if status != route.expect and not timing.unexpected:
                timing.unexpected = f"{status} for {path}: {body[:300].decode('utf-8', 'replace')}"
            if route.name.startswith("api search") and status == 200:
                timing.totals.append(int(json.loads(body).get("total", 0)))
        print(f"round {number + 1 - WARMUP if number >= WARMUP else 'warm-up'} done", flush=True)
    return timings


def delayed_ack_probe(app: str, rounds: int) -> tuple[float, float]:
    """The baseline request's median on an ordinary keep-alive client (delayed ACKs) and on the
    measuring one: what a response split in two segments costs a client that delays its ACKs."""
    found = []
    for quickack in (False, True):
        client = Client(app, quickack=quickack)
        client.get("/static/style.css", {})
        times = [client.get("/static/style.css", {})[2] for _ in range(rounds)]
        client.connection.close()
        found.append(statistics.median(times))
    return found[0], found[1]


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def report(
    timings: dict[str, Timing],
    targets: Targets,
    db: Path,
    rounds: int,
    probe: tuple[float, float],
) -> None:
    baseline = statistics.median(timings[ROUTES[0].name].times)
    counts = ", ".join(f"{n:,} {table}s" for table, n in targets.counts.items())
    print(f"\n{db}: {counts}")
    print(f"{rounds} rounds; baseline (GET /static/style.css) median {baseline:.2f} ms")
    print(
        f"the baseline on an ordinary keep-alive client (delayed ACKs): {probe[0]:.1f} ms, "
        f"with TCP_QUICKACK: {probe[1]:.1f} ms (a gap of ~40 ms means the server writes a "
        "response in two segments with Nagle's algorithm on: TCP_NODELAY is not set)\n"
    )
    header = f"{'route':<26} {'median ms':>10} {'p90 ms':>9} {'× base':>8} {'target':>8}  verdict"
    print(header)
    print("-" * len(header))
    problems = []
    for route in ROUTES:
        timing = timings[route.name]
        median, p90 = statistics.median(timing.times), _p90(timing.times)
        target = f"≤ {route.target_ms:.0f}" if route.target_ms else ""
        verdict = ""
        if route.target_ms:
            verdict = "meets" if median <= route.target_ms else "MISSES"
        if timing.unexpected:
            verdict += " (errors)"
            problems.append(f"{route.name}: {timing.statuses} — first: {timing.unexpected}")
        if timing.totals:
            verdict += f"  hits: median {statistics.median(timing.totals):,.0f}"
        print(
            f"{route.name:<26} {median:>10.1f} {p90:>9.1f} {median / baseline:>8.1f} {target:>8}  "
            f"{verdict}"
        )
    for problem in problems:
        print("\n" + problem)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", type=Path, help="an archive (default: build one into a temp folder)"
    )
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pages", type=int, default=200_000, help="for the archive built")
    parser.add_argument("--versions", type=int, default=400_000, help="for the archive built")
    parser.add_argument("--captures", type=int, default=1_000_000, help="for the archive built")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as folder:
        db = options.db
        if db is None:
            from bench.synthetic import build

            db = Path(folder) / "synthetic.db"
            summary = build(
                db,
                pages=options.pages,
                versions=options.versions,
                captures=options.captures,
                seed=options.seed,
                progress=lambda line: print(line, flush=True),
            )
            print("\n".join(summary.lines()), flush=True)
        targets = read_targets(db, random.Random(options.seed), options.rounds)
        with serving(db) as (app, replay):
            timings = measure(app, replay, targets, options.rounds, options.seed)
            probe = delayed_ack_probe(app, options.rounds)
        report(timings, targets, db, options.rounds, probe)


if __name__ == "__main__":
    main()
