"""COS wire errors: one class per code, and their XML rendering.

Every class carries the HTTP status and ``<Code>`` the real service sends, and a default
``<Message>`` (the documented wording where Tencent documents one)::

    CosError
    ├── 400  BadDigest, EntityTooLarge, EntityTooSmall, IncorrectNumberOfFilesInPostRequest,
    │        InvalidArgument, InvalidBucketName, InvalidPart, InvalidPartOrder,
    │        InvalidPolicyDocument, InvalidRequest, MalformedPOSTRequest, MalformedPolicy,
    │        MalformedXML
    ├── 403  AccessDenied, AccessForbidden, InvalidAccessKeyId, InvalidObjectState,
    │        PathStyleDomainForbidden, RequestTimeTooSkewed, SignatureDoesNotMatch
    ├── 404  NoSuchBucket, NoSuchBucketPolicy, NoSuchCORSConfiguration, NoSuchCopySource,
    │        NoSuchKey, NoSuchUpload
    ├── 405  MethodNotAllowed, RestoreNonArchiveObject
    ├── 409  BucketAlreadyExists, BucketAlreadyOwnedByYou, BucketNotEmpty,
    │        RestoreAlreadyInProgress
    ├── 416  InvalidRange
    └── 501  NotImplementedByEmulator (code ``NotImplemented``)

The body follows real captures: a single-quoted prolog, tab-indented children ``Code``,
``Message``, any extra elements (``StringToSign``/``FormatString``, ``ServerTime``), then
``Resource``, ``RequestId`` and ``TraceId`` — the SDK's parser needs the first four non-empty.
"""

# Class names are COS's wire codes, which do not end in "Error".
# ruff: noqa: N818

from __future__ import annotations

from typing import ClassVar


class CosError(Exception):
    """A COS error response; raise it anywhere in a handler and the app renders it.

    ``extra`` holds additional elements, in order, rendered between Message and Resource.
    """

    status: ClassVar[int] = 500
    code: ClassVar[str] = "InternalError"
    default_message: ClassVar[str] = "Internal error."

    def __init__(self, message: str | None = None, **extra: str) -> None:
        """Use the class's default message unless ``message`` is given."""
        self.message = message if message is not None else self.default_message
        self.extra = dict(extra)
        super().__init__(f"{self.code}: {self.message}")


def _escape(text: str) -> str:
    # The real service escapes the apostrophe too ("doesn&apos;t"), unlike ElementTree.
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


def render_error(error: CosError, *, resource: str, request_id: str, trace_id: str) -> bytes:
    """Render ``error`` as the XML body COS sends."""
    elements = [("Code", error.code), ("Message", error.message), *error.extra.items()]
    elements += [("Resource", resource), ("RequestId", request_id), ("TraceId", trace_id)]
    lines = ["<?xml version='1.0' encoding='utf-8' ?>", "<Error>"]
    lines += [f"\t<{name}>{_escape(value)}</{name}>" for name, value in elements]
    lines.append("</Error>")
    return "\n".join(lines).encode("utf-8")


# 400 ------------------------------------------------------------------------------------------


class BadDigest(CosError):
    """Content-MD5 does not match the body received."""

    status = 400
    code = "BadDigest"
    default_message = "The Content-MD5 you specified did not match what we received."


class EntityTooLarge(CosError):
    """The body is larger than allowed (also a POST content-length-range maximum)."""

    status = 400
    code = "EntityTooLarge"
    default_message = "Your proposed upload exceeds the maximum allowed object size."


class EntityTooSmall(CosError):
    """The body or a multipart part is smaller than allowed."""

    status = 400
    code = "EntityTooSmall"
    default_message = "Your proposed upload is smaller than the minimum allowed object size."


class IncorrectNumberOfFilesInPostRequest(CosError):
    """A POST Object form must carry exactly one file."""

    status = 400
    code = "IncorrectNumberOfFilesInPostRequest"
    default_message = "POST requires exactly one file upload per request."


class InvalidArgument(CosError):
    """A parameter or header value is not valid for this request."""

    status = 400
    code = "InvalidArgument"
    default_message = "Invalid Argument."


class InvalidBucketName(CosError):
    """The bucket name breaks the naming rules (lowercase, digits, hyphens, -APPID suffix)."""

    status = 400
    code = "InvalidBucketName"
    default_message = "The specified bucket is not valid."


class InvalidPart(CosError):
    """A part named in CompleteMultipartUpload was not uploaded or its ETag differs."""

    status = 400
    code = "InvalidPart"
    default_message = "One or more of the specified parts could not be found."


class InvalidPartOrder(CosError):
    """CompleteMultipartUpload listed parts out of ascending order."""

    status = 400
    code = "InvalidPartOrder"
    default_message = "The list of parts was not in ascending order."


class InvalidPolicyDocument(CosError):
    """The POST Object policy is not a usable policy document."""

    status = 400
    code = "InvalidPolicyDocument"
    default_message = "You must provide condition if you specify a policy in post object request."


class InvalidRequest(CosError):
    """The request cannot be served as sent (e.g. a Host that names no bucket)."""

    status = 400
    code = "InvalidRequest"
    default_message = "The request is invalid."


