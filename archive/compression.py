"""The write path's compression: each payload in its smallest form (alone with the site's
dictionary, or a delta of the previous payload of its URL), each text packed with the site's text
dictionary, each capture's headers and version's provenance with its dictionary of small JSON
values; a site's dictionaries are trained once it holds enough samples, and what was stored
before then is re-encoded with them at once (archive.compaction)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select

from archive import blobs, codec, compaction, dictionaries, packing
from archive.blobs import Reader
from archive.models import Capture
from archive.records import Outcome

CAPTURE = cast(Table, Capture.__table__)
# A site without a dictionary is looked at again after this many more items of the kind.
CHECK_EVERY = 64
# Once trained, the site's first items are re-encoded with it: the samples, and what was
# stored after them until the dictionary was made (less than CHECK_EVERY more, for a new site;
# the rest of an archive written before revision 0012 is left to a compaction).
REENCODED = dictionaries.SAMPLES + 2 * CHECK_EVERY
# The payload the page's latest capture holds: what a new payload of the page is a delta of.
_PREVIOUS_PAYLOAD = (
    select(CAPTURE.c.payload_sha256)
    .where(
        CAPTURE.c.page_id == bindparam("page_id"),
        CAPTURE.c.payload_sha256.is_not(None),
        CAPTURE.c.outcome != Outcome.MIRROR_COPY.value,
    )
    .order_by(CAPTURE.c.id.desc())
    .limit(1)
)
_DEPTH = select(blobs.BLOB.c.depth).where(blobs.BLOB.c.sha256 == bindparam("sha256"))

_Key = tuple[int, str]


class Compression:
    """One writer's view of the sites' dictionaries: the latest of each kind once found, or a
    countdown to the next look (another writer may have trained one; or there are enough
    samples to train one now).

    A dictionary found or made in a transaction that is then rolled back (or in a savepoint)
    may not exist: every rollback forgets them all (the store calls `forget`), and the next item
    looks again, so nothing is ever stored with a dictionary the archive does not hold."""

    def __init__(self) -> None:
        self._found: dict[_Key, blobs.Dictionary] = {}
        self._wait: dict[_Key, int] = {}

    def forget(self, *_: object) -> None:
        """After a rollback: the dictionaries found are looked for again at the next item."""
        for key in self._found:
            self._wait[key] = 0
        self._found.clear()

    def put_payload(
        self,
        connection: Connection,
        site_id: int,
        page_id: int | None,
        payload: bytes | None,
        now: datetime,
    ) -> str | None:
        """Store `payload` once under its SHA-256, in its smallest form: alone (with the site's
        dictionary), or as a delta of the payload of the page's latest capture (`page_id`;
        None for a page new with this capture)."""
        if payload is None:
            return None
        sha256 = blobs.sha256_hex(payload)
        # A page seen before may answer the bytes it holds: then nothing is compressed. (A new
        # page's bytes are new but for copies of another page, left to ON CONFLICT.)
        if page_id is not None and blobs.exists(connection, sha256):
            return sha256
        dictionary = self.dictionary(connection, site_id, dictionaries.PAYLOAD, now)
        forms: list[blobs.Form | None] = [blobs.alone(payload, dictionary)]
        previous = connection.scalar(_PREVIOUS_PAYLOAD, {"page_id": page_id}) if page_id else None
        if previous is not None:
            depth = connection.scalar(_DEPTH, {"sha256": previous})
            base = Reader(connection).read(previous)
            forms.append(blobs.against(payload, base, previous, int(depth or 0)))
        blobs.put(connection, sha256, len(payload), blobs.smallest(*forms), now)
        return sha256

    def pack_text(
        self, connection: Connection, site_id: int, value: str, now: datetime
    ) -> str | bytes:
        """What a PackedText column stores for `value`: packed with the site's text dictionary."""
        found = self.dictionary(connection, site_id, dictionaries.TEXT, now)
        return packing.pack(value, found.zstd if found else None)

    def pack_json(self, connection: Connection, site_id: int, value: Any, now: datetime) -> Any:
        """What a PackedJSON column is given for `value`: its JSON text packed with the site's
        dictionary of small JSON values, or the value itself when packing gains nothing."""
        found = self.dictionary(connection, site_id, dictionaries.META, now)
        packed = packing.pack(packing.json_text(value), found.zstd if found else None)
        return packed if isinstance(packed, bytes) else value

    def dictionary(
        self, connection: Connection, site_id: int, kind: str, now: datetime
    ) -> blobs.Dictionary | None:
        """The site's dictionary of this kind, trained now if the site holds samples enough."""
        key = (site_id, kind)
        if key not in self._found and self._due(key):
            row = dictionaries.latest(connection, site_id, kind)
            if row is not None:
                found = blobs.Dictionary(row.id, codec.ZstdDict(bytes(row.content)))
                self._keep(connection, key, found)
            else:
                self._train(connection, site_id, kind, now)
        return self._found.get(key)

    def _keep(self, connection: Connection, key: _Key, found: blobs.Dictionary) -> None:
        self._found[key] = found
        if key[1] != dictionaries.PAYLOAD:  # packed values name theirs in their frames
            packing.remember(connection.dialect, found.zstd)

    def _due(self, key: _Key) -> bool:
        """Whether to look for (or train) the site's dictionary now; else one step nearer."""
        waited = self._wait.get(key, 0)
        if waited > 0:
            self._wait[key] = waited - 1
            return False
        self._wait[key] = CHECK_EVERY
        return True

    def _train(self, connection: Connection, site_id: int, kind: str, now: datetime) -> None:
        """Train the site's dictionary once it holds SAMPLES items of the kind, and re-encode
        with it the items stored before it was made."""
        trainer = _TRAINERS[kind]
        needed = dictionaries.SAMPLES // trainer.per_item
        if trainer.held(connection, site_id, needed) < needed:
            return
        ids = trainer.first(connection, site_id, REENCODED // trainer.per_item)
        samples = trainer.samples(connection, ids[:needed])
        made = dictionaries.create(connection, site_id, kind, samples, now)
        if made is not None:
            self._keep(connection, (site_id, kind), blobs.Dictionary(*made))
            trainer.reencode(connection, ids, self._found[(site_id, kind)])


@dataclass(frozen=True)
class _Trainer:
    """How a kind of dictionary is trained: how many items the site holds (counted up to
    enough), its first items, their samples (`per_item` each), and how items are re-encoded."""

    per_item: int
    held: Callable[[Connection, int, int], int]
    first: Callable[[Connection, int, int], list[Any]]
    samples: Callable[[Connection, list[Any]], list[bytes]]
    reencode: Callable[[Connection, list[Any], blobs.Dictionary], object]


def _payload_samples(connection: Connection, shas: list[Any]) -> list[bytes]:
    reader = Reader(connection)
    return [reader.read(sha256) for sha256 in shas]


def _reencode_payloads(connection: Connection, shas: list[Any], found: blobs.Dictionary) -> int:
    return compaction.to_dictionary(connection, Reader(connection), shas, found)


_TRAINERS = {
    # Page payloads (not files); the samples are the payloads.
    dictionaries.PAYLOAD: _Trainer(
        1,
        dictionaries.payloads_held,
        dictionaries.payload_samples,
        _payload_samples,
        _reencode_payloads,
    ),
    # Versions; the samples are their body and body_html.
    dictionaries.TEXT: _Trainer(
        2,
        dictionaries.texts_held,
        dictionaries.text_samples,
        compaction.text_samples,
        lambda c, ids, found: compaction.repack_versions(c, ids, found.zstd),
    ),
    # Captures; the samples are their headers, and the provenance of the versions they made.
    dictionaries.META: _Trainer(
        1,
        dictionaries.captures_held,
        dictionaries.first_captures,
        compaction.meta_samples,
        lambda c, ids, found: compaction.repack_meta(c, ids, found.zstd),
    ),
}
