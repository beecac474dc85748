"""The JSON of the archive's own metadata records: a capture, a version, a lifecycle event.

Each is one JSON object with a `type` (`capture`, `version`, `event`) and the page's identity
(`page`: the first canonical URL it was archived under). The shapes are documented in the
README (Standards) and are what an import reads back; keys are only ever added.
"""

from __future__ import annotations

import json
from typing import Any

from archive.formats.source import CaptureItem, EventItem, RereadItem, VersionItem

CONTENT_TYPE = "application/json"
# Metadata records are addressed apart from the pages they describe, so that replay tools,
# which index them too, never serve one in place of a page (as `urn:pageinfo:` records are).
URN = "urn:newsarchive:"


def target_uri(kind: str, page: str) -> str:
    """`urn:newsarchive:version:http://www.chencang.gov.cn/…`."""
    return f"{URN}{kind}:{page}"


def encode(shape: dict[str, Any]) -> bytes:
    return (json.dumps(shape, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def capture_json(capture: CaptureItem) -> dict[str, Any]:
    """The capture as the archive holds it, stored headers and fixity chain included: the
    evidence that the HTTP records (whose headers are made to agree with the payload) rest on."""
    return {
        "type": "capture",
        "page": capture.page,
        "page_kind": capture.page_kind,
        "site": capture.site,
        "referrer": capture.referrer,
        "capture": capture.id,
        "run": capture.run_id,
        "captured_at": capture.captured_at.isoformat(),
        "requested_url": capture.requested_url,
        "final_url": capture.final_url,
        "status": capture.status,
        "outcome": capture.outcome,
        "version": capture.version_number,
        "payload_sha256": capture.payload_sha256,
        "payload_size": capture.payload_size,
        "headers": [list(pair) for pair in capture.headers],
        "error": capture.error,
        "chain_sha256": capture.chain_sha256,
    }


def version_json(capture: CaptureItem, version: VersionItem) -> dict[str, Any]:
    """The version the capture added: number, changes, parser, digests and the record."""
    return version_json_of(capture.page, capture.id, version)


def version_json_of(page: str, capture_id: int | None, version: VersionItem) -> dict[str, Any]:
    return {
        "type": "version",
        "page": page,
        "capture": capture_id,
        "version": version.number,
        "captured_at": version.created_at.isoformat(),
        "changed_fields": [change["field"] for change in version.changes],
        "fields": list(version.changes),
        "classes": list(version.classes),
        "chars_added": version.chars_added,
        "chars_removed": version.chars_removed,
        "parser_version": version.parser_version,
        "content_sha256": version.content_sha256,
        "record_sha256": version.record_sha256,
        "provenance": version.provenance,
        "repairs": version.repairs,
        "record": version.fields,
    }


def reread_json(item: RereadItem) -> dict[str, Any]:
    """A version no capture added (a stored answer read again): as version_json, with no
    capture of its own and the capture it read (`reread_capture`) and its site."""
    shape = version_json_of(item.page, None, item.version)
    shape.update(site=item.site, reread_capture=item.capture_id)
    return shape


def event_json(event: EventItem) -> dict[str, Any]:
    return {
        "type": "event",
        "page": event.page,
        "kind": event.kind,
        "at": event.at.isoformat(),
        "capture": event.capture_id,
        "run": event.run_id,
        "detail": event.detail,
    }
