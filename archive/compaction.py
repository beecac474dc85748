"""Re-encoding what an archive holds into smaller forms without losing a byte: compaction of a
whole archive (written before revision 0012, say), and the write path right after it trains a
site's dictionary.

A new form is written only after it has been decoded again and found to give the same bytes
(the same SHA-256 for a payload, the same text for a packed column), and it replaces the old
one only if the row still holds the form it was made from (another writer may have re-encoded
it meanwhile). Each batch is one transaction: a compaction stopped anywhere leaves every row in
its old form or its new one, and running it again carries on with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, select, update

from archive import blobs, codec, dictionaries, packing
from archive.blobs import DELTA, NONE, ZLIB, ZSTD, Form, Reader
from archive.database import Archive
from archive.models import Capture, Page, Site, TextSegment, Version, VersionSegment
from archive.packing import raw
from archive.records import Outcome, PageKind

CAPTURE, PAGE, SITE = (cast(Table, m.__table__) for m in (Capture, Page, Site))
VERSION, SEGMENT = cast(Table, Version.__table__), cast(Table, TextSegment.__table__)
VERSION_SEGMENT = cast(Table, VersionSegment.__table__)
BATCH = 200
_PAGES = (PageKind.ARTICLE.value, PageKind.LIST.value)


@dataclass
class Progress:
    """What a compaction did so far; `stored_*` are the bytes of the forms replaced and of
    their replacements."""

    dictionaries: int = 0
    blobs: int = 0
    blobs_reencoded: int = 0
    deltas: int = 0
    texts_repacked: int = 0
    stored_before: int = 0
    stored_after: int = 0
    damaged: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dictionaries_trained": self.dictionaries,
            "blobs_examined": self.blobs,
            "blobs_reencoded": self.blobs_reencoded,
            "deltas": self.deltas,
            "texts_repacked": self.texts_repacked,
            "stored_bytes_before": self.stored_before,
            "stored_bytes_after": self.stored_after,
            "damaged": list(self.damaged),
        }


# --- payloads


def swap_blob(connection: Connection, reader: Reader, row: Any, payload: bytes, form: Form) -> int:
    """Replace the blob row's form by `form` if that is smaller and decodes to bytes with the
    row's SHA-256; returns the stored bytes saved (0: left as it was)."""
    if len(form.data) >= len(row.data):
        return 0
    base = reader.read(form.base_sha256) if form.base_sha256 else None
    dictionary = reader.dictionary(form.dictionary_id) if form.dictionary_id else None
    decoded = blobs.decompress(form.compression, form.data, dictionary, base)
    if decoded != payload or blobs.sha256_hex(decoded) != row.sha256:
        raise AssertionError(f"blob {row.sha256}: a new form did not decode to its bytes")
    swapped = connection.execute(
        update(blobs.BLOB)
        .where(
            blobs.BLOB.c.sha256 == row.sha256,
            blobs.BLOB.c.compression == row.compression,
            blobs.BLOB.c.data == row.data,
        )
        .values(form.values())
    )
    return len(row.data) - len(form.data) if swapped.rowcount == 1 else 0


def to_dictionary(
    connection: Connection, reader: Reader, shas: Iterable[str], dictionary: blobs.Dictionary
) -> int:
    """Re-encode these blobs with the dictionary where they stand alone without one (the
    samples it was trained on, stored before it existed); returns the bytes saved."""
    saved = 0
    for sha256 in shas:
        row = connection.execute(blobs._ROW, {"sha256": sha256}).first()
        if row is None or not _improvable(row, dictionary):
            continue
        payload = reader.decode(row)
        if blobs.sha256_hex(payload) == sha256:
            saved += swap_blob(connection, reader, row, payload, blobs.alone(payload, dictionary))
    return saved


def _improvable(row: Any, dictionary: blobs.Dictionary | None) -> bool:
    """Whether a blob's form is one compaction replaces: zlib always; standing alone without a
    dictionary when there is one now. Deltas and dictionary frames stay as they are."""
    if row.compression == ZLIB:
        return True
    return dictionary is not None and row.compression in (ZSTD, NONE) and not row.dictionary_id


# --- stored text


def repack(stored: Any, dictionary: codec.ZstdDict | None, dialect: Any) -> str | bytes | None:
    """A packed value's new form with the dictionary, checked to give the same text; None when
    it is packed with that dictionary already or the new form is not smaller."""
    if stored is None or packing.is_packed(stored, dictionary.dict_id if dictionary else None):
        return None
    if packing.is_relative(stored):  # a capture's headers as a delta of its base's: smaller
        return None
    value = packing.unpack(stored, dialect)
    new = packing.pack(value, dictionary)
    if packing.unpack(new, dialect) != value:
        raise AssertionError("a packed text did not unpack to itself")
    return new if _size(new) < _size(stored) else None


