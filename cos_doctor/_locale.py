"""Which language a diagnosis is written in, and the one way every text is put in it.

The locale comes from the argument, then install(), then the environment. Every localised
text (rule steps and causes, evidence sentences, investigation findings, lint findings, the
command line's messages, units) is a table by locale worded with :func:`say`, under one
policy: a locale the table lacks reads in English; a ``{name}`` without a value (absent, or
None) reads as the generic wording the caller has for it (``placeholders.toml`` for the
knowledge base's texts), else as ``<name>``. A text never raises and never shows a raw
``{name}``; the tests check that every table has every locale and every name it uses.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TypeVar

from cos_doctor._config import settings

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DEFAULT_LOCALE", "SUPPORTED_LOCALES", "Words", "localized", "resolve_locale", "say"]

T = TypeVar("T")

DEFAULT_LOCALE = "en"
SUPPORTED_LOCALES = ("en", "ko", "zh")
ENVIRONMENT_VARIABLE = "COS_DOCTOR_LOCALE"


def resolve_locale(explicit: str | None = None) -> str:
    """Return the locale to use: ``explicit``, else install()'s, else $COS_DOCTOR_LOCALE, else en.

    Unknown values are skipped rather than rejected: a typo in an environment variable must
    not turn a diagnosis into a crash.
    """
    for candidate in (explicit, settings().locale, os.environ.get(ENVIRONMENT_VARIABLE)):
        locale = _normalise(candidate)
        if locale is not None:
            return locale
    return DEFAULT_LOCALE


def _normalise(locale: str | None) -> str | None:
    """Map a locale name to a supported language; None for anything unsupported.

    "ko_KR.UTF-8", "KO" and "ko-kr" are "ko". Every Chinese locale is "zh" (Simplified
    Chinese): "zh_CN", "zh-Hans", "zh_SG", and also "zh_TW", "zh_HK" and "zh-Hant", whose
    readers are better served by Simplified Chinese than by an English fallback (there is no
    Traditional Chinese text, and COS's own Chinese documentation is Simplified).
    """
    if not locale:
        return None
    language = locale.strip().replace("-", "_").split(".")[0].split("@")[0].split("_")[0]
    language = language.lower()
    return language if language in SUPPORTED_LOCALES else None


class Words(dict[str, Any]):  # Any: a value may be any object format() accepts
    """The values of a text's ``{name}`` fields; a name without one reads as its generic wording.

    ``generic`` maps names to the locale's wording for an unknown value (``<bucket-appid>``);
    a name it lacks reads as ``<name>``.
    """

    def __init__(
        self, values: Mapping[str, object], generic: Mapping[str, str] | None = None
    ) -> None:
        """Keep the values that are known (not None) and the generic wording for the rest."""
        super().__init__({name: value for name, value in values.items() if value is not None})
        self._generic = generic or {}

    def __missing__(self, name: str) -> str:
        return self._generic.get(name, f"<{name}>")


def localized(table: Mapping[str, T], locale: str) -> T:
    """The entry of a table by locale for ``locale``; the English one when it has none."""
    return table.get(locale) or table[DEFAULT_LOCALE]


def say(
    table: Mapping[str, str],
    locale: str,
    words: Mapping[str, object] | None = None,
    generic: Mapping[str, str] | None = None,
) -> str:
    """The text of ``table`` in ``locale``, its ``{name}`` fields filled from ``words``."""
    return localized(table, locale).format_map(Words(words or {}, generic))
