"""Hotlink protection: does a bucket's referer rule let this ``Referer`` through?

Matching follows the COS console documentation (reference §5.1): the scheme is ignored; an entry
is a prefix of ``host[:port]/path`` (``www.example.com`` matches ``www.example.com/123`` and
``www.example.com.cn``); an entry without a port therefore matches any port, one with a port
only that port; ``*.example.com`` covers ``example.com`` and any depth of subdomain. A missing
or empty ``Referer`` is governed by the empty-referer setting alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cos_doctor.emulator.models import RefererConfig

DENIED_MESSAGE = "You are denied by bucket referer rule"


def _entry_pattern(entry: str) -> re.Pattern[str]:
    entry = re.sub(r"^[a-z]+://", "", entry.strip().lower())
    prefix = ""
    if entry.startswith("*."):
        # "*.example.com" covers the bare domain as well as every subdomain.
        prefix, entry = r"(?:[^/]*\.)?", entry[2:]
    body = "[^/]*".join(re.escape(part) for part in entry.split("*"))
    return re.compile(prefix + body)


def domain_matches(entry: str, referer: str) -> bool:
    """Whether a domain-list ``entry`` matches the ``Referer`` value."""
    target = re.sub(r"^[a-z]+://", "", referer.strip().lower())
    return _entry_pattern(entry).match(target) is not None


def referer_allowed(config: RefererConfig | None, referer: str | None) -> bool:
    """Whether a request with this ``Referer`` (``None``: none sent) passes the rule."""
    if config is None or not config.enabled:
        return True
    if not referer or not referer.strip():
        return config.allow_empty
    listed = any(domain_matches(entry, referer) for entry in config.domains)
    return listed if config.white_list else not listed
