"""Stored text in Zstandard frames with the site's dictionary, read back as text by its column type.

A packed column (`PackedText`: a version's body and body_html, a search segment's text; and
`PackedJSON`: a capture's headers, a version's provenance, as their JSON text) holds either plain
text (what archives written before revision 0012 hold, and text too short to gain) or one
Zstandard frame of its UTF-8 bytes. A frame names its dictionary by the id zstd gives it,
which the archive's `compression_dictionary` table holds; the column type decodes frames as rows
are read, so every reader (the ORM, Core selects) sees text. Valid UTF-8 never begins with the
frame's magic number (0x28 0xB5: a continuation byte after "("), so the two cannot be confused.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, Engine, LargeBinary, String, Text, TypeDecorator, text, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from archive import codec

_DICTIONARY_BY_ZSTD_ID = text("SELECT content FROM compression_dictionary WHERE zstd_id = :id")


class _Dictionaries:
    """The text dictionaries of one database, by the id their frames carry, loaded as needed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = weakref.ref(engine)
        self.known: dict[int, codec.ZstdDict] = {}

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


# Per database (its engine's dialect object): ids are unique within one archive, not across them.
_REGISTRY: weakref.WeakKeyDictionary[Dialect, _Dictionaries] = weakref.WeakKeyDictionary()


def attach(engine: Engine) -> None:
    """Let text read through `engine` find its dictionaries (archive.database does, for each)."""
    if engine.dialect not in _REGISTRY:
        _REGISTRY[engine.dialect] = _Dictionaries(engine)


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


def unpack(stored: str | bytes | memoryview, dialect: Dialect) -> str:
    """The text a packed column holds; ValueError when a frame does not decode (damaged)."""
    return unpack_using(stored, lambda zstd_id: _dictionaries(dialect).get(zstd_id))


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
    bytea on PostgreSQL. Binds text as it is, or a frame pack() made; reads back text."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Text())
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: str | bytes | None, dialect: Dialect) -> Any:
        if value is None or isinstance(value, bytes) or dialect.name == "sqlite":
            return value
        return value.encode("utf-8")

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else unpack(value, dialect)


def json_text(value: Any) -> str:
    """A JSON column's value as text, exactly as SQLAlchemy's JSON type would store it."""
    return json.dumps(value)


class PackedJSON(TypeDecorator[Any]):
    """A JSON value stored as its text, or packed (archive.packing.pack of that text): declared
    JSON on SQLite, as the column always was; bytea on PostgreSQL. Binds a value (as JSON text)
    or a frame; reads back the value."""

    impl = JSON
    cache_ok = True

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
            return None if value is None else json.loads(unpack(value, dialect))

        return process
