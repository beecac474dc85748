"""Golden pages: stored page bytes against hand-written expectations, one test per output field.

Each folder in tests/golden/ is one case: `page.html` (the bytes as served), `meta.json` (canonical
URL, Content-Type as served, kind, notes) and `expected.json`, written by hand from the page. The
expectations say what is correct; a failing test names the case and the field that differs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from archive.records import Extracted
from crawler.extract.article import ArticleExtractor, ArticleReading
from crawler.extract.listing import ListExtractor, ListPage
from crawler.sites.profile import SiteProfile, load_profile
from crawler.sites.urls import SiteUrls

GOLDEN = Path(__file__).with_name("golden")
ORIGIN = "http://www.chencang.gov.cn/"
FILES = ("page.html", "meta.json", "expected.json")
RECORD_FIELDS = (
    "title",
    "published_at",
    "published_precision",
    "source",
    "column",
    "body",
    "images",
    "attachments",
    "links",
    "doc_id",
)
PROVENANCE_FIELDS = ("title", "published_at", "source", "column", "body")
LIST_FIELDS = ("total_pages", "template", "articles")
# Never present in sanitized body HTML.
UNSAFE_HTML = {
    "script": re.compile(r"<script", re.IGNORECASE),
    "event attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    url: str
    content_type: str | None
    body: bytes
    expected: dict[str, Any]

    @property
    def is_soft_404(self) -> bool:
        return self.expected.get("soft_404") is True


def _folders() -> list[Path]:
    return sorted(p for p in GOLDEN.iterdir() if p.is_dir()) if GOLDEN.is_dir() else []


def _read_json(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if text.strip() else None


def _problems(folder: Path) -> list[str]:
    """What makes a fixture folder unusable; an empty list when it is complete."""
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        return [f"missing {', '.join(missing)}"]
    try:
        meta, expected = _read_json(folder / "meta.json"), _read_json(folder / "expected.json")
    except (ValueError, UnicodeDecodeError) as error:
        return [f"unreadable JSON: {error}"]
    problems = _meta_problems(meta)
    if not (folder / "page.html").read_bytes():
        problems.append("page.html is empty")
    if not expected:
        return [*problems, "expected.json is empty"]
    kind = meta.get("kind") if isinstance(meta, dict) else None
    return problems + _expected_problems(kind, expected)


def _meta_problems(meta: Any) -> list[str]:
    if not isinstance(meta, dict):
        return ["meta.json is not an object"]
    problems = []
    if not str(meta.get("url", "")).startswith(ORIGIN):
        problems.append(f"meta url must be a canonical URL on {ORIGIN}")
    if "content_type" not in meta or not isinstance(meta["content_type"], str | None):
        problems.append("meta content_type must be the served header value or null")
    if meta.get("kind") not in ("article", "list"):
        problems.append('meta kind must be "article" or "list"')
    if not meta.get("notes"):
        problems.append("meta notes must say what the case covers")
    return problems


def _expected_problems(kind: str | None, expected: dict[str, Any]) -> list[str]:
    if kind == "list":
        problems = [f"expected.json lacks {f}" for f in LIST_FIELDS if f not in expected]
        return problems + ([] if expected.get("articles") else ["articles is empty"])
    if expected == {"soft_404": True}:
        return []
    record = expected.get("record") or {}
    provenance = expected.get("provenance") or {}
    problems = [f"record lacks {f}" for f in RECORD_FIELDS if f not in record]
    problems += [f"provenance lacks {f}" for f in PROVENANCE_FIELDS if not provenance.get(f)]
    problems += [
        f"record {f} is empty" for f in ("title", "published_at", "body") if not record.get(f)
    ]
    if not expected.get("body_html_contains"):
        problems.append("body_html_contains is empty")
    return problems


@cache
def _case(name: str) -> Case:
    folder = GOLDEN / name
    meta = _read_json(folder / "meta.json")
    return Case(
        name=name,
        kind=meta["kind"],
        url=meta["url"],
        content_type=meta["content_type"],
        body=(folder / "page.html").read_bytes(),
        expected=_read_json(folder / "expected.json"),
    )


def _usable_cases() -> list[Case]:
    return [_case(folder.name) for folder in _folders() if not _problems(folder)]


def _params(fields_of) -> list[Any]:
    return [
        pytest.param(case.name, field, id=f"{case.name}-{field}")
        for case in _usable_cases()
        for field in fields_of(case)
    ]


def _articles(case: Case) -> tuple[str, ...]:
    return RECORD_FIELDS if case.kind == "article" and not case.is_soft_404 else ()


def _provenance(case: Case) -> tuple[str, ...]:
    return tuple(f"provenance.{f}" for f in PROVENANCE_FIELDS) if _articles(case) else ()


def _body_html(case: Case) -> tuple[str, ...]:
    return ("body_html_safe", "body_html_contains") if _articles(case) else ()


def _soft_404(case: Case) -> tuple[str, ...]:
    return ("soft_404",) if case.kind == "article" else ()


def _lists(case: Case) -> tuple[str, ...]:
    return LIST_FIELDS if case.kind == "list" else ()


@cache
def _profile() -> SiteProfile:
    return load_profile("chencang")


@cache
def _urls() -> SiteUrls:
    return SiteUrls(_profile())


@cache
def _article_reading(name: str) -> ArticleReading:
    case = _case(name)
    return ArticleExtractor(_profile(), _urls()).read(case.body, case.content_type, case.url)


@cache
def _list_page(name: str) -> ListPage:
    case = _case(name)
    return ListExtractor(_profile(), _urls()).read(case.body, case.content_type, case.url)


def _extracted(name: str) -> Extracted:
    reading = _article_reading(name)
    if reading.extracted is None:
        pytest.fail(
            f"{name}: no record (problem: {reading.problem}, soft 404: {reading.is_soft_404})"
        )
    return reading.extracted


@pytest.mark.parametrize("name", [folder.name for folder in _folders()])
def test_fixture_is_complete(name):
    # A case with a missing file or an empty expectation must fail, never pass silently.
    assert _problems(GOLDEN / name) == []


def test_there_are_golden_pages_of_both_kinds():
    kinds = {case.kind for case in _usable_cases()}
    assert kinds == {"article", "list"}


@pytest.mark.parametrize(("name", "field"), _params(_articles))
def test_record_field(name, field):
    expected = _case(name).expected["record"][field]
    assert _extracted(name).record.fields()[field] == expected


@pytest.mark.parametrize(("name", "field"), _params(_provenance))
def test_provenance(name, field):
    # The rule recorded is the first rule of the profile that finds a value on this page.
    field = field.removeprefix("provenance.")
    expected = _case(name).expected["provenance"][field]
    assert _extracted(name).provenance.get(field) == expected


@pytest.mark.parametrize(("name", "field"), _params(_body_html))
def test_body_html(name, field):
    body_html = _extracted(name).record.body_html
    if field == "body_html_safe":
        found = [what for what, pattern in UNSAFE_HTML.items() if pattern.search(body_html)]
        assert found == [], f"body_html holds {', '.join(found)}"
    else:
        missing = [s for s in _case(name).expected["body_html_contains"] if s not in body_html]
        assert missing == [], f"body_html lacks {missing}"


@pytest.mark.parametrize(("name", "field"), _params(_soft_404))
def test_soft_404(name, field):
    # A soft 404 (status 200, an error page) is recognised and yields no record; an article is not one.
    case = _case(name)
    reading = _article_reading(name)
    assert reading.is_soft_404 is case.is_soft_404
    if case.is_soft_404:
        assert reading.extracted is None, "a soft 404 must not yield a record"


@pytest.mark.parametrize(("name", "field"), _params(_lists))
def test_list_field(name, field):
    page = _list_page(name)
    expected = _case(name).expected[field]
    if field == "articles":
        entries = page.articles(_urls())
        got: Any = [{"url": e.url, "title": e.title, "date": e.date} for e in entries]
    else:
        got = getattr(page, field)
    assert got == expected
