"""Site leases: which worker crawls a site now, claimed with expiry, renewed, released.

Leases are per site, politeness is per platform: the sites of one platform share one back end,
so a site is never claimed while another site of its platform is held by a live lease (one not
expired). Which platform a site is on is the caller's to say (`platforms`, from the profiles); a
site it does not name is its own platform. On PostgreSQL a claim (and a renewal, which may revive
an expired lease) takes a transaction-level advisory lock on the platform before it checks the
platform's leases, so two claims in one platform take turns; on SQLite the transaction holds the
database's write lock from its start (BEGIN IMMEDIATE), which serialises them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    Select,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from archive.models import SiteLease

# How many due sites one claim tries before it gives up: another worker may take each one, or
# another site of its platform, between the read and the write.
CLAIM_ATTEMPTS = 8
# The advisory lock of a platform on PostgreSQL: hashtext of this prefix and the platform's name.
PLATFORM_LOCK = "newsarchive-platform:"

# Each site's platform (from the profiles); a site not named is its own platform.
Platforms = Mapping[str, str]


@dataclass(frozen=True)
class Lease:
    """A site held by `holder` until `expires_at`; `took_over` names the holder whose lease had
    expired when this one was claimed (its crawl died unfinished), if any."""

    site: str
    holder: str
    expires_at: datetime
    took_over: str | None = None


def lease_now(connection: Connection) -> datetime:
    """The time leases are compared with: the server's clock on a server database, so workers
    on machines whose clocks differ agree on when a lease expires; this machine's on SQLite."""
    if connection.dialect.name == "postgresql":
        moment = connection.scalar(select(func.clock_timestamp()))
        if isinstance(moment, datetime):
            return moment.astimezone(UTC)
    return datetime.now(UTC)


def add_sites(engine: Engine, sites: Iterable[str]) -> None:
    """A lease row for each site that has none (free, never crawled); existing rows stay.
    Inserted in name order, so workers starting together with their sites in another order
    wait for each other instead of deadlocking."""
    rows = [{"site": site} for site in sorted(set(sites))]
    if not rows:
        return
    with engine.begin() as connection:
        dialect = connection.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        if dialect not in ("postgresql", "sqlite"):
            raise ValueError(f"site leases are not implemented on {dialect}")
        connection.execute(insert(SiteLease).on_conflict_do_nothing(), rows)


def claim_due_site(
    engine: Engine,
    holder: str,
    sites: Sequence[str],
    *,
    ttl: timedelta,
    every: timedelta,
    platforms: Platforms | None = None,
) -> Lease | None:
    """Claim the most overdue of `sites` that is due: its lease free or expired, its last
    finished crawl (if any) at least `every` ago, and no other site of its platform held by a
    live lease (any site of the archive, not only `sites`). None when no site is due.

    A claim locks its candidate's platform (PostgreSQL: an advisory lock; SQLite: the write
    lock, from the transaction's start), then reads the platform's leases again and claims the
    site with a conditional update (only if still as read): of two claims in one platform, the
    second sees the first's lease and takes nothing there."""
    platforms = platforms or {}
    for _ in range(CLAIM_ATTEMPTS):
        with engine.begin() as connection:
            _take_write_lock(connection)
            now = lease_now(connection)
            busy = _busy_platforms(connection, now, platforms)
            due = connection.execute(_due(sites, now, every)).all()
            row = next((r for r in due if platform_of(r.site, platforms) not in busy), None)
            if row is None:
                return None
            platform = platform_of(row.site, platforms)
            if _lock_platform(connection, platform):
                # Read again what the claims that held the lock before this one committed.
                now = lease_now(connection)
                if platform in _busy_platforms(connection, now, platforms):
                    continue
            lease = _take(connection, row, holder, now, ttl)
            if lease is not None:
                return lease
    return None


def platform_of(site: str, platforms: Platforms) -> str:
    """The platform of `site`: as `platforms` says, else its own."""
    return platforms.get(site, site)


def _due(
    sites: Sequence[str], now: datetime, every: timedelta
) -> Select[str, str | None, datetime | None]:
    """The due sites of `sites`, most overdue first."""
    free = or_(SiteLease.expires_at.is_(None), SiteLease.expires_at <= now)
    rested = or_(SiteLease.last_finished_at.is_(None), SiteLease.last_finished_at <= now - every)
    return (
        select(SiteLease.site, SiteLease.holder, SiteLease.expires_at)
        .where(SiteLease.site.in_(list(sites)), free, rested)
        .order_by(SiteLease.last_finished_at.asc().nulls_first(), SiteLease.site)
    )


def _live(connection: Connection, now: datetime) -> list[str]:
    """The sites held by a live lease (any holder, any site of the archive)."""
    held = SiteLease.holder.is_not(None) & (SiteLease.expires_at > now)
    return list(connection.scalars(select(SiteLease.site).where(held)))


def _busy_platforms(connection: Connection, now: datetime, platforms: Platforms) -> set[str]:
    """The platforms a live lease is held in."""
    return {platform_of(site, platforms) for site in _live(connection, now)}


