"""Worker processes called from the reactor's event loop over a pipe, with no threads in the crawler.

Scrapy runs on one thread; parsing pages and committing them to the archive are CPU work that
other cores can do. concurrent.futures' process pool spends more of the crawler's own CPU on its
helper threads than a page costs to read, so a worker here is a spawned process served over one
pipe, read by the event loop when results arrive. Calls to one worker run in the order they were
made (the archive writer relies on it).
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import multiprocessing
import os
import pickle
import signal
import struct
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

# Calls waiting in one worker's pipe by default: enough to keep it busy whatever the scheduler
# does, few enough that their pages held in memory do not matter.
IN_FLIGHT = 32
# At most this many calls are handed to a function's `many` at once (see _serve).
MAX_BATCH = 256
# multiprocessing.Connection's framing, which the worker's end reads and writes: a signed
# 4-byte big-endian length, or -1 and an unsigned 8-byte one for messages of 2 GiB and more.
_SHORT, _LONG = struct.Struct("!i"), struct.Struct("!Q")
_READ_SIZE = 1 << 20
# A worker's garbage collector runs after this many new objects (crawler.extensions).
GC_THRESHOLD = 50_000

Factory = Callable[..., Callable[..., Any]]


class WorkerDied(RuntimeError):
    """The worker process ended or could not answer; the call may be run again elsewhere."""


class WorkerError(RuntimeError):
    """The called function raised in the worker; the message names the original exception."""


class WorkerProcess:
    """A spawned process that builds `factory(*arguments)` once, then serves calls to it, at
    most `in_flight` at a time (a further call awaits its turn, without blocking the loop).

    The crawler's end of the pipe never blocks: a call that does not fit in the pipe waits in a
    buffer the event loop writes out as the worker reads, and answers are read as far as they
    have arrived. With many calls in flight, a worker that the scheduler of a loaded machine
    wakes late finds a batch waiting, not one page.

    Must be created while an asyncio loop runs (Scrapy's asyncio reactor does).
    """

    def __init__(
        self, factory: Factory, arguments: tuple[Any, ...], name: str, in_flight: int = IN_FLIGHT
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child, factory, arguments), name=name, daemon=True
        )
        self.process.start()
        child.close()
        self._loop = asyncio.get_running_loop()
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._numbers = itertools.count()
        self._slots = asyncio.Semaphore(in_flight)
        self._fd = self._connection.fileno()
        os.set_blocking(self._fd, False)
        self._outgoing = bytearray()
        self._incoming = bytearray()
        self._writing = False
        self._loop.add_reader(self._fd, self._receive)
        self.alive = True

    @property
    def load(self) -> int:
        return len(self._pending)

    async def call(self, *arguments: Any) -> Any:
        """The worker's function applied to `arguments` (which must pickle); raises WorkerError."""
        async with self._slots:
            if not self.alive:
                raise WorkerDied(f"{self.process.name} has stopped")
            number = next(self._numbers)
            future = self._pending[number] = self._loop.create_future()
            data = pickle.dumps((number, arguments), protocol=pickle.HIGHEST_PROTOCOL)
            self._outgoing += _header(len(data))
            self._outgoing += data
            if not self._writing:
                self._flush()
            return await future

    def close(self, timeout: float = 30) -> None:
        """Stop after the calls already made are done (their results are not awaited)."""
        if self.alive:
            self._stop_reading()
            try:
                os.set_blocking(self._fd, True)
                while self._outgoing:
                    del self._outgoing[: os.write(self._fd, self._outgoing)]
            except OSError:
                pass  # the worker has gone: nothing is waiting for it
            self._connection.close()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()

    def _flush(self) -> None:
        """Write what the pipe takes now; the loop calls again when it takes more."""
        try:
            while self._outgoing:
                del self._outgoing[: os.write(self._fd, self._outgoing)]
        except BlockingIOError:
            if not self._writing:
                self._writing = True
                self._loop.add_writer(self._fd, self._flush)
            return
        except OSError as exc:
            self._fail_all(f"{self.process.name} cannot be reached: {exc}")
            return
        if self._writing:
            self._writing = False
            self._loop.remove_writer(self._fd)

    def _receive(self) -> None:
        """Answers as far as they have arrived; the end of the pipe after the last of them."""
        ended = False
        try:
            while True:
                chunk = os.read(self._fd, _READ_SIZE)
                if not chunk:
                    ended = True
                    break
                self._incoming += chunk
                if len(chunk) < _READ_SIZE:
                    break
        except BlockingIOError:
            pass
        except OSError:
            ended = True
        for number, ok, value in self._answers():
            future = self._pending.pop(number)
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(WorkerError(value))
        if ended:
            self._fail_all(f"{self.process.name} stopped (exit code {self.process.exitcode})")

    def _answers(self) -> list[Any]:
        """The whole messages read so far, unpickled; a partial one stays for the next read."""
        answers, offset, buffer = [], 0, self._incoming
        with memoryview(buffer) as view:
            while len(buffer) - offset >= _SHORT.size:
                size, start = _SHORT.unpack_from(buffer, offset)[0], offset + _SHORT.size
                if size == -1:
                    if len(buffer) - start < _LONG.size:
                        break
                    size, start = _LONG.unpack_from(buffer, start)[0], start + _LONG.size
                if len(buffer) - start < size:
                    break
                answers.append(pickle.loads(view[start : start + size]))
                offset = start + size
        del buffer[:offset]
        return answers

    def _fail_all(self, reason: str) -> None:
        self._stop_reading()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(WorkerDied(reason))
        self._pending.clear()

    def _stop_reading(self) -> None:
        if self.alive:
            self.alive = False
            self._loop.remove_reader(self._fd)
            if self._writing:
                self._writing = False
                self._loop.remove_writer(self._fd)


def tune_collector(threshold: int) -> None:
    """The garbage collector set for a process that has started up and will now handle many
    pages: what exists now is frozen (a full collection no longer walks it), and a collection
    starts after `threshold` new objects instead of Python's 700."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(threshold, older, oldest)


def _header(size: int) -> bytes:
    if size > 0x7FFFFFFF:
        return _SHORT.pack(-1) + _LONG.pack(size)
    return _SHORT.pack(size)


def _serve(connection: Connection, factory: Factory, arguments: tuple[Any, ...]) -> None:
    """The worker's loop: answer calls in order until the crawler's end of the pipe closes.

    A function with a `many` method (a list of calls' arguments -> a result or exception for
    each) is handed every call waiting in the pipe at once, and each is answered after `many`
    returns: the archive writer commits them together, and none is answered before the commit.

    Ctrl-C and SIGTERM reach a whole process group; the crawler decides how to stop, and a
    worker finishes what it was sent (a page's write) before the closed pipe ends it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    function = factory(*arguments)
    tune_collector(GC_THRESHOLD)
    many = getattr(function, "many", None)
    while True:
        calls, closed = _waiting_calls(connection, batch=many is not None)
        if many is not None and calls:
            replies = [
                (number, False, _sentence(value))
                if isinstance(value, Exception)
                else (number, True, value)
                for (number, _), value in zip(calls, many([c for _, c in calls]), strict=True)
            ]
        else:
            replies = [_answer(function, number, call) for number, call in calls]
        try:
            for reply in replies:
                connection.send(reply)
        except (BrokenPipeError, OSError):
            os._exit(0)
        if closed:
            os._exit(0)


def _waiting_calls(connection: Connection, batch: bool) -> tuple[list[Any], bool]:
    """The next call, and with `batch` every other one already in the pipe; and whether the
    crawler's end of the pipe has closed."""
    calls: list[Any] = []
    try:
        calls.append(connection.recv())
        while batch and len(calls) < MAX_BATCH and connection.poll():
            calls.append(connection.recv())
    except (EOFError, OSError):
        return calls, True
    return calls, False


def _answer(function: Callable[..., Any], number: int, call: tuple[Any, ...]) -> tuple[Any, ...]:
    try:
        return (number, True, function(*call))
    except Exception as exc:  # every failure goes back to the caller, as a sentence
        return (number, False, _sentence(exc))


def _sentence(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"
