"""What kind of change a version is: a class per changed field, and cosmetic edits told apart."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from archive.text.fold import typographic_key

COSMETIC = "cosmetic"
REPARSE = "reparse"
# The classes in report order; body_html has none (it presents body, images and links).
CLASSES = (
    "title",
    "body",
    "published_at",
    "source",
    "column",
    "images",
    "attachments",
    "links",
    "doc_id",
    COSMETIC,
    REPARSE,
)
_NO_CLASS = frozenset({"body_html"})


def change_class(field: str, old: Any, new: Any) -> str | None:
    """The class of a change to `field`: the field's own, `cosmetic`, or None for body_html."""
    if field in _NO_CLASS:
        return None
    if typographic_key(old) == typographic_key(new):
        return COSMETIC
    return field


def classify(
    fields: Iterable[str], old: Mapping[str, Any], new: Mapping[str, Any]
) -> dict[str, str | None]:
    """Each changed field with its class."""
    return {name: change_class(name, old.get(name), new.get(name)) for name in fields}


def version_counts(
    counts: Mapping[str, tuple[int, int]], field_classes: Mapping[str, str | None]
) -> tuple[int, int]:
    """A version's characters added and removed: over its changed fields that have a class
    (body_html presents the others, and would count their changes twice)."""
    classed = [counts[name] for name, cls in field_classes.items() if cls is not None]
    return sum(added for added, _ in classed), sum(removed for _, removed in classed)


def version_classes(field_classes: Mapping[str, str | None]) -> list[str]:
    """A version's classes in report order; a version is cosmetic only if every change is."""
    found = {cls for cls in field_classes.values() if cls}
    if len(found) > 1:
        found.discard(COSMETIC)
    return [cls for cls in CLASSES if cls in found]
