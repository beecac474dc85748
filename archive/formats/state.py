"""The state file of repeated exports: where the last one ended, so the next holds only what came
after (each capture exactly once), and which archive, site and format it belongs to."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError

STATE_FORMAT = "newsarchive-export-state/1"


class StateError(ArchiveError):
    """A state file that cannot be used: unreadable, or another archive's, site's or format's."""


@dataclass(frozen=True)
class ExportState:
    """The last export's cursor: the greatest capture id and lone event id it held (ids grow in
    the order pages are committed), the newest capture time it held, and the file it wrote."""

    archive: uuid.UUID
    export_format: str
    site: str | None
    capture_id: int
    event_id: int
    captured_at: datetime | None = None
    output: str | None = None
    version_id: int = 0  # the greatest version no capture added (a reparse's) it held

    def to_json(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "archive": f"urn:uuid:{self.archive}",
            "export_format": self.export_format,
            "site": self.site,
            "last_capture_id": self.capture_id,
            "last_event_id": self.event_id,
            "last_version_id": self.version_id,
            "last_captured_at": self.captured_at.isoformat() if self.captured_at else None,
            "output": self.output,
        }


def read_state(path: Path) -> ExportState | None:
    """The state at `path`; None when there is no file yet (the first export)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"The state file {path} cannot be read: {exc.strerror}.") from None
    try:
        shape = json.loads(text)
        if shape.get("format") != STATE_FORMAT:
            raise ValueError(shape.get("format"))
        at = shape.get("last_captured_at")
        return ExportState(
            archive=uuid.UUID(shape["archive"].removeprefix("urn:uuid:")),
            export_format=shape["export_format"],
            site=shape.get("site"),
            capture_id=int(shape["last_capture_id"]),
            event_id=int(shape["last_event_id"]),
            captured_at=datetime.fromisoformat(at) if at else None,
            output=shape.get("output"),
            # State files written before reparsed versions were exported have none.
            version_id=int(shape.get("last_version_id", 0)),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise StateError(f"{path} is not a state file of newsarchive exports.") from None


def check_state(
    state: ExportState, archive: uuid.UUID, export_format: str, site: str | None
) -> None:
    """A state belongs to one archive, one format and one site selection: another's would skip
    or repeat captures, so it is refused with the reason."""
    if state.archive != archive:
        raise StateError(
            f"The state file belongs to another archive (urn:uuid:{state.archive}); "
            "use a state file per archive."
        )
    if state.export_format != export_format:
        raise StateError(
            f"The state file is for --format {state.export_format}, not {export_format}; "
            "use a state file per format."
        )
    if state.site != site:
        chosen = state.site or "every site"
        raise StateError(f"The state file is for {chosen}; use a state file per --site.")


def write_state(path: Path, state: ExportState) -> None:
    """Replace the state file whole (written beside it, then renamed): a crash leaves the old
    state or the new one, never half of either."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(state.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
