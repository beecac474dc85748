"""Search in Chinese over every version: any substring of a title or paragraph, of any length.

Chinese has no spaces, and most words are two characters, which trigram indexes cannot find. So
every title and paragraph (a segment, stored once however many versions hold it) is indexed as
its overlapping character pairs, each written as one alphanumeric token (`x` + the two code
points in hex): a segment holds a query of two or more characters only if it holds each of the
query's pairs; a one-character query is the prefix of the pairs it begins (every segment ends
with a marker, so its last character begins one too). Text is compared folded (NFKC,
case-folded): full-width digits find ASCII ones, `GDP` finds `gdp`.

On SQLite the pairs live in an FTS5 table (`segment_fts`) that keeps which segments hold each
pair, not where, and no prefix index (detail=none: a sixth of the size with positions and the
prefix index; docs/decisions.md): a query of one character or one pair is answered by the index
alone; a longer one by the segments holding all its pairs, whose text is then read to keep those
that hold the query itself. Elsewhere search falls back to a scan of the folded segments, which
is exact but slower. The write path indexes each version as it is stored (archive.store), in its
transaction; verify checks the index against the versions.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    Subquery,
    Table,
    bindparam,
    case,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from archive.database import Archive
from archive.errors import ArchiveError
from archive.models import (
    FTS_TABLE,
    VERSION_PAGE_INDEX,
    Page,
    Site,
    TextSegment,
    Version,
    VersionSegment,
)
from archive.packing import raw, unpack

# (Re-exported: the text half of search needs no database, so extraction workers use it too.)
from archive.text.segments import END as END
from archive.text.segments import Prepared
from archive.text.segments import digest as text_digest
from archive.text.segments import fold as fold
from archive.text.segments import pairs as pairs
from archive.text.segments import segments as segments

SEGMENT, VERSION_SEGMENT = cast(Table, TextSegment.__table__), cast(Table, VersionSegment.__table__)
WHERE = ("any", "current", "removed")
Where = Literal["any", "current", "removed"]
# At most this many segments are read back per query: a query that common is not a search.
MAX_SEGMENTS = 20_000

_SEGMENT_BY_KEY = select(SEGMENT.c.id, SEGMENT.c.text).where(
    SEGMENT.c.sha256 == bindparam("sha256")
)
# Built once: SQLAlchemy then finds their compiled forms without working out a cache key.
_INSERT_SEGMENT, _INSERT_VERSION_SEGMENT = insert(SEGMENT), insert(VERSION_SEGMENT)
_SEGMENT_IDS_BY_KEYS = select(SEGMENT.c.sha256, SEGMENT.c.id).where(
    SEGMENT.c.sha256.in_(bindparam("keys", expanding=True))
)
_SEGMENTS_BY_KEYS = select(SEGMENT.c.id, SEGMENT.c.sha256, SEGMENT.c.text).where(
    SEGMENT.c.sha256.in_(bindparam("keys", expanding=True))
)
_INSERT_PAIRS = text(f"INSERT INTO {FTS_TABLE}(rowid, bi) VALUES (:id, :bi)")


class QueryError(ArchiveError):
    """A query that cannot be searched for; the message says why."""


def _pair(first: str, second: str) -> str:
    return f"x{ord(first):06x}{ord(second):06x}"


def match_expression(query: str) -> str:
    """The FTS5 expression that finds the segments holding every pair of `query` (folded): those
    holding it as a substring, and, for three characters or more, maybe others."""
    if len(query) == 1:
        return f"x{ord(query):06x}*"
    return " ".join(sorted({_pair(query[i], query[i + 1]) for i in range(len(query) - 1)}))


def check_query(query: str) -> str:
    """The query folded, or QueryError saying why it cannot be searched for."""
    folded = fold(query).strip()
    if not folded:
        raise QueryError("Give something to search for.")
    if "\n" in folded or END in folded:
        raise QueryError("A search looks within one title or paragraph: leave out line breaks.")
    return folded


Pack = Callable[[str], str | bytes]
# A segment's key (text_segment.sha256) written by the write path: the first SHORT_KEY hex
# digits of its text's SHA-256, or all 64 where another text has those (a 1 in 2**64 chance
# per pair), as in archives before revision 0012 (found too). An index of 16 characters, not 64.
SHORT_KEY = 16


def index_version(
    connection: Connection,
    version_id: int,
    title: str,
    body: str,
    pack: Pack | None = None,
    unindexed: list[dict[str, Any]] | None = None,
    prepared: Prepared | None = None,
) -> None:
    """Index a version as it is written: its segments, each stored and indexed once. The
    segments already stored are found in one query, and the new ones indexed in one statement.
    The write path gives `pack` (archive.packing, at the head schema): a new segment is keyed
    short, its text stored as `pack` packs it, and its folded form only where the server scans
    it ("" on SQLite). Without it (migration 0006, at its revision) all are stored as they are.

    Given `unindexed`, the FTS5 rows of the new segments are added to it, for the caller to
    insert (insert_pairs) before its transaction commits, with those of the other versions it
    wrote: FTS5 writes the rows it holds as a new segment of its index at every savepoint a
    later statement opens (most writes open one), so rows inserted a version at a time cost a
    segment each, and merges.

    `prepared` (prepare()) saves working the digests and tokens out here; it is used only if its
    segments are this title's and body's."""
    found = segments(title, body)
    if prepared is not None and prepared.segments != tuple(found):
        prepared = None
    if prepared is None:
        digests, tokens = [text_digest(segment) for _, _, segment in found], {}
    else:
        digests = list(prepared.digests)
        tokens = dict(zip(digests, prepared.tokens, strict=True))
    keys = [key for digest in digests for key in _keys(digest, pack)]
    held = {row.sha256: row for row in connection.execute(_SEGMENTS_BY_KEYS, {"keys": keys})}
    ids: dict[str, int] = {}
    new: dict[str, tuple[str, str]] = {}  # digest -> (the key to store it under, its text)
    for digest, (_, _, segment) in zip(digests, found, strict=True):
        if digest in ids or digest in new:  # (a segment twice in this version is stored once)
            continue
        key, segment_id = _stored(digest, segment, held, pack)
        if segment_id is None:
            new[digest] = (key, segment)
        else:
            ids[digest] = segment_id
    indexed = []
    for digest, (segment_id, folded) in zip(
        new, _new_segments(connection, new.values(), pack), strict=True
    ):
        ids[digest] = segment_id
        if has_fts(connection):
            bi = tokens.get(digest) or pairs(fold(new[digest][1]) if folded is None else folded)
            indexed.append({"id": segment_id, "bi": bi})
    if unindexed is not None:
        unindexed.extend(indexed)
    else:
        insert_pairs(connection, indexed)
    rows = [
        {"version_id": version_id, "segment_id": ids[digest], "field": name, "position": position}
        for digest, (name, position, _) in zip(digests, found, strict=True)
    ]
    connection.execute(_INSERT_VERSION_SEGMENT, rows)


def insert_pairs(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """FTS5 rows (`id`: a segment's id, `bi`: its pairs) inserted in one statement."""
    if rows:
        connection.execute(_INSERT_PAIRS, rows)


def _keys(digest: str, pack: Pack | None) -> list[str]:
    """The keys a segment may be stored under, the one to store a new segment under first."""
    return [digest[:SHORT_KEY], digest] if pack is not None else [digest]


def _segment(
    connection: Connection, digest: str, segment: str, held: dict[str, Any], pack: Pack | None
) -> tuple[int, str | None]:
    """A segment's id among the rows `held` under its keys (their text compared: a short key
    another text holds is passed by), or stored now under the first free key; and its folded
    text when it was stored now (to index)."""
    key, segment_id = _stored(digest, segment, held, pack)
    if segment_id is not None:
        return segment_id, None
    return _new_segment(connection, key, segment, pack)


def _stored(
    digest: str, segment: str, held: dict[str, Any], pack: Pack | None
) -> tuple[str, int | None]:
    """(key, id) of the segment among the rows `held` under its keys, or (the first free key,
    None) when it is not stored yet."""
    keys = _keys(digest, pack)
    for key in keys:
        if key in held and held[key].text == segment:
            return key, int(held[key].id)
    free = next((key for key in keys if key not in held), None)
    assert free is not None, "two texts with one SHA-256"
    return free, None


def _new_segments(
    connection: Connection, new: Iterable[tuple[str, str]], pack: Pack | None
) -> list[tuple[int, str | None]]:
    """Segments not stored yet, each (key, text) stored under its key: their ids and folded
    texts (None where not worked out), in order. On SQLite in two statements (the rows inserted at once, then their ids
    read by key: the keys are unique); on a server one at a time, as another writer may store
    the same text meanwhile."""
    new = list(new)
    if not new:
        return []
    if connection.dialect.name == "postgresql":
        return [cast(tuple[int, str], _new_segment(connection, k, t, pack)) for k, t in new]
    # The folded text is stored where the server scans it; else it is only indexed, and the
    # caller may have its tokens already.
    stored = pack is None or not has_fts(connection)
    folded = [fold(segment) if stored else None for _, segment in new]
    rows = [
        _segment_values(connection, k, t, f or "", pack)
        for (k, t), f in zip(new, folded, strict=True)
    ]
    connection.execute(_INSERT_SEGMENT, rows)
    keys = [key for key, _ in new]
    ids = {row.sha256: row.id for row in connection.execute(_SEGMENT_IDS_BY_KEYS, {"keys": keys})}
    return [(int(ids[key]), f) for key, f in zip(keys, folded, strict=True)]


def _segment_values(
    connection: Connection, key: str, segment: str, folded: str, pack: Pack | None
) -> dict[str, Any]:
    values: dict[str, Any] = {"sha256": key, "text": segment, "folded": folded}
    if pack is not None:
        values["text"] = pack(segment)
        values["folded"] = "" if has_fts(connection) else folded
    return values


def _segment_id(connection: Connection, segment: str, pack: Pack | None = None) -> int:
    """One segment's id, stored and indexed if new (index_version does a version's at once)."""
    sha256 = hashlib.sha256(segment.encode("utf-8")).hexdigest()
    keys = _keys(sha256, pack)
    held = {row.sha256: row for row in connection.execute(_SEGMENTS_BY_KEYS, {"keys": keys})}
    segment_id, folded = _segment(connection, sha256, segment, held, pack)
    if folded is not None and has_fts(connection):
        insert_pairs(connection, [{"id": segment_id, "bi": pairs(folded)}])
    return segment_id


def _new_segment(
    connection: Connection, key: str, segment: str, pack: Pack | None
) -> tuple[int, str | None]:
    """A segment not stored yet, stored under `key`: its id, and its folded text (to index)."""
    folded = fold(segment)
    values = _segment_values(connection, key, segment, folded, pack)
    if connection.dialect.name == "postgresql":
        return _server_segment_id(connection, values, segment), folded
    inserted = connection.execute(_INSERT_SEGMENT, values).inserted_primary_key
    assert inserted is not None
    return int(inserted[0]), folded


def _server_segment_id(connection: Connection, values: dict[str, Any], segment: str) -> int:
    """On a server, crawls of other sites write at the same time, and a paragraph (a caption, a
    standard sentence) may be new to two of them at once: ON CONFLICT waits for the other's
    transaction, and then the segment it stored is used (if it is this text: else this one is
    stored under its full key)."""
    inserted = connection.scalar(
        postgresql.insert(SEGMENT)
        .values(values)
        .on_conflict_do_nothing(index_elements=["sha256"])
        .returning(SEGMENT.c.id)
    )
    if inserted is not None:
        return int(inserted)
    found = connection.execute(_SEGMENT_BY_KEY, {"sha256": values["sha256"]}).one()
    if found.text == segment:
        return int(found.id)
    full = hashlib.sha256(segment.encode("utf-8")).hexdigest()
    assert values["sha256"] != full, "two texts with one SHA-256"
    return _server_segment_id(connection, {**values, "sha256": full}, segment)


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
        held = _held(session, folded)
        ranked = _ranked(held, where, site, published_from, published_to)
        rows = session.execute(ranked.limit(limit).offset(offset)).all()
        total = rows[0].total if rows else _count(session, ranked)
        hits = _hits(session, rows, folded)
    return Results(query, where, total, hits)


def _held(session: Session, folded: str) -> Subquery:
    """Per article whose versions hold the query: its newest version that does (`newest`) and
    the newest whose title does (`newest_title`)."""
    if has_fts(session.connection()):
        # SQLite reads a version's page from the narrow index only when told to.
        held = text(
            "SELECT v.page_id AS page_id, max(v.number) AS newest,"
            " max(CASE WHEN vs.field = 'title' THEN v.number END) AS newest_title"
            f" FROM version_segment AS vs JOIN version AS v INDEXED BY {VERSION_PAGE_INDEX}"
            " ON v.id = vs.version_id"
            " WHERE vs.segment_id IN (SELECT value FROM json_each(:ids)) GROUP BY v.page_id"
        ).bindparams(ids=json.dumps(_holding(session, folded)))
        return held.columns(page_id=Integer, newest=Integer, newest_title=Integer).subquery("held")
    segments = (
        select(TextSegment.id)
        .where(func.strpos(TextSegment.folded, folded) > 0)
        .limit(MAX_SEGMENTS)
    )
    return (
        select(
            Version.page_id,
            func.max(Version.number).label("newest"),
            func.max(case((VersionSegment.field == "title", Version.number))).label("newest_title"),
        )
        .select_from(VersionSegment)
        .join(Version, Version.id == VersionSegment.version_id)
        .where(VersionSegment.segment_id.in_(segments))
        .group_by(Version.page_id)
        .subquery("held")
    )


def _holding(session: Session, folded: str) -> list[int]:
    """The segments that hold the query (at most MAX_SEGMENTS of them are looked at): those the
    index finds, and for a query longer than a pair, of those the ones whose text holds it."""
    found = list(
        session.scalars(
            text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q LIMIT :n"),
            {"q": match_expression(folded), "n": MAX_SEGMENTS},
        )
    )
    if len(folded) <= 2:
        return found
    holding = []
    for chunk in _chunks(found, 500):
        texts = session.execute(
            select(TextSegment.id, TextSegment.text).where(TextSegment.id.in_(chunk))
        )
        holding += [segment_id for segment_id, segment in texts if folded in fold(segment)]
    return sorted(holding)


def _ranked(
    held: Subquery,
    where: Where,
    site: str | None,
    published_from: datetime | None,
    published_to: datetime | None,
) -> Select[Any]:
    """One row per article the filters keep, ranked, with the total: the database groups and
    sorts, so a query held by thousands of articles reads back only the ones shown."""
    latest = (
        select(func.max(Version.number))
        .where(Version.page_id == Page.id)
        .correlate(Page)
        .scalar_subquery()
    )
    in_latest = held.c.newest == latest
    in_title = func.coalesce(held.c.newest_title == latest, False)
    query = (
        select(
            Page.id,
            Page.current_url,
            Page.published_at,
            Site.name.label("site"),
            latest.label("latest"),
            in_latest.label("in_latest"),
            in_title.label("in_title"),
            func.count().over().label("total"),
        )
        .join(held, held.c.page_id == Page.id)
        .join(Site, Site.id == Page.site_id)
        .order_by(
            in_title.desc(),
            in_latest.desc(),
            Page.published_at.is_(None),
            Page.published_at.desc(),
            Page.id,
        )
    )
    if where == "current":
        query = query.where(in_latest)
    elif where == "removed":
        query = query.where(~in_latest)
    if site is not None:
        query = query.where(Site.name == site)
    if published_from is not None:
        query = query.where(Page.published_at >= published_from)
    if published_to is not None:
        query = query.where(Page.published_at < published_to)
    return query


def _count(session: Session, ranked: Select[Any]) -> int:
    """The total when the page asked for lies past the last result."""
    return session.scalar(select(func.count()).select_from(ranked.subquery())) or 0


def _hits(session: Session, rows: Sequence[Any], folded: str) -> list[Hit]:
    """The hits of the articles shown: their latest titles, and a snippet of where each holds
    the query (the latest version that does, its title before its text). Only the shown
    articles' segments are read, held where their folded text holds the query, as the index
    matches."""
    ids = [row.id for row in rows]
    held: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    texts: dict[int, str] = {}
    for page_id, number, name, segment_id, segment, segment_folded in session.execute(
        select(
            Version.page_id,
            Version.number,
            VersionSegment.field,
            TextSegment.id,
            TextSegment.text,
            TextSegment.folded,
        )
        .select_from(VersionSegment)
        .join(Version, Version.id == VersionSegment.version_id)
        .join(TextSegment, TextSegment.id == VersionSegment.segment_id)
        .where(Version.page_id.in_(ids))
    ):
        if folded in (segment_folded or fold(segment)):
            held[page_id].append((number, name, segment_id))
            texts[segment_id] = segment
    titles = dict(
        session.execute(
            select(Version.page_id, Version.title)
            .where(Version.page_id.in_(ids))
            .order_by(Version.number)
        ).all()
    )  # the latest version's title: the last row per page wins
    return [_hit(row, held[row.id], texts, titles[row.id], folded) for row in rows]


def _hit(
    row: Any, held: list[tuple[int, str, int]], texts: dict[int, str], title: str, folded: str
) -> Hit:
    _, name, segment_id = max(held, key=lambda one: (one[0], one[1] == "title"))
    return Hit(
        page_id=row.id,
        url=row.current_url,
        site=row.site,
        title=title,
        published_at=row.published_at,
        versions=tuple(sorted({number for number, _, _ in held})),
        latest=row.latest,
        in_latest=bool(row.in_latest),
        in_title=bool(row.in_title),
        snippet=snippet(texts[segment_id], folded),
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


def _unpacked(stored: Any, connection: Connection) -> str | None:
    try:
        return unpack(stored, connection.dialect)
    except ValueError:
        return None


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
    texts: dict[int, str | None] = {}
    for segment_id, stored in connection.execute(select(SEGMENT.c.id, raw(SEGMENT.c.text))):
        texts[segment_id] = _unpacked(stored, connection)
        if texts[segment_id] is None:
            problems.append(f"the text of search segment {segment_id} does not decode")
    version = cast(Table, Version.__table__)
    for version_id, number, title, stored in connection.execute(
        select(version.c.id, version.c.number, version.c.title, raw(version.c.body))
    ):
        body = _unpacked(stored, connection)
        if body is None:
            continue  # a damaged version: verify's check of its digests names it
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