def _size(stored: Any) -> int:
    return len(stored.encode("utf-8")) if isinstance(stored, str) else len(stored)


def repack_rows(
    connection: Connection,
    table: Table,
    ids: Sequence[int],
    columns: Sequence[str],
    dictionary: codec.ZstdDict | None,
) -> int:
    """Pack these columns of these rows with the dictionary where that is smaller, each row
    replaced only if it still holds what was read; returns how many values were repacked."""
    dialect, count = connection.dialect, 0
    query = select(table.c.id, *(raw(table.c[name]) for name in columns))
    for row in connection.execute(query.where(table.c.id.in_(ids))):
        new = {name: repack(row._mapping[name], dictionary, dialect) for name in columns}
        changed = {name: value for name, value in new.items() if value is not None}
        if changed:
            same = [raw(table.c[name]) == row._mapping[name] for name in changed]
            connection.execute(update(table).where(table.c.id == row.id, *same).values(changed))
            count += len(changed)
    return count


def repack_versions(
    connection: Connection, version_ids: Sequence[int], dictionary: codec.ZstdDict | None
) -> int:
    """Pack these versions' body and body_html, and their segments' text, with the dictionary
    (on SQLite a segment's folded text goes: the FTS5 index has it); returns how many values
    were repacked."""
    count = repack_rows(connection, VERSION, version_ids, ("body", "body_html"), dictionary)
    held = select(VERSION_SEGMENT.c.segment_id).where(VERSION_SEGMENT.c.version_id.in_(version_ids))
    segment_ids = list(connection.scalars(held.distinct()))
    count += repack_rows(connection, SEGMENT, segment_ids, ("text",), dictionary)
    if connection.dialect.name == "sqlite":
        connection.execute(
            update(SEGMENT)
            .where(SEGMENT.c.id.in_(segment_ids), SEGMENT.c.folded != "")
            .values(folded="")
        )
    return count


def text_samples(connection: Connection, version_ids: Sequence[int]) -> list[bytes]:
    """The body and body_html of these versions, as samples to train a text dictionary on."""
    rows = connection.execute(
        select(VERSION.c.body, VERSION.c.body_html).where(VERSION.c.id.in_(version_ids))
    )
    return [value.encode("utf-8") for row in rows for value in row if value]


def meta_samples(connection: Connection, capture_ids: Sequence[int]) -> list[bytes]:
    """These captures' headers and the provenance of the versions they made, as JSON text."""
    headers = connection.scalars(select(CAPTURE.c.headers).where(CAPTURE.c.id.in_(capture_ids)))
    made = select(CAPTURE.c.version_id).where(CAPTURE.c.id.in_(capture_ids))
    provenance = connection.scalars(select(VERSION.c.provenance).where(VERSION.c.id.in_(made)))
    return [packing.json_text(value).encode("utf-8") for value in (*headers, *provenance)]


def repack_meta(
    connection: Connection, capture_ids: Sequence[int], dictionary: codec.ZstdDict | None
) -> int:
    """Pack these captures' headers and their versions' provenance with the dictionary."""
    count = repack_rows(connection, CAPTURE, capture_ids, ("headers",), dictionary)
    made = select(CAPTURE.c.version_id).where(
        CAPTURE.c.id.in_(capture_ids), CAPTURE.c.version_id.is_not(None)
    )
    version_ids = list(connection.scalars(made.distinct()))
    return count + repack_rows(connection, VERSION, version_ids, ("provenance",), dictionary)


# --- the whole archive


def compact(
    archive: Archive,
    *,
    batch: int = BATCH,
    now: Callable[[], datetime] | None = None,
    report: Callable[[Progress], None] | None = None,
) -> Progress:
    """Train each site's missing dictionaries from what it holds, then re-encode every payload
    and packed value that a smaller form fits: a page's payloads as deltas of its previous one
    where that is smaller, chains no deeper than blobs.MAX_DEPTH. One transaction per batch of
    pages, versions or captures; `report` is called after each."""
    clock = now or archive.clock
    progress = Progress()
    with archive.engine.begin() as connection:
        sites = list(connection.scalars(select(SITE.c.id).order_by(SITE.c.id)))
        found = {site: _dictionaries(connection, site, clock(), progress) for site in sites}
    _compact_blobs(archive, found, batch, progress, report)
    _compact_versions(archive, found, batch, progress, report)
    _compact_captures(archive, found, batch, progress, report)
    return progress


