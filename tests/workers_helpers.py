"""Functions for worker-process tests: they must live in an importable module to be spawned."""

from __future__ import annotations

import os
from collections.abc import Callable


def echo_factory(prefix: str) -> Callable[[str], str]:
    return lambda text: prefix + text


def failing_factory() -> Callable[[str], str]:
    def fail(text: str) -> str:
        raise ValueError(f"cannot handle {text}")

    return fail


def dying_factory() -> Callable[[str], str]:
    def die(text: str) -> str:
        os._exit(3)

    return die
