"""Differences between two versions: field by field, text at character level (no word splitting)."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from archive.records import RECORD_FIELDS

if TYPE_CHECKING:  # a type only: text diffs need no database (extraction workers import this)
    from archive.query import VersionRecord

Op = Literal["equal", "insert", "delete"]


@dataclass(frozen=True)
class Span:
    """A run of characters equal in both, only in the new (insert), or only in the old (delete)."""

    op: Op
    text: str

    def to_json(self) -> dict[str, str]:
        return {"op": self.op, "text": self.text}


@dataclass(frozen=True)
class FieldDiff:
    field: str
    old: Any
    new: Any
    spans: tuple[Span, ...]

    @property
    def chars_added(self) -> int:
        return sum(len(s.text) for s in self.spans if s.op == "insert")

    @property
    def chars_removed(self) -> int:
        return sum(len(s.text) for s in self.spans if s.op == "delete")

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
        FieldDiff(
            name,
            old_fields[name],
            new_fields[name],
            char_spans(_text(old_fields[name]), _text(new_fields[name])),
        )
        for name in RECORD_FIELDS
        if old_fields[name] != new_fields[name]
    )
    return VersionDiff(old.url, old.version, new.version, diffs)


def char_spans(old: str, new: str) -> tuple[Span, ...]:
    """The character-level edit from `old` to `new` as equal/delete/insert spans, in order."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    spans: list[Span] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            spans.append(Span("equal", old[i1:i2]))
            continue
        if i2 > i1:
            spans.append(Span("delete", old[i1:i2]))
        if j2 > j1:
            spans.append(Span("insert", new[j1:j2]))
    return tuple(spans)


def render_spans(spans: tuple[Span, ...], *, context: int = 20) -> str:
    """Spans as `[-deleted-]{+inserted+}` text; long equal runs keep `context` chars each side."""
    out: list[str] = []
    for index, span in enumerate(spans):
        if span.op == "delete":
            out.append(f"[-{span.text}-]")
        elif span.op == "insert":
            out.append(f"{{+{span.text}+}}")
        else:
            out.append(_elide(span.text, context, first=index == 0, last=index == len(spans) - 1))
    return "".join(out)


def _elide(text: str, context: int, *, first: bool, last: bool) -> str:
    keep_head = 0 if first else context
    keep_tail = 0 if last else context
    if len(text) <= keep_head + keep_tail + 1:
        return text
    return text[:keep_head] + "…" + (text[len(text) - keep_tail :] if keep_tail else "")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1)
