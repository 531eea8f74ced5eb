"""CORS: headers a matched rule adds (reference §5.2); matching: :mod:`cos_doctor._access.engine`.

Actual (non-preflight) requests are never refused for CORS; they only gain the headers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cos_doctor._access.engine import decide_cors

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cos_doctor.emulator.models import CorsRule


def matching_rule(
    rules: Iterable[CorsRule], origin: str, method: str, headers: Iterable[str] = ()
) -> CorsRule | None:
    """Return the first rule allowing this origin, method and requested headers."""
    decision = decide_cors(tuple(rules), origin, method, tuple(headers))
    return decision.rule if decision.allowed and origin else None


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
