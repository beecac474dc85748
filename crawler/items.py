"""The item every spider callback yields: one fetched page on its way to the archive."""

from __future__ import annotations

from dataclasses import dataclass

from archive.records import Observation


@dataclass
class PageItem:
    """A fetch as observed: what the archive records.

    Pipelines replace `observation` (it is immutable) with a cleaned copy; the cleaning pipeline
    notes how much of the body was boilerplate before it was cleaned, for validation to judge.
    """

    observation: Observation
    boilerplate_share: float = 0.0