_Found = dict[int, dict[str, blobs.Dictionary | None]]


def _dictionaries(
    connection: Connection, site_id: int, now: datetime, progress: Progress
) -> dict[str, blobs.Dictionary | None]:
    """The site's dictionaries of each kind, trained now from what it holds if it has none."""
    reader = Reader(connection)
    samples_of: dict[str, Callable[[], list[bytes]]] = {
        dictionaries.PAYLOAD: lambda: [
            reader.read(sha256) for sha256 in dictionaries.payload_samples(connection, site_id)
        ],
        dictionaries.TEXT: lambda: text_samples(
            connection, dictionaries.text_samples(connection, site_id)
        ),
        dictionaries.META: lambda: meta_samples(
            connection, dictionaries.first_captures(connection, site_id)
        ),
    }
    found: dict[str, blobs.Dictionary | None] = {}
    for kind, samples in samples_of.items():
        row = dictionaries.latest(connection, site_id, kind)
        if row is not None:
            found[kind] = blobs.Dictionary(row.id, codec.ZstdDict(bytes(row.content)))
        else:
            made = dictionaries.create(connection, site_id, kind, samples(), now)
            progress.dictionaries += made is not None
            found[kind] = blobs.Dictionary(*made) if made else None
        dictionary = found[kind]
        if kind != dictionaries.PAYLOAD and dictionary is not None:
            packing.remember(connection.dialect, dictionary.zstd)
    return found


def _zstd(found: _Found, site_id: int, kind: str) -> codec.ZstdDict | None:
    dictionary = found.get(site_id, {}).get(kind)
    return dictionary.zstd if dictionary else None


def _compact_blobs(
    archive: Archive,
    found: _Found,
    batch: int,
    progress: Progress,
    report: Callable[[Progress], None] | None,
) -> None:
    with archive.engine.connect() as connection:
        bases = set(
            connection.scalars(
                select(blobs.BLOB.c.base_sha256).where(blobs.BLOB.c.base_sha256.is_not(None))
            )
        )
    after = 0
    while True:
        with archive.engine.begin() as connection:
            pages = connection.execute(
                select(PAGE.c.id, PAGE.c.site_id, PAGE.c.kind)
                .where(PAGE.c.id > after)
                .order_by(PAGE.c.id)
                .limit(batch)
            ).all()
            if not pages:
                return
            reader = Reader(connection)
            held = _payloads_by_page(connection, [page.id for page in pages])
            for page in pages:
                # Files: zlib re-encoded alone; pages: with the dictionary, or as deltas.
                html = page.kind in _PAGES
                dictionary = found.get(page.site_id, {}).get(dictionaries.PAYLOAD)
                dictionary = dictionary if html else None
                shas = held.get(page.id, [])
                _compact_page(connection, reader, shas, dictionary, html, bases, progress)
            after = pages[-1].id
        if report is not None:
            report(progress)


def _payloads_by_page(connection: Connection, page_ids: list[int]) -> dict[int, list[str]]:
    """Each page's distinct payloads in the order its captures first held them."""
    rows = connection.execute(
        select(CAPTURE.c.page_id, CAPTURE.c.payload_sha256)
        .where(
            CAPTURE.c.page_id.in_(page_ids),
            CAPTURE.c.payload_sha256.is_not(None),
            CAPTURE.c.outcome != Outcome.MIRROR_COPY.value,
        )
        .order_by(CAPTURE.c.page_id, CAPTURE.c.id)
    )
    held: dict[int, list[str]] = {}
    for page_id, sha256 in rows:
        shas = held.setdefault(page_id, [])
        if sha256 not in shas:
            shas.append(sha256)
    return held


def _compact_page(
    connection: Connection,
    reader: Reader,
    shas: list[str],
    dictionary: blobs.Dictionary | None,
    deltas: bool,
    bases: set[str],
    progress: Progress,
) -> None:
    """One page's payloads in capture order: each not in a final form yet is re-encoded alone
    (with the dictionary) or, if `deltas`, as a delta of the one before it, whichever is
    smaller."""
    previous: str | None = None
    for sha256 in shas:
        row = connection.execute(blobs._ROW, {"sha256": sha256}).first()
        if row is None:
            continue
        progress.blobs += 1
        delta_from = previous if deltas and row.sha256 not in bases else None
        if _improvable(row, dictionary) or (delta_from and _standalone(row)):
            _reencode(connection, reader, row, delta_from, dictionary, bases, progress)
        previous = sha256


