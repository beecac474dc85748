"""`newsarchive serve`: the archive for people, in a browser, and for scripts, as JSON."""

from __future__ import annotations

import click

from crawler.run.exits import EXIT_TEMPORARY, EXIT_USAGE
from newsarchive.cli.base import Failed, reading
from newsarchive.cli.options import db_option

PORT = click.IntRange(0, 65535)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=PORT,
    help="The application's port (0: any free one).",
)
@click.option(
    "--replay-port",
    type=PORT,
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
    /timemap/link/URL. Only GET and HEAD; nothing is written. SIGINT or SIGTERM stops it (exit 0).

    \b
    newsarchive serve                                # http://127.0.0.1:8080/
    newsarchive serve --port 9000 --db /srv/archive/newsarchive.db
    newsarchive serve --host 0.0.0.0                 # reachable from other machines
    """
    from newsarchive.web.server import ListenError, Origins, is_loopback
    from newsarchive.web.server import serve as run

    replay = replay_port if replay_port is not None else (port + 1 if port else 0)
    if replay == port and port:
        raise Failed(
            "--replay-port must differ from --port: archived pages need their own origin.",
            EXIT_USAGE,
        )
    if not is_loopback(host):
        click.echo(
            f"Warning: serving on {host}, not loopback: anyone who can reach this machine "
            "can read the archive.",
            err=True,
        )

    def announce(origins: Origins) -> None:
        click.echo(f"newsarchive: {origins.app}/ (archived pages from {origins.replay})", err=True)

    with reading(db_url) as archive:
        try:
            run(archive, host, (port, replay), replay_origin, announce)
        except ListenError as exc:
            raise Failed(str(exc), EXIT_TEMPORARY if exc.in_use else EXIT_USAGE) from None
