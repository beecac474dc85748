"""A WACZ 1.1.1 package: the WARC and its index stored uncompressed, the page list, the
datapackage with each resource's SHA-256 and size, and the datapackage's own digest."""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from archive.formats.export import PageEntry
from archive.formats.warc import gzip_member

WACZ_VERSION = "1.1.1"
WARC_PATH = "archive/data.warc.gz"
INDEX_PATH = "indexes/index.cdx.gz"
IDX_PATH = "indexes/index.idx"
PAGES_PATH = "pages/pages.jsonl"
# Lines per gzip block of the index (a ZipNum index, as py-wacz writes it): index.idx holds the
# first key of each block, so a reader opens one block instead of the whole index.
BLOCK_LINES = 300
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Package:
    """What the datapackage says of the whole: its title, description, software and the
    `created` time (the newest record's, so the same archive packs to the same bytes)."""

    title: str
    description: str
    software: str
    created: datetime
    identity: uuid.UUID


def write_wacz(
    path: Path, warc: Path, index_lines: Sequence[str], pages: Sequence[PageEntry], about: Package
) -> None:
    """The package at `path`, from the WARC file `warc` and its sorted CDXJ lines."""
    blocks, idx = _zipnum(index_lines)
    stamp = _zip_time(about.created)
    resources = []
    with zipfile.ZipFile(path, "w", allowZip64=True) as package:
        with warc.open("rb") as source:
            resources.append(_add_file(package, WARC_PATH, source, stamp))
        resources.append(_add(package, INDEX_PATH, blocks, stamp, zipfile.ZIP_STORED))
        resources.append(_add(package, IDX_PATH, idx, stamp, zipfile.ZIP_DEFLATED))
        page_list = _pages_jsonl(pages, about)
        resources.append(_add(package, PAGES_PATH, page_list, stamp, zipfile.ZIP_DEFLATED))
        datapackage = _datapackage(resources, about)
        _add(package, "datapackage.json", datapackage, stamp, zipfile.ZIP_DEFLATED)
        digest = {"path": "datapackage.json", "hash": _sha256(datapackage)}
        _add(package, "datapackage-digest.json", _json(digest), stamp, zipfile.ZIP_DEFLATED)


def _zipnum(lines: Sequence[str]) -> tuple[bytes, bytes]:
    """The index as gzip blocks of BLOCK_LINES lines, and the block index that finds them."""
    meta = {"format": "cdxj-gzip-1.0", "filename": "index.cdx.gz"}
    blocks, idx, offset = [], [f"!meta 0 {json.dumps(meta)}\n"], 0
    for start in range(0, len(lines), BLOCK_LINES):
        block_lines = lines[start : start + BLOCK_LINES]
        block = gzip_member("".join(line + "\n" for line in block_lines).encode("utf-8"))
        prefix = block_lines[0].split("{", 1)[0].strip()
        entry = {"offset": offset, "length": len(block), "digest": _sha256(block)}
        idx.append(f"{prefix} {json.dumps(entry)}\n")
        blocks.append(block)
        offset += len(block)
    return b"".join(blocks), "".join(idx).encode("utf-8")


def _pages_jsonl(pages: Sequence[PageEntry], about: Package) -> bytes:
    header = {"format": "json-pages-1.0", "id": "pages", "title": "Articles", "hasText": True}
    lines = [json.dumps(header, ensure_ascii=False)]
    for page in pages:
        entry = {
            "id": uuid.uuid5(about.identity, f"page/{page.url}/{page.at.isoformat()}").hex,
            "url": page.url,
            "ts": page.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "title": page.title,
            "text": page.text,
        }
        lines.append(json.dumps(entry, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _datapackage(resources: list[dict[str, Any]], about: Package) -> bytes:
    return _json(
        {
            "profile": "data-package",
            "resources": resources,
            "title": about.title,
            "description": about.description,
            "created": about.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "wacz_version": WACZ_VERSION,
            "software": about.software,
        }
    )


def _add(
    package: zipfile.ZipFile, name: str, data: bytes, stamp: tuple[int, ...], method: int
) -> dict[str, Any]:
    package.writestr(_info(name, stamp, method), data, compresslevel=6)
    return _resource(name, _sha256(data), len(data))


def _add_file(
    package: zipfile.ZipFile, name: str, source: BinaryIO, stamp: tuple[int, ...]
) -> dict[str, Any]:
    hasher, size = hashlib.sha256(), 0
    with package.open(_info(name, stamp, zipfile.ZIP_STORED), "w", force_zip64=True) as target:
        for chunk in _chunks(source):
            hasher.update(chunk)
            size += len(chunk)
            target.write(chunk)
    return _resource(name, "sha256:" + hasher.hexdigest(), size)


def _chunks(source: BinaryIO) -> Iterator[bytes]:
    while chunk := source.read(_CHUNK):
        yield chunk


def _info(name: str, stamp: tuple[int, ...], method: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
    info.compress_type = method
    info.create_system = 3  # Unix, whichever system packs it
    info.external_attr = 0o644 << 16
    return info


def _resource(path: str, digest: str, size: int) -> dict[str, Any]:
    return {"name": path.rsplit("/", 1)[-1].lower(), "path": path, "hash": digest, "bytes": size}


def _zip_time(moment: datetime) -> tuple[int, ...]:
    utc = moment.astimezone(UTC)
    return (max(utc.year, 1980), utc.month, utc.day, utc.hour, utc.minute, utc.second)


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _json(shape: dict[str, Any]) -> bytes:
    return json.dumps(shape, ensure_ascii=False, indent=2).encode("utf-8")
