"""Site leases (archive.leases) on SQLite: the most overdue free site is claimed, a held one never,
an expired one is taken over, renewal and release only by the holder, a finished crawl rests."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from archive.database import open_archive
from archive.leases import add_sites, claim_due_site, lease_states, release, renew

SITES = ("chencang", "meixian", "taibai")
TTL = timedelta(seconds=60)
HOUR = timedelta(hours=1)


@pytest.fixture
def engine(tmp_path):
    archive = open_archive(str(tmp_path / "archive.db"))
    add_sites(archive.engine, SITES)
    yield archive.engine
    archive.close()


def claim(engine, holder, ttl=TTL, every=HOUR, sites=SITES):
    return claim_due_site(engine, holder, sites, ttl=ttl, every=every)


def test_each_site_is_claimed_once_then_none_is_due(engine):
    claimed = [claim(engine, f"w{n}") for n in range(3)]
    assert sorted(lease.site for lease in claimed) == sorted(SITES)
    assert claim(engine, "w3") is None
    assert {s.site: s.holder for s in lease_states(engine)} == {
        lease.site: lease.holder for lease in claimed
    }


def test_a_finished_site_rests_for_every_and_the_most_overdue_comes_first(engine):
    for holder in ("a", "b", "c"):
        lease = claim(engine, holder)
        assert release(engine, lease, exit_code=0, finished=True)
    assert claim(engine, "d") is None  # all crawled less than an hour ago
    first = claim(engine, "d", every=timedelta(microseconds=1))
    assert first.site == "chencang"  # finished first, so overdue longest


def test_an_unfinished_crawl_leaves_its_site_due_at_once_or_after_retry_after(engine):
    lease = claim(engine, "a", sites=("meixian",))
    assert release(engine, lease, exit_code=130, finished=False)
    again = claim(engine, "b", sites=("meixian",))
    assert again.site == "meixian" and again.took_over is None
    assert release(engine, again, exit_code=75, finished=False, retry_after=HOUR)
    assert claim(engine, "c", sites=("meixian",)) is None
    (state,) = lease_states(engine, ["meixian"])
    assert (state.holder, state.last_exit_code, state.last_finished_at) == (None, 75, None)


def test_an_expired_lease_is_taken_over_and_its_holder_can_neither_renew_nor_release(engine):
    dead = claim(engine, "dead", ttl=timedelta(seconds=0.2), sites=("taibai",))
    assert claim(engine, "alive", sites=("taibai",)) is None  # still held
    time.sleep(0.3)
    alive = claim(engine, "alive", sites=("taibai",))
    assert (alive.site, alive.took_over) == ("taibai", "dead")
    assert renew(engine, dead, TTL) is None
    assert not release(engine, dead, exit_code=0, finished=True)
    assert renew(engine, alive, TTL).expires_at >= alive.expires_at
    (state,) = lease_states(engine, ["taibai"])
    assert state.holder == "alive" and state.last_finished_at is None


def test_concurrent_claims_never_share_a_site(engine):
    """Twelve threads claim at once (each a compare-and-set): three win, one site each."""
    results, start = [], threading.Barrier(12)

    def contend(n):
        start.wait()
        results.append(claim(engine, f"t{n}"))

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [lease for lease in results if lease is not None]
    assert sorted(lease.site for lease in won) == sorted(SITES)
    holders = {s.site: s.holder for s in lease_states(engine)}
    assert holders == {lease.site: lease.holder for lease in won}
