"""Scrapy's downloader with download slots shared by every crawler of the process."""

from __future__ import annotations

from collections import deque
from time import monotonic

from scrapy import Request, Spider
from scrapy.core.downloader import Downloader, Slot
from scrapy.http import Response
from twisted.internet.defer import Deferred


class _Shared:
    """The process's slots by key, the downloaders using each, and which downloader each queued
    request belongs to (a slot's queue holds the requests of several crawlers)."""

    def __init__(self) -> None:
        self.slots: dict[str, Slot] = {}
        self.users: dict[str, set[Downloader]] = {}
        self.owners: dict[Request, Downloader] = {}

    def join(self, key: str, slot: Slot, user: Downloader) -> Slot:
        """The slot of `key`: the one already shared, else `slot`, which then is."""
        shared = self.slots.setdefault(key, slot)
        self.users.setdefault(key, set()).add(user)
        return shared

    def leave(self, key: str, user: Downloader) -> None:
        """`user` no longer uses the slot: its queued requests are dropped (as Scrapy drops a
        closing downloader's), and the last user closes the slot."""
        slot = self.slots.get(key)
        if slot is None:
            return
        mine = {id(request) for request, _ in slot.queue if self.owners.get(request) is user}
        slot.queue = deque(entry for entry in slot.queue if id(entry[0]) not in mine)
        self.owners = {r: owner for r, owner in self.owners.items() if id(r) not in mine}
        users = self.users[key]
        users.discard(user)
        if not users:
            del self.slots[key], self.users[key]
            slot.close()


_SHARED = _Shared()


class SharedSlotDownloader(Downloader):
    """Scrapy gives each crawler its own downloader, and so its own slots: two sites of one
    platform crawled side by side in one process would each get the platform's politeness (one
    request at a time, the delay) to themselves, and the shared back end twice the load. Here a
    slot is the process's: the crawlers whose requests name one slot (crawler.spiders.news gives
    a platform's sites one) share its concurrency, its delay and the time of its last request.

    The slot takes the settings of the first crawler to use it (sites of one platform inherit
    the platform's); AutoThrottle's adjustments by any of them apply to all. Each request is
    still downloaded by its own crawler's downloader (its handlers, its signals, its stats).
    With one crawler in the process, this is Scrapy's downloader unchanged.
    """

    def _get_slot(self, request: Request, spider: Spider | None = None) -> tuple[str, Slot]:
        """Called by Scrapy once a request, as it is queued: the owner is noted there."""
        key, own = super()._get_slot(request)
        slot = self.slots[key] = _SHARED.join(key, own, self)
        _SHARED.owners[request] = self
        return key, slot

    async def _wait_for_download(
        self, slot: Slot, request: Request, queue_dfd: Deferred[Response]
    ) -> None:
        """A slot's queue is worked by whichever downloader got to it; each request goes back
        to the downloader that queued it."""
        owner = _SHARED.owners.pop(request, self)
        if owner is not self:
            await owner._wait_for_download(slot, request, queue_dfd)
            return
        await super()._wait_for_download(slot, request, queue_dfd)

    def close(self) -> None:
        self._stop_slot_gc()
        for key in list(self.slots):
            _SHARED.leave(key, self)
        self.slots.clear()

    def _slot_gc(self, age: float = 60) -> None:
        """An idle slot is let go of; it closes when no crawler uses it."""
        idle = [key for key, slot in self.slots.items() if _idle(slot, age)]
        for key in idle:
            del self.slots[key]
            _SHARED.leave(key, self)


def _idle(slot: Slot, age: float) -> bool:
    """Scrapy's test for a slot it may let go of."""
    return not slot.active and slot.lastseen + slot.delay <= monotonic() - age
