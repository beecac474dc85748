"""Worker processes: calls answered in order, errors carried back, a dead worker never hangs a crawl."""

from __future__ import annotations

import asyncio

import pytest

from crawler.run.workers import WorkerDied, WorkerError, WorkerProcess
from tests.cli import crawl, export
from tests.workers_helpers import dying_factory, echo_factory, failing_factory


def run(coroutine_function):
    return asyncio.run(coroutine_function())


def test_calls_are_answered_in_order():
    async def scenario():
        worker = WorkerProcess(echo_factory, ("页",), name="test-echo")
        try:
            return await asyncio.gather(*(worker.call(str(n)) for n in range(50)))
        finally:
            worker.close()

    assert run(scenario) == [f"页{n}" for n in range(50)]


def test_an_exception_in_the_worker_comes_back_as_a_sentence():
    async def scenario():
        worker = WorkerProcess(failing_factory, (), name="test-fail")
        try:
            with pytest.raises(WorkerError, match="ValueError: cannot handle x"):
                await worker.call("x")
            with pytest.raises(WorkerError):
                await worker.call("y")  # the worker survives its function's errors
        finally:
            worker.close()

    run(scenario)


def test_a_worker_that_dies_fails_its_calls_instead_of_hanging():
    async def scenario():
        worker = WorkerProcess(dying_factory, (), name="test-die")
        try:
            with pytest.raises(WorkerDied):
                await asyncio.wait_for(worker.call("x"), timeout=60)
            with pytest.raises(WorkerDied):
                await worker.call("again")
        finally:
            worker.close()

    run(scenario)


def test_inline_and_worker_processes_archive_the_same_records(replica, tmp_path):
    inline, processes = tmp_path / "inline.db", tmp_path / "processes.db"
    crawl(
        replica.base_url,
        inline,
        "-s",
        "NEWSARCHIVE_EXTRACT_WORKERS=0",
        "-s",
        "NEWSARCHIVE_WRITER_PROCESS=false",
    )
    log = tmp_path / "processes.log"
    after_ten = (
        "-s",
        "NEWSARCHIVE_WORKERS_AFTER=10",
    )  # the first pages in the crawler, the rest not
    crawl(
        replica.base_url,
        processes,
        "-s",
        "NEWSARCHIVE_EXTRACT_WORKERS=2",
        *after_ten,
        "--log-file",
        str(log),
    )
    logged = log.read_text(encoding="utf-8")
    assert "Reading pages in 2 extraction worker processes from now on" in logged
    assert "Writing pages from a writer process from now on" in logged

    def records(db):
        return [{k: v for k, v in r.items() if k != "captured_at"} for r in export(db)]

    assert records(inline) == records(processes)
    assert len(records(inline)) == len(replica.truth()["articles"])
