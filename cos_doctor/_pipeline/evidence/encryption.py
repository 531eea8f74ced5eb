"""Server-side encryption: which SSE headers the request carried (names only, never values)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cos_doctor._pipeline.evidence.registry import Facts, detector

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor.diagnosis import Evidence

_SSE_PREFIXES = ("x-cos-server-side-encryption", "x-cos-copy-source-server-side-encryption")


@detector("ssec-key-required", "sse-header-rejected", "kms-key-unusable", "invalid-argument")
def sse_headers(facts: Facts) -> Iterator[Evidence]:
    """The names of the SSE headers sent, or that none were; a customer key's value is a secret."""
    names = tuple(
        sorted(name for name in facts.context.request_headers if name.startswith(_SSE_PREFIXES)),
    )
    if names:
        yield facts.say("sse_headers_sent", names, variant="sent", listed=", ".join(names))
    elif facts.context.request_headers:
        yield facts.say("sse_headers_sent", (), variant="none")
