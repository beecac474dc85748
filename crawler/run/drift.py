"""Drift: the day a site's markup stops matching its profile's rules, said in one sentence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# The rules whose misses mean the markup moved: without them a page has no record of its own.
WATCHED = ("body", "title")


@dataclass(frozen=True)
class DriftPolicy:
    """A run has drifted when a watched rule of the profile missed on more than `share` of the
    article pages it read, and on at least `minimum_pages` of them (a quiet day that reads two
    pages, one odd, is not an alarm)."""

    share: float = 0.10
    minimum_pages: int = 5

    def sentence(self, profile: str, pages_read: int, missed: Mapping[str, int]) -> str | None:
        """What drifted, or None. Pages the fallback read still count as misses of the rule."""
        parts = [
            f"the {rule} rule of profile {profile} matched {pages_read - missed[rule]} of "
            f"{pages_read} article pages"
            for rule in WATCHED
            if self._drifted(pages_read, missed.get(rule, 0))
        ]
        if not parts:
            return None
        return "; ".join(parts) + ": the site's markup may have changed"

    def _drifted(self, pages_read: int, missed: int) -> bool:
        return missed >= self.minimum_pages and missed > self.share * pages_read
