"""Character-level differences between two texts (Chinese has no spaces to split words at)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

Op = Literal["equal", "insert", "delete"]


@dataclass(frozen=True)
class Span:
    """A run of characters equal in both, only in the new (insert), or only in the old (delete)."""

    op: Op
    text: str

    def to_json(self) -> dict[str, str]:
        return {"op": self.op, "text": self.text}


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


def span_counts(spans: tuple[Span, ...]) -> tuple[int, int]:
    """Characters added and removed by an edit."""
    added = sum(len(span.text) for span in spans if span.op == "insert")
    removed = sum(len(span.text) for span in spans if span.op == "delete")
    return added, removed


def char_counts(old: str | None, new: str | None) -> tuple[int, int]:
    """Characters added and removed between two texts, compared character by character."""
    return span_counts(char_spans(old or "", new or ""))


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
