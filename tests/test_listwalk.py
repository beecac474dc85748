"""The list walk: everything on a backfill or audit; newest pages only until known ground otherwise."""

from __future__ import annotations

from crawler.listwalk import ListWalk

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
