"""Zstandard frames as the archive writes them: alone, with a trained dictionary, or after a prefix."""

from __future__ import annotations

import sys
import threading
from functools import lru_cache

import zstandard

if sys.version_info >= (3, 14):
    from compression import zstd
else:  # the standard library's module, backported (a dependency before Python 3.14)
    from backports import zstd

ZstdDict = zstd.ZstdDict
ZstdError = zstd.ZstdError
MAGIC = b"\x28\xb5\x2f\xfd"
# Level 6 with a dictionary: a replica page in 400 bytes (zlib: 2,750) in 32 us; level 9 saves
# 7% more in 2.4x the time, level 3 loses 20% (docs/decisions.md). No frame checksum: every
# payload and record has its SHA-256 already.
LEVEL = 6
_OPTIONS: dict[int, int] = {
    zstd.CompressionParameter.compression_level: LEVEL,
    zstd.CompressionParameter.checksum_flag: 0,
}


def compress(data: bytes, dictionary: ZstdDict | None = None) -> bytes:
    """One frame of `data`, with `dictionary` (its id in the frame header) or without."""
    if dictionary is None:
        return zstd.compress(data, options=_OPTIONS)
    return _compressor(dictionary).compress(data, zstd.ZstdCompressor.FLUSH_FRAME)


def compress_after(data: bytes, prefix: bytes) -> bytes:
    """One frame of `data` that refers back into `prefix` (an earlier payload): a delta."""
    return zstd.compress(data, options=_OPTIONS, zstd_dict=ZstdDict(prefix, is_raw=True).as_prefix)


def decompress(frame: bytes, dictionary: ZstdDict | None = None) -> bytes:
    """The bytes of one frame written by compress(); ZstdError if they do not decode."""
    try:
        if zstandard.frame_content_size(frame) < 0:  # not written by compress(): no size
            return zstd.decompress(frame, dictionary)
        return _decompressor(dictionary).decompress(frame, allow_extra_data=False)
    except zstandard.ZstdError as exc:
        raise ZstdError(str(exc)) from exc


def decompress_after(frame: bytes, prefix: bytes) -> bytes:
    """The bytes of one frame written by compress_after() with the same prefix."""
    return zstd.decompress(frame, ZstdDict(prefix, is_raw=True).as_prefix)


def dictionary_id(frame: bytes) -> int:
    """The id of the dictionary a frame was written with (0: none)."""
    return int(zstd.get_frame_info(frame).dictionary_id)


def train(samples: list[bytes], size: int) -> ZstdDict | None:
    """A dictionary of at most `size` bytes trained on `samples`, or None when zstd cannot train
    one from them (too few, or too small)."""
    try:
        return zstd.train_dict(samples, size)
    except ZstdError:
        return None


@lru_cache(maxsize=64)
def _compressor(dictionary: ZstdDict) -> zstd.ZstdCompressor:
    """A compressor per dictionary: it digests the dictionary once, not per frame."""
    return zstd.ZstdCompressor(options=_OPTIONS, zstd_dict=dictionary)


# Decompressors are reused (a new context per frame costs five times the decoding of a small
# one) but are not safe to share between threads: each thread keeps its own, per dictionary,
# beside the dictionary it was made for (an id alone could be reused by another object).
_decompressors = threading.local()


def _decompressor(dictionary: ZstdDict | None) -> zstandard.ZstdDecompressor:
    """This thread's decompressor for frames written with `dictionary` (or none)."""
    made: dict[int, tuple[ZstdDict | None, zstandard.ZstdDecompressor]] = (
        _decompressors.__dict__.setdefault("made", {})
    )
    entry = made.get(id(dictionary))
    if entry is None or entry[0] is not dictionary:
        if len(made) >= 64:  # dictionaries read again by another archive or reader
            made.clear()
        data = (
            None if dictionary is None else zstandard.ZstdCompressionDict(dictionary.dict_content)
        )
        entry = (dictionary, zstandard.ZstdDecompressor(dict_data=data))
        made[id(dictionary)] = entry
    return entry[1]
