"""Raw payloads: addressed by the SHA-256 of their bytes, stored in one of a few forms, read back.

Forms (the blob row's `compression`): `zstd`, one Zstandard frame, with the site's payload
dictionary when `dictionary_id` is set; `zstd-delta`, a frame written after the bytes of the
blob `base_sha256` (the previous payload of the same URL), `depth` deltas from a blob that
stands alone (at most MAX_DEPTH, so reading any payload decodes at most MAX_DEPTH + 1 frames);
and, in archives written before revision 0012, `zlib` and `none`. The address is always the
SHA-256 of the original bytes, whatever the form; the write path and `db compact` choose the
smallest form, and a form is only ever replaced by another that decodes to the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from archive import codec
from archive.models import Blob, CompressionDictionary

ZLIB = "zlib"
NONE = "none"
ZSTD = "zstd"
DELTA = "zstd-delta"
MAX_DEPTH = 16
# The bases a delta is made after: pages and small files (a delta of a 20 MiB file would cost a
# second to make and read; zstd refuses a prefix under 8 bytes).
DELTA_SIZES = (64, 4 * 1024 * 1024)

BLOB, DICTIONARY = cast(Table, Blob.__table__), cast(Table, CompressionDictionary.__table__)
_ROW = select(
    BLOB.c.sha256,
    BLOB.c.compression,
    BLOB.c.data,
    BLOB.c.dictionary_id,
    BLOB.c.base_sha256,
    BLOB.c.depth,
).where(BLOB.c.sha256 == bindparam("sha256"))
_DICTIONARY = select(DICTIONARY.c.content).where(DICTIONARY.c.id == bindparam("id"))
UPSERT: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
_EXISTS = select(BLOB.c.sha256).where(BLOB.c.sha256 == bindparam("sha256"))


def sha256_hex(payload: bytes) -> str:
    """The lowercase hex SHA-256 of `payload`: the blob's address."""
    return hashlib.sha256(payload).hexdigest()


def compress(payload: bytes) -> tuple[str, bytes]:
    """The form archives before revision 0012 stored, zlib or none (bulk builders still write it)."""
    packed = zlib.compress(payload, 6)
    if len(packed) >= len(payload):
        return NONE, payload
    return ZLIB, packed


def decompress(
    compression: str,
    data: bytes,
    dictionary: codec.ZstdDict | None = None,
    base: bytes | None = None,
) -> bytes:
    """The original payload from one stored form; a delta needs its base's bytes."""
    if compression == ZSTD:
        return codec.decompress(data, dictionary)
    if compression == DELTA:
        if base is None:
            raise ValueError("a delta is read with its base's bytes")
        return codec.decompress_after(data, base)
    if compression == ZLIB:
        return zlib.decompress(data)
    if compression == NONE:
        return data
    raise ValueError(f"unknown blob compression {compression!r}")


@dataclass(frozen=True)
class Form:
    """How a payload is stored: the blob row's columns besides its address, size and time."""

    compression: str
    data: bytes
    dictionary_id: int | None = None
    base_sha256: str | None = None
    depth: int = 0

    def values(self) -> dict[str, Any]:
        return {
            "compression": self.compression,
            "data": self.data,
            "dictionary_id": self.dictionary_id,
            "base_sha256": self.base_sha256,
            "depth": self.depth,
        }


@dataclass(frozen=True)
class Dictionary:
    """A payload dictionary as the write path uses it: its row id and its content."""

    id: int
    zstd: codec.ZstdDict


def alone(payload: bytes, dictionary: Dictionary | None) -> Form:
    """The payload standing alone: a frame (with the dictionary), or raw if that is not smaller."""
    frame = codec.compress(payload, dictionary.zstd if dictionary else None)
    if len(frame) >= len(payload):
        return Form(NONE, payload)
    return Form(ZSTD, frame, dictionary.id if dictionary else None)


def against(payload: bytes, base: bytes, base_sha256: str, base_depth: int) -> Form | None:
    """The payload as a delta after `base`, unless the chain would grow past MAX_DEPTH, or
    either is too small to gain or too large to keep a delta's cost in bounds."""
    if base_depth >= MAX_DEPTH or not DELTA_SIZES[0] <= len(base) <= DELTA_SIZES[1]:
        return None
    if len(payload) > DELTA_SIZES[1]:
        return None
    return Form(DELTA, codec.compress_after(payload, base), None, base_sha256, base_depth + 1)


