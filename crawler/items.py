"""The item every spider callback yields: one fetched page on its way to the archive."""

from __future__ import annotations

from dataclasses import dataclass

from archive.records import Observation
from crawler.extract.record import Cleaned


@dataclass
class PageItem:
    """A fetch as observed: what the archive records.

    Pipelines replace `observation` (it is immutable) with a cleaned copy; `cleaned` is the
    cleaning already computed with the reading (in an extraction worker), for the cleaning
    pipeline to apply; it notes how much of the body was boilerplate, for validation to judge.
    """

    observation: Observation
    cleaned: Cleaned | None = None
    boilerplate_share: float = 0.0
    # Refused by validation for the reason its previous capture was: logged as no news.
    repeated_rejection: bool = False
