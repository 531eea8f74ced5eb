"""Archived objects: the storage class COS reported, the copy source, and the restore call."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from cos_doctor._pipeline.evidence.registry import Facts, detector

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor._pipeline.context import RequestContext
    from cos_doctor.diagnosis import Evidence

_COPY_SOURCE = "x-cos-copy-source"


def copy_source(context: RequestContext) -> tuple[str, str] | None:
    """(bucket, key) of the object a copy read from, from ``x-cos-copy-source``; else None.

    The SDK sends ``<bucket-appid>.cos.<region>.myqcloud.com/<percent-encoded key>``; a copy
    through botocore names its source in the call's CopySource, read with the call.
    """
    header = context.request_headers.get(_COPY_SOURCE)
    if not header:
        return context.botocore.copy_source if context.botocore is not None else None
    parts = urlsplit(header if "://" in header else f"http://{header}")
    host = parts.hostname or ""
    bucket = host.split(".cos.", 1)[0] if ".cos." in host else ""
    key = unquote(parts.path).lstrip("/")
    if not bucket or not key:
        return None
    return bucket, key


@detector("invalid-object-state")
def archived_object(facts: Facts) -> Iterator[Evidence]:
    """The storage class when the reply named it, the copy source, and a ready restore call.

    For a copy, the archived object is the copy SOURCE, so the restore call names it.
    """
    context = facts.context
    storage_class = context.response_headers.get("x-cos-storage-class")
    if storage_class:
        yield facts.say("storage_class", storage_class.upper())
    source = copy_source(context)
    if source is not None:
        yield facts.say("copy_source", f"{source[0]}/{source[1]}")
        bucket, key = source
    elif context.bucket and context.key:
        bucket, key = context.bucket, context.key
    else:
        return
    # Standard is offered for both archive classes; DEEP_ARCHIVE has no Expedited tier.
    call = (
        f"client.restore_object(Bucket={bucket!r}, Key={key!r}, "
        "RestoreRequest={'Days': 1, 'CASJobParameters': {'Tier': 'Standard'}})"
    )
    # boto3's restore_object sends S3's GlacierJobParameters; COS's POST Object restore
    # documents CASJobParameters only, so a boto3 user is offered the COS SDK's call instead.
    yield facts.say("restore_call" if context.botocore is None else "restore_call_cos_sdk", call)