def _standalone(row: Any) -> bool:
    return row.compression in (ZSTD, NONE) and not row.dictionary_id


def _reencode(
    connection: Connection,
    reader: Reader,
    row: Any,
    delta_from: str | None,
    dictionary: blobs.Dictionary | None,
    bases: set[str],
    progress: Progress,
) -> None:
    try:
        payload = reader.decode(row)
    except Exception:  # damaged: left for verify to report, never re-encoded
        payload = None
    if payload is None or blobs.sha256_hex(payload) != row.sha256:
        progress.damaged.append(row.sha256)
        return
    forms: list[Form | None] = [blobs.alone(payload, dictionary)]
    if delta_from is not None:
        forms.append(_delta(connection, reader, payload, row.sha256, delta_from))
    form = blobs.smallest(*forms)
    saved = swap_blob(connection, reader, row, payload, form)
    if saved:
        progress.blobs_reencoded += 1
        progress.stored_before += len(row.data)
        progress.stored_after += len(form.data)
        if form.base_sha256 is not None:
            progress.deltas += 1
            bases.add(form.base_sha256)


def _delta(
    connection: Connection, reader: Reader, payload: bytes, sha256: str, base_sha256: str
) -> Form | None:
    """The payload as a delta of `base_sha256`, unless that base's chain is too deep or passes
    through the payload itself (which would make a cycle)."""
    chain: list[str] = []
    wanted: str | None = base_sha256
    while wanted is not None and len(chain) <= blobs.MAX_DEPTH:
        row = connection.execute(blobs._ROW, {"sha256": wanted}).first()
        if row is None:
            return None
        chain.append(row.sha256)
        wanted = row.base_sha256 if row.compression == DELTA else None
    if sha256 in chain or wanted is not None:
        return None
    base_row = connection.execute(blobs._ROW, {"sha256": base_sha256}).one()
    return blobs.against(payload, reader.read(base_sha256), base_sha256, base_row.depth)


def _compact_versions(
    archive: Archive,
    found: _Found,
    batch: int,
    progress: Progress,
    report: Callable[[Progress], None] | None,
) -> None:
    """Versions' text and segments with the text dictionary, provenance with the meta one."""

    def work(connection: Connection, site_id: int, ids: list[int]) -> int:
        text, meta = (
            _zstd(found, site_id, kind) for kind in (dictionaries.TEXT, dictionaries.META)
        )
        count = repack_versions(connection, ids, text)
        return count + repack_rows(connection, VERSION, ids, ("provenance",), meta)

    query = select(VERSION.c.id, PAGE.c.site_id).join(PAGE, PAGE.c.id == VERSION.c.page_id)
    _in_batches(archive, query, VERSION.c.id, batch, work, progress, report)


def _compact_captures(
    archive: Archive,
    found: _Found,
    batch: int,
    progress: Progress,
    report: Callable[[Progress], None] | None,
) -> None:
    """Captures' headers with the meta dictionary."""

    def work(connection: Connection, site_id: int, ids: list[int]) -> int:
        meta = _zstd(found, site_id, dictionaries.META)
        return repack_rows(connection, CAPTURE, ids, ("headers",), meta)

    query = select(CAPTURE.c.id, PAGE.c.site_id).join(PAGE, PAGE.c.id == CAPTURE.c.page_id)
    _in_batches(archive, query, CAPTURE.c.id, batch, work, progress, report)


def _in_batches(
    archive: Archive,
    query: Any,
    key: Any,
    batch: int,
    work: Callable[[Connection, int, list[int]], int],
    progress: Progress,
    report: Callable[[Progress], None] | None,
) -> None:
    """`work` on the rows of `query` (id, site id), a batch at a time in `key` order, each site's
    part of a batch in turn and each batch in its own transaction; `report` after each commit."""
    after = 0
    while True:
        with archive.engine.begin() as connection:
            rows = connection.execute(query.where(key > after).order_by(key).limit(batch)).all()
            if not rows:
                return
            by_site: dict[int, list[int]] = {}
            for row_id, site_id in rows:
                by_site.setdefault(site_id, []).append(row_id)
            for site_id, ids in by_site.items():
                progress.texts_repacked += work(connection, site_id, ids)
            after = rows[-1][0]
        if report is not None:
            report(progress)
