"""Per-site Zstandard dictionaries: trained on a site's first payloads or texts, stored once, never
changed. Pages of one site share most of their markup, and its articles much of their wording:
a dictionary holds what they share, so each page or text stores little more than its own part."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select

from archive import blobs, codec
from archive.models import Capture, CompressionDictionary, Page, Version
from archive.records import Outcome, PageKind

PAYLOAD = "payload"
TEXT = "text"
# The small JSON values of a site's rows: captures' headers, versions' provenance.
META = "meta"
# A site's dictionary is trained once it has this many samples: payloads (its pages, not its
# files), texts (the body and body_html of half as many versions), or captures' headers. 64 KiB
# at most: the size that did best on 256 replica pages (docs/decisions.md); 4 KiB for headers.
SAMPLES = 256
SIZES = {PAYLOAD: 64 * 1024, TEXT: 64 * 1024, META: 4 * 1024}
# Fewer samples than this train no useful dictionary (`db compact` trains small sites with what
# they have, down to this).
MIN_SAMPLES = 16

DICTIONARY = cast(Table, CompressionDictionary.__table__)
CAPTURE, PAGE, VERSION = (cast(Table, m.__table__) for m in (Capture, Page, Version))
_PAGES = (PageKind.ARTICLE.value, PageKind.LIST.value)


def latest(connection: Connection, site_id: int, kind: str) -> Any:
    """The site's newest dictionary of this kind (columns id, zstd_id, content), or None."""
    return connection.execute(
        select(DICTIONARY.c.id, DICTIONARY.c.zstd_id, DICTIONARY.c.content)
        .where(DICTIONARY.c.site_id == site_id, DICTIONARY.c.kind == kind)
        .order_by(DICTIONARY.c.id.desc())
        .limit(1)
    ).first()


def create(
    connection: Connection, site_id: int, kind: str, samples: Sequence[bytes], now: datetime
) -> tuple[int, codec.ZstdDict] | None:
    """Train a dictionary on `samples` and store it: (its id, it), or None when zstd cannot train
    one from them. zstd derives a dictionary's id from its content, and ids are unique in an
    archive: the same samples trained again give the row made before; another dictionary with
    the same id (a 1 in 2**31 chance) is not used."""
    trained = codec.train(list(samples), SIZES[kind]) if len(samples) >= MIN_SAMPLES else None
    if trained is None:
        return None
    values = {
        "site_id": site_id,
        "kind": kind,
        "zstd_id": trained.dict_id,
        "sha256": blobs.sha256_hex(trained.dict_content),
        "content": trained.dict_content,
        "samples": len(samples),
        "created_at": now,
    }
    made = _insert_unless_held(connection, values)
    if made is not None:
        return made, trained
    existing = connection.execute(
        select(DICTIONARY.c.id, DICTIONARY.c.content).where(DICTIONARY.c.zstd_id == trained.dict_id)
    ).one()
    same = bytes(existing.content) == trained.dict_content
    return (int(existing.id), trained) if same else None


def _insert_unless_held(connection: Connection, values: dict[str, Any]) -> int | None:
    """The new dictionary's id, or None when one with its zstd id is stored already: by another
    writer meanwhile too (writers of one site train on the same first samples at about the same
    time; the insert waits for the other's transaction and then does nothing)."""
    dialect = connection.dialect.name
    if dialect in blobs.UPSERT:
        statement = blobs.UPSERT[dialect](DICTIONARY).on_conflict_do_nothing(
            index_elements=["zstd_id"]
        )
        made = connection.scalar(statement.returning(DICTIONARY.c.id), values)
        return None if made is None else int(made)
    held = select(DICTIONARY.c.id).where(DICTIONARY.c.zstd_id == values["zstd_id"])
    if connection.scalar(held) is not None:
        return None
    key = connection.execute(insert(DICTIONARY), values).inserted_primary_key
    assert key is not None
    return int(key[0])


def _site_payloads(site_id: int) -> Any:
    """The captures of the site's pages (not files, not copies found elsewhere) that hold bytes."""
    return (
        select(CAPTURE.c.payload_sha256)
        .join(PAGE, PAGE.c.id == CAPTURE.c.page_id)
        .where(
            PAGE.c.site_id == site_id,
            PAGE.c.kind.in_(_PAGES),
            CAPTURE.c.payload_sha256.is_not(None),
            CAPTURE.c.outcome != Outcome.MIRROR_COPY.value,
        )
    )


def payloads_held(connection: Connection, site_id: int, enough: int = SAMPLES) -> int:
    """How many page payloads the site has, counted up to `enough`."""
    counted = _site_payloads(site_id).limit(enough).subquery()
    return int(connection.scalar(select(func.count()).select_from(counted)) or 0)


def payload_samples(connection: Connection, site_id: int, limit: int = SAMPLES) -> list[str]:
    """The addresses of the site's first `limit` distinct page payloads, in capture order."""
    first = (
        _site_payloads(site_id)
        .group_by(CAPTURE.c.payload_sha256)
        .order_by(func.min(CAPTURE.c.id))
        .limit(limit)
    )
    return list(connection.scalars(first))


def captures_held(connection: Connection, site_id: int, enough: int = SAMPLES) -> int:
    """How many captures the site's pages have, counted up to `enough`."""
    counted = _site_captures(site_id).limit(enough).subquery()
    return int(connection.scalar(select(func.count()).select_from(counted)) or 0)


def first_captures(connection: Connection, site_id: int, limit: int = SAMPLES) -> list[int]:
    """The ids of the site's first `limit` captures."""
    return list(connection.scalars(_site_captures(site_id).limit(limit)))


def _site_captures(site_id: int) -> Any:
    return (
        select(CAPTURE.c.id)
        .join(PAGE, PAGE.c.id == CAPTURE.c.page_id)
        .where(PAGE.c.site_id == site_id)
        .order_by(CAPTURE.c.id)
    )


def texts_held(connection: Connection, site_id: int, enough: int = SAMPLES // 2) -> int:
    """How many versions the site has, counted up to `enough`."""
    counted = _site_versions(site_id).limit(enough).subquery()
    return int(connection.scalar(select(func.count()).select_from(counted)) or 0)


def text_samples(connection: Connection, site_id: int, limit: int = SAMPLES // 2) -> list[int]:
    """The ids of the site's first `limit` versions (their body and body_html are samples)."""
    return list(connection.scalars(_site_versions(site_id).limit(limit)))


def _site_versions(site_id: int) -> Any:
    return (
        select(VERSION.c.id)
        .join(PAGE, PAGE.c.id == VERSION.c.page_id)
        .where(PAGE.c.site_id == site_id)
        .order_by(VERSION.c.id)
    )
