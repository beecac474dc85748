"""Compact stored forms of capture columns: times as integer microseconds, digests as 32 bytes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, DateTime, LargeBinary, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(value: datetime) -> int:
    """An aware time as whole microseconds since the Unix epoch (exact: times hold microseconds)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: the archive stores aware times only")
    return (value - EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    return EPOCH + int(value) * _MICROSECOND


class EpochMicros(TypeDecorator[datetime]):
    """An aware time stored as an integer of microseconds since 1970-01-01 UTC: 8 bytes at most
    where SQLite's text took 26, ordered and compared as the times are. Reads back aware UTC.
    SQLite keeps the column declared as before (DATETIME: integers stay integers in it), so
    revision 0014 converts its values in place; PostgreSQL's is BIGINT."""

    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(DateTime())
        return dialect.type_descriptor(BigInteger())

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        """Replaces the declared type's own: the value bound is the integer."""

        def process(value: Any) -> Any:
            return None if value is None else micros(value)

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any]:
        def process(value: Any) -> Any:
            return None if value is None else from_micros(value)

        return process


class Digest(TypeDecorator[str]):
    """A SHA-256 stored as its 32 bytes, bound and read as its 64 hex digits. SQLite keeps the
    column declared VARCHAR(64) as before (a BLOB value stays one in it); PostgreSQL's is bytea."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(LargeBinary())

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        def process(value: Any) -> Any:
            if value is None or isinstance(value, bytes):
                return value
            return bytes.fromhex(value)

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any]:
        def process(value: Any) -> Any:
            return None if value is None else bytes(value).hex()

        return process


def header(headers: Any, name: str) -> str | None:
    """The first value of header `name` (case-insensitive) in a capture's headers, if present:
    how a capture's ETag and Last-Modified are read since revision 0014 (the writer took them
    from the same headers with this rule, archive.records.Observation.header)."""
    wanted = name.lower()
    return next((str(v) for k, v in headers or () if str(k).lower() == wanted), None)


# A capture's outcomes (archive.records.Outcome's values), each stored as one character: its
# place in this tuple. Append only: a stored character means the word at its place for good.
OUTCOMES = (
    "content",
    "file",
    "new",
    "changed",
    "reparsed",
    "unchanged",
    "not-modified",
    "not-found",
    "soft-404",
    "blocked",
    "truncated",
    "redirected",
    "moved",
    "error",
    "listing",
    "rejected",
    "mirror-copy",
)
OUTCOME_CODES = {word: chr(ord("a") + place) for place, word in enumerate(OUTCOMES)}
OUTCOME_WORDS = {code: word for word, code in OUTCOME_CODES.items()}


class OutcomeCode(TypeDecorator[str]):
    """An outcome (a capture's; a page's last, since 0015) stored as one character (OUTCOMES),
    bound and read as its word: 2 bytes where "not-modified" took 13. The column stays
    VARCHAR(16) on both engines."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(String(16))

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value not in OUTCOME_CODES:
            raise ValueError(f"{value!r} is not a capture outcome the archive knows")
        return OUTCOME_CODES[value]

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value not in OUTCOME_WORDS:
            raise ValueError(f"stored outcome {value!r} is none the archive knows")
        return OUTCOME_WORDS[value]
