"""A short polite visit to a site over plain HTTP: each page fetched once, robots.txt obeyed."""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

# A page is read like `extract` reads one: at most this much, within this many seconds.
MAX_BYTES = 10 * 1024 * 1024
TIMEOUT = 30.0


@dataclass(frozen=True)
class Fetched:
    """An HTTP answer: the URL that answered (after redirects), its status, bytes and type."""

    url: str
    status: int
    body: bytes
    content_type: str | None


class Unreachable(Exception):
    """No answer at all (DNS, connection refused, a timeout); the message says why."""


class Disallowed(Exception):
    """robots.txt of the page's host disallows it: it is not fetched."""


Fetch = Callable[[str], Fetched]


def http_fetch(agent: str, delay: float, timeout: float = TIMEOUT) -> Fetch:
    """Fetches one URL at a time with urllib, at least `delay` seconds after the previous answer;
    an HTTP error status is an answer, not an exception. The opener is built now, so a proxy
    set in the environment ($http_proxy) is the one in force when the visit starts."""
    opener = urllib.request.build_opener()
    last: list[float] = []

    def fetch(url: str) -> Fetched:
        if last:
            time.sleep(max(0.0, delay - (time.monotonic() - last[-1])))
        request = urllib.request.Request(url, headers={"User-Agent": agent})
        try:
            return _answer(opener, request, timeout)
        finally:
            last.append(time.monotonic())

    return fetch


def _answer(
    opener: urllib.request.OpenerDirector, request: urllib.request.Request, timeout: float
) -> Fetched:
    url = request.full_url
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_BYTES)
            return Fetched(
                response.geturl(), response.status, body, response.headers["Content-Type"]
            )
    except urllib.error.HTTPError as error:
        body = error.read(MAX_BYTES) if error.fp is not None else b""
        return Fetched(error.geturl() or url, error.code, body, error.headers.get("Content-Type"))
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise Unreachable(f"Cannot reach {url}: {reason}.") from None


class Visit:
    """The pages read of a site in one discovery: each URL fetched at most once, robots.txt of its
    origin read first and obeyed (as the platform's crawls obey it), the requests counted."""

    def __init__(self, fetch: Fetch, agent: str) -> None:
        self.fetch = fetch
        self.agent = agent
        self.pages: dict[str, Fetched] = {}
        self.robots: dict[str, RobotFileParser] = {}
        self.requests = 0

    def get(self, url: str) -> Fetched:
        """The answer for `url`; Disallowed when robots.txt forbids it, Unreachable when nothing
        answers."""
        if url not in self.pages:
            if not self._robots(url).can_fetch(self.agent, url):
                raise Disallowed(f"robots.txt disallows {url}")
            self.pages[url] = self._fetch(url)
        return self.pages[url]

    def _fetch(self, url: str) -> Fetched:
        self.requests += 1
        return self.fetch(url)

    def _robots(self, url: str) -> RobotFileParser:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.robots:
            self.robots[origin] = _robots_rules(self._fetch(f"{origin}/robots.txt"))
        return self.robots[origin]


def _robots_rules(answer: Fetched) -> RobotFileParser:
    """robots.txt as urllib.robotparser reads it: 401, 403 and a server error disallow
    everything (a server error may hide rules), another error allows everything (there is no
    robots.txt), a 200 is parsed."""
    rules = RobotFileParser()
    if answer.status in (401, 403) or answer.status >= 500:
        rules.parse(["User-agent: *", "Disallow: /"])
    elif answer.status >= 400:
        rules.parse([])
    else:
        rules.parse(answer.body.decode("utf-8", errors="replace").splitlines())
    return rules
