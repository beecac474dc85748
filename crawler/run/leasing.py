"""`newsarchive worker`: claim a due site's lease, crawl it in a child process, release it; repeat."""

from __future__ import annotations

import ctypes
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from archive.leases import (
    Lease,
    add_sites,
    claim_due_site,
    lease_states,
    platform_of,
    release,
    renew,
)
from crawler.run.exits import EXIT_INTERRUPTED, EXIT_TEMPORARY
from crawler.sites.profile import ProfileError, available_profiles, load_profile

logger = logging.getLogger(__name__)

# A crawl that asked to be retried later (exit 75: another crawl holds the site's lock, or the
# host answered with challenges) is due again after this long, or after --every if sooner.
RETRY_LATER = timedelta(minutes=15)
# Linux's prctl(2) option: the signal a process gets when the thread that forked it dies.
PR_SET_PDEATHSIG = 1

Report = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class WorkerOptions:
    """What a worker crawls, how often, and how each crawl is run."""

    sites: tuple[str, ...]
    every: timedelta
    ttl: timedelta
    poll: float  # the longest sleep, in seconds, while no site is due
    max_sites: int | None = None
    base_urls: Mapping[str, str] = field(default_factory=dict)
    overrides: tuple[str, ...] = ()  # -s NAME=VALUE, passed on to every crawl
    log_dir: Path | None = None
    # Each site's platform (site_platforms): no two sites of one are crawled at once.
    platforms: Mapping[str, str] = field(default_factory=dict)


def site_platforms(sites: Sequence[str] = ()) -> dict[str, str]:
    """The platform of every site profile this machine knows, and of `sites`: what a claim
    checks other workers' leases against (a site on another worker's list too). A profile that
    does not load is left out: its site is its own platform."""
    platforms = {}
    for name in dict.fromkeys([*available_profiles(), *sites]):
        try:
            platforms[name] = load_profile(name).platform
        except ProfileError:
            continue
    return platforms


def holder_name() -> str:
    """host:pid:token: the machine and process, and a token no restarted worker repeats."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def crawl_command(site: str, options: WorkerOptions) -> list[str]:
    """The crawl of `site` as a user would run it (the archive comes in $NEWSARCHIVE_DB, so a
    password in its URL is not on a command line)."""
    command = [sys.executable, "-m", "newsarchive", "crawl", site, "--json"]
    if site in options.base_urls:
        command += ["--base-url", options.base_urls[site]]
    for pair in options.overrides:
        command += ["-s", pair]
    if options.log_dir is not None:
        command += ["--log-file", str(options.log_dir / f"{site}.log")]
    return command


def exit_code(returncode: int) -> int:
    """A child's exit code as a shell reports it: 128 + N when signal N killed it."""
    return 128 - returncode if returncode < 0 else returncode


