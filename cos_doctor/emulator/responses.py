"""The wire format of successful responses: XML documents and date formats COS uses."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import quote

from werkzeug.wrappers import Response

from cos_doctor.emulator.models import (
    ALL_USERS,
    Acl,
    Bucket,
    CorsRule,
    MultipartUpload,
    RefererConfig,
    StoredObject,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.datastructures import Headers

_XSI = "http://www.w3.org/2001/XMLSchema-instance"


class CosResponse(Response):
    """A werkzeug response whose bodies default to ``application/xml``, as COS's do."""

    default_mimetype = "application/xml"

    def get_wsgi_headers(self, environ: WSGIEnvironment) -> Headers:
        """The headers to send; a 304 keeps the Content-Type and Content-Length it was given.

        werkzeug drops entity headers from a 304, but COS sends both (GET Object 436/7753,
        sample 3: ``Content-Length: 0``), and the SDK's get_object needs the length.
        """
        headers = super().get_wsgi_headers(environ)
        if self.status_code == 304:
            for name in ("Content-Type", "Content-Length"):
                if name in self.headers and name not in headers:
                    headers[name] = self.headers[name]
        return headers


def iso8601(timestamp: float) -> str:
    """Format a Unix time the way COS XML bodies do (``2019-05-16T06:45:51.000Z``)."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def xml_response(root: ET.Element, status: int = 200) -> Response:
    """Serialise ``root`` into an ``application/xml`` response."""
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return CosResponse(body, status=status)


def _add(parent: ET.Element, tag: str, text: str | int | None = None) -> ET.Element:
    child = ET.SubElement(parent, tag)
    if text is not None:
        child.text = str(text)
    return child


def _owner(parent: ET.Element, tag: str, principal: str) -> None:
    owner = _add(parent, tag)
    _add(owner, "ID", principal)
    _add(owner, "DisplayName", principal.rsplit("/", 1)[-1])


def url_encode(text: str, enabled: bool) -> str:
    """Encode a key for ``encoding-type=url`` listings (the SDK decodes it back)."""
    return quote(text, safe="/-_.~") if enabled else text


def list_bucket_result(  # noqa: PLR0913 - ListBucketResult has this many fields
    bucket: Bucket,
    *,
    prefix: str,
    marker: str,
    delimiter: str,
    max_keys: int,
    url_encoded: bool,
    contents: Sequence[StoredObject],
    common_prefixes: Sequence[str],
    next_marker: str | None,
) -> ET.Element:
    """Build a ``<ListBucketResult>`` (GET Bucket)."""
    root = ET.Element("ListBucketResult")
    _add(root, "Name", bucket.name)
    if url_encoded:
        _add(root, "EncodingType", "url")
    _add(root, "Prefix", url_encode(prefix, url_encoded))
    _add(root, "Marker", url_encode(marker, url_encoded))
    _add(root, "MaxKeys", max_keys)
    if delimiter:
        _add(root, "Delimiter", delimiter)
    _add(root, "IsTruncated", "true" if next_marker is not None else "false")
    if next_marker is not None:
        _add(root, "NextMarker", url_encode(next_marker, url_encoded))
    for stored in contents:
        entry = _add(root, "Contents")
        _add(entry, "Key", url_encode(stored.key, url_encoded))
        _add(entry, "LastModified", iso8601(stored.last_modified))
        _add(entry, "ETag", stored.etag)
        _add(entry, "Size", len(stored.data))
        _owner(entry, "Owner", bucket.owner_principal)
        _add(entry, "StorageClass", stored.storage_class)
    for common in common_prefixes:
        _add(_add(root, "CommonPrefixes"), "Prefix", url_encode(common, url_encoded))
    return root


def list_all_my_buckets_result(owner: str, buckets: Iterable[Bucket]) -> ET.Element:
    """Build a ``<ListAllMyBucketsResult>`` (GET Service)."""
    root = ET.Element("ListAllMyBucketsResult")
    _owner(root, "Owner", owner)
    listing = _add(root, "Buckets")
    for bucket in buckets:
        entry = _add(listing, "Bucket")
        _add(entry, "Name", bucket.name)
        _add(entry, "Location", bucket.region)
        _add(entry, "CreationDate", iso8601(bucket.created))
        _add(entry, "BucketType", "cos")
    return root


def access_control_policy(owner: str, acl: Acl) -> ET.Element:
    """Build an ``<AccessControlPolicy>``; the owner's FULL_CONTROL grant comes first."""
    root = ET.Element("AccessControlPolicy")
    _owner(root, "Owner", owner)
    grants = _add(root, "AccessControlList")
    for grantee, permission in (
        (owner, "FULL_CONTROL"),
        *((g.grantee, g.permission) for g in acl.grants),
    ):
        grant = _add(grants, "Grant")
        element = _add(grant, "Grantee")
        element.set("xmlns:xsi", _XSI)
        if grantee == ALL_USERS:
            element.set("xsi:type", "Group")
            _add(element, "URI", ALL_USERS)
        else:
            element.set("xsi:type", "CanonicalUser")
            _add(element, "ID", grantee)
            _add(element, "DisplayName", grantee.rsplit("/", 1)[-1])
        _add(grant, "Permission", permission)
    return root


def cors_configuration(rules: Iterable[CorsRule]) -> ET.Element:
    """Build a ``<CORSConfiguration>``."""
    root = ET.Element("CORSConfiguration")
    for rule in rules:
        entry = _add(root, "CORSRule")
        if rule.rule_id:
            _add(entry, "ID", rule.rule_id)
        for tag, values in (
            ("AllowedOrigin", rule.allowed_origins),
            ("AllowedMethod", rule.allowed_methods),
            ("AllowedHeader", rule.allowed_headers),
            ("ExposeHeader", rule.expose_headers),
        ):
            for value in values:
                _add(entry, tag, value)
        if rule.max_age is not None:
            _add(entry, "MaxAgeSeconds", rule.max_age)
    return root


