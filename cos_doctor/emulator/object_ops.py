"""Object operations: PUT (and copy), GET (with Range), HEAD, DELETE, ACL and restore."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import TYPE_CHECKING
from urllib.parse import unquote

from werkzeug.http import http_date

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
_RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


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
    return StoredObject(
        key=key,
        data=data,
        last_modified=now,
        content_type=content_type,
        headers=stored,
        metadata=metadata,
        storage_class=storage_class,
        acl=None if acl is None or acl.canned == "default" else acl,
    )


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
    return responses.CosResponse(status=200, headers={"ETag": stored.etag})


def _readable(stored: StoredObject) -> StoredObject:
    if stored.archived:
        raise CosError("InvalidObjectState")
    return stored


def get_object(call: Call) -> Response:
    """GET Object, honouring Range and the response-* overrides."""
    stored = _readable(call.stored_object())
    headers = object_headers(stored)
    headers.update(
        {
            header: call.request.query[p]
            for p, header in _RESPONSE_OVERRIDES.items()
            if p in call.request.query
        }
    )
    data, status = stored.data, 200
    byte_range = _RANGE.match(call.request.header("range").replace(" ", ""))
    if byte_range and any(byte_range.groups()):
        first, last = _resolve_range(byte_range[1], byte_range[2], len(stored.data))
        data, status = stored.data[first : last + 1], 206
        headers["Content-Range"] = f"bytes {first}-{last}/{len(stored.data)}"
    return responses.CosResponse(data, status=status, headers=headers)


def _resolve_range(first_text: str, last_text: str, size: int) -> tuple[int, int]:
    if not first_text:  # "bytes=-N": the last N bytes
        first, last = max(size - int(last_text), 0), size - 1
    else:
        first = int(first_text)
        last = min(int(last_text), size - 1) if last_text else size - 1
    if first >= size or first > last:
        raise CosError("InvalidRange")
    return first, last


def head_object(call: Call) -> Response:
    """HEAD Object: the GET headers, no body (archived objects included)."""
    stored = call.stored_object()
    response = responses.CosResponse(status=200, headers=object_headers(stored))
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
    """The readable source object of a copy, checking the caller may read it."""
    bucket, key = parse_copy_source(call, call.request.header("x-cos-copy-source"))
    call.require("GetObject", key=key, bucket=bucket)
    stored = bucket.objects.get(key)
    if stored is None:
        raise CosError("NoSuchCopySource")
    return _readable(stored)


def copy_object(call: Call) -> Response:
    """PUT Object - Copy: metadata copied unless ``x-cos-metadata-directive: Replaced``."""
    source = copy_source_object(call)
    replace = call.request.header("x-cos-metadata-directive").lower() == "replaced"
    stored = new_object(
        call.request.headers,
        call.key,
        source.data,
        call.state.now(),
        keep=None if replace else source,
    )
    call.bucket.objects[call.key] = stored
    return responses.xml_response(
        responses.copy_result("CopyObjectResult", stored.etag, stored.last_modified)
    )


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
