"""Results as people read them: one function per kind of result, lines of text out."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from archive.copies import CopySummary
from archive.diff import VersionDiff
from archive.files import HOLDING, FileCapture
from archive.fixity import Report
from archive.overview import Overview
from archive.query import ChangeEvent, FieldChange, PageHistory, VersionRecord
from archive.records import Recorded
from archive.runs import RunSummary
from archive.search import Results
from archive.text.diff import render_spans
from crawler.plan.revisits import DueSummary
from crawler.sites.profile import SiteProfile


def history_lines(found: PageHistory) -> Iterator[str]:
    title = found.versions[-1].title if found.versions else "(no version)"
    yield f"{found.url}\n  {title}"
    yield f"  site {found.site} · doc id {found.doc_id or '—'} · {found.kind}"
    listed = "listed" if found.is_listed else "unlisted"
    yield f"  state: {found.state}, {listed} (last listed {_when(found.last_listed_at)})"
    for earlier in found.urls[:-1] if len(found.urls) > 1 else ():
        yield f"  also known as {earlier}"
    yield f"versions ({len(found.versions)}):"
    for v in found.versions:
        changed = field_counts_text(v.fields) or "first version"
        classes = f"  [{', '.join(v.classes)}]" if v.classes else ""
        fallback = (
            f"  (read by the generic fallback: {', '.join(v.fallback)})" if v.fallback else ""
        )
        yield f"  {v.number:>3}  {v.captured_at.isoformat()}  {changed}{classes}{fallback}"
        for file in v.files:
            yield f"       {file_line(file)}"
    yield f"lifecycle ({len(found.events)}):"
    for e in found.events:
        yield f"  {e.at.isoformat()}  {e.kind:<11} {_detail(e.detail)}"
    yield f"captures ({len(found.captures)}):"
    for c in found.captures:
        version = f"v{c.version}" if c.version else "—"
        status = c.status if c.status is not None else "—"
        yield (
            f"  {c.captured_at.isoformat()}  {status!s:>3}  {c.outcome:<12} {version:<5} "
            f"{c.payload_sha256 or '—':<64}  {c.error or ''}".rstrip()
        )


def field_counts_text(changes: tuple[FieldChange, ...]) -> str:
    """`title +1 −1, body +12 −3`: each changed field and its characters, as diff counts them."""
    return ", ".join(f"{c.field} +{c.chars_added} −{c.chars_removed}" for c in changes)


def record_lines(record: VersionRecord) -> Iterator[str]:
    for name, value in record.to_json().items():
        if name == "fallback" and value:
            yield f"read by the generic fallback (the profile's rules found nothing): {_plain(value)}"
        elif name not in ("body", "body_html", "files", "fallback", "provenance"):
            yield f"{name}: {_plain(value)}"
    if record.files:
        yield f"files ({len(record.files)}):"
        yield from (f"  {file_line(file)}" for file in record.files)
    yield f"\n{record.record.body}"


def file_line(file: FileCapture) -> str:
    """`image  sha256:…  12,345 B  image/png  URL`, or why the archive holds no bytes of it."""
    if file.sha256 is not None:
        held = f"sha256:{file.sha256}  {file.size or 0:,} B  {file.media_type or file.content_type or '?'}"
    elif file.outcome is None:
        held = "not captured"
    else:
        held = f"not held: {file.outcome}{': ' + file.error if file.error else ''}"
    text = f"  {file.text}" if file.text else ""
    later = ""
    if file.sha256 is not None and file.checked_outcome not in (None, *HOLDING, "not-modified"):
        checked = file.checked_at.isoformat() if file.checked_at else "?"
        later = f"  (last checked {checked}: {file.checked_outcome})"
    return f"{file.role:<10} {held}  {file.url}{text}{later}"


def diff_lines(changes: VersionDiff, *, context: int) -> Iterator[str]:
    yield f"{changes.url}: version {changes.old_version} → {changes.new_version}"
    for field in changes.fields:
        yield f"--- {field.field} (+{field.chars_added} −{field.chars_removed} characters)"
        yield render_spans(field.spans, context=context)
    if not changes.fields:
        yield "no differences"


def change_line(event: ChangeEvent) -> str:
    line = f"{event.at.isoformat()}  {event.kind:<11} "
    if event.kind in ("changed", "reparsed"):
        line += f"v{event.version} [{', '.join(event.classes)}] {field_counts_text(event.fields)}  "
    elif event.version:
        line += f"v{event.version}  "
    detail = dict(event.detail)
    if event.kind == "moved":
        return line + f"{detail.get('from')} → {detail.get('to')}  {event.title}".rstrip()
    return f"{line}{event.url}  {event.title}".rstrip()


def copy_lines(copy: CopySummary) -> Iterator[str]:
    repairs = ", ".join(f"{name} {count}" for name, count in copy.repairs.items()) or "none"
    similar = f"similarity {copy.similarity:.2f}"
    yield f"{copy.kind:<15} {copy.found_at.isoformat()}  {similar}  {copy.url}"
    yield f"  repairs: {repairs}"
    yield f"  {copy.text[:120]}{'…' if len(copy.text) > 120 else ''}"


RUNS_HEADER = (
    f"{'run':>5}  {'started (UTC)':<25}  {'site':<10} {'command':<13} {'status':<11} "
    f"{'new':>5} {'changed':>7} {'errors':>6}  exit"
)


def run_line(run: RunSummary) -> str:
    counts = run.counts
    command = run.command + (" --full" if run.arguments.get("full") else "")
    exit_code = "—" if run.exit_code is None else run.exit_code
    return (
        f"{run.id:>5}  {run.started_at.isoformat(timespec='seconds'):<25}  {run.site:<10} "
        f"{command:<13} {run.status:<11} {counts.get('new', 0):>5} "
        f"{counts.get('changed', 0):>7} {counts.get('errors', 0):>6}  {exit_code}"
    ) + (f"\n       {counts['drift']}" if counts.get("drift") else "")


def status_lines(found: Overview, due: Mapping[str, DueSummary]) -> Iterator[str]:
    """Each site: articles by state, versions, captures, last run, the oldest due check."""
    for site in found.sites:
        states = ", ".join(f"{count} {state}" for state, count in sorted(site.by_state.items()))
        yield f"{site.name} ({site.origin})"
        yield f"  articles: {site.articles} ({states or 'none'}; {site.unlisted} unlisted)"
        yield f"  versions: {site.versions}, captures: {site.captures}"
        run = site.last_run
        if run is None:
            yield "  last run: none"
        else:
            yield (
                f"  last run: {run.id}, {run.command}, {run.status}, started "
                f"{run.started_at.isoformat(timespec='seconds')}, exit {run.exit_code}"
            )
            if run.counts.get("drift"):
                yield f"  drift: {run.counts['drift']}"
        checks = due[site.name]
        oldest = (
            f"; the oldest due since {checks.due_since.isoformat(timespec='seconds')} "
            f"({checks.oldest_url})"
            if checks.due_since
            else ""
        )
        yield f"  re-checks due now: {checks.count}{oldest}"
    yield (
        f"{found.blobs} payloads stored once each: {found.blob_bytes:,} bytes as received, "
        f"{found.stored_bytes:,} as kept; {found.runs} runs"
    )


def verify_lines(report: Report) -> Iterator[str]:
    checked = (
        f"{report.blobs} blobs, {report.versions} versions, {report.captures} captures in "
        f"{report.runs} runs"
    )
    verdict = "all intact" if report.ok else f"{len(report.problems)} problems"
    yield f"checked {checked}: {verdict}"
    for problem in report.problems:
        yield f"  {problem.kind}: {problem.detail}"
        for page in problem.pages:
            yield f"    {page}"


def site_line(profile: SiteProfile) -> str:
    column = profile.listing.paths[0] if profile.listing.paths else "/ (no known news column)"
    known = "column unknown" if profile.confidence == "none" else f"{profile.confidence} confidence"
    state = "verified" if profile.verified else f"unverified, {known}"
    enabled = "" if profile.enabled else ", disabled"
    return f"{profile.name:<10} {profile.origin}{column}  {profile.title}  [{state}{enabled}]" + (
        f"\n           {profile.evidence}" if profile.evidence else ""
    )


def site_json(profile: SiteProfile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "title": profile.title,
        "origin": profile.origin,
        "lists": list(profile.listing.paths),
        "platform": profile.platform,
        "confidence": profile.confidence,
        "verified": profile.verified,
        "evidence": profile.evidence,
        "enabled": profile.enabled,
    }


def recorded_json(recorded: Recorded) -> dict[str, Any]:
    return {
        "url": recorded.url,
        "outcome": recorded.outcome.value,
        "version": recorded.version,
        "changed_fields": list(recorded.changed_fields),
    }


def recorded_line(recorded: Recorded) -> str:
    outcome = recorded.outcome.value
    if outcome == "mirror-copy":
        return f"mirror-copy: kept as a copy of {recorded.url} (see: newsarchive copies {recorded.url})"
    if recorded.version is None:
        return f"{outcome}: {recorded.url} (no version)"
    changed = f" ({', '.join(recorded.changed_fields)})" if recorded.changed_fields else ""
    return f"{outcome}: {recorded.url} is at version {recorded.version}{changed}"


def search_lines(found: Results) -> Iterator[str]:
    """Each article found: its title and URL, the versions holding the query, a snippet."""
    yield f"{found.total} articles hold {found.query!r} ({found.where})"
    for hit in found.hits:
        where = (
            "latest version" if hit.in_latest else f"only earlier versions (latest v{hit.latest})"
        )
        versions = ", ".join(f"v{n}" for n in hit.versions)
        before, match, after = hit.snippet
        yield f"{hit.title}  {hit.url}"
        yield f"  {versions}; {where}; in the {hit.field}"
        yield f"  {before}[{match}]{after}"


def compact_lines(found: dict[str, Any]) -> list[str]:
    """What `db compact` did, for people."""
    before, after = found["stored_bytes_before"], found["stored_bytes_after"]
    lines = [
        f"{found['dictionaries_trained']} dictionaries trained; "
        f"{found['blobs_reencoded']} of {found['blobs_examined']} payloads re-encoded "
        f"({found['deltas']} as deltas), {before:,} stored bytes -> {after:,}; "
        f"{found['texts_repacked']} texts packed" + ("; vacuumed" if found["vacuumed"] else "")
    ]
    lines += [f"damaged, left as it is: payload {sha256}" for sha256 in found["damaged"]]
    return lines


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _when(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "never"


def _detail(detail: dict[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in detail.items())


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)
