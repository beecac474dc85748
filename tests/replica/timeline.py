"""The simulated site over time: who is published when, events per day, states, list, truth."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache, partial

from . import edits, scenario
from .extras import Extras
from .model import (
    CANONICAL_ORIGIN,
    LIST_PATH,
    MIN_ARTICLES,
    SHANGHAI,
    TIME_VARIANTS,
    XXGK_COLUMN_PATH,
    Article,
    Content,
    Features,
    Options,
)

OLD_ID_CUTOFF = date(
    2025, 10, 1
)  # articles before it carry ids from the old range (docs/site.md §1)
OLD_IDS_START, OLD_IDS_END = 141000, 160000
NEW_IDS_START = 1230000
STRICT_DISALLOW = "/col14317/"  # robots strict: the 信息公开 column (holds one listed article)
EDIT_TIME = time(7, 0)  # Last-Modified of an edit: 07:00 Asia/Shanghai on the edit day
EXTRA_ANCHORS = {"offsite": 3, "attachment": 11}  # non-article list items sort just above these

STATUS = {
    "live": 200,
    "unlisted": 200,
    "soft_404": 200,
    "truncated": 200,
    "not_found": 404,
    "gone_410": 410,
    "moved": 301,
    "challenge": 412,
    "server_error": 500,
    "redirect_home": 302,
}
LISTED_STATES = frozenset(
    {"live", "moved", "challenge", "truncated", "server_error", "redirect_home"}
)
NEXT_STATE = {
    "deleted": "not_found",
    "deleted_410": "gone_410",
    "soft_404": "soft_404",
    "unlisted": "unlisted",
    "challenge": "challenge",
    "truncated": "truncated",
    "server_error": "server_error",
    "redirect_home": "redirect_home",
}


@dataclass(frozen=True)
class Event:
    """One change of the site: kind is a truth change kind; edit names the edit for edits."""

    day: int
    key: int
    kind: str
    edit: str | None = None


@dataclass(frozen=True)
class DayState:
    """An article's lifecycle on one day; moved_to is a path."""

    state: str
    version: int
    moved_to: str | None = None

    @property
    def listed(self) -> bool:
        return self.state in LISTED_STATES

    @property
    def status(self) -> int:
        return STATUS[self.state]


LIVE = DayState("live", 1)


@dataclass(frozen=True)
class ListEntry:
    """A list item: an article (by key) or one of the two non-article items."""

    kind: str  # article | offsite | attachment | extra (key: an index into Extras.items)
    key: int


def day_times(day: date, count: int, rng: random.Random) -> list[tuple[date, int, int]]:
    """count distinct minutes between 08:00 and 18:30 on a day, newest first, with seconds."""
    minutes = sorted(rng.sample(range(8 * 60, 18 * 60 + 31), count), reverse=True)
    return [(day, minute, rng.randint(1, 59)) for minute in minutes]


