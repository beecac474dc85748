"""How well the generic extractor reads article pages, beside trafilatura on the same pages.

Each folder holds `<id>.html` (the page's bytes) and `<id>.json` (what is correct, written by hand:
see tests/data/extraction/README.md). For every page both extractors run in the same process;
printed per family (the JSON's "family", else "unknown") and overall:

- body F1: over the multiset of non-whitespace characters (CJK has no words), per page, then
  the mean over pages (a page an extractor returned nothing for counts 0);
- title: exact match after folding whitespace; date: the same calendar day; source: exact match
  (trafilatura reads no 来源, so it has none);
- empty: the pages the extractor returned nothing for.

Nothing is asserted: the figures are for reading.

    python -m bench.extraction_accuracy --pages tests/data/extraction [--pages DIR2 ...] [--detail]
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.text.fold import fold_spaces
from crawler.extract.generic import read_generic


@dataclass(frozen=True)
class Reading:
    """What one extractor made of one page (None fields: nothing found)."""

    title: str | None
    day: str | None  # YYYY-MM-DD
    source: str | None
    body: str | None


@dataclass(frozen=True)
class Score:
    f1: float
    precision: float
    recall: float
    title: bool
    date: bool
    source: bool | None  # None: the extractor reads no source
    empty: bool


def read_with_generic(html: bytes, url: str) -> Reading:
    record = read_generic(html, url)
    if record is None:
        return Reading(None, None, None, None)
    day = record.published_at.date().isoformat() if record.published_at else None
    return Reading(record.title, day, record.source, record.body)


def read_with_trafilatura(html: bytes, url: str) -> Reading:
    import trafilatura  # the comparison, an optional extra: pip install 'newsarchive[bench]'

    document = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if document is None:
        return Reading(None, None, None, None)
    found: dict[str, Any] = document if isinstance(document, dict) else document.as_dict()
    return Reading(
        found.get("title"), (found.get("date") or "")[:10] or None, None, found.get("text")
    )


EXTRACTORS: dict[str, Callable[[bytes, str], Reading]] = {
    "generic": read_with_generic,
    "trafilatura": read_with_trafilatura,
}


def char_f1(found: str | None, expected: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the non-whitespace characters of `found`, as multisets."""
    got, want = _characters(found or ""), _characters(expected)
    common = sum((got & want).values())
    if not common:
        return 0.0, 0.0, 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def _characters(text: str) -> Counter[str]:
    return Counter(char for char in text if not char.isspace())


def score(reading: Reading, expected: dict[str, Any], reads_source: bool) -> Score:
    precision, recall, f1 = char_f1(reading.body, expected["body"])
    want_day = (expected.get("published_at") or "")[:10] or None
    return Score(
        f1=f1,
        precision=precision,
        recall=recall,
        title=fold_spaces(reading.title or "") == fold_spaces(expected["title"]),
        date=reading.day == want_day,
        source=(fold_spaces(reading.source or "") == fold_spaces(expected.get("source") or ""))
        if reads_source
        else None,
        empty=reading.body is None,
    )


def pages(folders: list[Path]) -> list[tuple[str, bytes, dict[str, Any]]]:
    """(id, bytes, expectations) of every page with its JSON in `folders`."""
    found = []
    for folder in folders:
        for html in sorted(folder.glob("*.html")):
            expected = html.with_suffix(".json")
            if expected.exists():
                found.append(
                    (html.stem, html.read_bytes(), json.loads(expected.read_text("utf-8")))
                )
    return found


def summary(scores: list[Score]) -> str:
    def share(values: list[bool | None]) -> str:
        known = [v for v in values if v is not None]
        return f"{100 * sum(known) / len(known):5.1f}%" if known else "   n/a"

    f1 = statistics.fmean(s.f1 for s in scores)
    p = statistics.fmean(s.precision for s in scores)
    r = statistics.fmean(s.recall for s in scores)
    empty = sum(s.empty for s in scores)
    return (
        f"F1 {f1:.3f} (P {p:.3f} R {r:.3f})  title {share([s.title for s in scores])}  "
        f"date {share([s.date for s in scores])}  source {share([s.source for s in scores])}  "
        f"empty {empty}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, action="append", required=True)
    parser.add_argument("--detail", action="store_true", help="one line per page as well")
    arguments = parser.parse_args()
    found = pages(arguments.pages)
    by_family: dict[str, dict[str, list[Score]]] = defaultdict(lambda: defaultdict(list))
    for page_id, html, expected in found:
        family = expected.get("family") or "unknown"
        for name, extract in EXTRACTORS.items():
            result = score(extract(html, expected["url"]), expected, name != "trafilatura")
            by_family[family][name].append(result)
            by_family["ALL"][name].append(result)
            if arguments.detail:
                print(f"{page_id:28} {name:12} F1 {result.f1:.3f} title {result.title:d} "
                      f"date {result.date:d} source {result.source} empty {result.empty:d}")  # fmt: skip
    print(f"{len(found)} pages")
    for family in sorted(by_family, key=lambda f: (f == "ALL", f)):
        print(f"{family} ({len(by_family[family]['generic'])} pages)")
        for name, scores in by_family[family].items():
            print(f"  {name:12} {summary(scores)}")


if __name__ == "__main__":
    main()
