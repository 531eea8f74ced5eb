"""Object operations: PUT (and copy), GET (with Range), HEAD, DELETE, ACL and restore."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote

from werkzeug.http import http_date, parse_date, parse_etags, parse_range_header

from cos_doctor.emulator import parsing, responses
from cos_doctor.emulator.errors import CosError
from cos_doctor.emulator.models import (
    ARCHIVE_CLASSES,
    STANDARD,
    STORAGE_CLASSES,
    Acl,
    Bucket,
    Restore,
    StoredObject,
)
from cos_doctor.emulator.request import CosRequest, bucket_host

if TYPE_CHECKING:
    from collections.abc import Mapping

    from werkzeug.wrappers import Response

    from cos_doctor.emulator.context import Call

# Headers PUT Object stores and GET / HEAD give back.
STORED_HEADERS = (
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
)
# GET Object's response-* parameters, and the header each overrides.
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}
# Server-side encryption: SSE-COS / SSE-KMS headers are stored and echoed as sent; SSE-C
# keeps the algorithm and the key's MD5 (never the key) and asks for the same key on GET.
_SSE_HEADERS = (
    "x-cos-server-side-encryption",
    "x-cos-server-side-encryption-cos-kms-key-id",
    "x-cos-server-side-encryption-context",
)
SSE_C_ALGORITHM = "x-cos-server-side-encryption-customer-algorithm"
SSE_C_KEY = "x-cos-server-side-encryption-customer-key"
SSE_C_KEY_MD5 = "x-cos-server-side-encryption-customer-key-md5"
# How replies spell it (PUT Object - Copy 436/10881 sample 7, Upload Part 436/7750 example 4).
SSE_C_KEY_MD5_REPLY = "x-cos-server-side-encryption-customer-key-MD5"


def _on_wire(text: str) -> str:
    # Header values go out as the raw UTF-8 bytes COS sends; http.server writes latin-1.
    return text.encode("utf-8").decode("latin-1")


def new_object(
    headers: Mapping[str, str],
    key: str,
    data: bytes,
    now: float,
    *,
    keep: StoredObject | None = None,
) -> StoredObject:
    """Build the object a PUT-like request describes; ``keep`` supplies copied metadata.

    ``headers`` are lowercase request headers (or POST form fields named like them).
    """
    storage_class = headers.get("x-cos-storage-class", STANDARD).upper()
    if storage_class not in STORAGE_CLASSES:
        raise CosError("InvalidArgument", "The storage class you specified is not valid.")
    acl = parsing.acl_from_headers(headers, for_object=True)
    if keep is not None:
        content_type, stored, metadata = keep.content_type, dict(keep.headers), dict(keep.metadata)
    else:
        content_type = headers.get("content-type") or "application/octet-stream"
        stored = {name: headers[name] for name in STORED_HEADERS if name in headers}
        metadata = {n: v for n, v in headers.items() if n.startswith("x-cos-meta-")}
    tags = tuple(parse_qsl(headers.get("x-cos-tagging", ""), keep_blank_values=True))
    return StoredObject(
        key=key,
        data=data,
        last_modified=now,
        content_type=content_type,
        headers=stored,
        metadata=metadata,
        storage_class=storage_class,
        acl=None if acl is None or acl.canned == "default" else acl,
        encryption=encryption_of(headers),
        tags=tags,
    )


def encryption_of(headers: Mapping[str, str]) -> dict[str, str]:
    """The encryption headers to keep and echo for an object stored with ``headers``."""
    kept = {name: headers[name] for name in _SSE_HEADERS if name in headers}
    if SSE_C_ALGORITHM in headers:
        kept[SSE_C_ALGORITHM] = headers[SSE_C_ALGORITHM]
        md5 = headers.get(SSE_C_KEY_MD5) or _key_md5(headers.get(SSE_C_KEY, ""))
        kept[SSE_C_KEY_MD5_REPLY] = md5
    return kept


def _key_md5(key: str) -> str:
    try:
        raw = base64.b64decode(key, validate=True)
    except binascii.Error:
        raise CosError("InvalidArgument", "The SSE-C key is not valid Base64.") from None
    return base64.b64encode(hashlib.md5(raw).digest()).decode()  # noqa: S324 - the protocol's


def check_customer_key(
    request: CosRequest, encryption: Mapping[str, str], *, source: bool = False
) -> None:
    """Data stored with SSE-C is only reached with the key it was written with (MD5 compared).

    ``encryption`` is what the object (or a multipart upload) was stored with. ``source`` reads
    the ``x-cos-copy-source-server-side-encryption-customer-*`` headers a copy sends for an
    SSE-C source (PUT Object - Copy, 436/10881, sample 7). Without them, or with another key,
    COS answers SsecDecryptHeaderInvalid (Error Codes, 436/7730).
    """
    wanted = encryption.get(SSE_C_KEY_MD5_REPLY)
    if wanted is None:
        return
    prefix = "x-cos-copy-source-" if source else "x-cos-"
    algorithm = request.header(SSE_C_ALGORITHM.replace("x-cos-", prefix, 1))
    key = request.header(SSE_C_KEY.replace("x-cos-", prefix, 1))
    if not key or not algorithm or _key_md5(key) != wanted:
        raise CosError("SsecDecryptHeaderInvalid")


def check_md5_value(claimed: str, data: bytes) -> None:
    """Raise BadDigest when a Content-MD5 value (header or form field) disagrees with data."""
    actual = base64.b64encode(hashlib.md5(data).digest()).decode()  # noqa: S324 - the protocol's
    if claimed and claimed.strip() != actual:
        raise CosError("BadDigest")


def check_md5(request: CosRequest, data: bytes) -> None:
    """Raise BadDigest when the request's Content-MD5 header disagrees with ``data``."""
    check_md5_value(request.header("content-md5"), data)


