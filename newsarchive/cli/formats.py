"""Records written out for other programs: JSON Lines, CSV with list fields as JSON, and the
web-archiving formats (a WARC, its CDXJ index, a WACZ) with the state of repeated exports."""

from __future__ import annotations

import csv
import importlib.metadata
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from archive.database import Archive
from archive.formats.cdxj import index_line
from archive.formats.export import Exported, export_warc
from archive.formats.source import Selection, archive_identity
from archive.formats.state import ExportState, check_state, read_state, write_state
from archive.formats.wacz import WARC_PATH, Package, write_wacz
from archive.formats.warc import Written
from archive.records import RECORD_FIELDS

CSV_COLUMNS = [
    "url",
    *RECORD_FIELDS,
    "version",
    "captured_at",
    "changed_fields",
    "state",
    "listed",
    "fallback",
    "provenance",
]


def write_jsonl(records: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """One JSON record per line (records as VersionRecord.to_json() shapes them, which
    archive.query.iter_record_json makes); returns how many were written."""
    count = 0
    encode = _JSONL.encode  # one encoder for every line: json.dumps would make one per call
    lines: list[str] = []
    for count, record in enumerate(records, 1):  # noqa: B007
        lines.append(encode(record))
        if len(lines) == _LINES_PER_WRITE:
            out.write("\n".join(lines) + "\n")
            lines.clear()
    if lines:
        out.write("\n".join(lines) + "\n")
    return count


# What json.dumps(value, ensure_ascii=False) writes; records hold no cycles to look for.
_JSONL = json.JSONEncoder(ensure_ascii=False, check_circular=False)
# Lines written at once: one write per record would be a call per record.
_LINES_PER_WRITE = 256


def write_csv(records: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """A header, then one row per record (as write_jsonl takes them); returns how many were
    written."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    count = 0
    for count, record in enumerate(records, 1):  # noqa: B007
        writer.writerow({key: _cell(value) for key, value in record.items()})
    return count


def _cell(value: object) -> object:
    """A cell as spreadsheets read it: text and numbers as they are, true/false, lists as JSON."""
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, str | int) or value is None:
        return value
    return json.dumps(value, ensure_ascii=False)


# The web-archiving formats (archive.formats): a WARC, its CDXJ index, or both in a WACZ.
ARCHIVE_FORMATS = ("warc", "cdxj", "wacz")


@dataclass(frozen=True)
class ArchiveExport:
    """One export in a web-archiving format: what, from where, to which file."""

    fmt: str
    output: Path
    site: str | None
    since: datetime | None
    until: datetime | None
    state_path: Path | None = None
    warc_name: str | None = None


def write_archive_format(archive: Archive, job: ArchiveExport) -> str:
    """Write the export (to a file beside the output, renamed into place once whole), then the
    state file if one is kept; returns the summary line."""
    state = _state(archive, job)
    selection = Selection(
        site=job.site,
        since=job.since,
        until=job.until,
        after_capture=state.capture_id if state else 0,
        after_event=state.event_id if state else 0,
        after_version=state.version_id if state else 0,
    )
    partial = job.output.with_name(f".{job.output.name}.partial")
    try:
        exported, written = _WRITERS[job.fmt](archive, selection, job, partial)
        os.replace(partial, job.output)
    finally:
        partial.unlink(missing_ok=True)
    if job.state_path is not None:
        write_state(job.state_path, _next_state(exported, job))
    return f"{_counts(exported)}: {written} written to {job.output}"


def _state(archive: Archive, job: ArchiveExport) -> ExportState | None:
    if job.state_path is None:
        return None
    state = read_state(job.state_path)
    if state is not None:
        with archive.reading() as session:
            check_state(state, archive_identity(session), job.fmt, job.site)
    return state


def _write_warc(
    archive: Archive, selection: Selection, job: ArchiveExport, to: Path
) -> tuple[Exported, str]:
    with to.open("wb") as out:
        exported = export_warc(archive, selection, out)
    return exported, f"{exported.records} WARC records"


def _write_cdxj(
    archive: Archive, selection: Selection, job: ArchiveExport, to: Path
) -> tuple[Exported, str]:
    name = job.warc_name or warc_name_for(job.output)
    lines: list[str] = []
    exported = export_warc(archive, selection, None, on_record=_collect(lines, name))
    to.write_text("".join(line + "\n" for line in sorted(lines)), encoding="utf-8")
    return exported, f"the index of {name} ({len(lines)} lines)"


def _write_wacz(
    archive: Archive, selection: Selection, job: ArchiveExport, to: Path
) -> tuple[Exported, str]:
    warc = to.with_name(to.name + ".warc")
    lines: list[str] = []
    try:
        with warc.open("wb") as out:
            on_record = _collect(lines, WARC_PATH.rsplit("/", 1)[1])
            exported = export_warc(archive, selection, out, on_record=on_record, with_pages=True)
        write_wacz(to, warc, sorted(lines), exported.pages, _package(exported, selection))
    finally:
        warc.unlink(missing_ok=True)
    return exported, f"{exported.records} WARC records and {len(exported.pages)} pages"


_WRITERS = {"warc": _write_warc, "cdxj": _write_cdxj, "wacz": _write_wacz}


def warc_name_for(output: Path) -> str:
    """The WARC a CDXJ index names by default: the index's own name, ending .warc.gz."""
    stem = output.name
    for suffix in (".cdxj", ".cdx"):
        stem = stem.removesuffix(suffix)
    return stem + ".warc.gz"


def _collect(lines: list[str], filename: str) -> Callable[[Written], None]:
    def collect(written: Written) -> None:
        line = index_line(written, filename)
        if line is not None:
            lines.append(line)

    return collect


def _package(exported: Exported, selection: Selection) -> Package:
    return Package(
        title=f"newsarchive: {selection.site or 'every site'}",
        description=f"Captures, versions and lifecycle events of archive urn:uuid:{exported.identity}",
        software=f"newsarchive {_version()}",
        created=exported.date,
        identity=exported.identity,
    )


def _next_state(exported: Exported, job: ArchiveExport) -> ExportState:
    cursor = exported.cursor
    return ExportState(
        archive=exported.identity,
        export_format=job.fmt,
        site=job.site,
        capture_id=cursor.capture_id,
        event_id=cursor.event_id,
        captured_at=cursor.captured_at,
        output=str(job.output),
        version_id=cursor.version_id,
    )


def _counts(exported: Exported) -> str:
    counts = exported.counts
    return (
        f"{counts.captures} captures ({counts.responses} responses, {counts.not_modified} "
        f"not-modified and {counts.identical} identical-payload revisits, {counts.unanswered} "
        f"without an answer), {counts.versions} versions, {counts.events} events"
    )


def _version() -> str:
    try:
        return importlib.metadata.version("newsarchive")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
