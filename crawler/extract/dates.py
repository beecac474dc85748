"""Publication dates as the site writes them, read by dateparser into timezone-aware datetimes."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
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
# A full date, and a time if one follows, anywhere in a text already NFKC-folded: 2024-02-07,
# 2024/2/7, 2024.02.07, 2024年2月7日, 2024 02/07 (a year in its own span); then 10:07, 10:07:33,
# 10时07分; then an offset (T…+08:00 of ISO 8601 meta tags).
DATE_IN_TEXT = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d\d)\s*(?:[-/.年]|\s)\s*(?P<month>\d{1,2})\s*[-/.月]\s*"
    r"(?P<day>\d{1,2})(?!\d)\s*日?"
    r"(?:(?:\s*|T|-)(?P<hour>\d{1,2})\s*[:时]\s*(?P<minute>\d{1,2})(?!\d)"
    r"(?:\s*[:分]\s*(?P<second>\d{1,2})(?!\d))?)?"
    r"(?:\.\d+)?(?P<offset>Z|[+-]\d\d:?\d\d)?"
)


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


def parse_date_with_precision(text: str, zone: ZoneInfo) -> tuple[datetime, str] | None:
    """The first full date in `text` and how precise the text is: "day" (a date alone is a day,
    not midnight), "minute" or "second"; in `zone` unless the text carries an offset.
    Texts with no date the pattern knows go to parse_date, whose result is as precise as its
    nonzero parts show."""
    cleaned = normalize_date_text(text)
    for found in DATE_IN_TEXT.finditer(cleaned):
        dated = _from_match(found, zone)
        if dated is not None:
            return dated
    parsed = parse_date(text, zone)
    if parsed is None:
        return None
    if parsed.second:
        return parsed, "second"
    return parsed, "minute" if parsed.hour or parsed.minute else "day"


def _from_match(found: re.Match[str], zone: ZoneInfo) -> tuple[datetime, str] | None:
    parts = {
        name: int(value) for name, value in found.groupdict().items() if value and name != "offset"
    }
    try:
        moment = datetime(
            parts["year"], parts["month"], parts["day"], parts.get("hour", 0),
            parts.get("minute", 0), parts.get("second", 0),
        )  # fmt: skip
    except ValueError:  # 2024-02-30, 25:00: not a date, perhaps a version number
        return None
    precision = "second" if "second" in parts else "minute" if "hour" in parts else "day"
    offset = found.group("offset")
    if offset is None or "hour" not in parts:
        return moment.replace(tzinfo=zone), precision
    return moment.replace(tzinfo=_offset(offset)).astimezone(zone), precision


def _offset(text: str) -> timezone:
    if text == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(-delta if text[0] == "-" else delta)
