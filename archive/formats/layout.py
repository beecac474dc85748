"""Which WARC records a capture or an event becomes, and the warcinfo record that opens a file.

A capture with an HTTP answer becomes its response (or a revisit), the request, and a `capture`
metadata record; a capture that added a version adds a `version` metadata record, and each of
its lifecycle events an `event` one, all concurrent to the response. A capture that got no
answer (DNS, refused, timeout) has no HTTP records: its `capture` metadata record says what
happened. An event no capture caused (unlisted, relisted, untracked …) is a metadata record of
its own. Record IDs are derived from the archive's identity and the rows' ids.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from archive.formats import http, metadata
from archive.formats.source import CaptureItem, EventItem, Referent, RereadItem
from archive.formats.warc import (
    HTTP_REQUEST,
    HTTP_RESPONSE,
    REVISIT_IDENTICAL,
    REVISIT_NOT_MODIFIED,
    Record,
    record_id,
    sha256_label,
    warc_date,
)


@dataclass(frozen=True)
class Original:
    """An exported response that later identical payloads refer to."""

    record_id: str
    url: str
    date: datetime


@dataclass
class Counts:
    """What an export wrote, by kind."""

    captures: int = 0
    responses: int = 0
    not_modified: int = 0
    identical: int = 0
    unanswered: int = 0
    versions: int = 0
    events: int = 0

    def to_json(self) -> dict[str, int]:
        return dict(vars(self))


@dataclass
class Layout:
    """Turns captures and events into records, remembering the payloads already exported so a
    byte-identical one becomes an identical-payload revisit of the first."""

    identity: uuid.UUID
    warcinfo_id: str
    user_agents: dict[int, str] = field(default_factory=dict)
    originals: dict[str, Original] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)

    def capture_records(self, capture: CaptureItem) -> list[Record]:
        self.counts.captures += 1
        records = []
        if capture.status is not None:
            records += [self._answer(capture), self._request(capture)]
        else:
            self.counts.unanswered += 1
        records.append(self._capture_metadata(capture))
        if capture.added is not None:
            self.counts.versions += 1
            shape = metadata.version_json(capture, capture.added)
            name = f"version/{capture.added.id}"
            records.append(self._metadata(name, "version", capture, shape, capture.captured_at))
        records += [self.event_record(event) for event in capture.events]
        return records

    def event_record(self, event: EventItem) -> Record:
        """An event's metadata record, concurrent to its capture's response when it has one."""
        self.counts.events += 1
        shape = metadata.event_json(event)
        return self._about(
            f"event/{event.id}", "event", event.page, event.at, shape, event.capture_id
        )

    def reread_record(self, item: RereadItem) -> Record:
        """A version no capture added, concurrent to the response whose bytes it read."""
        self.counts.versions += 1
        shape = metadata.reread_json(item)
        name = f"version/{item.version.id}"
        return self._about(name, "version", item.page, item.at, shape, item.capture_id)

    def _about(
        self,
        name: str,
        kind: str,
        page: str,
        at: datetime,
        shape: dict[str, object],
        capture_id: int | None,
    ) -> Record:
        """A metadata record of a page's, concurrent to a capture's response when it names one."""
        concurrent = () if capture_id is None else (self._answer_id(capture_id),)
        return self._record(
            "metadata",
            name,
            at,
            metadata.encode(shape),
            target_uri=metadata.target_uri(kind, page),
            content_type=metadata.CONTENT_TYPE,
            concurrent=concurrent,
        )

    def _answer(self, capture: CaptureItem) -> Record:
        """The response, or a revisit: a 304 (server-not-modified, empty block: replay serves
        the page it confirms), or a 2xx payload already exported (identical-payload-digest)."""
        if capture.status == 304:
            self.counts.not_modified += 1
            return self._not_modified(capture)
        payload = capture.payload if capture.payload is not None else b""
        stored = capture.payload_sha256
        digest = f"sha256:{stored}" if stored else sha256_label(payload)
        head = http.response_head(capture.status or 0, capture.headers, payload)
        original = self.originals.get(digest) if _dedupable(capture, payload) else None
        if original is not None:
            self.counts.identical += 1
            return self._identical(capture, head, digest, original)
        self.counts.responses += 1
        record = self._http(capture, "response", head + payload, digest)
        if _dedupable(capture, payload):
            self.originals[digest] = Original(record.record_id, capture.final_url, record.date)
        return record

    def _not_modified(self, capture: CaptureItem) -> Record:
        fields = [("WARC-Profile", REVISIT_NOT_MODIFIED)]
        if capture.confirms is not None:
            fields += _refers_to(self._answer_id(capture.confirms.capture_id), capture.confirms)
        return self._record(
            "revisit",
            f"capture/{capture.id}/response",
            capture.captured_at,
            b"",
            target_uri=capture.final_url,
            fields=fields,
        )

    def _identical(
        self, capture: CaptureItem, head: bytes, digest: str, original: Original
    ) -> Record:
        refers = Referent(0, original.url, original.date)
        fields = [("WARC-Profile", REVISIT_IDENTICAL), *_refers_to(original.record_id, refers)]
        return self._http(capture, "revisit", head, digest, fields)

    def _http(
        self,
        capture: CaptureItem,
        kind: str,
        block: bytes,
        digest: str,
        fields: list[tuple[str, str]] | None = None,
    ) -> Record:
        return self._record(
            kind,
            f"capture/{capture.id}/response",
            capture.captured_at,
            block,
            target_uri=capture.final_url,
            content_type=HTTP_RESPONSE,
            payload_digest=digest,
            fields=fields or [],
        )

    def _request(self, capture: CaptureItem) -> Record:
        agent = self.user_agents.get(capture.run_id) if capture.run_id is not None else None
        return self._record(
            "request",
            f"capture/{capture.id}/request",
            capture.captured_at,
            http.request_head(capture.final_url, agent),
            target_uri=capture.final_url,
            content_type=HTTP_REQUEST,
            concurrent=(self._answer_id(capture.id),),
        )

    def _capture_metadata(self, capture: CaptureItem) -> Record:
        shape = metadata.capture_json(capture)
        name = f"capture/{capture.id}/metadata"
        return self._metadata(name, "capture", capture, shape, capture.captured_at)

    def _metadata(
        self, name: str, kind: str, capture: CaptureItem, shape: dict[str, object], at: datetime
    ) -> Record:
        answered = capture.status is not None
        return self._record(
            "metadata",
            name,
            at,
            metadata.encode(shape),
            target_uri=metadata.target_uri(kind, capture.page),
            content_type=metadata.CONTENT_TYPE,
            concurrent=(self._answer_id(capture.id),) if answered else (),
        )

    def _answer_id(self, capture_id: int) -> str:
        return record_id(self.identity, f"capture/{capture_id}/response")

    def _record(
        self,
        kind: str,
        name: str,
        date: datetime,
        block: bytes,
        *,
        target_uri: str | None = None,
        content_type: str | None = None,
        payload_digest: str | None = None,
        concurrent: tuple[str, ...] = (),
        fields: list[tuple[str, str]] | None = None,
    ) -> Record:
        named = [("WARC-Warcinfo-ID", self.warcinfo_id), *(fields or [])]
        named += [("WARC-Concurrent-To", other) for other in concurrent]
        return Record(
            type=kind,
            record_id=record_id(self.identity, name),
            date=date,
            block=block,
            target_uri=target_uri,
            content_type=content_type,
            payload_digest=payload_digest,
            fields=tuple(named),
        )


def warcinfo(identity: uuid.UUID, name: str, date: datetime, info: dict[str, str]) -> Record:
    """The record that opens a file: `info` as application/warc-fields."""
    block = "".join(f"{key}: {value}\r\n" for key, value in info.items()).encode("utf-8")
    return Record(
        type="warcinfo",
        record_id=record_id(identity, name),
        date=date,
        block=block,
        content_type="application/warc-fields",
    )


def _dedupable(capture: CaptureItem, payload: bytes) -> bool:
    """Only a successful answer's non-empty payload is deduplicated: a 404 or a redirect stays a
    response of its own, whatever its bytes."""
    return capture.status is not None and 200 <= capture.status < 300 and bool(payload)


def _refers_to(original_id: str, referent: Referent) -> list[tuple[str, str]]:
    return [
        ("WARC-Refers-To", original_id),
        ("WARC-Refers-To-Target-URI", referent.url),
        ("WARC-Refers-To-Date", warc_date(referent.captured_at)),
    ]