class Worker:
    """Claims due sites one at a time and crawls each in a child process while a thread renews
    its lease. SIGTERM or SIGINT (stop()) stops the crawl gracefully, releases, and ends run()."""

    def __init__(self, engine: Engine, db_url: str, options: WorkerOptions, report: Report):
        self.engine = engine
        self.db_url = db_url
        self.options = options
        self.report = report
        self.holder = holder_name()
        self.stopping = threading.Event()
        self.child: subprocess.Popen[str] | None = None
        self.lease: Lease | None = None  # the lease of the crawl running

    def run(self) -> None:
        """Until stopped, or --max-sites crawls are done."""
        add_sites(self.engine, self.options.sites)
        self._event("started", sites=list(self.options.sites))
        crawled = 0
        while not self.stopping.is_set() and crawled < (self.options.max_sites or sys.maxsize):
            lease = self._claim()
            if lease is None:
                self.stopping.wait(self._pause())
                continue
            self._crawl(lease)
            crawled += 1
        self._event("stopped", crawls=crawled)

    def stop(self, signum: int = signal.SIGTERM, _frame: Any = None) -> None:
        """A signal handler: the crawl running stops as after SIGTERM (its run interrupted,
        resumed by the next crawl of the site), and no other is started."""
        self.stopping.set()
        self._terminate_child()

    def _terminate_child(self) -> None:
        child = self.child
        if child is not None and child.poll() is None:
            child.terminate()

    def _claim(self) -> Lease | None:
        options = self.options
        try:
            lease = claim_due_site(
                self.engine,
                self.holder,
                options.sites,
                ttl=options.ttl,
                every=options.every,
                platforms=options.platforms,
            )
        except SQLAlchemyError as exc:
            self._event("error", error=_one_line(exc))
            return None
        if lease is not None:
            self._event("claimed", site=lease.site, expires_at=lease.expires_at.isoformat())
            if lease.took_over is not None:
                self._event("took-over", site=lease.site, previous=lease.took_over)
        return lease

    def _pause(self) -> float:
        """Seconds until the first site may come due, at most --poll (at least a tenth of it)."""
        try:
            states = lease_states(self.engine, self.options.sites)
        except SQLAlchemyError:
            return self.options.poll
        if not states:
            return self.options.poll
        wait = min((s.next_due(self.options.every) - s.now).total_seconds() for s in states)
        return min(self.options.poll, max(wait, self.options.poll / 10))

    def _crawl(self, lease: Lease) -> None:
        """One crawl of the leased site in a child; its exit code recorded, the lease released."""
        if self.stopping.is_set():  # stopped between the claim and now: crawl nothing
            self._release(lease, EXIT_INTERRUPTED, lost=False)
            return
        started, self.lease = time.monotonic(), lease
        renewer = Renewer(self.engine, lease, self.options.ttl, self._lost, self.options.platforms)
        self.child = self._start(lease.site)
        renewer.start()  # after the fork: a child must not be forked beside a running thread
        if self.stopping.is_set():
            self._terminate_child()
        try:
            output, _ = self.child.communicate()
        finally:
            renewer.stop()
        code = exit_code(self.child.returncode)
        self.child = self.lease = None
        summary = _summary(output)
        seconds = round(time.monotonic() - started, 3)
        self._event("crawled", site=lease.site, exit_code=code, seconds=seconds, summary=summary)
        self._release(lease, code, lost=renewer.lost)

    def _start(self, site: str) -> subprocess.Popen[str]:
        """The crawl, in a session of its own (a Ctrl-C at the worker's terminal reaches it once,
        through stop()), killed with the worker even by SIGKILL (on Linux)."""
        return subprocess.Popen(
            crawl_command(site, self.options),
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "NEWSARCHIVE_DB": self.db_url},
            start_new_session=True,
            # preexec_fn is safe here: no other thread runs while the worker forks.
            preexec_fn=_die_with(os.getpid()),
        )

    def _lost(self, why: str) -> None:
        """Called by the renewer: the site may be another worker's now, so this crawl stops."""
        self._event("lost", site=self.lease.site if self.lease else None, why=why)
        self._terminate_child()

    def _release(self, lease: Lease, code: int, *, lost: bool) -> None:
        """Record how the crawl ended and free the site: a finished crawl starts its rest
        (--every); an interrupted or killed one leaves it due at once; 75 after RETRY_LATER."""
        if lost:
            return
        finished = code != EXIT_TEMPORARY and code != EXIT_INTERRUPTED and code < 128
        later = min(RETRY_LATER, self.options.every) if code == EXIT_TEMPORARY else timedelta(0)
        try:
            release(self.engine, lease, exit_code=code, finished=finished, retry_after=later)
        except SQLAlchemyError as exc:  # the lease expires by itself
            self._event("error", site=lease.site, error=_one_line(exc))
            return
        self._event("released", site=lease.site, finished=finished)

    def _event(self, kind: str, **details: Any) -> None:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        self.report({"event": kind, "at": at, "holder": self.holder, **details})


class Renewer:
    """Renews a lease every ttl/3 while its crawl runs. Calls `on_lost` (once) when the lease is
    another worker's (or expired, and another site of its platform claimed since), or could not
    be renewed before it expired (the database unreachable)."""

    def __init__(
        self,
        engine: Engine,
        lease: Lease,
        ttl: timedelta,
        on_lost: Callable[[str], None],
        platforms: Mapping[str, str] | None = None,
    ) -> None:
        self.engine, self.lease, self.ttl, self.on_lost = engine, lease, ttl, on_lost
        self.platforms = platforms or {}
        self.lost = False
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-renewer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        seconds = self.ttl.total_seconds()
        deadline = time.monotonic() + seconds
        while not self._stopped.wait(seconds / 3):
            asked = time.monotonic()
            try:
                renewed = renew(self.engine, self.lease, self.ttl, self.platforms)
            except SQLAlchemyError as exc:
                logger.warning("Could not renew the lease of %s: %s", self.lease.site, exc)
                if time.monotonic() < deadline:
                    continue
                return self._lose("it could not be renewed before it expired")
            if renewed is None:
                return self._lose("another worker holds it, or another site of its platform")
            self.lease, deadline = renewed, asked + seconds

    def _lose(self, why: str) -> None:
        self.lost = True
        self.on_lost(why)


def _die_with(parent: int) -> Callable[[], None] | None:
    """For preexec_fn: the child gets SIGKILL when the worker dies, however it dies (Linux's
    PR_SET_PDEATHSIG), as a crawl killed by kill -9 is; it resumes at the next crawl."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def arm() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the worker died before the signal was armed
            os.kill(os.getpid(), signal.SIGKILL)

    return arm


def _summary(output: str) -> dict[str, Any] | None:
    """The crawl's --json summary (its last line), if it printed one."""
    lines = output.strip().splitlines()
    try:
        parsed = json.loads(lines[-1]) if lines else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _one_line(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return " ".join(str(orig or exc).split())


def lease_table(
    engine: Engine, sites: Sequence[str], platforms: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The sites' leases and platforms as JSON-ready rows (times in UTC, ISO 8601); a site no
    worker has seen yet is free and never crawled."""
    states = {state.site: state for state in lease_states(engine, sites)}
    platforms = platforms or {}
    rows = []
    for site in sorted(sites):
        state = vars(states[site]) if site in states else {"site": site}
        state = {**state, "platform": platform_of(site, platforms)}
        row = {name: state.get(name) for name in LEASE_FIELDS}
        rows.append({k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()})
    return rows


LEASE_FIELDS = (
    "site",
    "platform",
    "holder",
    "claimed_at",
    "expires_at",
    "last_holder",
    "last_started_at",
    "last_finished_at",
    "last_exit_code",
)
