"""Site profiles: a site is data (TOML), loaded, merged with its platform and validated here."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROFILE_DIR = Path(__file__).with_name("profiles")
PROFILE_PATH_ENV = "NEWSARCHIVE_PROFILE_PATH"
RULE_KINDS = ("meta", "css", "label", "generic")
# The profile of pages on hosts no site profile covers (profiles/generic.toml): not a site.
GENERIC = "generic"
REQUIRED_FIELDS = ("title", "published_at", "source", "column", "body")


class ProfileError(ValueError):
    """A profile that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class ListTemplate:
    """One list-page layout: `items` selects the entries; `embedded` extracts HTML hidden in a script."""

    name: str
    items: str
    embedded: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Listing:
    paths: tuple[str, ...]
    page: str
    total_pattern: re.Pattern[str]
    templates: tuple[ListTemplate, ...]
    stop_after_known_pages: int


@dataclass(frozen=True)
class ArticleRules:
    url_patterns: tuple[re.Pattern[str], ...]
    doc_id_patterns: tuple[re.Pattern[str], ...]
    attachment_extensions: frozenset[str]
    soft_404_markers: tuple[str, ...]
    volatile_query_params: frozenset[str]
    tracking_query_params: tuple[str, ...]
    fields: Mapping[str, tuple[str, ...]]
    label_scope: tuple[str, ...]
    label_stops: tuple[str, ...]
    boilerplate_selectors: tuple[str, ...]
    boilerplate_lines: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class FileRules:
    """Which files an article references are archived: the body's images and the files it links
    (attachment extensions), up to a size; other hosts' files only when `offsite`."""

    fetch: bool
    max_size: int
    extensions: frozenset[str]  # images' and attachments'
    media_types: tuple[str, ...]  # also taken whatever the URL's extension ("image/*" allowed)
    offsite: bool


@dataclass(frozen=True)
class CopyRules:
    """Where the text of an article copied onto another site (a mirror) is found."""

    title: tuple[str, ...]
    body: tuple[str, ...]


@dataclass(frozen=True)
class SiteProfile:
    name: str
    title: str
    origin: str
    aliases: tuple[str, ...]
    timezone: ZoneInfo
    script: str
    version: int
    listing: Listing
    article: ArticleRules
    copies: CopyRules
    settings: Mapping[str, Any]
    files: FileRules = FileRules(False, 0, frozenset(), (), False)
    # What vouches for the news column: public sources' confidence in it (high, medium, low,
    # none), whether a crawl from here has read it (verified), and the sources, in words.
    # A profile whose column nobody knows is not enabled: it cannot be crawled until it is.
    confidence: str = "none"
    verified: bool = False
    evidence: str = ""
    enabled: bool = True
    # The platform profile it extends (its root): the sites of one platform share one back
    # end, so politeness is per platform (one Scrapy download slot), not per host.
    platform: str = ""

    @property
    def host(self) -> str:
        return urlsplit(self.origin).netloc

    @property
    def parser_version(self) -> str:
        """Names the rules that read a page, so a record can be traced to the profile of its time."""
        return f"{self.name}/{self.version}"


def profile_dirs() -> list[Path]:
    """Where profiles are looked up, the first holding a name winning: $NEWSARCHIVE_PROFILE_PATH
    entries, then the user's folder (user_profile_dir), then the built-ins."""
    extra = os.environ.get(PROFILE_PATH_ENV, "")
    user = user_profile_dir()
    return (
        [Path(p) for p in extra.split(os.pathsep) if p] + ([user] if user else []) + [PROFILE_DIR]
    )


def user_profile_dir() -> Path | None:
    """The user's own profiles (`newsarchive discover` writes there): $XDG_CONFIG_HOME/newsarchive/
    profiles, by default ~/.config/newsarchive/profiles; None when there is no home to put it in."""
    config = os.environ.get("XDG_CONFIG_HOME")
    if not config:
        try:
            config = str(Path.home() / ".config")
        except RuntimeError:  # no $HOME and no password entry (a sandboxed service)
            return None
    return Path(config) / "newsarchive" / "profiles"


def platform_profiles() -> list[str]:
    """Names of the platform profiles: the roots site profiles extend (no origin, no parent)."""
    return list(_platforms(_files_state()))


