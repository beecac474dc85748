"""Differences between two versions of a record, field by field, text at character level."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archive.records import RECORD_FIELDS
from archive.text.diff import Span, char_spans, span_counts

if TYPE_CHECKING:
    from archive.query import VersionRecord


@dataclass(frozen=True)
class FieldDiff:
    field: str
    old: Any
    new: Any
    spans: tuple[Span, ...]

    @property
    def chars_added(self) -> int:
        return span_counts(self.spans)[0]

    @property
    def chars_removed(self) -> int:
        return span_counts(self.spans)[1]

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "spans": [s.to_json() for s in self.spans],
            "chars_added": self.chars_added,
            "chars_removed": self.chars_removed,
        }


@dataclass(frozen=True)
class VersionDiff:
    url: str
    old_version: int
    new_version: int
    fields: tuple[FieldDiff, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "from": self.old_version,
            "to": self.new_version,
            "changed_fields": [f.field for f in self.fields],
            "fields": [f.to_json() for f in self.fields],
        }


def diff_records(old: VersionRecord, new: VersionRecord) -> VersionDiff:
    """Every record field that differs between `old` and `new`, with character spans."""
    old_fields, new_fields = old.fields(), new.fields()
    diffs = tuple(
        field_diff(name, old_fields[name], new_fields[name])
        for name in RECORD_FIELDS
        if old_fields[name] != new_fields[name]
    )
    return VersionDiff(old.url, old.version, new.version, diffs)


def field_diff(name: str, old: Any, new: Any) -> FieldDiff:
    """One field compared character by character; lists and objects as their indented JSON."""
    return FieldDiff(name, old, new, char_spans(_text(old), _text(new)))


def field_counts(
    old: Mapping[str, Any], new: Mapping[str, Any], names: Iterable[str]
) -> dict[str, tuple[int, int]]:
    """Characters added and removed in each of the fields `names`, exactly as a diff counts
    them: the one computation behind diff, the change report and history."""
    counts = {}
    for name in names:
        changed = field_diff(name, old.get(name), new.get(name))
        counts[name] = (changed.chars_added, changed.chars_removed)
    return counts


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1)
