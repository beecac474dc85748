"""Search in Chinese over every version: any substring of a title or paragraph, of any length.

Chinese has no spaces, and most words are two characters, which trigram indexes cannot find. So
every title and paragraph (a segment, stored once however many versions hold it) is indexed as
the sequence of its overlapping character pairs, each written as one alphanumeric token
(`x` + the two code points in hex): a query of two or more characters is the phrase of its own
pairs, which matches exactly where the query occurs; a one-character query is the prefix of the
pairs it begins (every segment ends with a marker, so its last character begins one too). Text is
compared folded (NFKC, case-folded): full-width digits find ASCII ones, `GDP` finds `gdp`.

On SQLite the pairs live in an FTS5 table (`segment_fts`); elsewhere search falls back to a scan
of the folded segments, which is exact but slower. The write path indexes each version as it is
stored (archive.store), in its transaction; verify checks the index against the versions.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import Connection, Table, bindparam, func, insert, select, text
from sqlalchemy.orm import Session

from archive.database import Archive
from archive.errors import ArchiveError
from archive.models import FTS_TABLE, Page, Site, TextSegment, Version, VersionSegment

SEGMENT, VERSION_SEGMENT = cast(Table, TextSegment.__table__), cast(Table, VersionSegment.__table__)
END = "\x03"  # ends every indexed segment, so its last character begins a pair
WHERE = ("any", "current", "removed")
Where = Literal["any", "current", "removed"]
# At most this many segments are read back per query: a query that common is not a search.
MAX_SEGMENTS = 20_000

_SEGMENT_ID = select(SEGMENT.c.id).where(SEGMENT.c.sha256 == bindparam("sha256"))


class QueryError(ArchiveError):
    """A query that cannot be searched for; the message says why."""


def fold(value: str) -> str:
    """Text as search compares it: NFKC (full-width forms to ASCII), case-folded."""
    return unicodedata.normalize("NFKC", value).casefold()


def pairs(folded: str) -> str:
    """The index tokens of a folded segment: each overlapping pair of characters."""
    marked = folded + END
    return " ".join(_pair(marked[i], marked[i + 1]) for i in range(len(marked) - 1))


def _pair(first: str, second: str) -> str:
    return f"x{ord(first):06x}{ord(second):06x}"


def match_expression(query: str) -> str:
    """The FTS5 expression that finds `query` (already folded) as a substring."""
    if len(query) == 1:
        return f"x{ord(query):06x}*"
    return '"' + " ".join(_pair(query[i], query[i + 1]) for i in range(len(query) - 1)) + '"'


def check_query(query: str) -> str:
    """The query folded, or QueryError saying why it cannot be searched for."""
    folded = fold(query).strip()
    if not folded:
        raise QueryError("Give something to search for.")
    if "\n" in folded or END in folded:
        raise QueryError("A search looks within one title or paragraph: leave out line breaks.")
    return folded


def segments(title: str, body: str) -> list[tuple[str, int, str]]:
    """A version's segments: (field, position, text) for its title and each body paragraph."""
    found = [("title", 0, title)]
    found += [("body", i, line) for i, line in enumerate(body.split("\n")) if line]
    return found


def index_version(connection: Connection, version_id: int, title: str, body: str) -> None:
    """Index a version as it is written: its segments, each stored and indexed once."""
    rows = []
    for name, position, segment in segments(title, body):
        segment_id = _segment_id(connection, segment)
        rows.append(
            {
                "version_id": version_id,
                "segment_id": segment_id,
                "field": name,
                "position": position,
            }
        )
    connection.execute(insert(VERSION_SEGMENT), rows)


def _segment_id(connection: Connection, segment: str) -> int:
    sha256 = hashlib.sha256(segment.encode("utf-8")).hexdigest()
    found = connection.scalar(_SEGMENT_ID, {"sha256": sha256})
    if found is not None:
        return int(found)
    folded = fold(segment)
    key = connection.execute(
        insert(SEGMENT), {"sha256": sha256, "text": segment, "folded": folded}
    ).inserted_primary_key
    assert key is not None
    segment_id = int(key[0])
    if has_fts(connection):
        connection.execute(
            text(f"INSERT INTO {FTS_TABLE}(rowid, bi) VALUES (:id, :bi)"),
            {"id": segment_id, "bi": pairs(folded)},
        )
    return segment_id