class MalformedPOSTRequest(CosError):
    """The POST Object body is not multipart/form-data."""

    status = 400
    code = "MalformedPOSTRequest"
    default_message = "The body of your POST request is not well-formed multipart/form-data."


class MalformedPolicy(CosError):
    """A bucket policy is not valid JSON or has no statements."""

    status = 400
    code = "MalformedPolicy"
    default_message = "Policy has invalid resource."


class MalformedXML(CosError):
    """An XML request body is not well-formed or does not fit the schema."""

    status = 400
    code = "MalformedXML"
    default_message = (
        "The XML you provided was not well-formed or did not validate against our published schema."
    )


# 403 ------------------------------------------------------------------------------------------


class AccessDenied(CosError):
    """Permission denied; the Message tells which of COS's many reasons applies."""

    status = 403
    code = "AccessDenied"
    default_message = "Access Denied."


class AccessForbidden(CosError):
    """A CORS preflight that no rule of the bucket allows."""

    status = 403
    code = "AccessForbidden"
    default_message = "CORSResponse: This CORS request is not allowed."


class InvalidAccessKeyId(CosError):
    """Unknown SecretId, a disabled key, or an expired or unpresented temporary key."""

    status = 403
    code = "InvalidAccessKeyId"
    default_message = "The Access Key Id you provided does not exist in our records."


class InvalidObjectState(CosError):
    """Reading an ARCHIVE / DEEP_ARCHIVE object that has not been restored."""

    status = 403
    code = "InvalidObjectState"
    default_message = "The operation is not valid for the object's storage class."


class PathStyleDomainForbidden(CosError):
    """A path-style URL (``cos.<region>.myqcloud.com/<bucket>``) instead of virtual-hosted."""

    status = 403
    code = "PathStyleDomainForbidden"
    default_message = (
        "The bucket you are attempting to access must be addressed using COS virtual-styled domain."
    )


class RequestTimeTooSkewed(CosError):
    """The signature starts more than 15 minutes after the server's clock."""

    status = 403
    code = "RequestTimeTooSkewed"
    default_message = "The difference between the request time and the server's time is too large."


class SignatureDoesNotMatch(CosError):
    """The recomputed signature differs; carries the server's StringToSign and FormatString."""

    status = 403
    code = "SignatureDoesNotMatch"
    default_message = "The Signature you specified is invalid."


# 404 ------------------------------------------------------------------------------------------


class NoSuchBucket(CosError):
    """No bucket of that name in that region."""

    status = 404
    code = "NoSuchBucket"
    default_message = "The specified bucket does not exist."


class NoSuchBucketPolicy(CosError):
    """GET/DELETE ?policy on a bucket without one."""

    status = 404
    code = "NoSuchBucketPolicy"
    default_message = "The bucket policy does not exist."


class NoSuchCORSConfiguration(CosError):
    """GET ?cors on a bucket without CORS rules."""

    status = 404
    code = "NoSuchCORSConfiguration"
    default_message = "The CORS configuration does not exist."


class NoSuchCopySource(CosError):
    """The object named by x-cos-copy-source does not exist."""

    status = 404
    code = "NoSuchCopySource"
    default_message = "The specified copy source does not exist."


class NoSuchKey(CosError):
    """No object under that key."""

    status = 404
    code = "NoSuchKey"
    default_message = "The specified key does not exist."


class NoSuchUpload(CosError):
    """No multipart upload with that UploadId."""

    status = 404
    code = "NoSuchUpload"
    default_message = "The specified multipart upload does not exist."


# 405 / 409 / 416 / 501 ---------------------------------------------------------------------


class MethodNotAllowed(CosError):
    """The resource does not support this HTTP method."""

    status = 405
    code = "MethodNotAllowed"
    default_message = "The specified method is not allowed against this resource."


class RestoreNonArchiveObject(CosError):
    """POST ?restore on an object that is not ARCHIVE / DEEP_ARCHIVE."""

    status = 405
    code = "RestoreNonArchiveObject"
    default_message = "Only archive or deep archive objects can be restored."


class BucketAlreadyExists(CosError):
    """Another account owns a bucket of that name."""

    status = 409
    code = "BucketAlreadyExists"
    default_message = "The requested bucket name is not available."


class BucketAlreadyOwnedByYou(CosError):
    """The bucket exists and already belongs to the caller."""

    status = 409
    code = "BucketAlreadyOwnedByYou"
    default_message = "Your previous request to create the named bucket succeeded and you own it."


class BucketNotEmpty(CosError):
    """A bucket can only be deleted when it holds no objects."""

    status = 409
    code = "BucketNotEmpty"
    default_message = "The bucket you tried to delete is not empty."


class RestoreAlreadyInProgress(CosError):
    """A restore of this object is still running."""

    status = 409
    code = "RestoreAlreadyInProgress"
    default_message = "Object restore is already in progress."


class InvalidRange(CosError):
    """The Range header asks for bytes past the end of the object."""

    status = 416
    code = "InvalidRange"
    default_message = "The requested range is not satisfiable."


class NotImplementedByEmulator(CosError):
    """A real COS feature this emulator does not implement (code ``NotImplemented``)."""

    status = 501
    code = "NotImplemented"
    default_message = "This operation is not implemented by the cos_doctor emulator."
