"""CORS: answer browser preflights and decorate cross-origin responses (reference §5.2).

A rule matches when its origin pattern matches ``Origin`` (``*`` alone matches any origin, and a
``*`` inside a pattern matches any run of characters), it allows the method, and it allows every
requested header (case-insensitively, ``*`` wildcards allowed). The first matching rule wins.
Actual (non-preflight) requests are never refused for CORS; they only gain the headers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cos_doctor.emulator.models import CorsRule


def _wildcard(pattern: str, value: str) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, value, flags=re.IGNORECASE) is not None


def matching_rule(
    rules: Iterable[CorsRule], origin: str, method: str, headers: Iterable[str] = ()
) -> CorsRule | None:
    """Return the first rule allowing this origin, method and requested headers."""
    wanted = [h.strip() for h in headers if h.strip()]
    for rule in rules:
        if not any(_wildcard(pattern, origin) for pattern in rule.allowed_origins):
            continue
        if method.upper() not in {m.upper() for m in rule.allowed_methods}:
            continue
        if all(any(_wildcard(p, h) for p in rule.allowed_headers) for h in wanted):
            return rule
    return None


def cors_headers(
    rule: CorsRule, origin: str, *, preflight: bool, requested: Iterable[str] = ()
) -> dict[str, str]:
    """The ``Access-Control-*`` headers to send for a request ``rule`` matched."""
    headers = {
        "Access-Control-Allow-Origin": "*" if rule.allowed_origins == ("*",) else origin,
        "Access-Control-Allow-Methods": ",".join(rule.allowed_methods),
    }
    if preflight:
        asked = ",".join(h.strip() for h in requested if h.strip())
        if asked:
            headers["Access-Control-Allow-Headers"] = asked
        if rule.max_age is not None:
            headers["Access-Control-Max-Age"] = str(rule.max_age)
    if rule.expose_headers:
        headers["Access-Control-Expose-Headers"] = ",".join(rule.expose_headers)
    if headers["Access-Control-Allow-Origin"] != "*":
        headers["Vary"] = "Origin"
    return headers
