"""COS wire errors: one table of (code, status, message), one exception, and its XML.

Raise ``CosError("NoSuchKey")`` anywhere in a handler and the app renders it with the HTTP
status and default ``<Message>`` of :data:`ERRORS` (the documented wording where Tencent
documents one); pass a message to say which of a code's causes applies, and keyword arguments
for extra elements (``StringToSign``, ``FormatString``, ``ServerTime``).

The body follows real captures: a single-quoted prolog, tab-indented children ``Code``,
``Message``, any extra elements, then ``Resource``, ``RequestId`` and ``TraceId`` — the SDK's
parser needs the first four non-empty.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

#: Code → (HTTP status, default message). Comments say when each is sent.
ERRORS: dict[str, tuple[int, str]] = {
    # Content-MD5 does not match the body received.
    "BadDigest": (400, "The Content-MD5 you specified did not match what we received."),
    # The body is larger than allowed (also a POST content-length-range maximum).
    "EntityTooLarge": (400, "Your proposed upload exceeds the maximum allowed object size."),
    # An aws-chunked body that is cut short or framed wrongly (COS's code, 436/7730; its
    # message is undocumented, this is S3's).
    "IncompleteBody": (
        400,
        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
    ),
    # A SigV4 x-amz-content-sha256 hash that differs from the body's. COS's answer is not
    # documented (its table has no such code); this is S3's code and message.
    "XAmzContentSHA256Mismatch": (
        400,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    ),
    # The body or a multipart part is smaller than allowed.
    "EntityTooSmall": (
        400,
        "Your proposed upload is smaller than the minimum allowed object size.",
    ),
    # A POST Object form must carry exactly one file.
    "IncorrectNumberOfFilesInPostRequest": (
        400,
        "POST requires exactly one file upload per request.",
    ),
    # SSE-C data reached without the customer key it was written with (or with another key):
    # reading or copying such an object, or uploading a part of an SSE-C multipart upload.
    "SsecDecryptHeaderInvalid": (
        400,
        (
            "The source object is encrypted with SSE-C. Therefore, the same key should be"
            " provided in the request header"
        ),
    ),
    # A parameter or header value is not valid for this request.
    "InvalidArgument": (400, "Invalid Argument."),
    # The bucket name breaks the naming rules (lowercase, digits, hyphens, -APPID suffix).
    "InvalidBucketName": (400, "The specified bucket is not valid."),
    # A part named in CompleteMultipartUpload was not uploaded or its ETag differs.
    "InvalidPart": (400, "One or more of the specified parts could not be found."),
    # CompleteMultipartUpload listed parts out of ascending order.
    "InvalidPartOrder": (400, "The list of parts was not in ascending order."),
    # The POST Object policy is not a usable policy document.
    "InvalidPolicyDocument": (
        400,
        "You must provide condition if you specify a policy in post object request.",
    ),
    # The request cannot be served as sent (e.g. a Host that names no bucket).
    "InvalidRequest": (400, "The request is invalid."),
    # The POST Object body is not multipart/form-data.
    "MalformedPOSTRequest": (
        400,
        "The body of your POST request is not well-formed multipart/form-data.",
    ),
    # A bucket policy is not valid JSON or has no statements.
    "MalformedPolicy": (400, "Policy has invalid resource."),
    # An XML request body is not well-formed or does not fit the schema.
    "MalformedXML": (
        400,
        (
            "The XML you provided was not well-formed or did not validate against our published"
            " schema."
        ),
    ),
    # Permission denied; the Message tells which of COS's many reasons applies.
    "AccessDenied": (403, "Access Denied."),
    # A CORS preflight that no rule of the bucket allows.
    "AccessForbidden": (403, "CORSResponse: This CORS request is not allowed."),
    # Unknown SecretId, a disabled key, or an expired or unpresented temporary key.
    "InvalidAccessKeyId": (403, "The Access Key Id you provided does not exist in our records."),
    # Reading an ARCHIVE / DEEP_ARCHIVE object that has not been restored.
    "InvalidObjectState": (403, "The operation is not valid for the object's storage class."),
    # A path-style URL (``cos.<region>.myqcloud.com/<bucket>``) instead of virtual-hosted.
    "PathStyleDomainForbidden": (
        403,
        (
            "The bucket you are attempting to access must be addressed using COS virtual-styled"
            " domain."
        ),
    ),
    # The signature starts more than 15 minutes after the server's clock.
    "RequestTimeTooSkewed": (
        403,
        "The difference between the request time and the server's time is too large.",
    ),
    # The recomputed signature differs; carries the server's StringToSign and FormatString.
    "SignatureDoesNotMatch": (403, "The Signature you specified is invalid."),
    # No bucket of that name in that region.
    "NoSuchBucket": (404, "The specified bucket does not exist."),
    # GET/DELETE ?policy on a bucket without one.
    "NoSuchBucketPolicy": (404, "The bucket policy does not exist."),
    # GET ?cors on a bucket without CORS rules.
    "NoSuchCORSConfiguration": (404, "The CORS configuration does not exist."),
    # The object named by x-cos-copy-source does not exist.
    "NoSuchCopySource": (404, "The specified copy source does not exist."),
    # No object under that key.
    "NoSuchKey": (404, "The specified key does not exist."),
    # No multipart upload with that UploadId.
    "NoSuchUpload": (404, "The specified multipart upload does not exist."),
    # The resource does not support this HTTP method.
    "MethodNotAllowed": (405, "The specified method is not allowed against this resource."),
    # POST ?restore on an object that is not ARCHIVE / DEEP_ARCHIVE.
    "RestoreNonArchiveObject": (405, "Only archive or deep archive objects can be restored."),
    # Another account owns a bucket of that name.
    "BucketAlreadyExists": (409, "The requested bucket name is not available."),
    # The bucket exists and already belongs to the caller.
    "BucketAlreadyOwnedByYou": (
        409,
        "Your previous request to create the named bucket succeeded and you own it.",
    ),
    # A bucket can only be deleted when it holds no objects.
    "BucketNotEmpty": (409, "The bucket you tried to delete is not empty."),
    # A restore of this object is still running.
    "RestoreAlreadyInProgress": (409, "Object restore is already in progress."),
    # The Range header asks for bytes past the end of the object.
    "InvalidRange": (416, "The requested range is not satisfiable."),
    # A real COS feature this emulator does not implement (code ``NotImplemented``).
    "NotImplemented": (501, "This operation is not implemented by the cos_doctor emulator."),
    # A body sent without Content-Length where COS needs one (real capture:
    # tencentyun/cos-python-sdk-v5#47).
    "MissingContentLength": (411, "You must provide the Content-Length HTTP header."),
    # If-Match / If-Unmodified-Since did not hold (COS's own wording).
    "PreconditionFailed": (412, "Precondition not match."),
    # Anything the emulator did not expect.
    "InternalError": (500, "Internal error."),
}
#: The AccessDenied message for a signature that is present but unusable (an Authorization
#: value or signed query the emulator cannot read), whichever scheme it claims.
UNUSABLE_SIGNATURE = "Check auth failure because signature empty."
# The real service escapes both quotes ("doesn&apos;t"), unlike ElementTree.
_QUOTES = {'"': "&quot;", "'": "&apos;"}


class CosError(Exception):
    """A COS error response: ``code`` from :data:`ERRORS`, optionally its own message.

    ``extra`` holds additional elements, in order, rendered between Message and Resource.
    """

    def __init__(
        self, code: str = "InternalError", message: str | None = None, **extra: str
    ) -> None:
        """Look ``code`` up in :data:`ERRORS`; ``message`` replaces its default."""
        self.status, default = ERRORS[code]
        self.code = code
        self.message = message if message is not None else default
        self.extra = dict(extra)
        super().__init__(f"{self.code}: {self.message}")


def render_error(error: CosError, *, resource: str, request_id: str, trace_id: str) -> bytes:
    """Render ``error`` as the XML body COS sends."""
    elements = [("Code", error.code), ("Message", error.message), *error.extra.items()]
    elements += [("Resource", resource), ("RequestId", request_id), ("TraceId", trace_id)]
    lines = ["<?xml version='1.0' encoding='utf-8' ?>", "<Error>"]
    lines += [f"\t<{name}>{escape(value, _QUOTES)}</{name}>" for name, value in elements]
    lines.append("</Error>")
    return "\n".join(lines).encode("utf-8")
