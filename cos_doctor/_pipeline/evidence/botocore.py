"""botocore's side of a call to COS: the client library and the settings that shape the request.

Reported for every rule when the call came through botocore (boto3): where it was sent, how the
bucket was addressed, how it was signed and with whose keys, which integrity checksums went
with it, and how often botocore retried. Read on failure from the client and the reply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cos_doctor._pipeline.evidence.registry import Facts, detector
from cos_doctor._redact import mask_secret_id

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor.diagnosis import Evidence

#: The evidence key naming the library that made the call (the event's ``cos.client.library``).
CLIENT_LIBRARY = "client_library"


@detector()
def botocore_settings(facts: Facts) -> Iterator[Evidence]:
    """What botocore sent and with which settings; nothing for a call through the COS SDK."""
    seen = facts.context.botocore
    if seen is None:
        return
    yield facts.say(CLIENT_LIBRARY, f"botocore {seen.version}" if seen.version else "botocore")
    if seen.credential_kind is not None:
        # The SDK's detectors read the signed headers, which botocore does not keep: said here.
        kind = seen.credential_kind
        yield facts.say(
            "credential_kind",
            kind,
            variant="temporary_botocore" if kind == "temporary" else kind,
        )
        signed = kind != "anonymous"
        yield facts.say("request_signed", signed, variant="yes" if signed else "no")
        masked = mask_secret_id(seen.access_key_id)
        if masked and signed:
            yield facts.say("botocore_access_key_id", masked)
    settings = (
        ("botocore_endpoint_url", seen.endpoint_url),
        ("addressing_style", seen.addressing_style),
        ("addressing_style_configured", seen.addressing_style_configured),
        ("signature_version", seen.signature_version),
        ("botocore_region", seen.region),
        ("credential_provider", seen.credential_provider),
        ("request_checksum_calculation", seen.request_checksum_calculation),
        ("response_checksum_validation", seen.response_checksum_validation),
    )
    for key, value in settings:
        if value is not None:
            yield facts.say(key, value)
    region = facts.context.region  # the endpoint's: COS never reads region_name
    if seen.region in facts.catalogue.regions and region and seen.region != region:
        yield facts.say("region_name_elsewhere", seen.region, region=region)
    if seen.checksum_headers:
        names = seen.checksum_headers
        yield facts.say("checksum_headers_sent", names, listed=", ".join(names))
    if seen.retry_attempts is not None:
        yield facts.say("retry_attempts", seen.retry_attempts)


@detector()
def botocore_connection(facts: Facts) -> Iterator[Evidence]:
    """The client's timeouts and proxies, read for a failure without a reply only."""
    seen = facts.context.botocore
    if seen is None:
        return
    if seen.connect_timeout is not None:
        yield facts.say("botocore_connect_timeout", seen.connect_timeout)
    if seen.read_timeout is not None:
        yield facts.say("botocore_read_timeout", seen.read_timeout)
    if seen.proxies:
        yield facts.say("botocore_proxies", seen.proxies, proxies=", ".join(seen.proxies))
    if seen.body_read is not None:
        yield facts.say("botocore_body_read", seen.body_read, variant=seen.body_read)