def object_headers(stored: StoredObject) -> dict[str, str]:
    """The headers GET and HEAD return for ``stored``."""
    headers = {
        "Content-Type": stored.content_type,
        "ETag": stored.etag,
        "Last-Modified": http_date(stored.last_modified),
        "Accept-Ranges": "bytes",
    }
    headers.update({name.title(): _on_wire(value) for name, value in stored.headers.items()})
    headers.update({name: _on_wire(value) for name, value in stored.metadata.items()})
    headers.update(stored.encryption)
    headers["x-cos-hash-crc64ecma"] = stored.crc64
    if stored.tags:
        headers["x-cos-tagging-count"] = str(len(stored.tags))
    if stored.storage_class != STANDARD:
        headers["x-cos-storage-class"] = stored.storage_class
    restore = stored.restore
    if restore is not None and restore.ongoing:
        headers["x-cos-restore"] = 'ongoing-request="true"'
        headers["x-cos-restore-status"] = (
            f'tier="{restore.tier.lower()}"; request-date="{http_date(restore.requested_at)}"'
        )
    elif restore is not None and restore.expires_at is not None:
        headers["x-cos-restore"] = (
            f'ongoing-request="false", expiry-date="{http_date(restore.expires_at)}"'
        )
    return headers


def put_object(call: Call) -> Response:
    """PUT Object, or PUT Object - Copy when ``x-cos-copy-source`` is present."""
    if "x-cos-copy-source" in call.request.headers:
        return copy_object(call)
    check_md5(call.request, call.request.body)
    stored = new_object(call.request.headers, call.key, call.request.body, call.state.now())
    call.bucket.objects[call.key] = stored
    headers = {"ETag": stored.etag, **written_headers(stored)}
    return responses.CosResponse(status=200, headers=headers)


def _readable(stored: StoredObject) -> StoredObject:
    if stored.archived:
        raise CosError("InvalidObjectState")
    return stored