@lru_cache(maxsize=8)
def _platforms(state: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    names = sorted({Path(path).stem for path, _ in state} - {GENERIC})
    return tuple(n for n in names if not {"origin", "extends"} & _raw(n).keys())


def merged_profile(name: str) -> dict[str, Any]:
    """The profile file `name` merged with the ones it extends, as plain TOML data (a copy)."""
    return _merged(name)


def profile_from(name: str, raw: Mapping[str, Any]) -> SiteProfile:
    """The profile `raw` would be as the file `name`.toml: merged with what it extends and
    validated, so a profile can be checked before it is written."""
    data = dict(raw)
    parent = data.pop("extends", None)
    if not parent:
        return _build(name, {**data, "platform": data.get("platform", name)})
    return _build(name, _deep_merge(_merged(parent), data))


def available_profiles() -> list[str]:
    """Names of the site profiles that can be crawled (platform files, which lack an origin, excluded)."""
    return list(_available(_files_state()))


def platform_sites(profile: SiteProfile) -> int:
    """How many enabled site profiles share `profile`'s platform (its politeness), itself
    included; a profile that cannot be loaded is not counted."""
    others = set()
    for name in available_profiles():
        try:
            other = load_profile(name)
        except ProfileError:
            continue
        if other.enabled and other.platform == profile.platform:
            others.add(name)
    return len(others | {profile.name})


def _files_state() -> tuple[tuple[str, int], ...]:
    """The profile files as they are now (path, mtime): what the caches below are keyed on, so an
    edited or added profile is read afresh while an unchanged one is parsed once a process."""
    files = (path for folder in profile_dirs() for path in sorted(folder.glob("*.toml")))
    return tuple((str(path), path.stat().st_mtime_ns) for path in files)


@lru_cache(maxsize=8)
def _available(state: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    names = {Path(path).stem for path, _ in state}
    return tuple(sorted(name for name in names if "origin" in _raw(name) and name != GENERIC))


def generic_name(url: str) -> str:
    """The name of the generic profile of `url`'s host: `generic-https-www.example.gov.cn`."""
    parts = urlsplit(url)
    return f"{GENERIC}-{parts.scheme}-{parts.netloc.lower()}"


def load_profile(name: str) -> SiteProfile:
    """The validated profile `name`, merged with the profiles it extends; `generic-SCHEME-HOST`
    is the generic profile of that host (every field read by crawler.extract.generic)."""
    return _loaded(name, _files_state())


@lru_cache(maxsize=256)
def _loaded(name: str, state: tuple[tuple[str, int], ...]) -> SiteProfile:
    if name.startswith(f"{GENERIC}-"):
        return _generic(name)
    if name not in available_profiles():
        known = ", ".join(available_profiles())
        raise ProfileError(f"There is no site profile named {name!r}; known sites: {known}.")
    return _build(name, _merged(name))


def _generic(name: str) -> SiteProfile:
    scheme, _, host = name.removeprefix(f"{GENERIC}-").partition("-")
    if scheme not in ("http", "https") or not host:
        raise ProfileError(f"{name!r} is not a generic profile's name (generic-SCHEME-HOST).")
    raw = _merged(GENERIC)
    other = "https" if scheme == "http" else "http"
    raw.update(origin=f"{scheme}://{host}", aliases=[f"{other}://{host}"], title=host)
    raw["platform"] = name  # a host of no known platform: polite per host
    return _build(name, raw)


def _find(name: str) -> Path:
    for folder in profile_dirs():
        path = folder / f"{name}.toml"
        if path.is_file():
            return path
    folders = ", ".join(str(folder) for folder in profile_dirs())
    raise ProfileError(f"There is no profile file {name}.toml in {folders}.")


def _raw(name: str) -> dict[str, Any]:
    path = _find(name)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"The profile {path} is not valid TOML: {exc}.") from None


def _merged(name: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    if name in seen:
        raise ProfileError(f"Profile {name!r} extends itself through {' → '.join(seen)}.")
    raw = _raw(name)
    parent = raw.pop("extends", None)
    if not parent:
        return {**raw, "platform": raw.get("platform", name)}
    merged = _deep_merge(_merged(parent, (*seen, name)), raw)
    return merged


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _build(name: str, raw: dict[str, Any]) -> SiteProfile:
    where = f"site profile {name!r}"
    origin = _origin(_need(raw, "origin", where), where)
    return SiteProfile(
        name=name,
        title=raw.get("title", name),
        origin=origin,
        aliases=tuple(_origin(alias, where) for alias in raw.get("aliases", [])),
        timezone=_zone(raw.get("timezone", "Asia/Shanghai"), where),
        script=raw.get("script", "simplified"),
        version=int(raw.get("version", 1)),
        listing=_listing(_need(raw, "listing", where), where),
        article=_article(_need(raw, "article", where), where),
        copies=_copies(raw.get("copies", {}), where),
        settings=MappingProxyType(dict(raw.get("settings", {}))),
        files=_files(raw.get("files", {}), raw.get("article", {}), where),
        confidence=_choice(raw.get("confidence", "none"), CONFIDENCE, "confidence", where),
        verified=bool(raw.get("verified", False)),
        evidence=str(raw.get("evidence", "")),
        enabled=bool(raw.get("enabled", True)),
        platform=str(raw.get("platform", name)),
    )


def _listing(raw: dict[str, Any], where: str) -> Listing:
    paths = tuple(_need(raw, "paths", f"{where} [listing]"))
    for path in paths:
        if not (path.startswith("/") and path.endswith("/")):
            raise ProfileError(f"In {where}, list path {path!r} must start and end with '/'.")
    templates = tuple(_template(t, where) for t in _need(raw, "templates", f"{where} [listing]"))
    return Listing(
        paths=paths,
        page=_need(raw, "page", f"{where} [listing]"),
        total_pattern=_regex(_need(raw, "total_pattern", f"{where} [listing]"), where),
        templates=templates,
        stop_after_known_pages=int(raw.get("stop_after_known_pages", 1)),
    )


def _template(raw: dict[str, Any], where: str) -> ListTemplate:
    embedded = raw.get("embedded")
    return ListTemplate(
        name=_need(raw, "name", f"{where} list template"),
        items=_need(raw, "items", f"{where} list template"),
        embedded=_regex(embedded, where, re.DOTALL) if embedded else None,
    )


def _article(raw: dict[str, Any], where: str) -> ArticleRules:
    fields = {key: tuple(rules) for key, rules in _need(raw, "fields", where).items()}
    _check_fields(fields, where)
    labels = raw.get("labels", {})
    boilerplate = raw.get("boilerplate", {})
    return ArticleRules(
        url_patterns=tuple(_regex(p, where) for p in _need(raw, "url_patterns", where)),
        doc_id_patterns=tuple(_regex(p, where) for p in raw.get("doc_id_patterns", [])),
        attachment_extensions=frozenset(e.lower() for e in raw.get("attachment_extensions", [])),
        soft_404_markers=tuple(raw.get("soft_404_markers", [])),
        volatile_query_params=frozenset(raw.get("volatile_query_params", [])),
        tracking_query_params=tuple(raw.get("tracking_query_params", [])),
        fields=MappingProxyType(fields),
        label_scope=tuple(labels.get("scope", [])),
        label_stops=tuple(labels.get("stops", [])),
        boilerplate_selectors=tuple(boilerplate.get("selectors", [])),
        boilerplate_lines=tuple(_regex(p, where) for p in boilerplate.get("lines", [])),
    )


def _files(raw: dict[str, Any], article: dict[str, Any], where: str) -> FileRules:
    size = raw.get("max_size", 20 * 1024 * 1024)
    if not isinstance(size, int) or size <= 0:
        raise ProfileError(f"In {where}, [files] max_size must be a number of bytes above 0.")
    images = raw.get("image_extensions", [])
    attachments = article.get("attachment_extensions", [])
    return FileRules(
        fetch=bool(raw.get("fetch", False)),
        max_size=size,
        extensions=frozenset(e.lower() for e in (*images, *attachments)),
        media_types=tuple(t.lower() for t in raw.get("media_types", [])),
        offsite=bool(raw.get("offsite", False)),
    )


def _copies(raw: dict[str, Any], where: str) -> CopyRules:
    rules = CopyRules(tuple(raw.get("title", ["css:h1"])), tuple(raw.get("body", ["css:body"])))
    for rule in (*rules.title, *rules.body):
        if not rule.startswith("css:"):
            raise ProfileError(f"In {where}, [copies] rule {rule!r} must be css:….")
    return rules


def _check_fields(fields: dict[str, tuple[str, ...]], where: str) -> None:
    missing = [name for name in REQUIRED_FIELDS if not fields.get(name)]
    if missing:
        raise ProfileError(f"In {where}, [article.fields] needs rules for: {', '.join(missing)}.")
    for name, rules in fields.items():
        for rule in rules:
            kind, _, argument = rule.partition(":")
            if kind not in RULE_KINDS or not argument:
                raise ProfileError(
                    f"In {where}, rule {rule!r} for {name} must be one of "
                    f"{', '.join(k + ':…' for k in RULE_KINDS)}."
                )


CONFIDENCE = ("high", "medium", "low", "none")


def _choice(value: Any, choices: tuple[str, ...], key: str, where: str) -> str:
    if value not in choices:
        raise ProfileError(f"In {where}, {key} must be one of {', '.join(choices)}.")
    return str(value)


def _need(raw: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in raw:
        raise ProfileError(f"The {where} has no {key!r}.")
    return raw[key]


def _origin(value: str, where: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ProfileError(
            f"In {where}, {value!r} is not an origin like http://www.example.gov.cn."
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _zone(value: str, where: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProfileError(f"In {where}, {value!r} is not a known time zone.") from None


def _regex(pattern: str, where: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise ProfileError(
            f"In {where}, {pattern!r} is not a valid regular expression: {exc}."
        ) from None