def has_fts(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


@dataclass(frozen=True)
class Hit:
    """An article whose versions hold the query: which versions, whether its latest does, a
    snippet around the first occurrence (`before`, `match`, `after`, to highlight)."""

    page_id: int
    url: str
    site: str
    title: str
    published_at: datetime | None
    versions: tuple[int, ...]
    latest: int
    in_latest: bool
    in_title: bool
    snippet: tuple[str, str, str]
    field: str

    def to_json(self) -> dict[str, Any]:
        before, match, after = self.snippet
        return {
            "url": self.url,
            "site": self.site,
            "title": self.title,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "versions": list(self.versions),
            "latest_version": self.latest,
            "in_latest": self.in_latest,
            "field": self.field,
            "snippet": {"before": before, "match": match, "after": after},
        }


@dataclass
class Results:
    query: str
    where: str
    total: int
    hits: list[Hit] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "in": self.where,
            "total": self.total,
            "results": [hit.to_json() for hit in self.hits],
        }


def search(
    archive: Archive,
    query: str,
    *,
    where: Where = "any",
    site: str | None = None,
    published_from: datetime | None = None,
    published_to: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Results:
    """Articles whose versions hold `query`, ranked: the title before the text, the latest
    version before earlier ones, the newest article first. `where` keeps those whose latest
    version holds it (`current`), or those where only earlier versions did (`removed`)."""
    folded = check_query(query)
    if where not in WHERE:
        raise QueryError(f"--in must be one of {', '.join(WHERE)}.")
    with archive.reading() as session:
        found = _segments_holding(session, folded)
        hits = _hits(session, folded, found, site, published_from, published_to)
    kept = [hit for hit in hits if _kept(hit, where)]
    kept.sort(key=_rank)
    return Results(query, where, len(kept), kept[offset : offset + limit])


def _kept(hit: Hit, where: Where) -> bool:
    if where == "current":
        return hit.in_latest
    if where == "removed":
        return not hit.in_latest
    return True


def _rank(hit: Hit) -> tuple[int, int, float, int]:
    published = -hit.published_at.timestamp() if hit.published_at else 0.0
    return (0 if hit.in_title else 1, 0 if hit.in_latest else 1, published, hit.page_id)


def _segments_holding(session: Session, folded: str) -> dict[int, str]:
    """The segments whose text holds the query: id and text."""
    connection = session.connection()
    if has_fts(connection):
        ids = [
            row[0]
            for row in connection.execute(
                text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q LIMIT :n"),
                {"q": match_expression(folded), "n": MAX_SEGMENTS},
            )
        ]
        found: dict[int, str] = {}
        for chunk in _chunks(ids, 500):
            rows = session.execute(
                select(TextSegment.id, TextSegment.text).where(TextSegment.id.in_(chunk))
            )
            found.update({segment_id: segment for segment_id, segment in rows})
        return found
    rows = session.execute(
        select(TextSegment.id, TextSegment.text)
        .where(func.strpos(TextSegment.folded, folded) > 0)
        .limit(MAX_SEGMENTS)
    )
    return {segment_id: segment for segment_id, segment in rows}


def _hits(
    session: Session,
    folded: str,
    found: dict[int, str],
    site: str | None,
    published_from: datetime | None,
    published_to: datetime | None,
) -> list[Hit]:
    if not found:
        return []
    holders: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for chunk in _chunks(list(found), 500):
        rows = session.execute(
            select(Version.page_id, Version.number, VersionSegment.field, VersionSegment.segment_id)
            .join(Version, Version.id == VersionSegment.version_id)
            .where(VersionSegment.segment_id.in_(chunk))
        )
        for page_id, number, name, segment_id in rows:
            holders[page_id].append((number, name, segment_id))
    pages = _pages(session, list(holders), site, published_from, published_to)
    return [_hit(page, holders[page.id], found, folded) for page in pages]


def _pages(
    session: Session,
    page_ids: Sequence[int],
    site: str | None,
    published_from: datetime | None,
    published_to: datetime | None,
) -> list[Any]:
    latest = (
        select(Version.page_id, func.max(Version.number).label("number"))
        .group_by(Version.page_id)
        .subquery()
    )
    found: list[Any] = []
    for chunk in _chunks(page_ids, 500):
        query = (
            select(
                Page.id,
                Page.current_url,
                Page.published_at,
                Site.name.label("site"),
                latest.c.number.label("latest"),
                Version.title,
            )
            .join(Site, Site.id == Page.site_id)
            .join(latest, latest.c.page_id == Page.id)
            .join(Version, (Version.page_id == Page.id) & (Version.number == latest.c.number))
            .where(Page.id.in_(chunk))
        )
        if site is not None:
            query = query.where(Site.name == site)
        if published_from is not None:
            query = query.where(Page.published_at >= published_from)
        if published_to is not None:
            query = query.where(Page.published_at < published_to)
        found += session.execute(query).all()
    return found


def _hit(page: Any, held: list[tuple[int, str, int]], found: dict[int, str], folded: str) -> Hit:
    versions = tuple(sorted({number for number, _, _ in held}))
    in_latest = page.latest in versions
    _, name, segment_id = max(held, key=lambda h: (h[0], h[1] == "title"))
    return Hit(
        page_id=page.id,
        url=page.current_url,
        site=page.site,
        title=page.title,
        published_at=page.published_at,
        versions=versions,
        latest=page.latest,
        in_latest=in_latest,
        in_title=any(n == page.latest and f == "title" for n, f, _ in held),
        snippet=snippet(found[segment_id], folded),
        field=name,
    )


def snippet(segment: str, folded: str, context: int = 40) -> tuple[str, str, str]:
    """The text around the first occurrence of the (folded) query: before, match, after."""
    start = _find(segment, folded)
    if start < 0:
        return segment[: 2 * context], "", ""
    end = start + len(folded)
    before = segment[max(0, start - context) : start]
    after = segment[end : end + context]
    return (
        ("…" if start > context else "") + before,
        segment[start:end],
        after + ("…" if end + context < len(segment) else ""),
    )


def _find(segment: str, folded: str) -> int:
    """Where the folded query starts in `segment` (folding can change lengths: then by scan)."""
    if len(fold(segment)) == len(segment):
        return fold(segment).find(folded)
    for start in range(len(segment)):
        if fold(segment[start:]).startswith(folded):
            return start
    return -1


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def check_index(connection: Connection) -> list[str]:
    """What is wrong with the index: each version's segments must give back its title and body,
    and (on SQLite) every segment must be in the FTS table. Sentences, one per problem."""
    problems = []
    held: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for version_id, name, position, segment_id in connection.execute(
        select(
            VERSION_SEGMENT.c.version_id,
            VERSION_SEGMENT.c.field,
            VERSION_SEGMENT.c.position,
            VERSION_SEGMENT.c.segment_id,
        )
    ):
        held[version_id].append((name, position, segment_id))
    texts = dict(connection.execute(select(SEGMENT.c.id, SEGMENT.c.text)).all())
    version = cast(Table, Version.__table__)
    for version_id, number, title, body in connection.execute(
        select(version.c.id, version.c.number, version.c.title, version.c.body)
    ):
        expected = [(name, position, text) for name, position, text in segments(title, body)]
        stored = [
            (name, position, texts.get(seg))
            for name, position, seg in sorted(held.get(version_id, []))
        ]
        if sorted(expected) != stored:
            problems.append(
                f"the search index does not hold version {number} (id {version_id}) as stored"
            )
    if has_fts(connection):
        indexed = {row[0] for row in connection.execute(text(f"SELECT rowid FROM {FTS_TABLE}"))}
        if indexed != set(texts):
            problems.append(
                f"the full-text index has {len(indexed)} segments where {len(texts)} are stored"
            )
    return problems
