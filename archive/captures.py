"""A capture's row stored whole, or relative to its page's base capture (the latest stored whole).

A quiet re-check repeats nearly all of its page's previous capture: the same URLs, the same
headers but the Date. Such a capture stores its URLs as "the base's" and its headers as a delta
of the base's (archive.packing: relative forms), so its row holds little more than its time,
outcome and chain digest. A base is always stored whole, so any value decodes with one look-up;
the column types decode them (archive.packing), so every reader sees the values as fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select

from archive import packing
from archive.models import Capture
from archive.packing import raw

CAPTURE = cast(Table, Capture.__table__)
RELATIVE_COLUMNS = packing.RELATIVE_COLUMNS
# The page's latest capture: the base, or relative to it.
_LATEST = (
    select(CAPTURE.c.id, raw(CAPTURE.c.requested_url))
    .where(CAPTURE.c.page_id == bindparam("page_id"))
    .order_by(CAPTURE.c.captured_at.desc(), CAPTURE.c.id.desc())
    .limit(1)
)
_WHOLE = select(CAPTURE.c.id, *(raw(CAPTURE.c[name]) for name in RELATIVE_COLUMNS)).where(
    CAPTURE.c.id == bindparam("id")
)


@dataclass(frozen=True)
class Base:
    """A capture stored whole that later captures of its page are stored relative to."""

    id: int
    requested_url: str
    final_url: str
    headers: str  # JSON text


def base_of(connection: Connection, page_id: int) -> Base | None:
    """The page's base: its latest capture if stored whole, else the one that capture is
    relative to; None for a page without captures (or whose base no longer reads)."""
    latest = connection.execute(_LATEST, {"page_id": page_id}).first()
    if latest is None:
        return None
    base_id = latest.id
    if packing.is_relative(latest.requested_url):
        base_id, _ = packing.split_relative(bytes(latest.requested_url))
    row = connection.execute(_WHOLE, {"id": base_id}).first()
    if row is None or any(packing.is_relative(row._mapping[n]) for n in RELATIVE_COLUMNS):
        return None
    try:
        values = [packing.unpack(row._mapping[n], connection.dialect) for n in RELATIVE_COLUMNS]
    except ValueError:
        return None
    return Base(int(row.id), *values)


def compact(values: dict[str, Any], headers: Any, base: Base | None) -> dict[str, Any]:
    """The stored form of a capture's column `values` (`headers` what PackedJSON is given for
    them whole: a frame, or the value): relative to `base` where it requested the same URL, each relative value used
    only where it is smaller; whole (a new base) where there is no base or the URL differs."""
    stored = {**values, "headers": headers}
    if base is None or values["requested_url"] != base.requested_url:
        return stored
    stored["requested_url"] = packing.relative(base.id)
    if values["final_url"] == base.final_url:
        stored["final_url"] = packing.relative(base.id)
    text = packing.json_text(values["headers"])
    delta = packing.relative(base.id, packing.make_delta(text, base.headers))
    if len(delta) < _size(headers):
        stored["headers"] = delta
    return stored


def _size(stored: Any) -> int:
    """Bytes a PackedJSON column stores for what it is given: a frame, or a value's JSON text."""
    if isinstance(stored, bytes):
        return len(stored)
    return len(packing.json_text(stored).encode("utf-8"))
