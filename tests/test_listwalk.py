"""The list walk: everything on a backfill or audit; newest pages only until known ground otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from archive.runs import Cursor
from crawler.plan.listwalk import ListWalk

PATH = "/col8173/col8174/"


def test_a_full_walk_asks_for_every_page_once_the_total_is_known():
    walk = ListWalk([PATH], incremental=False)
    assert walk.next_pages(PATH, 0, 5, ["a"], set()) == [1, 2, 3, 4]
    assert not walk.complete
    for number in (1, 2, 3, 4):
        assert walk.next_pages(PATH, number, 5, ["b"], set()) == []
    assert walk.complete


def test_an_incremental_walk_stops_at_the_first_page_of_known_articles():
    walk = ListWalk([PATH], incremental=True)
    known = {"old1", "old2", "old3"}
    assert walk.next_pages(PATH, 0, 9, ["new1", "old1"], known) == [1]
    assert walk.next_pages(PATH, 1, 9, ["old2", "old3"], known) == []
    assert not walk.complete


def test_stop_after_needs_that_many_known_pages_in_a_row():
    walk = ListWalk([PATH], incremental=True, stop_after=2)
    known = {"a", "b", "c"}
    assert walk.next_pages(PATH, 0, 9, ["a"], known) == [1]
    assert walk.next_pages(PATH, 1, 9, ["new"], known) == [2]
    assert walk.next_pages(PATH, 2, 9, ["b"], known) == [3]
    assert walk.next_pages(PATH, 3, 9, ["c"], known) == []


def test_an_incremental_walk_ends_at_the_last_page():
    walk = ListWalk([PATH], incremental=True)
    assert walk.next_pages(PATH, 0, 2, ["new1"], set()) == [1]
    assert walk.next_pages(PATH, 1, 2, ["new2"], set()) == []
    assert walk.complete


def test_a_page_without_a_total_is_a_single_page():
    walk = ListWalk([PATH], incremental=False)
    assert walk.next_pages(PATH, 0, None, ["a"], set()) == []
    assert walk.complete


T = datetime(2025, 12, 8, 15, tzinfo=UTC)


def read(walk: ListWalk, pages: list[int], total: int = 8, known=frozenset({"a"})) -> list[int]:
    asked: list[int] = []
    for number in pages:
        asked += walk.next_pages(PATH, number, total, ["a"], known)
    return asked


def test_a_rolling_walk_takes_its_share_of_the_pages_from_the_cursor():
    walk = ListWalk(
        [PATH],
        incremental=True,
        share=0.25,
        cursors={PATH: Cursor(4, T - timedelta(days=3))},
        started_at=T,
    )
    assert read(walk, [0]) == [4, 5]
    read(walk, [4, 5])
    assert walk.state().cursors == {PATH: Cursor(6, T - timedelta(days=3))}
    assert walk.covered_since() is None


def test_the_end_of_a_round_covers_everything_since_it_began():
    begun = T - timedelta(days=6)
    walk = ListWalk(
        [PATH], incremental=True, share=0.25, cursors={PATH: Cursor(6, begun)}, started_at=T
    )
    assert read(walk, [0]) == [6, 7]
    read(walk, [6, 7])
    assert walk.covered_since() == begun
    assert walk.state().cursors == {PATH: Cursor(0, None)}


def test_a_round_starting_now_records_its_start():
    walk = ListWalk(
        [PATH], incremental=True, share=0.5, cursors={PATH: Cursor(0, None)}, started_at=T
    )
    assert read(walk, [0]) == [1, 2, 3]
    read(walk, [1, 2, 3])
    assert walk.state().cursors == {PATH: Cursor(4, T)}


def test_a_failed_page_holds_the_cursor_and_proves_nothing():
    begun = T - timedelta(days=6)
    walk = ListWalk(
        [PATH], incremental=True, share=0.25, cursors={PATH: Cursor(6, begun)}, started_at=T
    )
    read(walk, [0, 6])
    walk.page_failed(PATH, 7)
    assert walk.covered_since() is None
    assert walk.state().cursors == {PATH: Cursor(7, begun)}


def test_a_full_walk_covers_everything_since_it_started():
    walk = ListWalk([PATH], incremental=False, started_at=T)
    read(walk, [0, 1, 2, 3, 4, 5, 6, 7])
    assert walk.covered_since() == T
