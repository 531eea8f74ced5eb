"""Which language a diagnosis is written in: argument, then install(), then the environment."""

from __future__ import annotations

import os

from cos_doctor._config import settings

__all__ = ["DEFAULT_LOCALE", "SUPPORTED_LOCALES", "resolve_locale"]

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
