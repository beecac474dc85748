"""Atom feeds (RFC 4287) of the change report: each entry the change's summary and, for a
changed article, its inline character-level diff as escaped HTML."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from archive.diff import VersionDiff
from archive.query import ChangeEvent
from newsarchive.web.templating import inline_diff

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
ET.register_namespace("", ATOM)


def _tag(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def _add(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _tag(name), attributes)
    if text is not None:
        element.text = text
    return element


def atom(
    *,
    title: str,
    feed_url: str,
    page_url: str,
    events: Sequence[ChangeEvent],
    link: Callable[[ChangeEvent], str],
    diff: Callable[[ChangeEvent], VersionDiff | None],
    updated: datetime,
) -> bytes:
    """The feed: `link` gives an event's page, `diff` a changed article's diff (or None)."""
    feed = ET.Element(_tag("feed"))
    _add(feed, "title", title)
    _add(feed, "id", feed_url)
    _add(feed, "updated", _when(events[0].at if events else updated))
    _add(feed, "link", rel="self", href=feed_url, type="application/atom+xml")
    _add(feed, "link", rel="alternate", href=page_url, type="text/html")
    author = _add(feed, "author")
    _add(author, "name", "newsarchive")
    _add(feed, "generator", "newsarchive")
    for event in events:
        _entry(feed, event, link(event), diff(event))
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def _entry(feed: ET.Element, event: ChangeEvent, url: str, diff: VersionDiff | None) -> None:
    entry = _add(feed, "entry")
    _add(entry, "title", f"{event.kind}: {event.title or event.url}")
    _add(entry, "id", f"{url}#{event.kind}-{event.at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}")
    _add(entry, "updated", _when(event.at))
    _add(entry, "link", rel="alternate", href=url, type="text/html")
    _add(entry, "summary", summary(event))
    if diff is not None:
        _add(entry, "content", str(inline_diff(diff)), type="html")


def summary(event: ChangeEvent) -> str:
    """One line: the kind, the version, the classes and the characters added and removed."""
    parts = [event.kind]
    if event.version is not None:
        parts.append(f"version {event.version}")
    if event.classes:
        parts.append(", ".join(event.classes))
    if event.chars_added is not None:
        parts.append(f"+{event.chars_added} −{event.chars_removed} characters")
    detail = ", ".join(f"{key} {value}" for key, value in event.detail)
    return " · ".join(parts + ([detail] if detail else [])) + f" · {event.url}"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