def _take_write_lock(connection: Connection) -> None:
    """On SQLite, the database's write lock for this transaction now, before anything is read:
    claims and renewals in other processes wait their turn (busy timeout) and read what the one
    before them committed."""
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.dbapi_connection
    if driver is not None and not getattr(driver, "in_transaction", True):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _lock_platform(connection: Connection, platform: str) -> bool:
    """On PostgreSQL, the platform's advisory lock until the transaction ends (waiting for a
    transaction holding it); True then. False on SQLite, whose write lock is held already."""
    if connection.dialect.name != "postgresql":
        return False
    connection.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": PLATFORM_LOCK + platform}
    )
    return True


def _take(
    connection: Connection,
    row: Row[str, str | None, datetime | None],
    holder: str,
    now: datetime,
    ttl: timedelta,
) -> Lease | None:
    """The lease on row's site for `holder`, if nobody took it since it was read."""
    site, previous, expires_at = row
    taken = connection.execute(
        update(SiteLease)
        .where(SiteLease.site == site, _unchanged(previous, expires_at))
        .values(
            holder=holder,
            claimed_at=now,
            expires_at=now + ttl,
            last_holder=holder,
            last_started_at=now,
        )
    )
    if taken.rowcount != 1:
        return None
    return Lease(site, holder, now + ttl, took_over=previous)


def _unchanged(holder: str | None, expires_at: datetime | None) -> ColumnElement[bool]:
    """The lease is as it was read: same holder, same expiry (a compare-and-set)."""
    same_holder = SiteLease.holder.is_(None) if holder is None else SiteLease.holder == holder
    if expires_at is None:
        return same_holder & SiteLease.expires_at.is_(None)
    return same_holder & (SiteLease.expires_at == expires_at)


def renew(
    engine: Engine, lease: Lease, ttl: timedelta, platforms: Platforms | None = None
) -> Lease | None:
    """The lease extended to ttl from now; None if it is no longer `lease.holder`'s (it expired
    and another worker took the site), or if it expired and another site of its platform has
    been claimed since: the holder must stop crawling it."""
    platforms = platforms or {}
    with engine.begin() as connection:
        _take_write_lock(connection)
        now = lease_now(connection)
        platform = platform_of(lease.site, platforms)
        _lock_platform(connection, platform)
        mine = (SiteLease.site == lease.site) & (SiteLease.holder == lease.holder)
        others = [
            site
            for site in _live(connection, now)
            if site != lease.site and platform_of(site, platforms) == platform
        ]
        if others:  # only a live lease is renewed: an expired one is the platform's no more
            mine = mine & (SiteLease.expires_at > now)
        renewed = connection.execute(update(SiteLease).where(mine).values(expires_at=now + ttl))
    if renewed.rowcount != 1:
        return None
    return Lease(lease.site, lease.holder, now + ttl, lease.took_over)


def release(
    engine: Engine,
    lease: Lease,
    *,
    exit_code: int | None,
    finished: bool,
    retry_after: timedelta = timedelta(0),
) -> bool:
    """Free the lease and record how the crawl ended: `finished` crawls start the site's rest
    (`every`); an unfinished one leaves the site due at once, or after `retry_after`. False if
    the lease was no longer the holder's (nothing is written then)."""
    with engine.begin() as connection:
        now = lease_now(connection)
        values: dict[str, object] = {
            "holder": None,
            "claimed_at": None,
            "expires_at": now + retry_after,
            "last_exit_code": exit_code,
        }
        if finished:
            values["last_finished_at"] = now
        released = connection.execute(
            update(SiteLease)
            .where(SiteLease.site == lease.site, SiteLease.holder == lease.holder)
            .values(values)
        )
    return released.rowcount == 1


@dataclass(frozen=True)
class LeaseState:
    """A site's lease as stored, and the time it was read at."""

    site: str
    holder: str | None
    claimed_at: datetime | None
    expires_at: datetime | None
    last_holder: str | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_exit_code: int | None
    now: datetime

    def next_due(self, every: timedelta) -> datetime:
        """When the site may be claimed next (now, or in the past, when it is due)."""
        moments = [self.now, self.expires_at or self.now]
        if self.last_finished_at is not None:
            moments.append(self.last_finished_at + every)
        return max(moments)


def lease_states(engine: Engine, sites: Sequence[str] | None = None) -> list[LeaseState]:
    """Every site's lease (or those of `sites`), by site name."""
    query = select(*STATE_COLUMNS).order_by(SiteLease.site)
    if sites is not None:
        query = query.where(SiteLease.site.in_(list(sites)))
    with engine.connect() as connection:
        now = lease_now(connection)
        return [LeaseState(*row, now=now) for row in connection.execute(query)]


STATE_COLUMNS = (
    SiteLease.site,
    SiteLease.holder,
    SiteLease.claimed_at,
    SiteLease.expires_at,
    SiteLease.last_holder,
    SiteLease.last_started_at,
    SiteLease.last_finished_at,
    SiteLease.last_exit_code,
)
