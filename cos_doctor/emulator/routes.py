"""Routing: from Host, method and subresource to the operation, after authentication.

Order of checks for one request: the Host must name a bucket (or the service endpoint; a
path-style request names it in the path and reaches only a bucket created before 2024); an
``OPTIONS`` preflight and a ``POST /`` form upload carry their own credentials and are answered
first; every other request is authenticated, then its bucket looked up, the referer rule applied
to anonymous callers, the caller authorised for the operation's CAM action, and the handler run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from cos_doctor.emulator import bucket_ops, multipart_ops, object_ops
from cos_doctor.emulator.auth import authenticate
from cos_doctor.emulator.context import Call
from cos_doctor.emulator.cors import cors_headers, matching_rule
from cos_doctor.emulator.errors import CosError
from cos_doctor.emulator.post_object import post_object
from cos_doctor.emulator.referer import DENIED_MESSAGE, referer_allowed
from cos_doctor.emulator.responses import CosResponse

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

    from cos_doctor.emulator.models import Bucket
    from cos_doctor.emulator.request import CosRequest
    from cos_doctor.emulator.state import EmulatorState


@dataclass(frozen=True)
class Operation:
    """A COS API: the CAM action it needs and the handler that serves it."""

    action: str
    handler: Callable[[Call], Response]


_BUCKET, _OBJECT = "bucket", "object"
OPERATIONS: dict[tuple[str, str, str], Operation] = {
    ("GET", _BUCKET, ""): Operation("GetBucket", bucket_ops.list_objects),
    ("HEAD", _BUCKET, ""): Operation("HeadBucket", bucket_ops.head_bucket),
    ("DELETE", _BUCKET, ""): Operation("DeleteBucket", bucket_ops.delete_bucket),
    ("GET", _BUCKET, "location"): Operation("GetBucketLocation", bucket_ops.get_location),
    ("GET", _BUCKET, "acl"): Operation("GetBucketACL", bucket_ops.get_acl),
    ("PUT", _BUCKET, "acl"): Operation("PutBucketACL", bucket_ops.put_acl),
    ("GET", _BUCKET, "policy"): Operation("GetBucketPolicy", bucket_ops.get_policy),
    ("PUT", _BUCKET, "policy"): Operation("PutBucketPolicy", bucket_ops.put_policy),
    ("DELETE", _BUCKET, "policy"): Operation("DeleteBucketPolicy", bucket_ops.delete_policy),
    ("GET", _BUCKET, "cors"): Operation("GetBucketCORS", bucket_ops.get_cors),
    ("PUT", _BUCKET, "cors"): Operation("PutBucketCORS", bucket_ops.put_cors),
    ("DELETE", _BUCKET, "cors"): Operation("DeleteBucketCORS", bucket_ops.delete_cors),
    ("GET", _BUCKET, "referer"): Operation("GetBucketReferer", bucket_ops.get_referer),
    ("PUT", _BUCKET, "referer"): Operation("PutBucketReferer", bucket_ops.put_referer),
    ("DELETE", _BUCKET, "referer"): Operation("PutBucketReferer", bucket_ops.delete_referer),
    ("GET", _BUCKET, "uploads"): Operation("ListMultipartUploads", multipart_ops.list_uploads),
    ("POST", _BUCKET, "delete"): Operation("DeleteMultipleObjects", bucket_ops.delete_objects),
    ("GET", _OBJECT, ""): Operation("GetObject", object_ops.get_object),
    ("HEAD", _OBJECT, ""): Operation("HeadObject", object_ops.head_object),
    ("PUT", _OBJECT, ""): Operation("PutObject", object_ops.put_object),
    ("DELETE", _OBJECT, ""): Operation("DeleteObject", object_ops.delete_object),
    ("GET", _OBJECT, "acl"): Operation("GetObjectACL", object_ops.get_object_acl),
    ("PUT", _OBJECT, "acl"): Operation("PutObjectACL", object_ops.put_object_acl),
    ("POST", _OBJECT, "restore"): Operation("PostObjectRestore", object_ops.restore_object),
    ("POST", _OBJECT, "uploads"): Operation("InitiateMultipartUpload", multipart_ops.initiate),
    ("PUT", _OBJECT, "uploadId"): Operation("UploadPart", multipart_ops.upload_part),
    ("POST", _OBJECT, "uploadId"): Operation("CompleteMultipartUpload", multipart_ops.complete),
    ("DELETE", _OBJECT, "uploadId"): Operation("AbortMultipartUpload", multipart_ops.abort),
    ("GET", _OBJECT, "uploadId"): Operation("ListParts", multipart_ops.list_parts),
}
# Subresources served above, most specific first ("?uploadId" beats "?uploads").
SUBRESOURCES = (
    "uploadId",
    "uploads",
    "acl",
    "cors",
    "policy",
    "referer",
    "delete",
    "restore",
    "location",
)
# Real COS sub-resources (and Cloud Infinite processing parameters) this emulator does not
# serve: answered 501, never handled as the plain operation. The names are those
# cos-python-sdk-v5 sends (its cos_client.py: params dicts, and ?intelligent-tiering written
# into the URL), plus ?accelerate and ?retention from the COS API pages (GET Bucket
# accelerate, GET Object retention). Any other parameter — a presigned URL's signature,
# listing options, a cache-busting ``&t=…`` — names no sub-resource: COS serves the object,
# and so does the emulator.
UNSERVED_SUBRESOURCES = frozenset(
    name.lower()
    for name in (
        "accelerate", "append", "ci-process", "domain", "domaincertificate", "encryption",
        "image_process", "imageInspect", "imageMogr2", "imageView2", "intelligent-tiering",
        "intelligenttiering", "inventory", "lifecycle", "live", "logging", "object-lock",
        "origin", "replication", "response-control", "retention", "select", "style", "symlink",
        "tagging", "versionId", "versioning", "versions", "vod", "website",
    )
)  # fmt: skip


def subresource_of(request: CosRequest) -> str:
    """The sub-resource the query names ('' for none).

    A served one wins; otherwise the first named COS sub-resource the emulator does not serve
    (``?live``, ``?versionId=…``, ``?tagging``, ``?imageMogr2/…``), which is answered 501.
    """
    for name in SUBRESOURCES:
        if name in request.query:
            return name
    unserved = (
        name for name in request.query if name.split("/", 1)[0].lower() in UNSERVED_SUBRESOURCES
    )
    return next(unserved, "")


def dispatch(state: EmulatorState, request: CosRequest) -> Response:
    """Serve one request, raising a :class:`CosError` for any failure."""
    if request.is_service or (request.is_path_style and request.path == "/"):
        # GET Service; on cos.<region>.myqcloud.com it lists that region's buckets (GET Service
        # doc, 436/8291), which is not path-style addressing.
        if request.method != "GET":
            raise CosError("MethodNotAllowed")
        identity = authenticate(request, state)[0]
        region = request.region if request.is_path_style else None
        return bucket_ops.list_buckets(state, identity, region=region)
    bucket = _addressed_bucket(state, request)
    subresource = subresource_of(request)
    if request.method == "OPTIONS":
        return preflight(_existing(bucket), request)
    if request.method == "POST" and not request.key and not subresource:
        return post_object(state, request, _existing(bucket))
    identity, request = authenticate(request, state)
    if request.method == "PUT" and not request.key and not subresource:
        # PUT Bucket, also on an existing name: COS answers BucketAlreadyOwnedByYou / Exists.
        return bucket_ops.create_bucket(state, request, identity)
    if bucket is None:
        raise CosError("NoSuchBucket")
    operation = OPERATIONS.get((request.method, _OBJECT if request.key else _BUCKET, subresource))
    if operation is None:
        served = subresource in SUBRESOURCES or not subresource
        raise CosError("MethodNotAllowed" if served else "NotImplemented")
    referer = request.header("referer") or None
    if identity.anonymous and not referer_allowed(bucket.referer, referer):
        raise CosError("AccessDenied", DENIED_MESSAGE)
    call = Call(state=state, request=request, identity=identity, bucket=bucket)
    call.require(operation.action)
    return operation.handler(call)


def _addressed_bucket(state: EmulatorState, request: CosRequest) -> Bucket | None:
    """The bucket the Host names (``None``: no such bucket in that region)."""
    name = request.bucket_name
    if name is None:
        if request.is_path_style:
            raise CosError("PathStyleDomainForbidden")
        if request.lacks_appid:
            raise CosError("InvalidRequest", "Missing required header for this request: Appid")
        raise CosError(
            "InvalidRequest",
            f"Host {request.host!r} names no bucket: COS needs <bucket>-<appid>.cos.<region>"
            ".myqcloud.com",
        )
    bucket = state.buckets.get(name)
    if bucket is not None and bucket.region != request.region:
        bucket = None
    if request.is_path_style and (bucket is None or not bucket.accepts_path_style):
        # Only buckets created before 2024 still answer path-style (FAQ 436/102489); a name
        # that names no bucket (PUT Bucket included) is refused the same way.
        raise CosError("PathStyleDomainForbidden")
    return bucket


def _existing(bucket: Bucket | None) -> Bucket:
    if bucket is None:
        raise CosError("NoSuchBucket")
    return bucket


def preflight(bucket: Bucket, request: CosRequest) -> Response:
    """Answer a CORS preflight: 200 with the rule's headers, or 403 AccessForbidden."""
    origin = request.header("origin")
    method = request.header("access-control-request-method")
    asked = [h for h in request.header("access-control-request-headers").split(",") if h.strip()]
    rule = matching_rule(bucket.cors, origin, method, asked) if origin and method else None
    if rule is None:
        raise CosError("AccessForbidden")
    return CosResponse(
        status=200, headers=cors_headers(rule, origin, preflight=True, requested=asked)
    )


def add_cors_headers(state: EmulatorState, request: CosRequest, response: Response) -> None:
    """Add Access-Control-* headers to a non-preflight response whose Origin a rule allows."""
    origin = request.header("origin")
    bucket = state.buckets.get(request.bucket_name or "")
    if not origin or bucket is None or request.method == "OPTIONS":
        return
    rule = matching_rule(bucket.cors, origin, request.method)
    if rule is not None:
        response.headers.update(cors_headers(rule, origin, preflight=False))
