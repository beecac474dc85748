"""The commands that change what the crawl follows: untrack a page archived by mistake, track it again."""

from __future__ import annotations

import click

from archive.store import Store
from newsarchive.cli.base import page_key, writing
from newsarchive.cli.options import db_option, json_option
from newsarchive.cli.render import json_text


@click.command()
@click.argument("url")
@click.option("--reason", required=True, help="Why, in a sentence: it is kept with the page.")
@db_option
@json_option
def untrack(url: str, reason: str, db_url: str | None, as_json: bool) -> None:
    """Stop tracking an archived page (archived by mistake, say): crawls no longer fetch it.

    Its history stays whole; the change is an `untracked` event with your reason, shown by
    history and changes. `newsarchive track` undoes it.

    \b
    newsarchive untrack http://www.chencang.gov.cn/col8173/col8174/202402/t20240207_160040.html \\
        --reason "a test page the site published by mistake"
    """
    _set_tracked(url, False, reason, db_url, as_json)


@click.command()
@click.argument("url")
@click.option("--reason", default="", help="Why, in a sentence: it is kept with the page.")
@db_option
@json_option
def track(url: str, reason: str, db_url: str | None, as_json: bool) -> None:
    """Track an untracked page again: crawls check it on its schedule from now on.

    \b
    newsarchive track http://www.chencang.gov.cn/col8173/col8174/202402/t20240207_160040.html
    """
    _set_tracked(url, True, reason, db_url, as_json)


def _set_tracked(url: str, tracked: bool, reason: str, db_url: str | None, as_json: bool) -> None:
    with writing(db_url) as archive:
        page_url = Store(archive).set_tracked(page_key(url), tracked, reason)
    state = "tracked" if tracked else "untracked"
    if as_json:
        click.echo(json_text({"url": page_url, "state": state, "reason": reason}))
    else:
        click.echo(f"{state}: {page_url}")
