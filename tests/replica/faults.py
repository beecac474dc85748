"""Fault modes for reliability tests: which pages fail, how, and for how many attempts.

Everything here is off by default (rate 0, no block). A path is faulted or not by a seeded hash of
the path alone, so the choice is the same in every process; a faulted path fails its first 1 or 2
counted attempts and then behaves normally (see README, "Fault modes").
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, replace

KINDS = (
    "error_500",
    "error_502",
    "error_503",
    "timeout",
    "reset",
    "truncated",
    "slow",
    "too_many_requests",
    "challenge",
    "redirect_loop",
)
DEFAULT_KINDS = tuple(kind for kind in KINDS if kind != "challenge")
ERROR_STATUS = {"error_500": 500, "error_502": 502, "error_503": 503}
SLOW_DELAY = 1.5  # seconds before a slow response
RETRY_AFTER = 2  # seconds, the 429's Retry-After
LOOP_WINDOW = 1.0  # seconds a ?loop=1 hop keeps the loop going for the next request to the path
SETTING_KEYS = ("rate", "kinds", "seed", "timeout", "block")


@dataclass(frozen=True)
class FaultSettings:
    """The active fault configuration (the --faults options, POST /_replica/faults)."""

    rate: float = 0.0
    kinds: tuple[str, ...] = DEFAULT_KINDS
    seed: int = 0
    timeout: float = 5.0
    block: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, not {self.rate}")
        unknown = [kind for kind in self.kinds if kind not in KINDS]
        if unknown or not self.kinds:
            raise ValueError(f"kinds must be a non-empty subset of {', '.join(KINDS)}: {unknown}")
        if not self.timeout >= 0:
            raise ValueError(f"timeout must be >= 0 seconds, not {self.timeout}")
        # One spelling per set of kinds, so the choice of kind does not depend on their order.
        object.__setattr__(self, "kinds", tuple(kind for kind in KINDS if kind in self.kinds))

    @property
    def active(self) -> bool:
        return self.rate > 0 or self.block

    def document(self) -> dict[str, object]:
        return {
            "rate": self.rate,
            "kinds": list(self.kinds),
            "seed": self.seed,
            "timeout": self.timeout,
            "block": self.block,
        }

    def updated(self, payload: object) -> FaultSettings:
        """These settings with the keys of a POST /_replica/faults body replaced (ValueError if
        the body is not such an object)."""
        if not isinstance(payload, dict):
            raise ValueError("expected a JSON object")
        unknown = sorted(set(payload) - set(SETTING_KEYS))
        if unknown:
            raise ValueError(f"unknown keys {unknown}; expected some of {list(SETTING_KEYS)}")
        changes: dict[str, object] = {}
        for key, value in payload.items():
            changes[key] = checked(key, value)
        return replace(self, **changes)  # type: ignore[arg-type]


def checked(key: str, value: object) -> object:
    """One POSTed setting with its JSON type checked (bool is not a number here)."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if key in ("rate", "timeout") and number:
        return float(value)  # type: ignore[arg-type]
    if key == "seed" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if key == "block" and isinstance(value, bool):
        return value
    if key == "kinds" and isinstance(value, list) and all(isinstance(k, str) for k in value):
        return tuple(value)
    raise ValueError(f"bad value for {key}: {value!r}")


def parse_kinds(text: str) -> tuple[str, ...]:
    """--fault-kinds a,b,c"""
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class PathFault:
    kind: str
    failures: int  # the first 1 or 2 counted attempts fail (slow: are slow)


def path_fault(settings: FaultSettings, path: str) -> PathFault | None:
    """Whether a page path is faulted under these settings, how, and for how many attempts."""
    if settings.rate <= 0:
        return None
    digest = hashlib.sha256(f"replica-fault:{settings.seed}:{path}".encode()).digest()
    if int.from_bytes(digest[:8], "big") / 2**64 >= settings.rate:
        return None
    kind = settings.kinds[int.from_bytes(digest[8:12], "big") % len(settings.kinds)]
    return PathFault(kind, 1 + digest[12] % 2)


@dataclass(frozen=True)
class Decision:
    """What one request to a faultable page gets.

    action: None (serve normally), a kind of KINDS, "block" (the --block challenge), "loop_forth"
    (a loop step to ?loop=1) or "loop_back" (?loop=1 back to the path). counted: the request was a
    counted attempt at a faulted path.
    """

    action: str | None
    counted: bool
    timeout: float = 0.0


class FaultState:
    """The settings in force and the per-path attempt counters (reset on every reconfiguration)."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self.lock = threading.Lock()
        self.configure(settings or FaultSettings())

    def configure(self, settings: FaultSettings) -> FaultSettings:
        with self.lock:
            self.settings = settings
            self.attempts: dict[str, int] = {}
            self.open_loops: set[str] = set()  # redirect_loop paths whose last attempt failed
            self.loop_until: dict[str, float] = {}  # a ?loop=1 hop's welcome back, until then
        return settings

    @property
    def active(self) -> bool:
        return self.settings.active

    def decide(self, path: str, loop_hop: bool, now: float) -> Decision | None:
        """The decision for a request to the page `path` (already normalised); loop_hop: the
        request carries ?loop=1. None for a page that is not faulted."""
        with self.lock:
            settings = self.settings
            fault = path_fault(settings, path)
            if fault is None:
                return None
            if fault.kind == "redirect_loop":
                if loop_hop:
                    if path in self.open_loops:
                        self.loop_until[path] = now + LOOP_WINDOW
                    return Decision("loop_back", False)
                if path in self.open_loops and self.loop_until.pop(path, 0.0) > now:
                    return Decision("loop_forth", False)
            attempt = self.attempts.get(path, 0) + 1
            self.attempts[path] = attempt
            failing = attempt <= fault.failures
            if fault.kind == "redirect_loop":
                if failing:
                    self.open_loops.add(path)
                else:
                    self.open_loops.discard(path)
            return Decision(fault.kind if failing else None, True, settings.timeout)

    def document(self) -> dict[str, object]:
        """GET /_replica/faults: the settings and the counted attempts per faulted path."""
        with self.lock:
            return {**self.settings.document(), "attempts": dict(sorted(self.attempts.items()))}