def initial_times(options: Options, rng: random.Random) -> list[tuple[date, int, int]]:
    """Several articles a day backwards from day 1, then a sparse archive tail (older ids)."""
    tail = min(8, options.articles // 6)
    main = options.articles - tail
    result: list[tuple[date, int, int]] = []
    day = options.start_date
    while len(result) < main:
        count = min(rng.choice((1, 2, 2, 3, 3, 4)), main - len(result))
        result.extend(day_times(day, count, rng))
        day -= timedelta(days=1)
    for _ in range(tail):
        day -= timedelta(days=rng.randint(9, 20))
        result.extend(day_times(day, 1, rng))
    return result


class Timeline:
    """The whole simulated history, built from the options; every query takes a day."""

    def __init__(self, options: Options) -> None:
        if options.articles < MIN_ARTICLES:
            raise ValueError(
                f"--articles must be at least {MIN_ARTICLES} (the scenario needs them)"
            )
        if options.edit_half_life <= 0:
            raise ValueError("--edit-half-life must be above 0")
        if not 1 <= options.day <= options.days:
            raise ValueError(f"--day must be between 1 and --days ({options.days})")
        self.options = options
        self.seed = options.seed
        self.legacy_key = options.articles - 1
        self._schedule()
        self._assign_ids()
        self.published_list = [self._first_published(key) for key in range(len(self.times))]
        self.article = lru_cache(maxsize=None)(self._article)
        self.events: list[Event] = self._scripted()
        self.events += self._random_edits()
        self.events.sort(key=lambda e: e.day)  # stable: script order within a day
        self.events_by_key: dict[int, list[Event]] = {}
        for event in self.events:
            self.events_by_key.setdefault(event.key, []).append(event)
        self.edits_by_key = {
            key: tuple((e.day, options.date_of(e.day), e.edit) for e in evs if e.edit)
            for key, evs in self.events_by_key.items()
        }
        self.listing = lru_cache(maxsize=8)(self._listing)
        self._state_cache = lru_cache(maxsize=65536)(self._fold)
        self.extras = Extras(self)  # empty unless --duplicates or --invalid

    # --- schedule and ids

    def _schedule(self) -> None:
        rng = random.Random(f"{self.seed}:schedule")
        times = initial_times(self.options, rng)
        self.first_day = [1] * len(times)
        self.day_start = [0, 0, len(times)]  # day_start[d]: first key first published on day d
        for day in range(2, self.options.days + 1):
            count = 3 if day == 2 else rng.choice((2, 3, 3, 4))
            times.extend(day_times(self.options.date_of(day), count, rng))
            self.first_day.extend([day] * count)
            self.day_start.append(len(times))
        self.times = times

    def _assign_ids(self) -> None:
        """Unique ids, shuffled against dates: old range before 2025-10-01, 1.23M+ after."""
        initial = self.times[: self.options.articles]
        old = [i for i, (day, _, _) in enumerate(initial) if day < OLD_ID_CUTOFF]
        new = [i for i, (day, _, _) in enumerate(initial) if day >= OLD_ID_CUTOFF]
        rng = random.Random(f"{self.seed}:ids")
        old_span = max(OLD_IDS_END - OLD_IDS_START + 1, math.ceil(len(old) * 1.1))
        new_span = max(20000, 3 * len(new))
        self.doc_ids = [0] * len(self.times)
        for index, doc_id in zip(
            old, rng.sample(range(OLD_IDS_START, OLD_IDS_START + old_span), len(old)), strict=True
        ):
            self.doc_ids[index] = doc_id
        for index, doc_id in zip(
            new, rng.sample(range(NEW_IDS_START, NEW_IDS_START + new_span), len(new)), strict=True
        ):
            self.doc_ids[index] = doc_id
        used = set(self.doc_ids)
        future = random.Random(f"{self.seed}:future-ids")
        for index in range(self.options.articles, len(self.times)):
            doc_id = 0
            while doc_id in used:
                doc_id = future.randrange(NEW_IDS_START, NEW_IDS_START + new_span)
            used.add(doc_id)
            self.doc_ids[index] = doc_id
        self.key_by_doc = {doc_id: key for key, doc_id in enumerate(self.doc_ids)}

    def published_count(self, day: int) -> int:
        """Keys 0..n-1 exist on the day (keys are in order of first publication day)."""
        return self.day_start[min(day, self.options.days) + 1]

    # --- articles

    def features(self, key: int) -> Features:
        """The presentation rules of the README, as functions of the key (plus a seeded coin)."""
        rng = random.Random(f"{self.seed}:features:{key}")
        template = self.template_of(key)
        news = template == "news"
        images = rng.choices((0, 1, 2), (65, 25, 10))[0] if news else 0
        if key in scenario.NEEDS_IMAGES:
            images = max(images, 1)
        files = rng.choices((0, 1, 2), (80, 14, 6))[0] if news else 0
        if key in scenario.NEEDS_ATTACHMENTS:
            files = max(files, 1)
        encoding, declared = self._encoding(key, news)
        return Features(
            template=template,
            time_variant=TIME_VARIANTS[key % len(TIME_VARIANTS)],
            has_gov_meta=template == "xxgk" or (news and key % 6 != 5),
            encoding=encoding,
            charset_declared=declared,
            href_style=("relative", "root", "absolute")[key % 3] if news else "root",
            indent=rng.choices(("ideographic", "nbsp", "none"), (60, 25, 15))[0],
            images=images,
            attachments=files,
            body_link=news and (rng.random() < 0.2 or key in scenario.NEEDS_BODY_LINK),
            cache_bust=images > 0 and rng.random() < 0.2,
            token=rng.random() < 0.25,
            long_title=key % 4 == 1,
            empty_source=key == scenario.EMPTY_SOURCE_RANK,
            empty_paragraph=news and rng.random() < 0.2,
        )

    def template_of(self, key: int) -> str:
        if key == scenario.XXGK_RANK:
            return "xxgk"
        return "legacy" if key == self.legacy_key else "news"

    @staticmethod
    def _encoding(key: int, news: bool) -> tuple[str, str]:
        if not news:
            return "utf-8", "header+meta"
        if key == scenario.META_LIES_RANK:
            return "gbk", "meta-lies"
        if key % 9 == 4:
            return "gbk", "meta"
        return "utf-8", "meta" if key % 4 == 1 else "header+meta"

    def _first_published(self, key: int) -> datetime:
        """Seconds only where the page shows them (xxgk, and the news 'seconds' variant)."""
        day, minute, second = self.times[key]
        template = self.template_of(key)
        shown = template == "xxgk" or (
            template == "news" and TIME_VARIANTS[key % len(TIME_VARIANTS)] == "seconds"
        )
        return datetime.combine(
            day, time(minute // 60, minute % 60, second if shown else 0), SHANGHAI
        )

    def _article(self, key: int) -> Article:
        published = self.published_list[key]
        return Article(key, self.doc_ids[key], published, self.first_day[key], self.features(key))

    def canonical_path(self, key: int) -> str:
        article = self.article(key)
        published = article.published
        if article.template == "legacy":
            return f"/art/{published.year}/{published.month}/{published.day}/art_14329_{article.doc_id}.html"
        column = XXGK_COLUMN_PATH if article.template == "xxgk" else LIST_PATH
        return f"{column}{published:%Y%m}/t{published:%Y%m%d}_{article.doc_id}.html"

    def legacy_target(self, key: int) -> str:
        """Where --legacy redirect sends the legacy URL: the same article in the 信息公开 column."""
        published = self.article(key).published
        return f"{XXGK_COLUMN_PATH}{published:%Y%m}/t{published:%Y%m%d}_{self.doc_ids[key]}.html"

    def moved_path(self, key: int, day: int) -> str:
        when = self.options.date_of(day)
        return f"{LIST_PATH}{when:%Y%m}/t{when:%Y%m%d}_{self.doc_ids[key]}.html"

    def is_redirected_legacy(self, key: int) -> bool:
        return key == self.legacy_key and self.options.legacy == "redirect"

    # --- events

    def _target_key(self, target: scenario.Target) -> int | None:
        if isinstance(target, int):
            return target
        _, day, index = target
        if day > self.options.days or self.day_start[day] + index >= self.day_start[day + 1]:
            return None
        return self.day_start[day] + index

    def _scripted(self) -> list[Event]:
        events = []
        for row in scenario.scripted_events(self.options.days):
            key = self._target_key(row.target)
            if key is not None:
                events.append(Event(row.day, key, row.kind, row.edit))
        return events

    def _random_edits(self) -> list[Event]:
        """--edit-rate: round(rate × live articles) extra edits a day, on live listed articles."""
        rate = self.options.edit_rate
        if rate <= 0:
            return []
        scripted: dict[int, list[Event]] = {}
        for event in self.events:
            scripted.setdefault(event.key, []).append(event)
        result = []
        for day in range(2, self.options.days + 1):
            busy = {e.key for e in self.events if e.day == day}
            not_live = {
                key
                for key, evs in scripted.items()
                if fold_state(evs, day, LIVE, partial(self.moved_path, key)).state != "live"
            }
            pool = self.day_start[day]  # published before this day
            live = self.published_count(day) - len(not_live)
            wanted = round(rate * live)
            rng = random.Random(f"{self.seed}:edits:{day}")
            excluded = not_live | busy
            if self.options.edit_model == "decaying":
                chosen = self._young_targets(day, pool, wanted, excluded, rng)
            else:
                picks = rng.sample(range(pool), min(pool, wanted + len(excluded)))
                chosen = [key for key in picks if key not in excluded][:wanted]
            for key in sorted(chosen):
                kind = rng.choice(("paragraph_added", "char_fixed"))
                result.append(Event(day, key, "edited", kind))
        return result

    def _young_targets(
        self, day: int, pool: int, wanted: int, excluded: set[int], rng: random.Random
    ) -> list[int]:
        """--edit-model decaying: `wanted` keys drawn without replacement, each with weight
        0.5 ** ((age - 1) / half-life), age in whole days since publication (at least 1: keys
        were published before the day). Gumbel top-k: the largest log-weight plus Gumbel noise."""
        today, half_life = self.options.date_of(day), self.options.edit_half_life
        keyed = []
        for key in range(pool):
            if key in excluded:
                continue
            age = (today - self.published_list[key].date()).days
            noise = -math.log(-math.log(rng.random() or 1e-300))
            keyed.append((-(age - 1) / half_life * math.log(2) + noise, key))
        keyed.sort(reverse=True)
        return [key for _, key in keyed[:wanted]]

    # --- state on a day

    def state_on(self, key: int, day: int) -> DayState:
        start = (
            DayState("moved", 1, self.legacy_target(key))
            if self.is_redirected_legacy(key)
            else LIVE
        )
        events = self.events_by_key.get(key)
        if not events:
            return start
        return self._state_cache(key, day, start)

    def _fold(self, key: int, day: int, start: DayState) -> DayState:
        return fold_state(self.events_by_key[key], day, start, partial(self.moved_path, key))

    def content_on(self, key: int, day: int) -> Content:
        return self.content_on_version(key, self.state_on(key, day).version)

    def content_on_version(self, key: int, version: int) -> Content:
        history = self.edits_by_key.get(key, ())
        return edits.versions(self.seed, self.article(key), history)[version - 1]

    def published_at(self, key: int, day: int) -> datetime:
        history = self.edits_by_key.get(key)
        if not history:
            return self.published_list[key]
        return edits.published_at_on(self.seed, self.article(key), history, day)

    def last_modified(self, key: int, day: int) -> datetime:
        """Time of the last content change: the first publication or 07:00 on the last edit day."""
        edit_days = [d for d, _, _ in self.edits_by_key.get(key, ()) if d <= day]
        if not edit_days:
            return self.article(key).published
        return datetime.combine(self.options.date_of(edit_days[-1]), EDIT_TIME, SHANGHAI)

    def served_path(self, key: int, day: int) -> str:
        """The path that serves the article's content on the day (after a move, the new one)."""
        return self.state_on(key, day).moved_to or self.canonical_path(key)

    def listed_path(self, key: int, day: int) -> str:
        """The path a list item links: the legacy URL as is; others where the content lives."""
        if self.article(key).template == "legacy":
            return self.canonical_path(key)
        return self.served_path(key, day)

    def lookup(self, path: str, doc_id: int, day: int) -> tuple[int, str] | None:
        """(key, role) for an article path on the day: role is canonical or moved."""
        key = self.key_by_doc.get(doc_id)
        if key is None or key >= self.published_count(day):
            return None
        if path == self.canonical_path(key):
            return key, "canonical"
        state = self.state_on(key, day)
        if state.state == "moved" and path == state.moved_to:
            return key, "moved"
        return None

    def robots_disallowed(self, key: int, day: int) -> bool:
        if self.options.robots != "strict":
            return False
        paths = (self.canonical_path(key), self.served_path(key, day))
        return any(path.startswith(STRICT_DISALLOW) for path in paths)

    # --- the list

    def _listing(self, day: int) -> tuple[ListEntry, ...]:
        """Listed articles and the two non-article items, newest first, ties by doc id desc."""
        rows = []
        for key in range(self.published_count(day)):
            if self.state_on(key, day).listed:
                moment = self.published_at(key, day).timestamp()
                rows.append((moment, self.doc_ids[key], ListEntry("article", key)))
        for kind, anchor in EXTRA_ANCHORS.items():
            moment = self.published_list[anchor].timestamp() + 0.5
            rows.append((moment, 0, ListEntry(kind, anchor)))
        for moment, doc_id, index in self.extras.rows(day):
            rows.append((moment, doc_id, ListEntry("extra", index)))
        rows.sort(key=lambda row: (row[0], row[1]), reverse=True)
        return tuple(row[2] for row in rows)

    def list_pages(self, day: int) -> int:
        return max(1, math.ceil(len(self.listing(day)) / self.options.per_page))

    # --- changes

    def changes(self, day: int) -> list[dict]:
        """Every change up to the day: publications first within a day, then the script order."""
        result = []
        for current in range(1, min(day, self.options.days) + 1):
            for key in range(self.day_start[current], self.day_start[current + 1]):
                result.append(self._change(Event(current, key, "published")))
            result.extend(self._change(e) for e in self.events if e.day == current)
        return result

    def _change(self, event: Event) -> dict:
        return {
            "day": event.day,
            "url": CANONICAL_ORIGIN + self.canonical_path(event.key),
            "kind": event.kind,
            "edit": event.edit,
            "classes": list(edits.EDIT_CLASSES[event.edit]) if event.edit else [],
        }


def fold_state(
    events: list[Event], day: int, start: DayState, moved_path: Callable[[int], str]
) -> DayState:
    """Fold an article's events up to the day into its state; moved_path(day) names the new URL."""
    state, version, moved_to = start.state, start.version, start.moved_to
    for event in events:
        if event.day > day:
            break
        if event.kind == "edited":
            version += 1
        elif event.kind == "moved":
            state, moved_to = "moved", moved_path(event.day)
        elif event.kind in ("restored", "relisted"):
            state = "moved" if moved_to else "live"
        else:
            state = NEXT_STATE[event.kind]
    return DayState(state, version, moved_to)
