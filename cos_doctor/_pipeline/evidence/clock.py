"""Time: how far the local clock is from COS's, and where the signature window lay.

COS judges time only through ``q-sign-time`` (start;end, Unix seconds): a start more than
15 minutes after its own clock is RequestTimeTooSkewed, an end before it is "Request has
expired". Its clock is visible in the reply's ``Date`` header and, on some errors, a
``ServerTime`` element.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cos_doctor._pipeline.evidence.registry import (
    Facts,
    Later,
    detector,
    human_duration,
    iso_utc,
)
from cos_doctor._signing import parse_key_time

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor._pipeline.context import RequestContext
    from cos_doctor.diagnosis import Evidence

_TIME_RULES = ("request-time-too-skewed", "request-expired", "post-policy-expired")
# COS's documented tolerance for a signature that starts in the future.
SKEW_LIMIT_SECONDS = 900
# The Date header has one-second resolution and the reply takes time to arrive.
_IN_SYNC_SECONDS = 5


def signature_window(context: RequestContext) -> tuple[int, int] | None:
    """The (start, end) of ``q-sign-time`` the request carried, if it was signed."""
    return parse_key_time(context.signed.sign_time) if context.signed is not None else None


@detector(*_TIME_RULES, "unrecognized-403")
def clock_skew(facts: Facts) -> Iterator[Evidence]:
    """Local clock minus COS's clock, positive when the local clock is ahead."""
    context = facts.context
    if not context.live:
        return  # a pasted body's Date says nothing about this machine's clock now
    server = context.server_clock
    if server is None:
        return
    skew = round(context.observed_at - server)
    variant = "ahead" if skew > 0 else "behind"
    if abs(skew) <= _IN_SYNC_SECONDS:
        variant = "in-sync"
    human = Later(human_duration, skew, facts.locale)
    yield facts.say("clock_skew_seconds", skew, variant=variant, human=human)


@detector("request-time-too-skewed", "request-expired")
def window(facts: Facts) -> Iterator[Evidence]:
    """The signature's validity window, and where COS's clock stood against it."""
    context = facts.context
    bounds = signature_window(context)
    if bounds is None:
        return
    start, end = bounds
    yield facts.say("signature_start", start, when=Later(iso_utc, start))
    span = Later(human_duration, end - start, facts.locale)
    yield facts.say("signature_end", end, when=Later(iso_utc, end), human=span)
    server = context.server_clock
    if server is None:
        return
    if server > end:
        late = round(server - end)
        human = Later(human_duration, late, facts.locale)
        yield facts.say("expired_seconds_ago", late, human=human)
    early = round(start - server)
    if early > SKEW_LIMIT_SECONDS:
        ahead = Later(human_duration, early, facts.locale)
        yield facts.say("signature_starts_in_future_seconds", early, human=ahead)
