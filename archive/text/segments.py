"""Search's view of a version's text (archive.search): its segments, folded, as index tokens."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

END = "\x03"  # ends every indexed segment, so its last character begins a pair


def fold(value: str) -> str:
    """Text as search compares it: NFKC (full-width forms to ASCII), case-folded."""
    return unicodedata.normalize("NFKC", value).casefold()


def pairs(folded: str) -> str:
    """The index tokens of a folded segment: each overlapping pair of characters."""
    # Every code point in hex at once (UTF-32: eight digits each, the first two always 0, as
    # code points end at 10FFFF), then sliced in pairs: a crawl writes thousands of paragraphs.
    digits = (folded + END).encode("utf-32-be", "surrogatepass").hex()
    return " ".join(
        [
            "x" + digits[i + 2 : i + 8] + digits[i + 10 : i + 16]
            for i in range(0, len(digits) - 8, 8)
        ]
    )


def segments(title: str, body: str) -> list[tuple[str, int, str]]:
    """A version's segments: (field, position, text) for its title and each body paragraph."""
    found = [("title", 0, title)]
    found += [("body", i, line) for i, line in enumerate(body.split("\n")) if line]
    return found


def digest(segment: str) -> str:
    """The SHA-256 (hex) of a segment's text: what its key in the archive is made of."""
    return hashlib.sha256(segment.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Prepared:
    """What indexing a version needs of its text alone, worked out beforehand (by an extraction
    worker, off the writer's path): its segments as segments() gives them, the digest of each,
    and the index tokens (pairs) of each folded."""

    segments: tuple[tuple[str, int, str], ...]
    digests: tuple[str, ...]
    tokens: tuple[str, ...]


def prepare(title: str, body: str) -> Prepared:
    """The Prepared of a version with this title and body."""
    found = tuple(segments(title, body))
    return Prepared(
        found,
        tuple(digest(segment) for _, _, segment in found),
        tuple(pairs(fold(segment)) for _, _, segment in found),
    )
