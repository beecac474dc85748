"""`newsarchive discover`: a site's news column found from its own pages, written as a profile."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import click

from crawler.run.exits import EXIT_ERRORS, EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_USAGE
from crawler.sites.discover import (
    ColumnCheck,
    Site,
    Undiscoverable,
    check_columns,
    known_platforms,
    news_rank,
    recognise,
    same_site,
    spelled,
)
from crawler.sites.discovered import (
    Discovery,
    conclude,
    findings_json,
    normal_url,
    profile_name,
    site_origin,
)
from crawler.sites.profile import PROFILE_PATH_ENV, ProfileError, profile_dirs, user_profile_dir
from crawler.sites.urls import UrlError
from crawler.sites.visit import Disallowed, Unreachable, Visit, http_fetch
from newsarchive import __version__
from newsarchive.cli.base import Failed
from newsarchive.cli.options import json_option
from newsarchive.cli.render import json_text

USER_AGENT = f"newsarchive/{__version__} (discover)"
# A profile's name is its file's; generic-… names are the generic reader's profiles.
NAME = r"[A-Za-z0-9][A-Za-z0-9_-]*"


@click.command("discover")
@click.argument("url")
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    help="Write the profile here (- prints it) [default: NAME.toml in your profile folder].",
)
@click.option("--name", help="The profile's name [default: the site's profile's, or its host's].")
@click.option("--origin", metavar="URL", help="The site's origin, if its pages say it wrong.")
@click.option("--force", is_flag=True, help="Replace a profile file that exists.")
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="Wait between two requests.",
)
@json_option
def discover_command(
    url: str,
    output: str | None,
    name: str | None,
    origin: str | None,
    force: bool,
    delay: float,
    as_json: bool,
) -> None:
    """Find the news column of a site on a platform newsarchive knows (the Baoji county
    platform), from its home page or a column's page, check it, and write its profile.

    The page names its site (SiteName, SiteDomain metas) and links its columns (/col8264/,
    /col8173/col8174/); the columns named like news (要闻, 新闻, 动态) are checked best first:
    the column's list page is read with the platform's list templates and three of its
    articles with the platform's rules. A column whose articles read (title, date, body) is
    verified. The profile (origin from what the site says of itself, the other spellings of
    its host as aliases, the column, the evidence) goes to your profile folder, where
    `newsarchive sites` lists it and `newsarchive crawl NAME` crawls it; an existing file is
    replaced only with --force. One request at a time, robots.txt obeyed, no archive opened.

    \b
    newsarchive discover http://www.meixian.gov.cn/
    newsarchive discover http://www.chencang.gov.cn/col8173/ --output - > chencang.toml
    newsarchive discover http://127.0.0.1:8000/ --origin http://www.meixian.gov.cn --json

    Exit codes: 0 a verified profile written; 1 a profile written whose articles did not read
    (verified = false); 2 a bad option or URL, or the file exists; 65 the page is not on a
    platform newsarchive knows, or its site shows no column with a list; 69 the URL could not
    be reached.
    """
    given = _url(url)
    override = _origin(origin) if origin else None
    target = _explicit_target(output, force)
    name = _name(name, target)
    visit = Visit(http_fetch(USER_AGENT, delay), USER_AGENT)
    site = _recognised(given, visit)
    host = spelled(override) if override else site.host
    name = name or _profile_name(host)
    target = target if output else _default_target(name, force)
    provisional = override or f"{urlsplit(given).scheme}://{site.host}"
    checks = check_columns(site, visit, provisional)
    found = _concluded(site, visit, checks, name, override)
    found.notes += _place_notes(target, name)
    _deliver(found, target, visit, as_json)
    if not found.verified:
        click.get_current_context().exit(EXIT_ERRORS)


def _url(url: str) -> str:
    try:
        return normal_url(url)
    except UrlError as exc:
        raise Failed(str(exc), EXIT_USAGE) from None


def _origin(origin: str) -> str:
    parts = urlsplit(_url(origin))
    if parts.path not in ("", "/") or parts.query:
        raise Failed(
            f"--origin {origin} is not an origin like http://www.example.gov.cn.", EXIT_USAGE
        )
    return f"{parts.scheme}://{parts.netloc}"


def _explicit_target(output: str | None, force: bool) -> Path | None:
    """The file --output names (None for - or none given), refused before any request when it
    exists and --force is not given, or is not a .toml file."""
    if output is None or output == "-":
        return None
    target = Path(output).expanduser()
    if target.suffix != ".toml":
        raise Failed(
            f"{output} does not end in .toml: profiles are read from *.toml files.", EXIT_USAGE
        )
    return _writable(target, force)


def _name(name: str | None, target: Path | None) -> str | None:
    if target is not None and name not in (None, target.stem):
        raise Failed(f"A profile's name is its file's: {name}.toml, not {target.name}.", EXIT_USAGE)
    name = name or (target.stem if target is not None else None)
    if name is not None and (not re.fullmatch(NAME, name) or name.startswith("generic")):
        raise Failed(
            f"{name!r} cannot name a profile: letters, digits, - and _ (not generic…).", EXIT_USAGE
        )
    return name


def _profile_name(host: str) -> str:
    try:
        return profile_name(host)
    except ProfileError as exc:
        raise Failed(str(exc), EXIT_USAGE) from None


def _default_target(name: str, force: bool) -> Path:
    """NAME.toml in the first $NEWSARCHIVE_PROFILE_PATH folder, else in the user's folder."""
    entries = [p for p in os.environ.get(PROFILE_PATH_ENV, "").split(os.pathsep) if p]
    folder = Path(entries[0]) if entries else user_profile_dir()
    if folder is None:
        raise Failed(
            f"There is no folder for your profiles (no home folder): give --output FILE or set "
            f"{PROFILE_PATH_ENV}.",
            EXIT_USAGE,
        )
    return _writable(folder.expanduser() / f"{name}.toml", force)


