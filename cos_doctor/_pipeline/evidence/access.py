"""Who asked for what: Referer / Origin sent, the COS action and resource, a granting policy."""

from __future__ import annotations

import functools
import json
import re
from typing import TYPE_CHECKING

from cos_doctor._pipeline.evidence.buckets import appid_of
from cos_doctor._pipeline.evidence.credentials import credential_kind
from cos_doctor._pipeline.evidence.registry import Facts, detector

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor._pipeline.context import RequestContext
    from cos_doctor.diagnosis import Evidence

# SDK method -> COS API action (the names bucket policies and CAM use: name/cos:<Action>).
_ACTIONS = {
    "get_object": "GetObject",
    "get_object_sensitive_content_recognition": "GetObject",
    "put_object": "PutObject",
    "head_object": "HeadObject",
    "delete_object": "DeleteObject",
    "delete_objects": "DeleteMultipleObjects",
    "copy_object": "PutObject",
    "append_object": "AppendObject",
    "restore_object": "PostObjectRestore",
    "get_object_acl": "GetObjectACL",
    "put_object_acl": "PutObjectACL",
    "create_multipart_upload": "InitiateMultipartUpload",
    "upload_part": "UploadPart",
    "upload_part_copy": "UploadPart",
    "complete_multipart_upload": "CompleteMultipartUpload",
    "abort_multipart_upload": "AbortMultipartUpload",
    "list_parts": "ListParts",
    "list_multipart_uploads": "ListMultipartUploads",
    "list_objects": "GetBucket",
    "list_objects_versions": "GetBucketObjectVersions",
    "head_bucket": "HeadBucket",
    "create_bucket": "PutBucket",
    "delete_bucket": "DeleteBucket",
    "list_buckets": "GetService",
    "get_bucket_acl": "GetBucketACL",
    "put_bucket_acl": "PutBucketACL",
    "get_bucket_policy": "GetBucketPolicy",
    "put_bucket_policy": "PutBucketPolicy",
    "delete_bucket_policy": "DeleteBucketPolicy",
    "get_bucket_cors": "GetBucketCORS",
    "put_bucket_cors": "PutBucketCORS",
    "delete_bucket_cors": "DeleteBucketCORS",
    "get_bucket_referer": "GetBucketReferer",
    "put_bucket_referer": "PutBucketReferer",
    "delete_bucket_referer": "DeleteBucketReferer",
    "get_bucket_lifecycle": "GetBucketLifecycle",
    "put_bucket_lifecycle": "PutBucketLifecycle",
    "delete_bucket_lifecycle": "DeleteBucketLifecycle",
    "get_bucket_versioning": "GetBucketVersioning",
    "put_bucket_versioning": "PutBucketVersioning",
}
# Actions that change or reveal a bucket's access configuration: the root account may call
# them; anyone else needs them granted explicitly (CAM policy or bucket policy).
_BUCKET_CONFIGURATION = re.compile(r"^(?:Get|Put|Delete)Bucket(?:ACL|Policy|CORS|Referer)$")
_BUCKET_LEVEL = re.compile(r"Bucket|Service|MultipartUploads|DeleteMultipleObjects")
_ANYONE = "qcs::cam::anyone:anyone"


def required_action(context: RequestContext) -> str | None:
    """The ``name/cos:<Action>`` the failed SDK call needed, when the call is known."""
    action = _ACTIONS.get(context.api_method or context.operation or "")
    return f"name/cos:{action}" if action else None


def resource_name(context: RequestContext, action: str) -> str | None:
    """``qcs::cos:<region>:uid/<appid>:<bucket>/<key>``, as a bucket policy names it."""
    if not context.bucket or not context.region:
        return None
    appid = appid_of(context.bucket)
    if appid is None:
        return None
    bucket_level = bool(_BUCKET_LEVEL.search(action)) or not context.key
    target = "*" if bucket_level else context.key
    return f"qcs::cos:{context.region}:uid/{appid}:{context.bucket}/{target}"


@detector("referer-denied")
def referer(facts: Facts) -> Iterator[Evidence]:
    """The Referer the request carried (or that it carried none), and whether it was signed."""
    sent = facts.context.request_headers.get("referer")
    if facts.context.authorization is None and not facts.context.request_headers:
        return  # nothing known about the request itself
    yield facts.say("referer_sent", sent, variant="sent" if sent else "none")
    yield from _signed(facts)


@detector("cors-forbidden")
def origin(facts: Facts) -> Iterator[Evidence]:
    """The Origin (and preflight method) the request carried, or that it carried none."""
    headers = facts.context.request_headers
    if not headers:
        return
    sent = headers.get("origin")
    yield facts.say("origin_sent", sent, variant="sent" if sent else "none")
    method = headers.get("access-control-request-method")
    if method:
        yield facts.say("preflight_method", method)
    yield from _signed(facts)


def _signed(facts: Facts) -> Iterator[Evidence]:
    kind = credential_kind(facts.context)
    if kind is not None:
        signed = kind != "anonymous"
        yield facts.say("request_signed", signed, variant="yes" if signed else "no")


@detector("referer-denied", "cors-forbidden")
def curl_check(facts: Facts) -> Iterator[Evidence]:
    """The exact curl command of the troubleshooting guide, filled in for this request."""
    context = facts.context
    if not context.endpoint:
        return
    header = "Referer" if facts.match.rule.id == "referer-denied" else "Origin"
    value = context.request_headers.get(header.lower())
    if not value:
        return
    path = context.key or ""
    command = f"curl 'http://{context.endpoint}/{path}' -vo /dev/null -H '{header}: {value}'"
    yield facts.say("curl_check", command)


@detector("no-such-bucket", "invalid-argument")
def bucket_name(facts: Facts) -> Iterator[Evidence]:
    """Whether the bucket name carries the -APPID suffix every COS bucket name ends in."""
    bucket = facts.context.bucket
    if bucket:
        has_appid = appid_of(bucket) is not None
        yield facts.say("bucket_appid_suffix", has_appid, variant="yes" if has_appid else "no")


@detector("access-denied")
def permission(facts: Facts) -> Iterator[Evidence]:
    """The action and resource the call needed, and a policy statement that would grant it."""
    context = facts.context
    action = required_action(context)
    if action is None:
        return
    yield facts.say("required_action", action)
    if context.bucket:
        has_appid = appid_of(context.bucket) is not None
        yield facts.say("bucket_appid_suffix", has_appid, variant="yes" if has_appid else "no")
    if _BUCKET_CONFIGURATION.match(action.split(":", 1)[1]):
        yield facts.say("owner_rights_needed", value=True)
    resource = resource_name(context, action)
    if resource is None:
        return
    yield facts.say("resource_name", resource)
    anonymous = credential_kind(context) == "anonymous"
    principal = _ANYONE if anonymous else "qcs::cam::uin/<OwnerUin>:uin/<SubUin>"
    yield facts.say("policy_statement", policy_statement(principal, action, resource))


# A failing call repeats with the same action and resource: its statement is written once.
@functools.lru_cache(maxsize=256)
def policy_statement(principal: str, action: str, resource: str) -> str:
    """The bucket policy (JSON) granting ``principal`` the ``action`` on ``resource``."""
    statement = {
        "version": "2.0",
        "Statement": [
            {
                "Principal": {"qcs": [principal]},
                "Effect": "allow",
                "Action": [action],
                "Resource": [resource],
            },
        ],
    }
    return json.dumps(statement, separators=(", ", ": "))