def get_object(call: Call) -> Response:
    """GET Object, honouring conditions, Range (werkzeug's parser) and response-* overrides."""
    stored = _readable(call.stored_object())
    check_customer_key(call.request, stored.encryption)
    headers = object_headers(stored)
    if check_conditions(call.request, stored):
        # GET Object (436/7753) sample 3: no body, Content-Length 0, the type, ETag and CRC64.
        kept = ("Content-Type", "ETag", "x-cos-hash-crc64ecma")
        return _not_modified({name: headers[name] for name in kept})
    headers.update(
        {
            header: call.request.query[p]
            for p, header in RESPONSE_OVERRIDES.items()
            if p in call.request.query
        }
    )
    data, status, size = stored.data, 200, len(stored.data)
    byte_range = parse_range_header(call.request.header("range") or None)
    if byte_range is not None and len(byte_range.ranges) == 1:
        bounds = byte_range.range_for_length(size)
        if bounds is None:
            raise CosError("InvalidRange")
        data, status = stored.data[bounds[0] : bounds[1]], 206
        headers["Content-Range"] = byte_range.to_content_range_header(size) or ""
    return responses.CosResponse(data, status=status, headers=headers)


def check_conditions(request: CosRequest, stored: StoredObject, prefix: str = "") -> bool:
    """412 when If-Match / If-Unmodified-Since fail; whether the client's copy is current.

    RFC 9110 §13.2.2's order: If-Match, when sent, decides alone (If-Unmodified-Since is then
    ignored, as S3 does), and If-None-Match likewise overrides If-Modified-Since. ``prefix``
    reads a copy's ``x-cos-copy-source-If-*`` headers instead of the request's own.
    """
    modified, etag = int(stored.last_modified), stored.etag.strip('"')
    if_match = request.header(prefix + "if-match")
    if if_match:
        if not parse_etags(if_match).contains_weak(etag):
            raise CosError("PreconditionFailed")
    else:
        since = _date(request, prefix + "if-unmodified-since")
        if since is not None and modified > since:
            raise CosError("PreconditionFailed")
    if_none_match = request.header(prefix + "if-none-match")
    if if_none_match:
        return parse_etags(if_none_match).contains_weak(etag)
    since = _date(request, prefix + "if-modified-since")
    return since is not None and modified <= since


def _date(request: CosRequest, header: str) -> float | None:
    """A date header as Unix time (an unreadable date is ignored, as HTTP says)."""
    moment = parse_date(request.header(header) or None)
    return moment.timestamp() if moment is not None else None


def _not_modified(headers: dict[str, str]) -> Response:
    # The SDK's get_object needs a length: its StreamBody refuses a reply without one.
    return responses.CosResponse(status=304, headers={**headers, "Content-Length": "0"})


def head_object(call: Call) -> Response:
    """HEAD Object: the GET headers, no body (archived objects included)."""
    stored = call.stored_object()
    check_customer_key(call.request, stored.encryption)
    headers = object_headers(stored)
    if check_conditions(call.request, stored):
        # HEAD Object (436/7745) example 2: only the common headers, Content-Length 0.
        return _not_modified({})
    response = responses.CosResponse(status=200, headers=headers)
    response.headers["Content-Length"] = str(len(stored.data))
    return response


def delete_object(call: Call) -> Response:
    """DELETE Object; deleting a missing key also succeeds."""
    call.bucket.objects.pop(call.key, None)
    return responses.CosResponse(status=204)


def parse_copy_source(call: Call, value: str) -> tuple[Bucket, str]:
    """Resolve ``x-cos-copy-source`` (``<bucket host>/<encoded key>``) to a bucket and key."""
    text = re.sub(r"^https?://", "", value.strip())
    host, _, path = text.partition("/")
    parsed = bucket_host(host.lower())
    if parsed is None or not path:
        raise CosError("InvalidArgument", "The x-cos-copy-source header is not valid.")
    bucket = call.state.buckets.get(parsed[0])
    if bucket is None or bucket.region != parsed[1]:
        raise CosError("NoSuchBucket")
    return bucket, unquote(path.split("?", 1)[0])


