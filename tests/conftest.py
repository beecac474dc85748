"""Shared fixtures: the local replica of www.chencang.gov.cn (tests/replica)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.replica.process import ReplicaProcess


@pytest.fixture(scope="session")
def replica() -> Iterator[ReplicaProcess]:
    """The default small site (47 articles, day 1), shared: tests must not switch its day."""
    with ReplicaProcess() as process:
        yield process


@pytest.fixture(scope="session")
def replica_factory() -> Iterator[Callable[..., ReplicaProcess]]:
    """Start an extra replica per call, e.g. replica_factory(day=2, template="B"); a test that
    switches the day needs its own. All are stopped at the end of the session."""
    started: list[ReplicaProcess] = []

    def start(**options: object) -> ReplicaProcess:
        process = ReplicaProcess(**options)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
