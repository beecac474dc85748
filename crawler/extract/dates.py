"""Publication dates as the site writes them, read by dateparser into timezone-aware datetimes."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

import dateparser

# The forms the platform writes, tried first (a fast exact path); dateparser's own parsing is the
# fallback for anything else. NFKC has already turned full-width digits and colons into ASCII.
DATE_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
    "%Y年%m月%d日",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
]
_BRACKETS = re.compile(r"[\[\]【】()（）]")
_SPACES = re.compile(r"\s+")
_LABEL = re.compile(r"^[^\d:]*:\s*")  # `发布时间:` before the date, after NFKC


def normalize_date_text(text: str) -> str:
    """Folds full-width characters, NBSP and brackets: `［2024－02－07］` → `2024-02-07`."""
    folded = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", _BRACKETS.sub(" ", folded)).strip()


def parse_date(text: str, zone: ZoneInfo) -> datetime | None:
    """The datetime `text` names, in `zone` when it carries no offset; None if it names no full date."""
    cleaned = normalize_date_text(text)
    if not cleaned:
        return None
    exact = _exact(cleaned)
    if exact is not None:
        return exact.replace(tzinfo=zone)
    parsed = dateparser.parse(
        cleaned,
        date_formats=DATE_FORMATS,
        languages=["zh", "en"],
        settings={
            "TIMEZONE": zone.key,
            "RETURN_AS_TIMEZONE_AWARE": True,
            "REQUIRE_PARTS": ["year", "month", "day"],
        },
    )
    return parsed.astimezone(zone) if parsed else None


def _exact(cleaned: str) -> datetime | None:
    # What dateparser does first with `date_formats`, without the cost of building its settings
    # and parsers on every call (a third of a millisecond per article).
    unlabelled = _LABEL.sub("", cleaned)
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(unlabelled, date_format)
        except ValueError:
            continue
    return None
