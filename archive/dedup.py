"""Finding the pages that carry the same article, as a version is written: exact, then near."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, bindparam, insert, or_, select

from archive.models import Page, PageLink, SimilarityBand, Version
from archive.similarity import NEAR_DUPLICATE, band_keys, jaccard, shingles, signature

LINK, BAND = cast(Table, PageLink.__table__), cast(Table, SimilarityBand.__table__)
PAGE, VERSION = cast(Table, Page.__table__), cast(Table, Version.__table__)
DUPLICATE, NEAR = "duplicate", "near-duplicate"
# At most this many near-duplicate candidates are measured per version: the most band-sharing.
MAX_CANDIDATES = 20

_SAME_KEY = (
    select(VERSION.c.page_id, PAGE.c.current_url)
    .join(PAGE, PAGE.c.id == VERSION.c.page_id)
    .where(VERSION.c.content_key == bindparam("key"), VERSION.c.page_id != bindparam("page_id"))
    .order_by(VERSION.c.id)
    .limit(1)
)
LATEST_BODY = (
    select(VERSION.c.body, PAGE.c.current_url)
    .join(PAGE, PAGE.c.id == VERSION.c.page_id)
    .where(VERSION.c.page_id == bindparam("page_id"))
    .order_by(VERSION.c.number.desc())
    .limit(1)
)


def index_version(
    connection: Connection, page_id: int, version_id: int, body: str, key: str, at: datetime
) -> list[tuple[str, str, float]]:
    """Links the page to pages already carrying the same article, then indexes this version.

    An identical text (same content key) is a duplicate; otherwise the pages that share a
    MinHash band are measured and those at NEAR_DUPLICATE or more are near-duplicates.
    Returns the links made: (kind, URL of the other page, similarity).
    """
    grams = shingles(body)
    keys = band_keys(signature(grams))
    found = _exact(connection, page_id, key) or _near(connection, page_id, grams, keys)
    made = [link for link in found if _link(connection, page_id, version_id, link, at)]
    connection.execute(
        insert(BAND),
        [
            {"version_id": version_id, "page_id": page_id, "band": band, "key": k}
            for band, k in enumerate(keys)
        ],
    )
    return [(kind, url, similarity) for kind, _, url, similarity in made]


def _exact(connection: Connection, page_id: int, key: str) -> list[tuple[str, int, str, float]]:
    row = connection.execute(_SAME_KEY, {"key": key, "page_id": page_id}).first()
    return [(DUPLICATE, row.page_id, row.current_url, 1.0)] if row else []


def _near(
    connection: Connection, page_id: int, grams: set[str], keys: list[int]
) -> list[tuple[str, int, str, float]]:
    matches = or_(*(and_(BAND.c.band == band, BAND.c.key == key) for band, key in enumerate(keys)))
    shared = connection.execute(
        select(BAND.c.page_id).where(matches, BAND.c.page_id != page_id)
    ).scalars()
    counts: dict[int, int] = {}
    for candidate in shared:
        counts[candidate] = counts.get(candidate, 0) + 1
    best = sorted(counts, key=lambda candidate: -counts[candidate])[:MAX_CANDIDATES]
    near = []
    for candidate in best:
        row = connection.execute(LATEST_BODY, {"page_id": candidate}).one()
        similarity = jaccard(grams, shingles(row.body))
        if similarity >= NEAR_DUPLICATE:
            near.append((NEAR, candidate, row.current_url, round(similarity, 4)))
    return sorted(near, key=lambda link: -link[3])


def _link(
    connection: Connection,
    page_id: int,
    version_id: int,
    link: tuple[str, int, str, float],
    at: datetime,
) -> bool:
    """Records a link once per pair of pages (in either direction); False if it was known."""
    kind, other, _, similarity = link
    pair = or_(
        and_(LINK.c.page_id == page_id, LINK.c.other_page_id == other),
        and_(LINK.c.page_id == other, LINK.c.other_page_id == page_id),
    )
    if connection.scalar(select(LINK.c.id).where(pair).limit(1)) is not None:
        return False
    values: dict[str, Any] = {
        "page_id": page_id,
        "other_page_id": other,
        "kind": kind,
        "similarity": similarity,
        "found_at": at,
        "version_id": version_id,
    }
    connection.execute(insert(LINK), values)
    return True
