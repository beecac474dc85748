"""The HTTP layer: a threading HTTP/1.1 keep-alive server, request stats, the request log, the
beacon and the control API (day, truth, stats, faults, article template, options, requests)."""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time
import traceback
from collections import Counter, deque
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import pages
from .faults import ERROR_STATUS, KINDS, RETRY_AFTER, SLOW_DELAY, Decision
from .hostile import BEACON_PATH
from .replatform import TemplateSettings
from .site import Response, Site, html_response

CONTROL_PREFIX = "/_replica/"  # the control API: everything under it but the beacon
REQUEST_LOG_LIMIT = 100_000  # the request log keeps the most recent entries
TIMES = ("arrived", "answered")  # the request log's times, shown on request (?timed=1)


def is_control(path: str) -> bool:
    return path.startswith(CONTROL_PREFIX) and path != BEACON_PATH


class RequestLog:
    """Every request the site receives (control API calls excluded), in order of arrival: method,
    request target as sent (path and query) and User-Agent (None when absent). Each entry also
    keeps when the request was read and when its answer began (time.monotonic(): the system's
    monotonic clock, so the times of several replica processes compare); `timed` shows them."""

    def __init__(self, limit: int = REQUEST_LOG_LIMIT) -> None:
        self.lock = threading.Lock()
        self.entries: deque[dict[str, str | float | None]] = deque(maxlen=limit)

    def record(self, method: str, target: str, user_agent: str | None) -> dict:
        entry = {"method": method, "path": target, "user_agent": user_agent}
        entry.update(arrived=time.monotonic(), answered=None)
        with self.lock:
            self.entries.append(entry)
        return entry

    def answered(self, entry: dict | None) -> None:
        """The answer to the request of `entry` begins now (before its first byte is sent)."""
        if entry is not None and entry["answered"] is None:
            entry["answered"] = time.monotonic()

    def reset(self) -> None:
        with self.lock:
            self.entries.clear()

    def document(self, timed: bool = False) -> dict[str, list[dict[str, str | float | None]]]:
        with self.lock:
            entries = list(self.entries)
        if not timed:
            entries = [{k: v for k, v in e.items() if k not in TIMES} for e in entries]
        return {"requests": [dict(entry) for entry in entries]}


class Stats:
    """Counts of site requests (control requests excluded) and body bytes sent."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.total = 0
            self.by_kind: Counter[str] = Counter()
            self.by_status: Counter[int] = Counter()
            self.bytes_sent = 0
            self.faults: Counter[str] = Counter()  # faulted responses by kind
            self.fault_counts: Counter[str] = Counter()  # attempts, loop_steps, blocked

    def record(self, kind: str, status: int | None, sent: int) -> None:
        """status None: a timeout or reset fault, which sends no status line."""
        with self.lock:
            self.total += 1
            self.by_kind[kind] += 1
            if status is not None:
                self.by_status[status] += 1
            self.bytes_sent += sent

    def add_sent(self, sent: int) -> None:
        with self.lock:
            self.bytes_sent += sent

    def record_fault(self, decision: Decision) -> None:
        with self.lock:
            action = decision.action
            if decision.counted:
                self.fault_counts["attempts"] += 1
            if action in ("loop_forth", "loop_back"):
                self.fault_counts["loop_steps"] += 1
            elif action == "block":
                self.fault_counts["blocked"] += 1
            elif action is not None:
                self.faults[action] += 1

    def snapshot(self) -> dict[str, object]:
        with self.lock:
            kinds = {kind: self.by_kind[kind] for kind in ("list", "article", "asset", "other")}
            return {
                "total": self.total,
                "by_kind": kinds,
                "by_status": {str(status): n for status, n in sorted(self.by_status.items())},
                "bytes_sent": self.bytes_sent,
                "faults": {
                    "by_kind": {kind: self.faults[kind] for kind in KINDS},
                    "attempts": self.fault_counts["attempts"],
                    "loop_steps": self.fault_counts["loop_steps"],
                    "blocked": self.fault_counts["blocked"],
                },
            }


class ReplicaServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], site: Site) -> None:
        super().__init__(address, ReplicaHandler)
        self.site = site
        self.stats = Stats()
        self.requests = RequestLog()
        self.aborting: set[socket.socket] = set()  # reset faults: close with RST, no FIN first
        self.aborting_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def abort(self, connection: socket.socket) -> None:
        """Have the connection closed with a TCP reset once its handler returns."""
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self.aborting_lock:
            self.aborting.add(connection)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self.aborting_lock:
            aborted = request in self.aborting
            self.aborting.discard(request)
        if aborted:
            self.close_request(request)  # SO_LINGER 0: the close sends RST
        else:
            super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that goes away mid-request (a killed crawler) is not the server's error."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class MirrorServer(ThreadingHTTPServer):
    """The mirror host (--mirror): damaged copies at the articles' paths; no stats, no control API."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], site: Site) -> None:
        super().__init__(address, MirrorHandler)
        self.site = site

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def beacon_response() -> Response:
    """/_replica/beacon: 204 No Content, never cached, so every load is a logged request."""
    return Response(204, b"", [("Cache-Control", "no-store")], "other")


