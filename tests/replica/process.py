"""ReplicaProcess: the standalone replica run as a subprocess, with its control API in Python."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import urllib.request
from pathlib import Path
from types import TracebackType

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0  # seconds to wait for the base URL line


def option_arguments(options: dict[str, object]) -> list[str]:
    """articles=47, per_page=20, mirror=True -> ["--articles", "47", "--per-page", "20",
    "--mirror"] (a flag is given when True, left out when False; a list or tuple is joined
    with commas: fault_kinds=["timeout", "reset"] -> ["--fault-kinds", "timeout,reset"]; an
    option set to None is left out: replatform_day=None is the default)."""
    arguments = []
    for name, value in options.items():
        flag = f"--{name.replace('_', '-')}"
        if value is None:
            continue
        if isinstance(value, bool):
            arguments += [flag] if value else []
        elif isinstance(value, list | tuple):
            arguments += [flag, ",".join(str(item) for item in value)]
        else:
            arguments += [flag, str(value)]
    return arguments


class ReplicaProcess:
    """Start `python -m tests.replica --port 0 …`; stop() (or leaving the with-block) ends it.

    Options are the command-line options with underscores: ReplicaProcess(articles=60, day=2);
    flags take booleans: ReplicaProcess(mirror=True) also sets .mirror_url (else None).
    Re-platformed article pages: ReplicaProcess(article_template="replatformed") from day 1,
    ReplicaProcess(replatform_day=5) from day 5; set_article_template() switches at run time.
    Another county site of the platform: ReplicaProcess(site="meixian", host="127.0.0.2").
    """

    def __init__(self, **options: object) -> None:
        self.options = options
        site = options.pop("site", None)
        command = [sys.executable, "-m", "tests.replica", "--port", "0", *option_arguments(options)]
        # The site is chosen before the replica's modules load (tests/replica/identity.py).
        environment = {**os.environ, "NEWSARCHIVE_REPLICA_SITE": str(site or "chencang")}
        self.process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=environment,
        )
        self.base_url = self._read_url("", wait=True)
        self.mirror_url = self._read_url("mirror: ", wait=False) if options.get("mirror") else None

    def _read_url(self, prefix: str, wait: bool) -> str:
        """The next stdout line, which must be prefix + an http URL. Only the first line is
        waited for with select(): the second one is printed right after it and may already sit
        in the pipe's read buffer, where select() would not see it."""
        assert self.process.stdout is not None
        ready = select.select([self.process.stdout], [], [], START_TIMEOUT)[0] if wait else True
        line = self.process.stdout.readline().strip() if ready else ""
        if not line.startswith(prefix + "http://"):
            self.stop()
            raise RuntimeError(f"replica did not start (options {self.options}): {line!r}")
        return line.removeprefix(prefix)

    def url(self, path: str) -> str:
        return self.base_url + path

    def _call(self, path: str, payload: dict[str, object] | None = None) -> dict:
        data = None if payload is None else json.dumps(payload).encode()
        method = "GET" if payload is None else "POST"
        request = urllib.request.Request(self.url(path), data=data, method=method)
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def day(self) -> dict:
        return self._call("/_replica/day")

    def set_day(self, day: int) -> dict:
        """Switch the simulated day; the site changes at once."""
        return self._call("/_replica/day", {"day": day})

    def truth(self) -> dict:
        return self._call("/_replica/truth")

    def stats(self) -> dict:
        return self._call("/_replica/stats")

    def reset_stats(self) -> dict:
        return self._call("/_replica/stats/reset", {})

    def requests(self, timed: bool = False) -> dict:
        """The request log: {"requests": [{"method", "path" (with query), "user_agent"}, …]},
        oldest first; control API calls are not in it. `timed` adds each request's "arrived"
        and "answered" (time.monotonic() in the replica: comparable across replica processes;
        answered is None for a request not answered yet, or never: a timeout or reset fault)."""
        return self._call("/_replica/requests?timed=1" if timed else "/_replica/requests")

    def reset_requests(self) -> dict:
        """Empty the request log; returns it ({"requests": []})."""
        return self._call("/_replica/requests/reset", {})

    def faults(self) -> dict:
        """The fault settings in force and the counted attempts per faulted page."""
        return self._call("/_replica/faults")

    def set_faults(self, **settings: object) -> dict:
        """Reconfigure faults (rate=, kinds=, seed=, timeout=, block=; omitted ones are kept);
        every call resets the attempt counters. set_faults(rate=0, block=False) turns all off."""
        return self._call("/_replica/faults", settings)

    def article_template(self) -> dict:
        """{"article_template", "replatform_day", "in_force"}: the setting and the article
        template in force on the current day ("platform" | "replatformed")."""
        return self._call("/_replica/template")

    def set_article_template(
        self, article_template: str = "platform", replatform_day: int | None = None
    ) -> dict:
        """Replace the article template setting (the whole of it: set_article_template() is
        the default, platform on every day); article pages change at once, list pages never.
        set_article_template("replatformed") re-platforms every day, set_article_template(
        replatform_day=5) day 5 on."""
        payload = {"article_template": article_template, "replatform_day": replatform_day}
        return self._call("/_replica/template", payload)

    def stop(self) -> int:
        """Terminate (SIGTERM) and wait; returns the exit code (0 on a clean stop)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode

    def __enter__(self) -> ReplicaProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
