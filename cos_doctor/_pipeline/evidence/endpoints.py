"""Which kind of COS domain the request went to, and what strict signature mode found unsigned."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cos_doctor._pipeline.evidence.registry import Facts, detector

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor.diagnosis import Evidence

#: Strict Signature Mode Overview: the headers a rule can require (plus any x-cos-*).
_STRICT_HEADERS = frozenset({"host", "content-length", "content-type", "content-md5", "range"})


def endpoint_kind(host: str) -> str:
    """Classify a request host: accelerate, website, default (bucket domain) or custom."""
    name = host.split(":", maxsplit=1)[0].lower()
    if ".cos.accelerate." in name:
        return "accelerate"
    if ".cos-website." in name:
        return "website"
    if ".cos." in name and name.endswith((".myqcloud.com", ".tencentcos.cn")):
        return "default"
    return "custom"


@detector(
    "accelerate-not-supported",
    "accelerate-not-enabled",
    "operation-not-supported",
    "download-forbidden",
)
def domain_kind(facts: Facts) -> Iterator[Evidence]:
    """Name the kind of domain the request used (the IP of a test server says nothing)."""
    host = facts.context.host
    if host and not host.split(":", maxsplit=1)[0].replace(".", "").isdigit():
        kind = endpoint_kind(host)
        yield facts.say("endpoint_kind", kind, variant=kind, host=host)


@detector("strict-signature-header")
def unsigned_headers(facts: Facts) -> Iterator[Evidence]:
    """Headers the request carried that strict mode can require but the signature left out."""
    signed = facts.context.signed
    if signed is None:
        return
    covered = set(signed.header_list)
    missing = tuple(
        sorted(
            name
            for name in facts.context.request_headers
            if (name in _STRICT_HEADERS or name.startswith("x-cos-")) and name not in covered
        ),
    )
    if missing:
        yield facts.say("unsigned_headers", missing, listed=", ".join(missing))


@detector("strict-signature-param")
def unsigned_params(facts: Facts) -> Iterator[Evidence]:
    """Query parameters the request carried that the signature's q-url-param-list left out."""
    signed = facts.context.signed
    if signed is None:
        return
    covered = set(signed.url_param_list)
    missing = tuple(
        sorted(
            name.lower()
            for name in facts.context.query
            if not name.lower().startswith("q-") and name.lower() not in covered
        ),
    )
    if missing:
        yield facts.say("unsigned_params", missing, listed=", ".join(missing))
