"""What discover found, as a site profile: its origin, name, evidence and TOML text, checked."""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from crawler.extract.decoding import decode_html
from crawler.sites.discover import (
    Column,
    ColumnCheck,
    Site,
    Undiscoverable,
    aliases,
    bare,
    is_dns_name,
    news_rank,
    profile_data,
    same_site,
    spelled,
)
from crawler.sites.profile import available_profiles, load_profile, profile_from
from crawler.sites.urls import SiteUrls, check_http
from crawler.sites.visit import Visit

# The keys of a written profile, in the order the county profiles write them.
TOP_KEYS = ("name", "extends", "title", "origin", "aliases", "confidence", "verified", "evidence")
# TOML basic strings take JSON's escapes, and DEL escaped too.
_DEL = "\x7f"


@dataclass
class Discovery:
    """The site, the columns checked and the one chosen, and the profile that says so."""

    site: Site
    checks: list[ColumnCheck]
    chosen: ColumnCheck
    origin: str
    aliases: list[str]
    name: str
    title: str
    evidence: str
    notes: list[str] = field(default_factory=list)
    text: str = ""  # the profile, TOML

    @property
    def verified(self) -> bool:
        return self.chosen.verified


def normal_url(url: str) -> str:
    """`url` with its scheme and host in lower case and without its default port (UrlError
    when it is not a well-formed http(s) URL)."""
    parts = check_http(url.strip())
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), spelled(url.strip()), path, parts.query, ""))


def profile_name(host: str) -> str:
    """The name of a site's profile: the name of the profile that covers its host already (a
    discovered profile takes its place), else the host's first label after www. (meixian)."""
    for name in available_profiles():
        profile = load_profile(name)
        urls = SiteUrls(profile)
        if any(urls.is_own(f"{scheme}://{host}/") for scheme in ("http", "https")):
            return name
    label = bare(host).split(".")[0] if is_dns_name(host) else bare(host)
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "site"


def scheme_votes(site: Site, visit: Visit) -> Counter[str]:
    """How the site's own pages spell links to its own host: http or https, counted over every
    page of the visit (absolute links, the Url meta tags of articles)."""
    pattern = re.compile(rf"\b(https?)://(?:www\.)?{re.escape(bare(site.host))}(?![\w.-])", re.I)
    votes: Counter[str] = Counter()
    for fetched in visit.pages.values():
        if fetched.status == 200 and site.own(fetched.url):
            text = decode_html(fetched.body, fetched.content_type).text
            votes.update(found.group(1).lower() for found in pattern.finditer(text))
    return votes


def site_origin(site: Site, visit: Visit, given: str | None) -> tuple[str, str]:
    """The site's origin and why: the one given (--origin); else its host with the scheme its
    own links use most, or, when none says, the scheme of the URL given."""
    if given:
        return given, "The origin is the one given (--origin)."
    votes = scheme_votes(site, visit)
    scheme = urlsplit(site.url).scheme
    if votes and votes.most_common(1)[0][1] > votes.get(scheme, 0):
        scheme = votes.most_common(1)[0][0]
    why = f"{votes[scheme]} of its own links say {scheme}" if votes else "as the URL given"
    return f"{scheme}://{site.host}", f"The origin is {scheme}://{site.host} ({why})."


def choose(checks: list[ColumnCheck], site: Site) -> ColumnCheck:
    """The first verified column; else the first whose list was read; else Undiscoverable."""
    verified = [check for check in checks if check.verified]
    listed = [check for check in checks if check.has_list]
    if verified or listed:
        return (verified or listed)[0]
    seen = ", ".join(f"{c.path} {c.name}".strip() for c in site.columns.values()) or "none"
    tried = "; ".join(f"{c.column.path}: {c.problem}" for c in checks) or "none named like news"
    raise Undiscoverable(
        f"{site.url} is on {site.platform.name}, but no column of it holds a list of articles "
        f"(columns linked: {seen}; checked: {tried}): give the news column's own URL."
    )


def conclude(
    site: Site, visit: Visit, checks: list[ColumnCheck], name: str, origin: tuple[str, str]
) -> Discovery:
    """The profile of what was found: the chosen column, its origin (from `site_origin`), the
    other spellings of its host, a title, the evidence; its TOML checked to load as written."""
    chosen = choose(checks, site)
    found = Discovery(
        site=site,
        checks=checks,
        chosen=chosen,
        origin=origin[0],
        aliases=aliases(origin[0], site.served),
        name=name,
        title=" · ".join(filter(None, (site.name, chosen.name or chosen.column.name))),
        evidence=evidence(site, chosen, date.today()),
        notes=[*host_notes(site, origin[0]), origin[1], *template_notes(chosen)],
    )
    found.text = profile_text(found)
    return found


