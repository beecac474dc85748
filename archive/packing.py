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
import re
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
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
# that many bytes of the base; or, for an HTTP date of the base that many bytes long, that date
# moved by a number of seconds (a zigzag varint that follows): a re-check's Date is its base's
# moved on, in 4 bytes where its changed characters took about 15. What is left of the base
# after the last operation is copied.
_COPY, _INSERT, _SKIP, _DATE = 0, 1, 2, 3
# An HTTP date as servers send it (RFC 9110's IMF-fixdate): what _DATE moves.
_HTTP_DATE = re.compile(
    rb"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT"
)


def make_delta(value: str, base: str) -> bytes:
    """`value` as operations on `base` (above): a quiet capture's headers differ from its base's
    in their Date (and a 304's Content-Length and Content-Type), so they take a few bytes where a
    Zstandard frame after the base took 28. Empty when the two are the same."""
    if value == base:
        return b""
    old, new = base.encode("utf-8"), value.encode("utf-8")
    plain = _encode(_operations(old, new))
    dated = _with_dates_moved(old, new)
    return dated if dated is not None and len(dated) < len(plain) else plain


def _operations(old: bytes, new: bytes) -> list[tuple[int, int, bytes]]:
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
    return operations


def _encode(operations: list[tuple[int, int, bytes]]) -> bytes:
    if operations and operations[-1][0] == _COPY:
        operations = operations[:-1]  # the rest of the base is copied anyway
    encoded = bytearray()
    for kind, length, inserted in operations:
        encoded += _varint(length << 2 | kind) + inserted
    return bytes(encoded)


def _with_dates_moved(old: bytes, new: bytes) -> bytes | None:
    """The delta with each HTTP date of `new` that differs from the base's in its place as a
    move of the base's: None when the two do not hold their dates in the same places, or a
    date would not read back as it is."""
    old_dates, new_dates = list(_HTTP_DATE.finditer(old)), list(_HTTP_DATE.finditer(new))
    if not old_dates or len(old_dates) != len(new_dates):
        return None
    moves: dict[int, int] = {}  # base offset of a date -> seconds it moves by
    aligned, last = bytearray(), 0
    for was, now in zip(old_dates, new_dates, strict=True):
        aligned += new[last : now.start()] + was.group()
        last = now.end()
        if was.group() != now.group():
            shift = _seconds(now.group()) - _seconds(was.group())
            if _moved(was.group(), shift) != now.group():
                return None
            moves[was.start()] = shift
    aligned += new[last:]
    return _encode_moves(_operations(old, bytes(aligned)), moves)


def _encode_moves(operations: list[tuple[int, int, bytes]], moves: dict[int, int]) -> bytes | None:
    """`operations` with the base's dates at `moves` moved: each must lie in a copy."""
    result: list[tuple[int, int, bytes]] = []
    at = 0
    for kind, length, inserted in operations:
        if kind != _COPY:
            result.append((kind, length, inserted))
            at += length if kind == _SKIP else 0
            continue
        end = at + length
        for start in sorted(p for p in moves if at <= p < end):
            if start + _DATE_LENGTH > end:
                return None
            result.append((_COPY, start - at, b""))
            result.append((_DATE, _DATE_LENGTH, _varint(_zigzag(moves.pop(start)))))
            at = start + _DATE_LENGTH
        result.append((_COPY, end - at, b""))
        at = end
    if moves:
        return None
    return _encode([op for op in result if op[0] != _COPY or op[1]])


_DATE_LENGTH = len(b"Mon, 01 Dec 2025 00:00:00 GMT")


def _seconds(date: bytes) -> int:
    return int(parsedate_to_datetime(date.decode("ascii")).timestamp())


def _moved(date: bytes, shift: int) -> bytes:
    """The HTTP date `shift` seconds after `date`."""
    moment = datetime.fromtimestamp(_seconds(date) + shift, UTC)
    return format_datetime(moment, usegmt=True).encode("ascii")


def _zigzag(number: int) -> int:
    return number << 1 if number >= 0 else (-number << 1) - 1


def _unzigzag(number: int) -> int:
    return number >> 1 if not number & 1 else -((number + 1) >> 1)


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
        elif at + length > len(old):
            raise ValueError("a relative value's delta does not fit its base")
        elif kind == _DATE:
            shift, position = _read_varint(delta, position)
            out += _moved_back(old[at : at + length], _unzigzag(shift))
            at += length
        else:
            if kind == _COPY:
                out += old[at : at + length]
            at += length
    out += old[at:]
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"a relative value does not decode: {exc}") from None


def _moved_back(date: bytes, shift: int) -> bytes:
    """apply_delta's _DATE: ValueError when the base holds no HTTP date there."""
    if not _HTTP_DATE.fullmatch(date):
        raise ValueError("a relative value's date move finds no date in its base")
    try:
        return _moved(date, shift)
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"a relative value's date move does not give a date: {exc}") from None


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
