"""`newsarchive serve`: the archive for people, in a browser, and for scripts, as JSON."""

from __future__ import annotations

import click

from newsarchive.cli.base import reading
from newsarchive.cli.options import db_option


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="The application's port.",
)
@click.option(
    "--replay-port",
    type=click.IntRange(1, 65535),
    help="Port of the second origin that serves archived pages and Memento [default: PORT+1].",
)
@click.option(
    "--replay-origin",
    metavar="URL",
    help="The replay origin as browsers reach it, behind a proxy (default: this host, REPLAY-PORT).",
)
@db_option
def serve(
    host: str, port: int, replay_port: int | None, replay_origin: str | None, db_url: str | None
) -> None:
    """Serve the archive read-only: pages, a JSON API (/api/v1) and Memento (RFC 7089).

    Pages: / (sites, latest changes), /sites/SITE, /articles/ID (timeline), its versions and
    diffs, /changes (and .atom feeds), /search, /runs. Archived pages are shown, sandboxed, from
    a second origin on REPLAY-PORT, which also answers /web/TIMESTAMP/URL, /timegate/URL and
    /timemap/link/URL. Only GET and HEAD; nothing is written.

    \b
    newsarchive serve                                # http://127.0.0.1:8080/
    newsarchive serve --port 9000 --db /srv/archive/newsarchive.db
    newsarchive serve --host 0.0.0.0                 # reachable from other machines
    """
    from newsarchive.web.server import is_loopback
    from newsarchive.web.server import serve as run

    replay = replay_port or port + 1
    if replay == port:
        from crawler.run.exits import EXIT_USAGE
        from newsarchive.cli.base import Failed

        raise Failed(
            "--replay-port must differ from --port: archived pages need their own origin.",
            EXIT_USAGE,
        )
    with reading(db_url) as archive:
        if not is_loopback(host):
            click.echo(
                f"Warning: serving on {host}, not loopback: anyone who can reach this machine "
                "can read the archive.",
                err=True,
            )
        click.echo(
            f"newsarchive: http://{_shown(host)}:{port}/ (archived pages from port {replay})",
            err=True,
        )
        run(archive, host, port, replay, replay_origin)


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host
