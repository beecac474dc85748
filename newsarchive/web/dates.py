"""Times as the application shows them: in Asia/Shanghai with the offset, UTC on hover and in JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")


def local(moment: datetime | None) -> str:
    """`2025-12-02 16:00 +08:00`: the site's own time, with the offset that says so."""
    if moment is None:
        return ""
    shown = moment.astimezone(ZONE)
    offset = shown.strftime("%z")
    return f"{shown:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"


def utc(moment: datetime | None) -> str:
    """`2025-12-02T08:00:00Z`: the same moment in UTC, for a title attribute or a datetime one."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_day(moment: datetime) -> date:
    return moment.astimezone(ZONE).date()