def copy_source_object(call: Call) -> StoredObject:
    """A copy's source, once the caller may read it, sent its SSE-C key and its conditions hold.

    Both PUT Object - Copy (436/10881) and Upload Part - Copy (436/8287) answer 412 for every
    failed ``x-cos-copy-source-If-*`` condition, If-None-Match and If-Modified-Since included.
    """
    bucket, key = parse_copy_source(call, call.request.header("x-cos-copy-source"))
    call.require("GetObject", key=key, bucket=bucket)
    stored = bucket.objects.get(key)
    if stored is None:
        raise CosError("NoSuchCopySource")
    source = _readable(stored)
    check_customer_key(call.request, source.encryption, source=True)
    if check_conditions(call.request, source, prefix="x-cos-copy-source-"):
        raise CosError("PreconditionFailed")
    return source


def written_headers(stored: StoredObject) -> dict[str, str]:
    """What a write answers besides its ETag: the CRC64 (436/34078) and the encryption used."""
    return {"x-cos-hash-crc64ecma": stored.crc64, **stored.encryption}


def copy_object(call: Call) -> Response:
    """PUT Object - Copy: metadata copied unless ``x-cos-metadata-directive: Replaced``."""
    source = copy_source_object(call)
    replace = call.request.header("x-cos-metadata-directive").lower() == "replaced"
    if source is call.bucket.objects.get(call.key) and not replace:
        # 436/10881: a copy onto itself (to change metadata) must say Replaced. The page names
        # no error code for it; InvalidRequest is the error table's code for a request that
        # cannot be served as sent (and S3's for this very case).
        raise CosError(
            "InvalidRequest",
            "The source and destination are the same object: set x-cos-metadata-directive to"
            " Replaced to change its metadata.",
        )
    stored = new_object(
        call.request.headers,
        call.key,
        source.data,
        call.state.now(),
        keep=None if replace else source,
    )
    call.bucket.objects[call.key] = stored
    result = responses.copy_result(
        "CopyObjectResult", stored.etag, stored.last_modified, crc64=stored.crc64
    )
    response = responses.xml_response(result)
    response.headers.update(written_headers(stored))
    return response


def get_object_acl(call: Call) -> Response:
    """GET Object ACL; a ``default`` ACL shows only the owner and says so in a header."""
    stored = call.stored_object()
    acl = stored.acl or Acl("default")
    response = responses.xml_response(
        responses.access_control_policy(call.bucket.owner_principal, acl)
    )
    response.headers["x-cos-acl"] = acl.canned
    return response


def put_object_acl(call: Call) -> Response:
    """PUT Object ACL from headers or an ``<AccessControlPolicy>`` body."""
    stored = call.stored_object()
    acl = parsing.acl_from_headers(call.request.headers, for_object=True)
    if acl is None:
        acl = parsing.acl_from_xml(call.request.body)
    stored.acl = None if acl.canned == "default" else acl
    return responses.CosResponse(status=200)


def restore_object(call: Call) -> Response:
    """POST Object restore: 202 to start, 200 to extend a finished one."""
    stored = call.stored_object()
    if stored.storage_class not in ARCHIVE_CLASSES:
        raise CosError("RestoreNonArchiveObject")
    if stored.restore is not None and stored.restore.ongoing:
        raise CosError("RestoreAlreadyInProgress")
    days, tier = parsing.restore_from_xml(call.request.body)
    now = call.state.now()
    if stored.restore is not None and stored.restore.expires_at is not None:
        stored.restore.days = days
        stored.restore.expires_at = now + days * 86400
        return responses.CosResponse(status=200)
    stored.restore = Restore(days=days, tier=tier, requested_at=now)
    return responses.CosResponse(status=202)
