"""Memento (RFC 7089) in words and headers: 14-digit timestamps, HTTP dates, the closest memento,
Link headers and TimeMaps. No web framework here: the replay application composes these."""

from __future__ import annotations

import email.utils
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from archive.browse import Memento

TIMESTAMP = "%Y%m%d%H%M%S"
# How a partial timestamp is completed (Wayback's way): the earliest moment it names.
_PADDING = "00000101000000"


@dataclass(frozen=True)
class Routes:
    """Where the Memento resources of one original live (absolute URLs)."""

    origin: str  # the replay origin, e.g. http://127.0.0.1:8081
    original: str

    def memento(self, memento: Memento) -> str:
        return f"{self.origin}/web/{timestamp(memento.captured_at)}/{self.original}"

    @property
    def timegate(self) -> str:
        return f"{self.origin}/timegate/{self.original}"

    @property
    def timemap_link(self) -> str:
        return f"{self.origin}/timemap/link/{self.original}"

    @property
    def timemap_json(self) -> str:
        return f"{self.origin}/timemap/json/{self.original}"


def timestamp(moment: datetime) -> str:
    """A capture time as 14 digits, in UTC."""
    return moment.astimezone(UTC).strftime(TIMESTAMP)


def parse_timestamp(digits: str) -> datetime:
    """1 to 14 digits as a UTC time, completed as the earliest moment they name; ValueError if
    they are not digits or name no date."""
    if not (digits.isascii() and digits.isdigit()) or not 1 <= len(digits) <= 14:
        raise ValueError(f"{digits!r} is not a timestamp of 1 to 14 digits")
    padded = digits + _PADDING[len(digits) :] if len(digits) < 14 else digits
    return datetime.strptime(padded, TIMESTAMP).replace(tzinfo=UTC)


def http_date(moment: datetime) -> str:
    """RFC 1123, as Memento-Datetime and datetime attributes need it."""
    return email.utils.format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_http_date(value: str) -> datetime:
    """An Accept-Datetime value (an RFC 1123 date in GMT); ValueError otherwise."""
    try:
        moment = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        raise ValueError(
            f"{value!r} is not an HTTP date like Tue, 02 Dec 2025 08:00:00 GMT"
        ) from None
    if moment is None or moment.tzinfo is None:
        raise ValueError(f"{value!r} is not an HTTP date in GMT")
    return moment.astimezone(UTC)


def closest(mementos: Sequence[Memento], moment: datetime) -> Memento:
    """The memento nearest in time (the earlier of two as near); `mementos` oldest first."""
    return min(
        mementos,
        key=lambda m: (abs((m.captured_at - moment).total_seconds()), m.captured_at > moment),
    )


def at_second(mementos: Sequence[Memento], moment: datetime) -> Memento | None:
    """The memento captured in that very second (the last of several), if any."""
    same = [m for m in mementos if timestamp(m.captured_at) == timestamp(moment)]
    return same[-1] if same else None


def link_header(routes: Routes, mementos: Sequence[Memento], current: Memento | None) -> str:
    """The Link header of a TimeGate's answer (`current` None) or of a memento."""
    links = [
        f'<{routes.original}>; rel="original"',
        f'<{routes.timegate}>; rel="timegate"',
        f'<{routes.timemap_link}>; rel="timemap"; type="application/link-format"',
    ]
    related: dict[str, list[str]] = {}
    for rel, memento in _neighbours(mementos, current):
        related.setdefault(routes.memento(memento), []).append(rel)
    by_uri = {routes.memento(m): m for m in mementos}
    for uri, rels in related.items():
        names = " ".join([*rels, "memento"])
        links.append(f'<{uri}>; rel="{names}"; datetime="{http_date(by_uri[uri].captured_at)}"')
    return ", ".join(links)


def _neighbours(mementos: Sequence[Memento], current: Memento | None) -> list[tuple[str, Memento]]:
    found = [("first", mementos[0]), ("last", mementos[-1])]
    if current is not None:
        index = next(i for i, m in enumerate(mementos) if m.capture_id == current.capture_id)
        if index > 0:
            found.append(("prev", mementos[index - 1]))
        if index + 1 < len(mementos):
            found.append(("next", mementos[index + 1]))
    return found


def timemap_link_format(routes: Routes, mementos: Sequence[Memento]) -> str:
    """application/link-format: the original, the TimeGate, this TimeMap, every memento."""
    lines = [
        f'<{routes.original}>; rel="original"',
        f'<{routes.timegate}>; rel="timegate"',
        f'<{routes.timemap_link}>; rel="self"; type="application/link-format"; '
        f'from="{http_date(mementos[0].captured_at)}"; until="{http_date(mementos[-1].captured_at)}"',
    ]
    lines += [
        f'<{routes.memento(m)}>; rel="memento"; datetime="{http_date(m.captured_at)}"'
        for m in mementos
    ]
    return ",\n".join(lines) + "\n"


def timemap_json(routes: Routes, mementos: Sequence[Memento]) -> dict[str, Any]:
    """The same TimeMap as JSON (the shape Memento aggregators use)."""
    listed = [
        {"datetime": m.captured_at.astimezone(UTC).isoformat(), "uri": routes.memento(m)}
        for m in mementos
    ]
    return {
        "original_uri": routes.original,
        "timegate_uri": routes.timegate,
        "timemap_uri": {
            "link_format": routes.timemap_link,
            "json_format": routes.timemap_json,
        },
        "mementos": {"first": listed[0], "last": listed[-1], "list": listed},
    }
