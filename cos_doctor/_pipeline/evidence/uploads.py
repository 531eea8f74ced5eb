"""Uploads: the multipart UploadId, a ready list_parts call, and how the body was described."""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING

from cos_doctor._pipeline.evidence.registry import Facts, detector

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor.diagnosis import Evidence

_MULTIPART_RULES = (
    "no-such-upload",
    "upload-id-empty",
    "invalid-part",
    "invalid-part-order",
    "part-too-small",
    "xml-body-invalid",
)
#: SDK methods that send one part of a multipart upload, or complete one.
_MULTIPART_OPERATIONS = frozenset(
    {"upload_part", "upload_part_copy", "complete_multipart_upload"},
)
_HEX_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")
_MD5_BYTES = 16


@detector(*_MULTIPART_RULES)
def upload_id(facts: Facts) -> Iterator[Evidence]:
    """The uploadId the request named (empty when it was sent empty), and how to list its parts."""
    context = facts.context
    if "uploadId" not in context.query:
        return
    value = context.query["uploadId"]
    if not value:
        yield facts.say("upload_id", value, variant="empty")
        return
    yield facts.say("upload_id", value, variant="sent")
    if context.bucket and context.key:
        call = (
            f"client.list_parts(Bucket={context.bucket!r}, Key={context.key!r}, UploadId={value!r})"
        )
        yield facts.say("list_parts_call", call)


@detector("invalid-digest", "bad-digest")
def content_md5_form(facts: Facts) -> Iterator[Evidence]:
    """Whether the Content-MD5 sent is Base64 of 16 bytes, a hex digest, or neither."""
    sent = facts.context.request_headers.get("content-md5")
    if sent is None:
        return
    sent = sent.strip()
    if _HEX_MD5.match(sent):
        yield facts.say("content_md5_form", "hex", variant="hex")
        return
    try:
        decoded = base64.b64decode(sent, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    form = "base64" if len(decoded) == _MD5_BYTES else "malformed"
    yield facts.say("content_md5_form", form, variant=form)


@detector("part-too-small")
def upload_kind(facts: Facts) -> Iterator[Evidence]:
    """Whether the failed request belonged to a multipart upload or was one simple PUT.

    COS answers EntityTooSmall both for a short multipart part and for a simple PUT over
    5 GB; which one this was is read from the UploadId in the query, else the SDK method,
    else a PUT with no UploadId (a known method only: a pasted error without one says nothing).
    """
    context = facts.context
    if "uploadId" in context.query or context.operation in _MULTIPART_OPERATIONS:
        yield facts.say("upload_kind", "multipart", variant="multipart")
    elif context.operation == "put_object" or (
        context.http_method == "PUT" and context.path is not None and not context.query
    ):
        yield facts.say("upload_kind", "simple", variant="simple")


@detector(
    "missing-content-length",
    "body-length-mismatch",
    "entity-too-large",
    "request-timeout",
    "part-too-small",
)
def body_framing(facts: Facts) -> Iterator[Evidence]:
    """How the body's length was announced: a Content-Length, or chunked transfer encoding."""
    headers = facts.context.request_headers
    if "chunked" in headers.get("transfer-encoding", "").lower():
        yield facts.say("body_framing", "chunked", variant="chunked")
    elif "content-length" in headers:
        length = headers["content-length"].strip()
        if length.isdigit():
            yield facts.say("body_framing", int(length), variant="length")
