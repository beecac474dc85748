"""Middleware for both origins: only GET and HEAD (nothing here writes), no address longer than
MAX_TARGET, and a Content-Security-Policy on every answer that does not set its own."""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED = frozenset({"GET", "HEAD"})
MAX_TARGET = (
    8192  # characters of path and query: far beyond any page's, well inside uvicorn's limit
)
Policy = Callable[[Scope], str | None]


class ReadOnlyGuard:
    """405 with a sentence for any method but GET and HEAD, 400 for an overlong address;
    `policy(scope)` is the CSP of answers that carry none (None: leave them as they are)."""

    def __init__(self, app: ASGIApp, policy: Policy | None = None) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ALLOWED:
            method = str(scope["method"])[:20]
            await _sentence(
                send,
                405,
                f"{method} is not allowed: the archive is read here, never written.",
                [(b"allow", b"GET, HEAD")],
            )
            return
        length = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if length > MAX_TARGET:
            await _sentence(
                send, 400, f"This address is too long ({length} characters; at most {MAX_TARGET})."
            )
            return
        policy = self.policy(scope) if self.policy else None
        head = scope["method"] == "HEAD"

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if policy and "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = policy
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}  # HEAD: the GET's headers, no body
            await send(message)

        # Every route answers HEAD as its GET (FastAPI routes declare GET alone).
        await self.app({**scope, "method": "GET"} if head else scope, receive, send_with_policy)


async def _sentence(
    send: Send, status: int, sentence: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = (sentence + "\n").encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
