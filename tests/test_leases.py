"""Site leases (archive.leases) on SQLite and PostgreSQL: the most overdue free site is claimed, a
held one never, an expired one is taken over, renewal and release only by the holder, a finished
crawl rests; and no site is claimed while another site of its platform is held by a live lease,
even by claims made at the same instant."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from archive.database import open_archive
from archive.leases import (
    add_sites,
    claim_due_site,
    lease_now,
    lease_states,
    platform_of,
    release,
    renew,
)
from archive.models import SiteLease
from tests.conftest import ENGINES, new_archive

SITES = ("chencang", "meixian", "taibai")
TTL = timedelta(seconds=60)
HOUR = timedelta(hours=1)


# chencang and meixian on one platform; taibai its own (named by no mapping).
PLATFORMS = {"chencang": "baoji", "meixian": "baoji"}


@pytest.fixture(params=ENGINES)
def engine(request, tmp_path):
    archive = open_archive(new_archive(request.param, tmp_path, request))
    add_sites(archive.engine, SITES)
    yield archive.engine
    archive.close()


def claim(engine, holder, ttl=TTL, every=HOUR, sites=SITES, platforms=None):
    return claim_due_site(engine, holder, sites, ttl=ttl, every=every, platforms=platforms)


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
    dead = claim(engine, "dead", sites=("taibai",))
    assert claim(engine, "alive", sites=("taibai",)) is None  # still held
    expire(engine, "taibai")
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


def test_a_site_is_not_claimed_while_another_site_of_its_platform_is_held(engine):
    first = claim(engine, "a", sites=("chencang",), platforms=PLATFORMS)
    assert first.site == "chencang"
    # meixian is free and due, but chencang's lease holds the platform, whoever asks.
    assert claim(engine, "b", sites=("meixian",), platforms=PLATFORMS) is None
    other = claim(engine, "b", sites=("meixian", "taibai"), platforms=PLATFORMS)
    assert other.site == "taibai"  # another platform: claimed while chencang is held
    assert release(engine, first, exit_code=0, finished=True)
    second = claim(engine, "c", sites=("meixian",), platforms=PLATFORMS)
    assert (second.site, second.took_over) == ("meixian", None)
    assert claim(engine, "d", every=timedelta(microseconds=1), platforms=PLATFORMS) is None
    held = {s.site: s.holder for s in lease_states(engine) if s.holder}
    assert held == {"meixian": "c", "taibai": "b"}


def test_without_platforms_each_site_is_its_own(engine):
    claimed = [claim(engine, f"w{n}") for n in range(3)]
    assert sorted(lease.site for lease in claimed) == sorted(SITES)


def expire(engine, site):
    """The site's lease expired a second ago (as if its holder had stopped renewing it)."""
    with engine.begin() as connection:
        now = lease_now(connection)
        connection.execute(
            update(SiteLease)
            .where(SiteLease.site == site)
            .values(expires_at=now - timedelta(seconds=1))
        )


def test_an_expired_lease_frees_its_platform_and_is_renewed_no_more_once_another_site_is_held(
    engine,
):
    dead = claim(engine, "dead", sites=("chencang",), platforms=PLATFORMS)
    assert claim(engine, "alive", sites=("meixian",), platforms=PLATFORMS) is None
    expire(engine, "chencang")
    # Expired but nobody took chencang: its holder may still renew it (the platform is free).
    revived = renew(engine, dead, TTL, PLATFORMS)
    assert revived is not None
    assert claim(engine, "alive", sites=("meixian",), platforms=PLATFORMS) is None
    expire(engine, "chencang")
    alive = claim(engine, "alive", sites=("meixian",), platforms=PLATFORMS)
    assert (alive.site, alive.took_over) == ("meixian", None)
    # Now meixian is held: chencang's expired lease must not come back to life beside it.
    assert renew(engine, revived, TTL, PLATFORMS) is None
    assert renew(engine, alive, TTL, PLATFORMS) is not None
    assert claim(engine, "third", sites=("chencang",), platforms=PLATFORMS) is None
    assert release(engine, alive, exit_code=0, finished=True)
    third = claim(engine, "third", sites=("chencang",), platforms=PLATFORMS)
    assert (third.site, third.took_over) == ("chencang", "dead")


# Six sites on three platforms: p (three sites), q (two), and r (one, its own).
CONTENDED = ("p1", "p2", "p3", "q1", "q2", "r")
CONTENDED_PLATFORMS = {"p1": "p", "p2": "p", "p3": "p", "q1": "q", "q2": "q"}


def live_per_platform(engine):
    """How many live leases each platform holds, read at one moment."""
    counts = {}
    for state in lease_states(engine):
        if state.holder is not None and state.expires_at > state.now:
            platform = platform_of(state.site, CONTENDED_PLATFORMS)
            counts[platform] = counts.get(platform, 0) + 1
    return counts


def test_concurrent_claims_take_one_site_per_platform(engine):
    """Twelve threads claim at once: three win, one site of each platform."""
    add_sites(engine, CONTENDED)
    results, start = [], threading.Barrier(12)

    def contend(n):
        start.wait()
        results.append(claim(engine, f"t{n}", sites=CONTENDED, platforms=CONTENDED_PLATFORMS))

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [lease for lease in results if lease is not None]
    assert sorted(platform_of(lease.site, CONTENDED_PLATFORMS) for lease in won) == ["p", "q", "r"]
    assert live_per_platform(engine) == {"p": 1, "q": 1, "r": 1}


def test_claims_and_releases_racing_never_hold_two_live_leases_in_a_platform(engine):
    """Eight threads claim, hold briefly and release, over and over: no claim ever succeeds
    while another lease of its platform is held (each holder notes its lease before it is
    committed as released, and after it is committed as claimed), and no read ever sees two
    live leases in a platform."""
    add_sites(engine, CONTENDED)
    held, guard, clashes, start = {}, threading.Lock(), [], threading.Barrier(8)

    def churn(n):
        start.wait()
        for _ in range(15):
            lease = claim(
                engine, f"t{n}", every=timedelta(0), sites=CONTENDED, platforms=CONTENDED_PLATFORMS
            )
            if lease is None:
                continue
            platform = platform_of(lease.site, CONTENDED_PLATFORMS)
            with guard:
                if platform in held:
                    clashes.append((lease.site, held[platform]))
                held[platform] = lease.site
            if any(count > 1 for count in live_per_platform(engine).values()):
                clashes.append(("read", lease.site))
            with guard:
                del held[platform]
            assert release(engine, lease, exit_code=0, finished=True)

    threads = [threading.Thread(target=churn, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clashes == []
    finished = [s for s in lease_states(engine, CONTENDED) if s.last_finished_at is not None]
    assert len(finished) == len(CONTENDED)  # every site was claimed at some point
