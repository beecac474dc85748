"""Records written out for other programs: JSON Lines, and CSV with list fields as JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TextIO

from archive.query import VersionRecord
from archive.records import RECORD_FIELDS

CSV_COLUMNS = [
    "url",
    *RECORD_FIELDS,
    "version",
    "captured_at",
    "changed_fields",
    "state",
    "listed",
]


def write_jsonl(records: Iterable[VersionRecord], out: TextIO) -> int:
    """One JSON record per line; returns how many were written."""
    count = 0
    for count, record in enumerate(records, 1):  # noqa: B007
        out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    return count


def write_csv(records: Iterable[VersionRecord], out: TextIO) -> int:
    """A header, then one row per record; returns how many were written."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    count = 0
    for count, record in enumerate(records, 1):  # noqa: B007
        writer.writerow({key: _cell(value) for key, value in record.to_json().items()})
    return count


def _cell(value: object) -> object:
    """A cell as spreadsheets read it: text and numbers as they are, true/false, lists as JSON."""
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, str | int) or value is None:
        return value
    return json.dumps(value, ensure_ascii=False)
