"""What botocore knew about a failed call to COS: one frozen record, read on failure only.

Filled by ``cos_doctor._sdk.botocore`` from the client and the reply (never from a per-call
hook); the evidence detectors of ``_pipeline/evidence/botocore.py`` word it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BotocoreSeen"]


@dataclass(frozen=True)
class BotocoreSeen:
    """The botocore client's settings and the call's facts that shape a request to COS.

    Every field is None when botocore did not say. ``checksum_headers`` names the integrity
    headers the request carried (``x-amz-checksum-crc32``, ``x-amz-trailer``…).
    """

    version: str | None = None
    endpoint_url: str | None = None
    addressing_style: str | None = None  # virtual | path, as the request was sent
    addressing_style_configured: str | None = None  # auto (the default) | virtual | path
    signature_version: str | None = None  # s3v4, s3 (SigV2)…
    region: str | None = None
    credential_provider: str | None = None  # env, shared-credentials-file, assume-role…
    credential_kind: str | None = None  # permanent | temporary (a session token) | anonymous
    access_key_id: str | None = None  # masked before it is shown (SecretsSeen holds the keys)
    request_checksum_calculation: str | None = None  # when_supported | when_required
    response_checksum_validation: str | None = None
    checksum_headers: tuple[str, ...] = ()
    retry_attempts: int | None = None
    max_attempts_reached: bool | None = None
    # Read for a failure without a reply only: the settings that shaped the connection.
    connect_timeout: float | None = None
    read_timeout: float | None = None
    proxies: tuple[str, ...] = ()  # scheme=URL from Config(proxies=…), credentials removed
    # A reply body that broke: read by botocore inside the call ("in-call"), or a streamed
    # body (a GetObject's) read by the caller after the call returned ("after-call").
    body_read: str | None = None
    # A copy's source (copy_object, upload_part_copy): (bucket, key) from CopySource, which
    # botocore sends as x-amz-copy-source "<bucket>/<quoted key>".
    copy_source: tuple[str, str] | None = None
