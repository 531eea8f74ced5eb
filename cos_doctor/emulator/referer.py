"""Hotlink protection as the emulator applies it; matching: :mod:`cos_doctor._access.engine`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cos_doctor._access.engine import decide_referer

if TYPE_CHECKING:
    from cos_doctor.emulator.models import RefererConfig

DENIED_MESSAGE = "You are denied by bucket referer rule"


def referer_allowed(config: RefererConfig | None, referer: str | None) -> bool:
    """Whether a request with this ``Referer`` (``None``: none sent) passes the rule."""
    return decide_referer(config, referer).allowed
