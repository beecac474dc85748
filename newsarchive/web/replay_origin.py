"""Where the replay origin is, as the browser reaching the application sees it."""

from __future__ import annotations

from starlette.requests import Request


def replay_origin(request: Request) -> str:
    """The configured origin, else this host on the replay port."""
    configured: str | None = request.app.state.replay_origin
    if configured:
        return configured.rstrip("/")
    port = request.app.state.replay_port
    host = request.url.hostname or "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"{request.url.scheme}://{host}:{port}"