def host_notes(site: Site, origin: str) -> list[str]:
    """What the user should know of the host the pages came from and the one they name."""
    served, host = spelled(site.served), spelled(origin)
    if not site.domain:
        return ["The pages do not name their host (no SiteDomain meta): --origin corrects it."]
    if served == host:
        return []
    if same_site(served, host) and is_dns_name(host):
        return [
            f"The URL spells the host {served}; the site names itself {site.domain}: "
            f"{site.served} is kept as an alias."
        ]
    return [
        f"The pages were served by {site.served}, while the site names itself {site.domain}: "
        f"crawl it with --base-url {site.served}."
    ]


def template_notes(chosen: ColumnCheck) -> list[str]:
    if chosen.template_first or chosen.template is None:
        return []
    return [
        f"Its list is read by template {chosen.template}, which the platform tries after one "
        "that finds other items: the profile lists it first."
    ]


def evidence(site: Site, chosen: ColumnCheck, day: date) -> str:
    """One sentence of what was found and what was read of it."""
    column = chosen.column
    where = "; ".join(column.found_on[:3])
    pages = f", {chosen.pages} pages in all" if chosen.pages else ""
    read = [a for a in chosen.articles if a.read]
    said = (
        f"newsarchive discover ({day.isoformat()}) found {chosen.name or column.name or 'the column'} "
        f"at {column.path} on {site.host} ({where}); its first list page (template "
        f"{chosen.template}{pages}) "
        f"lists {chosen.listed} articles, and {len(read)} of {len(chosen.articles)} read "
    )
    if chosen.verified:
        return said + "with title, date and body by the platform's rules"
    problems = "; ".join(sorted({a.problem for a in chosen.articles if a.problem}))
    return said + f"by the platform's rules ({problems or 'none was read'})"


def profile_data_of(found: Discovery) -> dict[str, Any]:
    chosen = found.chosen
    data = profile_data(
        found.site.platform, found.name, found.origin, found.aliases, (chosen.column.path,)
    )
    data.update(
        title=found.title,
        confidence="high" if found.verified else "low",
        verified=found.verified,
        evidence=found.evidence,
    )
    if not chosen.template_first:
        first = [t for t in found.site.platform.templates if t.get("name") == chosen.template]
        rest = [t for t in found.site.platform.templates if t.get("name") != chosen.template]
        data["listing"]["templates"] = [dict(t) for t in first + rest]
    return data


def profile_text(found: Discovery) -> str:
    """The profile as TOML in the county profiles' layout; it must read back as the data it was
    written from and load as a profile, or nothing is written."""
    data = profile_data_of(found)
    lines = [
        f"# {found.title or found.name}: found by `newsarchive discover {found.site.url}`.",
        "# What vouches for the column is its evidence; edit it like any profile (docs/sites.md).",
        *(f"{key} = {toml_value(data[key])}" for key in TOP_KEYS),
        "",
        "[listing]",
        f"paths = {toml_value(data['listing']['paths'])}",
        f"# list template on its list page: {found.chosen.template}",
    ]
    for template in data["listing"].get("templates", []):
        lines += ["", "[[listing.templates]]"]
        lines += [f"{key} = {toml_value(value)}" for key, value in template.items()]
    text = "\n".join(lines) + "\n"
    if tomllib.loads(text) != data:
        raise AssertionError(f"the profile written does not read back as its data:\n{text}")
    profile_from(found.name, data)  # ProfileError if it would not load
    return text


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace(_DEL, "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def findings_json(found: Discovery) -> dict[str, Any]:
    """What was found, for scripts: the site, its columns, the checks, the profile."""
    site = found.site
    return {
        "url": site.url,
        "served_from": site.served,
        "platform": site.platform.name,
        "site": {"name": site.name, "domain": site.domain, "id_code": site.code},
        "origin": found.origin,
        "aliases": found.aliases,
        "columns": [_column_json(site, column) for column in site.columns.values()],
        "checks": [_check_json(check) for check in found.checks],
        "chosen": found.chosen.column.path,
        "verified": found.verified,
        "name": found.name,
        "title": found.title,
        "evidence": found.evidence,
        "notes": found.notes,
        "profile": found.text,
    }


def _column_json(site: Site, column: Column) -> dict[str, Any]:
    return {
        "path": column.path,
        "name": column.name,
        "names": column.names,
        "found_on": column.found_on,
        "given": column.given,
        "news": news_rank(column, site.platform.news_names) is not None,
    }


def _check_json(check: ColumnCheck) -> dict[str, Any]:
    return {
        "path": check.column.path,
        "name": check.name or check.column.name,
        "status": check.status,
        "template": check.template,
        "template_first": check.template_first,
        "list_pages": check.pages,
        "listed": check.listed,
        "articles": [asdict(article) | {"read": article.read} for article in check.articles],
        "verified": check.verified,
        "problem": check.problem,
    }
