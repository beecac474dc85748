"""The HTTP layer: a threading HTTP/1.1 keep-alive server, request stats and the control API."""

from __future__ import annotations

import json
import sys
import threading
import traceback
from collections import Counter
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .site import Response, Site

CONTROL_PREFIX = "/_replica/"


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

    def record(self, kind: str, status: int, sent: int) -> None:
        with self.lock:
            self.total += 1
            self.by_kind[kind] += 1
            self.by_status[status] += 1
            self.bytes_sent += sent

    def snapshot(self) -> dict[str, object]:
        with self.lock:
            kinds = {kind: self.by_kind[kind] for kind in ("list", "article", "asset", "other")}
            return {
                "total": self.total,
                "by_kind": kinds,
                "by_status": {str(status): n for status, n in sorted(self.by_status.items())},
                "bytes_sent": self.bytes_sent,
            }


class ReplicaServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], site: Site) -> None:
        super().__init__(address, ReplicaHandler)
        self.site = site
        self.stats = Stats()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


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
        """Quiet: the replica logs nothing per request."""

    def do_GET(self) -> None:
        self.respond(head=False)

    def do_HEAD(self) -> None:
        self.respond(head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        response = self.guarded(lambda: self.control_post(path, payload))
        self.send(response, head=False, count=False)

    def respond(self, head: bool) -> None:
        path = urlsplit(self.path).path
        if path.startswith(CONTROL_PREFIX):
            self.send(self.guarded(lambda: self.control_get(path)), head, count=False)
            return
        host = self.headers.get("Host") or self.server.base_url.removeprefix("http://")
        site = self.server.site
        self.send(self.guarded(lambda: site.get(path, self.headers, host)), head, count=True)

    def guarded(self, produce) -> Response:
        try:
            return produce()
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return Response(500, b"internal error\n", [("Content-Type", "text/plain")])

    def send(self, response: Response, head: bool, count: bool) -> None:
        """Contract: every response carries Content-Length except 304, which has no body."""
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        has_body = response.status != 304
        if has_body:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        sent = 0
        if has_body and not head:
            body = response.body
            if response.truncate:
                body = body[: len(body) // 2]
                self.close_connection = True  # the client sees fewer bytes than promised
            self.wfile.write(body)
            sent = len(body)
        if count:
            self.server.stats.record(response.kind, response.status, sent)

    # --- control API (never linked from pages)

    def control_get(self, path: str) -> Response:
        site = self.server.site
        if path == "/_replica/day":
            return json_response(200, site.day_info())
        if path == "/_replica/truth":
            body = site.truth_json(site.day)
            return Response(200, body, [("Content-Type", "application/json; charset=utf-8")])
        if path == "/_replica/stats":
            return json_response(200, self.server.stats.snapshot())
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
        if path == "/_replica/stats/reset":
            self.server.stats.reset()
            return json_response(200, self.server.stats.snapshot())
        return json_response(404, {"error": f"no control endpoint {path}"})


class MirrorHandler(ReplicaHandler):
    """GET and HEAD of the mirror host; everything it does not hold is a 404."""

    server: MirrorServer  # type: ignore[assignment]

    def respond(self, head: bool) -> None:
        path = urlsplit(self.path).path
        site = self.server.site
        self.send(self.guarded(lambda: site.mirror_get(path)), head, count=False)

    def do_POST(self) -> None:
        self.send(json_response(404, {"error": "the mirror has no control API"}), False, False)
