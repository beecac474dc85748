"""Finding the pages that carry the same article, as a version is written: exact, then near."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, bindparam, func, insert, or_, select

from archive.models import Page, PageLink, SimilarityBand, Version
from archive.text.similarity import (
    BANDS,
    ESTIMATE_FLOOR,
    NEAR_DUPLICATE,
    Fingerprint,
    estimate,
    jaccard,
    shingles,
)

LINK, BAND = cast(Table, PageLink.__table__), cast(Table, SimilarityBand.__table__)
# Built once: SQLAlchemy then finds its compiled form without working out a cache key.
_INSERT_BAND = insert(BAND)
LATEST = cast(Table, Version.__table__).alias("latest")
PAGE, VERSION = cast(Table, Page.__table__), cast(Table, Version.__table__)
DUPLICATE, NEAR = "duplicate", "near-duplicate"
# At most this many near-duplicate candidates are measured per version: the most band-sharing.
MAX_CANDIDATES = 20

# One statement for all bands, compiled once: a version's band keys are its parameters.
_SHARING_BANDS = select(BAND.c.page_id).where(
    or_(
        *(and_(BAND.c.band == band, BAND.c.key == bindparam(f"key{band}")) for band in range(BANDS))
    ),
    BAND.c.page_id != bindparam("page_id"),
)
_LATEST_SIGNATURES = select(VERSION.c.page_id, VERSION.c.signature).where(
    VERSION.c.page_id.in_(bindparam("pages", expanding=True)),
    VERSION.c.number
    == select(func.max(LATEST.c.number))
    .where(LATEST.c.page_id == VERSION.c.page_id)
    .scalar_subquery(),
)
_SAME_KEY = (
    select(VERSION.c.page_id, PAGE.c.current_url)
    .join(PAGE, PAGE.c.id == VERSION.c.page_id)
    .where(VERSION.c.content_key == bindparam("key"), VERSION.c.page_id != bindparam("page_id"))
    .order_by(VERSION.c.id)
    .limit(1)
)
LATEST_BODY = (
    select(VERSION.c.body, VERSION.c.signature, PAGE.c.current_url)
    .join(PAGE, PAGE.c.id == VERSION.c.page_id)
    .where(VERSION.c.page_id == bindparam("page_id"))
    .order_by(VERSION.c.number.desc())
    .limit(1)
)


def index_version(
    connection: Connection,
    page_id: int,
    version_id: int,
    body: str,
    fingerprint: Fingerprint,
    at: datetime,
) -> list[tuple[str, str, float]]:
    """Links the page to pages already carrying the same article, then indexes this version.

    An identical text (same content key) is a duplicate. Otherwise the pages that share a MinHash
    band with it are candidates; those whose signatures estimate at least ESTIMATE_FLOOR are
    measured exactly, and those at NEAR_DUPLICATE or more are near-duplicates. Returns the links
    made: (kind, URL of the other page, similarity).
    """
    found = _exact(connection, page_id, fingerprint.content_key) or _near(
        connection, page_id, body, fingerprint
    )
    made = [link for link in found if _link(connection, page_id, version_id, link, at)]
    rows = [
        {"version_id": version_id, "page_id": page_id, "band": band, "key": k}
        for band, k in enumerate(fingerprint.keys)
    ]
    connection.execute(_INSERT_BAND, rows)
    return [(kind, url, similarity) for kind, _, url, similarity in made]


def _exact(connection: Connection, page_id: int, key: str) -> list[tuple[str, int, str, float]]:
    row = connection.execute(_SAME_KEY, {"key": key, "page_id": page_id}).first()
    return [(DUPLICATE, row.page_id, row.current_url, 1.0)] if row else []


def _near(
    connection: Connection, page_id: int, body: str, fingerprint: Fingerprint
) -> list[tuple[str, int, str, float]]:
    parameters = {f"key{band}": key for band, key in enumerate(fingerprint.keys)}
    shared = connection.execute(_SHARING_BANDS, {**parameters, "page_id": page_id}).scalars()
    counts: dict[int, int] = {}
    for candidate in shared:
        counts[candidate] = counts.get(candidate, 0) + 1
    best = sorted(counts, key=lambda candidate: -counts[candidate])[:MAX_CANDIDATES]
    signatures = connection.execute(_LATEST_SIGNATURES, {"pages": best}).all() if best else []
    likely = [
        page
        for page, stored in signatures
        if stored is None or estimate(fingerprint.signature, stored) >= ESTIMATE_FLOOR
    ]
    near = []
    grams = shingles(body) if likely else set()
    for candidate in likely:
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
