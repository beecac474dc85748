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
    revision 0013 converts its values in place; PostgreSQL's is BIGINT."""

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
    how a capture's ETag and Last-Modified are read since revision 0013 (the writer took them
    from the same headers with this rule, archive.records.Observation.header)."""
    wanted = name.lower()
    return next((str(v) for k, v in headers or () if str(k).lower() == wanted), None)
