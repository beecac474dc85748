"""Durations as settings write them: `90s`, `45m`, `6h`, `1d`, `2w`, or plain seconds."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "": 1}


def parse_duration(text: str) -> timedelta:
    """`text` as a timedelta; ValueError when it is not a duration."""
    found = _DURATION.match(str(text))
    if not found:
        raise ValueError(f"{text!r} is not a duration like 6h, 1d or 2w")
    return timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2)])
