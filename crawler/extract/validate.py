"""What makes an article impossible to keep as a version: no title or body, a date out of range,
a body that is mostly boilerplate. Each refusal has a reason code and a sentence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from archive.records import ArticleRecord


@dataclass(frozen=True)
class Validation:
    """Refuses an article dated before `earliest` or more than a day after now, or whose body is
    more than `max_boilerplate` boilerplate, or which lacks a title or a body."""

    earliest: datetime
    max_boilerplate: float

    def problem(
        self, record: ArticleRecord, boilerplate: float, now: datetime
    ) -> tuple[str, str] | None:
        """The reason (a code and a sentence) this record must not become a version, if any."""
        if not record.title:
            return "no_title", "the article has no title"
        if not record.body:
            if boilerplate > 0:
                return "boilerplate_body", "the body holds only boilerplate"
            return "no_body", "the article has no body"
        if boilerplate > self.max_boilerplate:
            return "boilerplate_body", f"{boilerplate:.0%} of the body is boilerplate"
        return self._date_problem(record.published_at, now)

    def _date_problem(self, published: datetime | None, now: datetime) -> tuple[str, str] | None:
        if published is None:
            return "date_unparseable", "no publication date could be read"
        earliest = (
            self.earliest.replace(tzinfo=published.tzinfo)
            if self.earliest.tzinfo is None
            else self.earliest
        )
        if published < earliest:
            return (
                "date_too_old",
                f"it says it was published {published.isoformat()}, before {earliest.date()}",
            )
        if (published - now).total_seconds() > timedelta(days=1).total_seconds():
            return (
                "date_in_future",
                f"it says it was published {published.isoformat()}, in the future",
            )
        return None
