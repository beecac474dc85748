"""Content addressing and compression of raw payloads."""

from __future__ import annotations

import hashlib
import zlib

ZLIB = "zlib"
NONE = "none"


def sha256_hex(payload: bytes) -> str:
    """The lowercase hex SHA-256 of `payload`: the blob's address."""
    return hashlib.sha256(payload).hexdigest()


def compress(payload: bytes) -> tuple[str, bytes]:
    """The stored form of `payload`: (compression name, data); incompressible bytes stay raw."""
    packed = zlib.compress(payload, 6)
    if len(packed) >= len(payload):
        return NONE, payload
    return ZLIB, packed


def decompress(compression: str, data: bytes) -> bytes:
    """The original payload from its stored form."""
    if compression == ZLIB:
        return zlib.decompress(data)
    if compression == NONE:
        return data
    raise ValueError(f"unknown blob compression {compression!r}")
