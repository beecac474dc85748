"""Stored text in Zstandard frames with the site's dictionary, read back as text by its column type.

A packed column (`PackedText`: a version's body and body_html, a search segment's text; and
`PackedJSON`: a capture's headers, a version's provenance, as their JSON text) holds either plain
text (what archives written before revision 0012 hold, and text too short to gain) or one
Zstandard frame of its UTF-8 bytes. A frame names its dictionary by the id zstd gives it,
which the archive's `compression_dictionary` table holds; the column type decodes frames as rows
are read, so every reader (the ORM, Core selects) sees text. Valid UTF-8 never begins with the
frame's magic number (0x28 0xB5: a continuation byte after "("), so the two cannot be confused.

A capture's URLs and headers may also be stored relative to its page's base capture (revision
0014, archive.captures): byte 0xFF (never in UTF-8), the base capture's id as a varint, then
nothing (the base's value, the same) or a delta: operations that copy, skip or insert bytes of
the base's value (make_delta). The base's value is read through another connection (the base
was committed before: the writer never makes a capture relative to one of its own transaction)
and is always stored whole.
"""

from __future__ import annotations

import difflib
import json
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, Engine, LargeBinary, String, Text, TypeDecorator, text, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from archive import codec

_DICTIONARY_BY_ZSTD_ID = text("SELECT content FROM compression_dictionary WHERE zstd_id = :id")
RELATIVE = b"\xff"
# The capture columns a value may be stored relative to (archive.captures).
RELATIVE_COLUMNS = ("requested_url", "final_url", "headers")
_BASE_VALUES = text(f"SELECT {', '.join(RELATIVE_COLUMNS)} FROM capture WHERE id = :id")
# Base values remembered per database: a page's captures share one, read once.
_BASES_KEPT = 4096


class _Dictionaries:
    """The text dictionaries of one database, by the id their frames carry, loaded as needed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = weakref.ref(engine)
        self.known: dict[int, codec.ZstdDict] = {}
        self.bases: dict[tuple[str, int], str] = {}

    def get(self, zstd_id: int) -> codec.ZstdDict:
        if zstd_id not in self.known:
            engine = self.engine()
            content = None
            if engine is not None:
                # Another connection, so a row being read is never interrupted; it sees what other
                # writers committed. A dictionary this process made is remembered when made.
                with engine.connect() as connection:
                    content = connection.scalar(_DICTIONARY_BY_ZSTD_ID, {"id": zstd_id})
            if content is None:
                raise ValueError(f"stored text needs compression dictionary {zstd_id}, not held")
            self.known[zstd_id] = codec.ZstdDict(bytes(content))
        return self.known[zstd_id]

    def base(self, column: str, capture_id: int) -> str:
        """The value of `column` that capture `capture_id` holds whole; ValueError when there
        is no such capture or its value is itself relative (damaged: bases are whole). A base's
        relative columns are read together: its later captures need them all."""
        key = (column, capture_id)
        if key not in self.bases:
            engine = self.engine()
            row = None
            if engine is not None:
                with engine.connect() as connection:
                    row = connection.execute(_BASE_VALUES, {"id": capture_id}).first()
            if row is None:
                raise ValueError(
                    f"a capture's {column} is relative to capture {capture_id}, not held"
                )
            if len(self.bases) >= _BASES_KEPT:
                self.bases.clear()
            for name, stored in zip(RELATIVE_COLUMNS, row, strict=True):
                if stored is not None and not is_relative(stored):
                    self.bases[(name, capture_id)] = unpack_using(stored, self.get)
            if key not in self.bases:
                raise ValueError(f"capture {capture_id}'s {column} is a base but is not whole")
        return self.bases[key]


# Per database (its engine's dialect object): ids are unique within one archive, not across them.
_REGISTRY: weakref.WeakKeyDictionary[Dialect, _Dictionaries] = weakref.WeakKeyDictionary()


def attach(engine: Engine) -> None:
    """Let text read through `engine` find its dictionaries (archive.database does, for each)."""
    if engine.dialect not in _REGISTRY:
        _REGISTRY[engine.dialect] = _Dictionaries(engine)


def forget_bases(dialect: Dialect) -> None:
    """Read base captures' values afresh from now on (verify: what the database holds now)."""
    found = _REGISTRY.get(dialect)
    if found is not None:
        found.bases.clear()


