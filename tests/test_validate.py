"""Validation: an article that cannot be right is refused with a reason, never versioned."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawler.extract.validate import Validation
from tests.test_store import RECORD

CST = timezone(timedelta(hours=8))
NOW = datetime(2025, 12, 1, 15, tzinfo=UTC)
VALIDATOR = Validation(earliest=datetime(1990, 1, 1), max_boilerplate=0.5)


def problem(boilerplate: float = 0.0, **fields):
    found = VALIDATOR.problem(dataclasses.replace(RECORD, **fields), boilerplate, NOW)
    return found[0] if found else None


def test_a_sound_article_passes():
    assert problem() is None


@pytest.mark.parametrize(
    ("fields", "boilerplate", "reason"),
    [
        ({"title": ""}, 0.0, "no_title"),
        ({"body": ""}, 0.0, "no_body"),
        ({"body": ""}, 1.0, "boilerplate_body"),
        ({}, 0.6, "boilerplate_body"),
        ({"published_at": None}, 0.0, "date_unparseable"),
        ({"published_at": datetime(1970, 1, 1, 8, tzinfo=CST)}, 0.0, "date_too_old"),
        ({"published_at": datetime(1989, 12, 31, 23, 59, tzinfo=CST)}, 0.0, "date_too_old"),
        ({"published_at": NOW + timedelta(days=1, minutes=1)}, 0.0, "date_in_future"),
    ],
)
def test_impossible_articles_are_refused_with_a_reason(fields, boilerplate, reason):
    assert problem(boilerplate, **fields) == reason


@pytest.mark.parametrize(
    "published",
    [datetime(1990, 1, 1, tzinfo=CST), NOW + timedelta(hours=23), NOW - timedelta(days=3000)],
)
def test_dates_at_the_edges_pass(published):
    assert problem(published_at=published) is None


def test_half_boilerplate_is_still_an_article():
    assert problem(0.5) is None