def _writable(target: Path, force: bool) -> Path:
    if target.exists() and not force:
        raise Failed(
            f"{target} exists: give --force to replace it, or --output another file.", EXIT_USAGE
        )
    if target.is_dir():
        raise Failed(f"{target} is a folder, not a profile file.", EXIT_USAGE)
    return target


def _recognised(url: str, visit: Visit) -> Site:
    try:
        return recognise(url, visit, known_platforms())
    except Unreachable as exc:
        raise Failed(str(exc), EXIT_UNREACHABLE) from None
    except (Undiscoverable, Disallowed) as exc:
        raise Failed(str(exc).rstrip(".") + ".", EXIT_REFUSED) from None
    except ProfileError as exc:
        raise Failed(str(exc), EXIT_USAGE) from None


def _concluded(
    site: Site, visit: Visit, checks: list[ColumnCheck], name: str, override: str | None
) -> Discovery:
    try:
        return conclude(site, visit, checks, name, site_origin(site, visit, override))
    except Undiscoverable as exc:
        raise Failed(str(exc), EXIT_REFUSED) from None
    except ProfileError as exc:
        raise Failed(f"The profile found would not load: {exc}", EXIT_USAGE) from None


def _place_notes(target: Path | None, name: str) -> list[str]:
    """Whether `newsarchive sites` will read the file, and which profile file it takes the
    place of (the first folder holding a name wins)."""
    if target is None:
        return []
    folders = [folder.resolve() for folder in profile_dirs()]
    here = target.parent.resolve()
    if here not in folders:
        return [f"{target.parent} is not a profile folder: add it to {PROFILE_PATH_ENV}."]
    before = [f / f"{name}.toml" for f in folders[: folders.index(here)]]
    after = [f / f"{name}.toml" for f in folders[folders.index(here) + 1 :]]
    notes = [f"{path} comes first and hides it." for path in before if path.is_file()]
    notes += [f"It takes the place of {path}." for path in after[:1] if path.is_file()]
    return notes


def _deliver(found: Discovery, target: Path | None, visit: Visit, as_json: bool) -> None:
    """The profile to its file (or standard output), and the report beside it."""
    if target is not None:
        _write(target, found.text)
    if as_json:
        where = str(target) if target is not None else None
        click.echo(
            json_text({**findings_json(found), "written": where, "requests": visit.requests})
        )
        return
    if target is None:
        click.echo(found.text, nl=False)
    lines = [*_report(found), _outcome(found, target)]
    click.echo("\n".join(lines), err=target is None)


def _write(target: Path, text: str) -> None:
    """Written whole or not at all: a temporary file beside it, then renamed over it."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=target.parent, suffix=".tmp", delete=False
        ) as handle:
            handle.write(text)
        os.replace(handle.name, target)
    except OSError as exc:
        raise Failed(f"Cannot write {target}: {exc.strerror or exc}.", EXIT_USAGE) from None


def _report(found: Discovery) -> list[str]:
    site = found.site
    named = ", ".join(filter(None, (site.name, site.code)))
    lines = [f"{site.host}{f' ({named})' if named else ''} is on {site.platform.name}."]
    words = site.platform.news_names
    columns = [
        f"{c.path} {c.name or '?'}{' (news)' if news_rank(c, words) is not None else ''}"
        for c in site.columns.values()
    ]
    lines.append(f"columns: {', '.join(columns)}")
    for check in found.checks:
        lines.append(
            f"checked {check.column.path} {check.name or check.column.name}: {_said(check)}"
        )
    return lines + found.notes


def _said(check: ColumnCheck) -> str:
    if check.problem:
        return check.problem
    read = sum(article.read for article in check.articles)
    pages = f", {check.pages} pages" if check.pages else ""
    state = "verified" if check.verified else "not verified"
    problems = sorted({a.problem for a in check.articles if a.problem})
    said = f"list template {check.template}{pages}, {check.listed} articles; "
    said += f"{read} of {len(check.articles)} articles read: {state}"
    return said + (f" ({'; '.join(problems)})" if problems else "")


def _outcome(found: Discovery, target: Path | None) -> str:
    state = "verified" if found.verified else "NOT verified (verified = false)"
    where = f"wrote {target}" if target is not None else "printed the profile"
    base = (
        ""
        if same_site(spelled(found.site.served), spelled(found.origin))
        else (f" --base-url {found.site.served}")
    )
    return f"{where}: profile {found.name}, {state}; crawl it with: newsarchive crawl {found.name}{base}"
