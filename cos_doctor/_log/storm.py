"""Storms: identical failures within a short window become one event and one summary.

A hot loop that fails the same way a thousand times a second should tell the logs once,
then say how often it repeated. Failures are identical when they share a :data:`StormKey`
(rule, bucket, operation, HTTP status). The first one of a window is logged as usual; the
rest are counted; when the window closes (a timer thread, or the next failure, or the process
exiting) one summary goes out with the count, and the window is forgotten. The summary lists
the distinct object keys and the request ids of the failures it collapsed, up to
:data:`LISTED` of each, and counts the rest, so nothing a support ticket needs is lost. The
diagnosis on each exception is never affected: only the log collapses.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["LISTED", "StormGate", "StormKey", "Window"]

#: How many distinct keys, and request ids, a summary lists; the rest are counted.
LISTED = 20

#: (rule id, bucket, operation, HTTP status): what makes two failures "the same".
StormKey = tuple[str, "str | None", "str | None", "int | None"]


@dataclass
class Window:
    """One open window of identical failures."""

    key: StormKey
    seconds: float
    closes_at: float  # time.monotonic()
    level: int
    first_seen: float  # time.time(), for people
    last_seen: float
    suppressed: int = 0
    last_fields: dict[str, Any] | None = None  # the last suppressed event's fields
    keys: list[str] = field(default_factory=list)  # distinct, first seen first, at most LISTED
    keys_not_listed: int = 0  # collapsed failures whose key is not in ``keys``
    request_ids: list[str] = field(default_factory=list)  # the same, for request ids
    request_ids_not_listed: int = 0

    def collapse(self, fields: dict[str, Any]) -> None:
        """Count one more identical failure, keeping its key and request id in the lists."""
        self.suppressed += 1
        self.last_seen = time.time()
        self.last_fields = fields
        key, request_id = fields.get("cos.key"), fields.get("cos.request_id")
        if key is not None and key not in self.keys:
            if len(self.keys) < LISTED:
                self.keys.append(key)
            else:
                self.keys_not_listed += 1
        if request_id is not None and request_id not in self.request_ids:
            if len(self.request_ids) < LISTED:
                self.request_ids.append(request_id)
            else:
                self.request_ids_not_listed += 1


class StormGate:
    """Decides which events go out; emits the summaries through ``summarise``.

    Thread-safe: one lock guards the windows, and nothing is logged while holding it (a log
    handler may be slow, or fail, or call back into cos_doctor).
    """

    def __init__(
        self,
        summarise: Callable[[Window], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._summarise = summarise
        self._clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._windows: dict[StormKey, Window] = {}
        self._timer: threading.Thread | None = None
        atexit.register(self.flush)
        if hasattr(os, "register_at_fork"):  # a child must not inherit the parent's counts
            os.register_at_fork(after_in_child=self._after_fork)

    def admit(self, key: StormKey, seconds: float, level: int, fields: dict[str, Any]) -> bool:
        """Whether this failure's event goes out now (True) or is counted for a summary."""
        now = self._clock()
        with self._lock:
            closed = self._expire(now)
            window = self._windows.get(key)
            if window is not None and now < window.closes_at:
                window.collapse(fields)
                if window.suppressed == 1:  # a new deadline for the timer to keep
                    self._ensure_timer()
                return False
            if window is not None:  # closed, behind a window opened earlier that is still open
                closed.append(self._windows.pop(key))
            moment = time.time()
            self._windows[key] = Window(key, seconds, now + seconds, level, moment, moment)
        for window in closed:
            if window.suppressed:
                self._summarise(window)
        return True

    def _expire(self, now: float) -> list[Window]:
        """Remove and return the windows closed by ``now`` (lock held), so none is kept forever.

        The dictionary keeps windows in the order they opened, which with one window length is
        the order they close: the scan stops at the first open one, constant time per failure
        on average. (After a shorter length is set, a newer window may outlive its closing
        until those opened before it close.)
        """
        closed = []
        for window in self._windows.values():
            if now < window.closes_at:
                break
            closed.append(window)
        for window in closed:
            del self._windows[window.key]
        return closed

    def flush(self, *, everything: bool = True) -> None:
        """Emit the summaries of closed windows; with ``everything``, of open ones too."""
        now = self._clock()
        with self._lock:
            due = [
                window for window in self._windows.values() if everything or window.closes_at <= now
            ]
            for window in due:
                del self._windows[window.key]
        for window in due:
            if window.suppressed:
                self._summarise(window)

    def _ensure_timer(self) -> None:
        """Start the thread that closes windows on time, or wake it to re-plan (lock held)."""
        if self._timer is not None and self._timer.is_alive():
            self._wake.notify()
            return
        self._timer = threading.Thread(
            target=self._close_windows_on_time, name="cos_doctor-storm", daemon=True
        )
        self._timer.start()

    def _close_windows_on_time(self) -> None:
        """Sleep until the next window with a count closes, summarise it; stop when none is left."""
        while True:
            with self._lock:
                pending = [w.closes_at for w in self._windows.values() if w.suppressed]
                if not pending:
                    self._timer = None
                    return
                delay = min(pending) - self._clock()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
            # A broken log handler must not kill the timer.
            with contextlib.suppress(Exception):
                self.flush(everything=False)

    def _after_fork(self) -> None:
        # The parent reports its own counts; the child starts clean, with a fresh lock (the
        # parent's may have been held by a thread that does not exist here).
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._windows = {}
        self._timer = None
