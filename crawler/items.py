"""The item every spider callback yields: one fetched page on its way to the archive."""

from __future__ import annotations

from dataclasses import dataclass

from archive.records import Observation


@dataclass
class PageItem:
    """A fetch as observed: what the archive records.

    Pipelines may replace `observation` (it is immutable) with a cleaned or enriched copy.
    """

    observation: Observation
