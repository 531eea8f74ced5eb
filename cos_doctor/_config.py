"""cos_doctor's settings: one frozen record, replaced whole, in one place.

``install(...)`` changes only the settings it is given: a second ``install()`` with no
arguments (a library calling it on the application's behalf, say) never undoes what the
application configured. ``uninstall()`` restores the defaults.

Readers take :func:`settings` once and use that record throughout, so a concurrent
``install()`` can never show them half of an update.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Union

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["DEFAULT_STORM_WINDOW", "UNSET", "Settings", "configure", "reset", "settings"]

#: Seconds during which identical failures collapse into one event (see ``_storm``).
DEFAULT_STORM_WINDOW: Final = 5.0

#: What ``level`` and ``expected_level`` accept: a number or a name ("warning", "DEBUG").
Level = Union[int, str]


class _Unset:
    """The value of an argument that was not given (None is a meaningful value here)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


@dataclass(frozen=True)
class Settings:
    """Everything ``install()`` can set; immutable, replaced whole.

    ``expected`` holds COS error codes (``NoSuchKey``) and rule ids (``no-such-key``) the
    application handles itself; their events go out at ``expected_level``, or not at all
    when that is None. ``storm_window`` is in seconds; 0 turns collapsing off.
    ``lower_sdk_records``: the SDK's own records of a failure cos_doctor logged go out at DEBUG.
    ``cos_domains``: the application's own domains in front of COS (lowercase, no dot first):
    a botocore error from one of them is diagnosed like one from ``myqcloud.com``.
    """

    locale: str | None = None
    level: int = logging.WARNING
    expected: frozenset[str] = frozenset()
    expected_level: int | None = logging.DEBUG
    storm_window: float = DEFAULT_STORM_WINDOW
    lower_sdk_records: bool = True
    cos_domains: tuple[str, ...] = ()

    def is_expected(self, rule_id: str, error_code: str | None) -> bool:
        """Whether the application marked this failure expected (by rule id or COS code)."""
        return rule_id in self.expected or (error_code is not None and error_code in self.expected)

    def level_for(self, rule_id: str, error_code: str | None) -> int | None:
        """The level of the event for this failure; None means it is not logged."""
        return self.expected_level if self.is_expected(rule_id, error_code) else self.level


class _Configuration:
    """The one mutable cell: the current :class:`Settings`, swapped under a lock."""

    def __init__(self) -> None:
        self.current = Settings()
        self._lock = threading.Lock()

    def update(self, **changes: object) -> Settings:
        given = {name: value for name, value in changes.items() if value is not UNSET}
        with self._lock:
            if given:
                self.current = dataclasses.replace(self.current, **given)  # type: ignore[arg-type]
            return self.current

    def reset(self) -> None:
        with self._lock:
            self.current = Settings()

    def after_fork(self) -> None:
        # The parent's lock may have been held by a thread the child does not have.
        self._lock = threading.Lock()


_CONFIGURATION = _Configuration()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_CONFIGURATION.after_fork)


def settings() -> Settings:
    """The settings in force now."""
    return _CONFIGURATION.current


def configure(  # noqa: PLR0913 - one keyword per setting, as install() takes them
    *,
    locale: str | _Unset | None = UNSET,
    level: Level | _Unset = UNSET,
    expected: Iterable[str] | _Unset = UNSET,
    expected_level: Level | _Unset | None = UNSET,
    storm_window: float | _Unset | None = UNSET,
    lower_sdk_records: bool | _Unset = UNSET,
    cos_domains: Iterable[str] | _Unset = UNSET,
) -> Settings:
    """Validate and apply the settings given; those not given keep their current value.

    Raises ValueError or TypeError for a value that makes no sense (an unknown level name, a
    negative window), before anything changes.
    """
    return _CONFIGURATION.update(
        locale=locale,
        level=UNSET if isinstance(level, _Unset) else _level(level),
        expected=UNSET if isinstance(expected, _Unset) else _names(expected),
        expected_level=(
            expected_level
            if isinstance(expected_level, _Unset) or expected_level is None
            else _level(expected_level)
        ),
        storm_window=UNSET if isinstance(storm_window, _Unset) else _window(storm_window),
        lower_sdk_records=(
            lower_sdk_records
            if isinstance(lower_sdk_records, _Unset)
            else _flag("lower_sdk_records", lower_sdk_records)
        ),
        cos_domains=UNSET if isinstance(cos_domains, _Unset) else _domains(cos_domains),
    )


def reset() -> None:
    """Back to the defaults (what ``uninstall()`` does)."""
    _CONFIGURATION.reset()


def _level(value: Level) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"a log level is a number or a name, not {value!r}")
    if isinstance(value, int):
        return value
    number = logging.getLevelName(value.strip().upper())
    if not isinstance(number, int):
        raise ValueError(f"unknown log level {value!r}")  # noqa: TRY004 - right type, bad name
    return number


def _names(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):  # one code given bare: "NoSuchKey", not its letters
        values = (values,)
    names = frozenset(values)
    if not all(isinstance(name, str) for name in names):
        raise TypeError("expected= takes COS error codes and rule ids, as strings")
    return names


def _domains(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):  # one domain given bare: "cdn.example.com", not its letters
        values = (values,)
    domains = tuple(values)
    if not all(isinstance(domain, str) and domain.strip(" .") for domain in domains):
        raise TypeError("cos_domains= takes domain names, as non-empty strings")
    return tuple(dict.fromkeys(domain.strip().strip(".").lower() for domain in domains))


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} is True or False, not {value!r}")
    return value


def _window(seconds: float | None) -> float:
    if seconds is None:
        return 0.0
    window = float(seconds)
    if not window >= 0:  # also rejects NaN
        raise ValueError(f"storm_window must be 0 (off) or a number of seconds, not {seconds!r}")
    return window