def referer_configuration(config: RefererConfig | None) -> ET.Element:
    """Build a ``<RefererConfiguration>``; no (or an emptied) rule reads as ``Disabled``.

    The GET Bucket referer documentation (436/30615) marks all four children as always present,
    so an emptied configuration keeps the shape: Disabled, White-List, no domains, Allow.
    """
    root = ET.Element("RefererConfiguration")
    if config is None:
        config = RefererConfig(enabled=False, allow_empty=True)
    _add(root, "Status", "Enabled" if config.enabled else "Disabled")
    _add(root, "RefererType", "White-List" if config.white_list else "Black-List")
    domains = _add(root, "DomainList")
    for domain in config.domains:
        _add(domains, "Domain", domain)
    _add(root, "EmptyReferConfiguration", "Allow" if config.allow_empty else "Deny")
    return root


def initiate_multipart_upload_result(bucket: str, key: str, upload_id: str) -> ET.Element:
    """Build an ``<InitiateMultipartUploadResult>``."""
    root = ET.Element("InitiateMultipartUploadResult")
    _add(root, "Bucket", bucket)
    _add(root, "Key", key)
    _add(root, "UploadId", upload_id)
    return root


def _stored_result(tag: str, location: str, bucket: str, key: str, etag: str) -> ET.Element:
    """Where an upload landed: Location, Bucket, Key, ETag under ``tag``."""
    root = ET.Element(tag)
    _add(root, "Location", location)
    _add(root, "Bucket", bucket)
    _add(root, "Key", key)
    _add(root, "ETag", etag)
    return root


def complete_multipart_upload_result(location: str, bucket: str, key: str, etag: str) -> ET.Element:
    """Build a ``<CompleteMultipartUploadResult>``."""
    return _stored_result("CompleteMultipartUploadResult", location, bucket, key, etag)


def list_parts_result(
    bucket: str, upload: MultipartUpload, *, marker: int, max_parts: int
) -> ET.Element:
    """Build a ``<ListPartsResult>`` from part ``marker + 1`` on."""
    root = ET.Element("ListPartsResult")
    _add(root, "Bucket", bucket)
    _add(root, "Encoding-type", "url")
    _add(root, "Key", quote(upload.key, safe="/-_.~"))
    _add(root, "UploadId", upload.upload_id)
    _owner(root, "Initiator", upload.initiator)
    _owner(root, "Owner", upload.initiator)
    _add(root, "StorageClass", upload.template.storage_class)
    numbers = sorted(n for n in upload.parts if n > marker)
    shown, rest = numbers[:max_parts], numbers[max_parts:]
    _add(root, "PartNumberMarker", marker)
    _add(root, "NextPartNumberMarker", shown[-1] if shown else marker)
    _add(root, "MaxParts", max_parts)
    _add(root, "IsTruncated", "true" if rest else "false")
    for number in shown:
        part = upload.parts[number]
        entry = _add(root, "Part")
        _add(entry, "PartNumber", number)
        _add(entry, "LastModified", iso8601(part.last_modified))
        _add(entry, "ETag", part.etag)
        _add(entry, "Size", len(part.data))
    return root


def list_multipart_uploads_result(
    bucket: str, uploads: Iterable[MultipartUpload], prefix: str
) -> ET.Element:
    """Build a ``<ListMultipartUploadsResult>`` (no pagination: the emulator holds few)."""
    root = ET.Element("ListMultipartUploadsResult")
    _add(root, "Bucket", bucket)
    _add(root, "Encoding-Type", "url")
    _add(root, "Prefix", quote(prefix, safe="/-_.~"))
    _add(root, "MaxUploads", 1000)
    _add(root, "IsTruncated", "false")
    for upload in uploads:
        entry = _add(root, "Upload")
        _add(entry, "Key", quote(upload.key, safe="/-_.~"))
        _add(entry, "UploadId", upload.upload_id)
        _add(entry, "StorageClass", upload.template.storage_class)
        _owner(entry, "Initiator", upload.initiator)
        _owner(entry, "Owner", upload.initiator)
        _add(entry, "Initiated", iso8601(upload.initiated))
    return root


def copy_result(tag: str, etag: str, last_modified: float, crc64: str | None = None) -> ET.Element:
    """Build a ``<CopyObjectResult>`` (ETag, CRC64, LastModified: 436/10881) or part result."""
    root = ET.Element(tag)
    _add(root, "ETag", etag)
    if crc64 is not None:
        _add(root, "CRC64", crc64)
    _add(root, "LastModified", iso8601(last_modified))
    return root


def delete_result(deleted: Iterable[str], errors: Iterable[tuple[str, str, str]]) -> ET.Element:
    """Build a ``<DeleteResult>``; each error is (key, code, message)."""
    root = ET.Element("DeleteResult")
    for key in deleted:
        _add(_add(root, "Deleted"), "Key", key)
    for key, code, message in errors:
        entry = _add(root, "Error")
        _add(entry, "Key", key)
        _add(entry, "Code", code)
        _add(entry, "Message", message)
    return root


def location_constraint(region: str) -> ET.Element:
    """Build a ``<LocationConstraint>`` (GET Bucket location)."""
    root = ET.Element("LocationConstraint")
    root.text = region
    return root


def post_response(location: str, bucket: str, key: str, etag: str) -> ET.Element:
    """Build the ``<PostResponse>`` a POST Object with ``success_action_status=201`` returns."""
    return _stored_result("PostResponse", location, bucket, key, etag)