def json_response(status: int, document: object) -> Response:
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return Response(status, body, [("Content-Type", "application/json; charset=utf-8")])


class ReplicaHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body go out without a delayed-ACK stall
    timeout = 30  # an idle keep-alive connection is dropped after this many seconds
    server: ReplicaServer

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the replica prints nothing per request (the request log is in memory)."""

    def parse_request(self) -> bool:
        """Every well-formed request (any method) goes into the request log before it is
        answered, unless it calls the control API."""
        if not super().parse_request():
            return False
        self.log_request_line()
        return True

    def log_request_line(self) -> None:
        self.logged = None
        if not is_control(urlsplit(self.path).path):
            agent = self.headers.get("User-Agent")
            self.logged = self.server.requests.record(self.command, self.path, agent)

    def mark_answered(self) -> None:
        """The request log's time of the answer's start, for the request being answered."""
        self.server.requests.answered(getattr(self, "logged", None))

    def do_GET(self) -> None:
        self.respond(head=False)

    def do_HEAD(self) -> None:
        self.respond(head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        if path == BEACON_PATH:
            self.send(beacon_response(), head=False, count=True)
            return
        response = self.guarded(lambda: self.control_post(path, payload))
        self.send(response, head=False, count=False)

    def respond(self, head: bool) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        if path == BEACON_PATH:
            self.send(beacon_response(), head, count=True)
            return
        if path.startswith(CONTROL_PREFIX):
            self.send(self.guarded(lambda: self.control_get(path)), head, count=False)
            return
        host = self.headers.get("Host") or self.server.base_url.removeprefix("http://")
        site = self.server.site
        if site.faults.active:
            loop_hop = ("loop", "1") in parse_qsl(parts.query)
            found = site.fault_decision(path, loop_hop, time.monotonic())
            if found is not None:
                self.fault(found[0], found[1], path, head, host)
                return
        self.send(self.guarded(lambda: site.get(path, self.headers, host)), head, count=True)

    def fault(self, decision: Decision, kind: str, path: str, head: bool, host: str) -> None:
        """Answer a request to a faulted page (README, "Fault modes"); kind is list or article."""
        self.server.stats.record_fault(decision)
        site = self.server.site
        action = decision.action
        if action in ("timeout", "reset"):
            self.server.stats.record(kind, None, 0)
            if action == "timeout":
                time.sleep(decision.timeout)  # the request was read; nothing is sent
            else:
                self.server.abort(self.connection)
            self.close_connection = True
            return
        if action == "slow":
            time.sleep(SLOW_DELAY)
        if action is None or action == "slow":
            response = self.guarded(lambda: site.get(path, self.headers, host))
        elif action == "truncated":
            response = self.guarded(lambda: site.get(path, {}, host))  # validators ignored
            response.truncate = True
        elif action in ERROR_STATUS:
            response = html_response(ERROR_STATUS[action], pages.SERVER_ERROR_PAGE, kind)
        elif action in ("challenge", "block"):
            response = html_response(412, pages.CHALLENGE_PAGE, kind)
        elif action == "too_many_requests":
            headers = [("Content-Type", "text/html"), ("Retry-After", str(RETRY_AFTER))]
            response = Response(429, pages.TOO_MANY_REQUESTS_PAGE.encode(), headers, kind)
        elif action in ("redirect_loop", "loop_forth"):
            response = Response(302, b"", [("Location", f"http://{host}{path}?loop=1")], kind)
        else:  # loop_back
            response = Response(302, b"", [("Location", f"http://{host}{path}")], kind)
        self.send(response, head, count=True)

    def guarded(self, produce) -> Response:
        try:
            return produce()
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return Response(500, b"internal error\n", [("Content-Type", "text/plain")])

    def send(self, response: Response, head: bool, count: bool) -> None:
        """Contract: every response carries Content-Length except 204 and 304 (no body).
        Counting happens before the bytes leave, so a client that has read a whole response
        and then asks for the stats always finds it counted."""
        self.mark_answered()
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        has_body = response.status not in (204, 304)
        if has_body:
            self.send_header("Content-Length", str(response.content_length))
        stats = self.server.stats if count else None
        if stats:
            stats.record(response.kind, response.status, 0)
        self.end_headers()
        if has_body and not head and response.stream is not None:
            self.send_stream(response, stats)
        elif has_body and not head:
            body = response.body
            if response.truncate:
                body = body[: len(body) // 2]
                self.close_connection = True  # the client sees fewer bytes than promised
            self.write_counted(body, stats)

    def write_counted(self, piece: bytes, stats: Stats | None) -> None:
        """Write one piece, counted as sent unless the write fails."""
        if stats:
            stats.add_sent(len(piece))
        try:
            self.wfile.write(piece)
        except BaseException:
            if stats:
                stats.add_sent(-len(piece))
            raise

    def send_stream(self, response: Response, stats: Stats | None) -> None:
        """Write a streamed body piece by piece; a client that stops reading and closes (a
        crawler at its size cap) ends it."""
        assert response.stream is not None
        try:
            for piece in response.stream():
                self.write_counted(piece, stats)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    # --- control API (never linked from pages)

    def control_get(self, path: str) -> Response:
        site = self.server.site
        if path == "/_replica/day":
            return json_response(200, site.day_info())
        if path == "/_replica/truth":
            body = site.truth_json(site.day, site.faults.settings, site.templates)
            return Response(200, body, [("Content-Type", "application/json; charset=utf-8")])
        if path == "/_replica/stats":
            return json_response(200, self.server.stats.snapshot())
        if path == "/_replica/faults":
            return json_response(200, site.faults.document())
        if path == "/_replica/template":
            return json_response(200, site.templates_info())
        if path == "/_replica/requests":
            timed = ("timed", "1") in parse_qsl(urlsplit(self.path).query)
            return json_response(200, self.server.requests.document(timed))
        if path == "/_replica/options":
            options = asdict(site.options)
            options["start_date"] = site.options.start_date.isoformat()
            return json_response(200, options)
        return json_response(404, {"error": f"no control endpoint {path}"})

    def control_post(self, path: str, payload: bytes) -> Response:
        site = self.server.site
        if path == "/_replica/day":
            try:
                site.set_day(int(json.loads(payload)["day"]))
            except (ValueError, KeyError, TypeError) as error:
                return json_response(400, {"error": f'expected {{"day": N}}: {error}'})
            return json_response(200, site.day_info())
        if path == "/_replica/faults":
            try:
                settings = site.faults.settings.updated(json.loads(payload or b"{}"))
            except ValueError as error:  # JSONDecodeError included
                return json_response(400, {"error": f"bad fault settings: {error}"})
            site.faults.configure(settings)
            return json_response(200, site.faults.document())
        if path == "/_replica/template":
            try:
                templates = TemplateSettings.from_payload(json.loads(payload or b"{}"))
            except (ValueError, TypeError) as error:  # JSONDecodeError included
                return json_response(400, {"error": f"bad article template setting: {error}"})
            site.set_templates(templates)
            return json_response(200, site.templates_info())
        if path == "/_replica/stats/reset":
            self.server.stats.reset()
            return json_response(200, self.server.stats.snapshot())
        if path == "/_replica/requests/reset":
            self.server.requests.reset()
            return json_response(200, self.server.requests.document())
        return json_response(404, {"error": f"no control endpoint {path}"})


class MirrorHandler(ReplicaHandler):
    """GET and HEAD of the mirror host; everything it does not hold is a 404."""

    server: MirrorServer  # type: ignore[assignment]

    def log_request_line(self) -> None:
        """The mirror host keeps no request log."""

    def mark_answered(self) -> None:
        """Nor any time of its answers."""

    def respond(self, head: bool) -> None:
        path = urlsplit(self.path).path
        site = self.server.site
        self.send(self.guarded(lambda: site.mirror_get(path)), head, count=False)

    def do_POST(self) -> None:
        self.send(json_response(404, {"error": "the mirror has no control API"}), False, False)