def remember(dialect: Dialect, dictionary: codec.ZstdDict) -> None:
    """A dictionary this process uses to pack text, known before its row is committed."""
    found = _REGISTRY.get(dialect)
    if found is not None:
        found.known[dictionary.dict_id] = dictionary


def pack(value: str, dictionary: codec.ZstdDict | None) -> str | bytes:
    """What a packed column stores for `value`: a frame when it is shorter, else the text."""
    raw = value.encode("utf-8")
    frame = codec.compress(raw, dictionary)
    return frame if len(frame) < len(raw) else value


def is_packed(stored: Any, dictionary_id: int | None = None) -> bool:
    """Whether a stored value is a frame (written with that dictionary, if one is given)."""
    if not isinstance(stored, bytes | memoryview) or bytes(stored[:4]) != codec.MAGIC:
        return False
    return dictionary_id is None or codec.dictionary_id(bytes(stored)) == dictionary_id


def unpack(stored: str | bytes | memoryview, dialect: Dialect, column: str | None = None) -> str:
    """The text a packed column holds; ValueError when a frame does not decode (damaged). A
    value of capture `column` may be relative to its base capture's (see above)."""
    if column is not None and not isinstance(stored, str) and is_relative(stored):
        base_id, delta = split_relative(bytes(stored))
        return apply_delta(_dictionaries(dialect).base(column, base_id), delta)
    return unpack_using(stored, lambda zstd_id: _dictionaries(dialect).get(zstd_id))


def is_relative(stored: Any) -> bool:
    """Whether a stored value is relative to a base capture's (see above)."""
    return isinstance(stored, bytes | memoryview) and bytes(stored[:1]) == RELATIVE


def relative(base_id: int, delta: bytes = b"") -> bytes:
    """The stored form of a value relative to capture `base_id`'s: `delta` its operations on
    the base's value (make_delta), or empty for the same value."""
    return RELATIVE + _varint(base_id) + delta


def split_relative(stored: bytes) -> tuple[int, bytes]:
    """(base capture id, delta) of a relative value; ValueError when it is cut short."""
    base_id, position = _read_varint(stored, 1)
    return base_id, stored[position:]


# A delta's operations, each a varint of (length << 2 | kind), over the base's UTF-8 bytes from
# its start: copy that many bytes of the base, insert that many bytes (which follow), or skip
# that many bytes of the base; what is left of the base after the last one is copied.
_COPY, _INSERT, _SKIP = 0, 1, 2


def make_delta(value: str, base: str) -> bytes:
    """`value` as operations on `base` (above): a quiet capture's headers differ from its base's
    in a few characters (the Date's seconds, a 304's Content-Length), so they take a few bytes
    where a Zstandard frame after the base took 28. Empty when the two are the same."""
    if value == base:
        return b""
    old, new = base.encode("utf-8"), value.encode("utf-8")
    operations: list[tuple[int, int, bytes]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            operations.append((_COPY, i2 - i1, b""))
            continue
        if i2 > i1:
            operations.append((_SKIP, i2 - i1, b""))
        if j2 > j1:
            operations.append((_INSERT, j2 - j1, new[j1:j2]))
    if operations and operations[-1][0] == _COPY:
        operations.pop()  # the rest of the base is copied anyway
    encoded = bytearray()
    for kind, length, inserted in operations:
        encoded += _varint(length << 2 | kind) + inserted
    return bytes(encoded)


def apply_delta(base: str, delta: bytes) -> str:
    """The value make_delta(value, base) was made from; ValueError when it does not decode."""
    if not delta:
        return base
    old, out, at, position = base.encode("utf-8"), bytearray(), 0, 0
    while position < len(delta):
        code, position = _read_varint(delta, position)
        kind, length = code & 3, code >> 2
        if kind == _INSERT:
            if position + length > len(delta):
                raise ValueError("a relative value's delta is cut short")
            out += delta[position : position + length]
            position += length
        elif kind in (_COPY, _SKIP) and at + length <= len(old):
            if kind == _COPY:
                out += old[at : at + length]
            at += length
        else:
            raise ValueError("a relative value's delta does not fit its base")
    out += old[at:]
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"a relative value does not decode: {exc}") from None