def smallest(*forms: Form | None) -> Form:
    return min((form for form in forms if form is not None), key=lambda form: len(form.data))


def exists(connection: Connection, sha256: str) -> bool:
    return connection.scalar(_EXISTS, {"sha256": sha256}) is not None


def put(connection: Connection, sha256: str, size: int, form: Form, now: datetime) -> None:
    """Store a payload once under its address; identical bytes stored already are left as they are
    (by another writer meanwhile too: whichever form was stored first stays)."""
    values = {"sha256": sha256, "size": size, "created_at": now, **form.values()}
    dialect = connection.dialect.name
    if dialect in UPSERT:
        connection.execute(_put_once(dialect), values)
    elif not exists(connection, sha256):
        connection.execute(insert(BLOB), values)


@functools.cache
def _put_once(dialect: str) -> Any:
    """Built once: SQLAlchemy then finds its compiled form without working out a cache key
    (a statement built anew per payload has its cache key worked out every time)."""
    return UPSERT[dialect](BLOB).on_conflict_do_nothing()


class MissingBlob(LookupError):
    """A payload the archive does not hold (or a delta's base it no longer holds)."""


# Decoded payloads kept by a reader for the deltas that follow them: up to this many bytes in all,
# of payloads no larger than a page (files are read once and left out).
_CACHE_BYTES = 32 * 1024 * 1024
_CACHE_ITEM = 1024 * 1024


class Reader:
    """Reads payloads back through one connection: follows deltas to their bases, loads each
    dictionary once, and keeps recent small payloads (the next capture's base, often)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._dictionaries: dict[int, codec.ZstdDict] = {}
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cached = 0

    def read(self, sha256: str) -> bytes:
        """The payload stored under `sha256`; MissingBlob if there is none. Not checked against
        its address: fixity and exports compare the SHA-256 themselves."""
        if sha256 in self._cache:
            self._cache.move_to_end(sha256)
            return self._cache[sha256]
        chain: list[Any] = []
        base: bytes | None = None
        wanted: str | None = sha256
        while wanted is not None:
            if wanted in self._cache:
                base = self._cache[wanted]
                break
            row = self.connection.execute(_ROW, {"sha256": wanted}).first()
            if row is None:
                raise MissingBlob(f"no blob {wanted}")
            chain.append(row)
            if len(chain) > 4 * MAX_DEPTH + 1:
                raise ValueError(f"the deltas from blob {sha256} do not end (a cycle)")
            wanted = row.base_sha256 if row.compression == DELTA else None
        for row in reversed(chain):
            base = self.decode(row, base)
        assert base is not None
        return base

    def decode(self, row: Any, base: bytes | None = None) -> bytes:
        """A blob row's payload (columns compression, data, dictionary_id, base_sha256); a
        delta's base is read unless given."""
        if row.compression == DELTA and base is None:
            base = self.read(row.base_sha256)
        dictionary = self.dictionary(row.dictionary_id) if row.dictionary_id else None
        payload = decompress(row.compression, bytes(row.data), dictionary, base)
        self._keep(row.sha256, payload)
        return payload

    def dictionary(self, dictionary_id: int) -> codec.ZstdDict:
        if dictionary_id not in self._dictionaries:
            content = self.connection.scalar(_DICTIONARY, {"id": dictionary_id})
            if content is None:
                raise MissingBlob(f"no compression dictionary {dictionary_id}")
            self._dictionaries[dictionary_id] = codec.ZstdDict(bytes(content))
        return self._dictionaries[dictionary_id]

    def _keep(self, sha256: str, payload: bytes) -> None:
        if len(payload) > _CACHE_ITEM or sha256 in self._cache:
            return
        self._cache[sha256] = payload
        self._cached += len(payload)
        while self._cached > _CACHE_BYTES:
            _, dropped = self._cache.popitem(last=False)
            self._cached -= len(dropped)


def read(connection: Connection, sha256: str) -> bytes:
    """One payload's bytes (see Reader.read)."""
    return Reader(connection).read(sha256)
