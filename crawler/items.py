"""The item every spider callback yields: one fetched page on its way to the archive."""

from __future__ import annotations

from dataclasses import dataclass, field

from archive.records import Observation


@dataclass
class PageItem:
    """A fetch as observed (what the archive records) and, for list pages, the article links seen.

    Pipelines may replace `observation` (it is immutable) with a cleaned or enriched copy.
    """

    observation: Observation
    listed_urls: tuple[str, ...] = field(default=())
