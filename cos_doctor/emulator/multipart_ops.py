"""Multipart uploads: initiate, upload (or copy) parts, list, complete and abort."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from typing import TYPE_CHECKING

from cos_doctor.emulator import object_ops, parsing, responses
from cos_doctor.emulator.errors import CosError
from cos_doctor.emulator.models import MultipartUpload, Part

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

    from cos_doctor.emulator.context import Call

#: Every part but the last must be at least this large (COS: 1 MB).
MIN_PART_SIZE = 1024 * 1024
MAX_PART_NUMBER = 10000


def _upload(call: Call) -> MultipartUpload:
    upload = call.bucket.uploads.get(call.request.query.get("uploadId", ""))
    if upload is None or upload.key != call.key:
        raise CosError("NoSuchUpload")
    return upload


def _int_param(call: Call, name: str, default: int) -> int:
    text = call.request.query.get(name, "") or str(default)
    if not text.isdigit():
        raise CosError("InvalidArgument", f"The {name} parameter must be a non-negative integer.")
    return int(text)


def initiate(call: Call) -> Response:
    """Initiate Multipart Upload; headers for the final object are kept until completion."""
    upload_id = f"{int(call.state.now())}{secrets.token_hex(24)}"
    template = object_ops.new_object(call.request.headers, call.key, b"", call.state.now())
    call.bucket.uploads[upload_id] = MultipartUpload(
        upload_id=upload_id,
        key=call.key,
        initiated=call.state.now(),
        initiator=call.identity.principal,
        template=template,
    )
    response = responses.xml_response(
        responses.initiate_multipart_upload_result(call.bucket.name, call.key, upload_id)
    )
    # Initiate Multipart Upload (436/7746) example 5: SSE headers are echoed, SSE-C's too.
    response.headers.update(template.encryption)
    return response


def upload_part(call: Call) -> Response:
    """Upload Part, or Upload Part - Copy when ``x-cos-copy-source`` is present.

    A part of an SSE-C upload carries the upload's key again (Upload Part, 436/7750); each
    part answers its CRC64 (CRC64 Check, 436/34078) and the upload's encryption headers.
    """
    upload = _upload(call)
    number = _int_param(call, "partNumber", 0)
    if not 1 <= number <= MAX_PART_NUMBER:
        raise CosError("InvalidArgument", "Part number must be an integer between 1 and 10000.")
    object_ops.check_customer_key(call.request, upload.template.encryption)
    copying = "x-cos-copy-source" in call.request.headers
    data = _copied_range(call) if copying else call.request.body
    if not copying:
        object_ops.check_md5(call.request, data)
    part = Part(number=number, data=data, last_modified=call.state.now())
    upload.parts[number] = part
    headers = {"x-cos-hash-crc64ecma": part.crc64, **upload.template.encryption}
    if not copying:
        return responses.CosResponse(status=200, headers={"ETag": part.etag, **headers})
    response = responses.xml_response(
        responses.copy_result("CopyPartResult", part.etag, part.last_modified)
    )
    response.headers.update(headers)
    return response


def _copied_range(call: Call) -> bytes:
    data = object_ops.copy_source_object(call).data
    text = call.request.header("x-cos-copy-source-range")
    if not text:
        return data
    first, _, last = text.removeprefix("bytes=").partition("-")
    if not (first.isdigit() and last.isdigit()) or int(first) > int(last):
        raise CosError("InvalidArgument", "The x-cos-copy-source-range header is not valid.")
    return data[int(first) : int(last) + 1]


def complete(call: Call) -> Response:
    """Complete Multipart Upload: parts ascending, ETags matching, all but the last ≥ 1 MB."""
    upload = _upload(call)
    listed = parse_parts(call)
    chosen = []
    for number, etag in listed:
        part = upload.parts.get(number)
        if part is None or part.etag.strip('"') != etag.strip('"'):
            raise CosError("InvalidPart")
        chosen.append(part)
    if any(len(part.data) < MIN_PART_SIZE for part in chosen[:-1]):
        raise CosError("EntityTooSmall")
    digest = hashlib.md5(b"".join(bytes.fromhex(p.etag.strip('"')) for p in chosen))  # noqa: S324
    stored = dataclasses.replace(
        upload.template,
        data=b"".join(part.data for part in chosen),
        last_modified=call.state.now(),
        etag=f'"{digest.hexdigest()}-{len(chosen)}"',
    )
    call.bucket.objects[upload.key] = stored
    del call.bucket.uploads[upload.upload_id]
    location = f"{call.host}/{upload.key}"
    response = responses.xml_response(
        responses.complete_multipart_upload_result(
            location, call.bucket.name, upload.key, stored.etag
        )
    )
    # Complete Multipart Upload (436/7742) example 4: CRC64 and the upload's SSE headers.
    response.headers.update(object_ops.written_headers(stored))
    return response


def parse_parts(call: Call) -> list[tuple[int, str]]:
    """The (number, ETag) list of a completion body, which must ascend strictly."""
    listed = parsing.parts_from_xml(call.request.body)
    numbers = [number for number, _ in listed]
    if not listed:
        raise CosError("InvalidPart")
    if numbers != sorted(set(numbers)):
        raise CosError("InvalidPartOrder")
    return listed


def abort(call: Call) -> Response:
    """Abort Multipart Upload: the parts are discarded."""
    upload = _upload(call)
    del call.bucket.uploads[upload.upload_id]
    return responses.CosResponse(status=204)


def list_parts(call: Call) -> Response:
    """List Parts of one upload."""
    upload = _upload(call)
    marker = _int_param(call, "part-number-marker", 0)
    max_parts = _int_param(call, "max-parts", 1000) or 1000
    return responses.xml_response(
        responses.list_parts_result(call.bucket.name, upload, marker=marker, max_parts=max_parts)
    )


def list_uploads(call: Call) -> Response:
    """List Multipart Uploads of the bucket under ``prefix``."""
    prefix = call.request.query.get("prefix", "")
    uploads = sorted(
        (u for u in call.bucket.uploads.values() if u.key.startswith(prefix)),
        key=lambda u: (u.key, u.initiated),
    )
    return responses.xml_response(
        responses.list_multipart_uploads_result(call.bucket.name, uploads, prefix)
    )