def _varint(value: int) -> bytes:
    encoded = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        encoded.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(encoded)


def _read_varint(data: bytes, position: int) -> tuple[int, int]:
    """(value, position after it) of the varint at `position`; ValueError when cut short."""
    value, shift = 0, 0
    while position < len(data) and shift < 64:
        byte = data[position]
        value |= (byte & 0x7F) << shift
        position, shift = position + 1, shift + 7
        if not byte & 0x80:
            return value, position
    raise ValueError("a relative value's delta is cut short")


def unpack_using(
    stored: str | bytes | memoryview, dictionary: Callable[[int], codec.ZstdDict]
) -> str:
    """The text a packed value holds, its frame's dictionary found by `dictionary(zstd id)`."""
    if isinstance(stored, str):
        return stored
    data = bytes(stored)
    if data[:4] != codec.MAGIC:
        return data.decode("utf-8")
    try:
        zstd_id = codec.dictionary_id(data)
        return codec.decompress(data, dictionary(zstd_id) if zstd_id else None).decode("utf-8")
    except codec.ZstdError as exc:
        raise ValueError(f"stored text does not decode: {exc}") from None


def _dictionaries(dialect: Dialect) -> _Dictionaries:
    found = _REGISTRY.get(dialect)
    if found is None:
        raise ValueError("compressed text read through an engine archive.database did not open")
    return found


class _Raw(TypeDecorator[Any]):
    """A packed column's value as stored (text or a frame), not decoded: as SQLite gives it
    (text or bytes), or PostgreSQL's bytea."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(LargeBinary())


def raw(column: Any) -> Any:
    """`column` read as stored (for what compares or checks stored forms), labelled as itself."""
    return type_coerce(column, _Raw()).label(column.name)


class PackedText(TypeDecorator[str]):
    """Text stored packed: declared TEXT on SQLite (which keeps a frame as a BLOB value in it),
    bytea on PostgreSQL. Binds text as it is, or a frame pack() made; reads back text. With
    `relative` (a capture column's name), a value may be stored relative to a base capture's."""

    impl = Text
    cache_ok = True

    def __init__(self, relative: str | None = None, length: int | None = None) -> None:
        super().__init__()
        self.relative = relative
        # Declared VARCHAR(length) on SQLite where the column was (a capture's URLs).
        self.length = length

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.length) if self.length else Text())
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: str | bytes | None, dialect: Dialect) -> Any:
        if value is None or isinstance(value, bytes) or dialect.name == "sqlite":
            return value
        return value.encode("utf-8")

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else unpack(value, dialect, self.relative)


def json_text(value: Any) -> str:
    """A JSON column's value as text, exactly as SQLAlchemy's JSON type would store it."""
    return json.dumps(value)


class PackedJSON(TypeDecorator[Any]):
    """A JSON value stored as its text, or packed (archive.packing.pack of that text): declared
    JSON on SQLite, as the column always was; bytea on PostgreSQL. Binds a value (as JSON text)
    or a frame; reads back the value. With `relative`, as PackedText's."""

    impl = JSON
    cache_ok = True

    def __init__(self, relative: str | None = None) -> None:
        super().__init__()
        self.relative = relative

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(JSON())
        return dialect.type_descriptor(LargeBinary())

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        """Replaces the JSON type's own: a frame is stored as it is, a value as its JSON text."""
        server = dialect.name != "sqlite"

        def process(value: Any) -> Any:
            if value is None or isinstance(value, bytes):
                return value
            stored = json_text(value)
            return stored.encode("utf-8") if server else stored

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any]:
        def process(value: Any) -> Any:
            return None if value is None else json.loads(unpack(value, dialect, self.relative))

        return process
