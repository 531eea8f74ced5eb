"""Bucket operations: listing, HEAD, ACL, policy, CORS, referer, batch delete, create, delete."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cos_doctor.emulator import object_ops, parsing, responses
from cos_doctor.emulator.access import Target, authorize, is_allowed
from cos_doctor.emulator.errors import CosError
from cos_doctor.emulator.models import Acl, Bucket, StoredObject

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

    from cos_doctor.emulator.auth import Identity
    from cos_doctor.emulator.context import Call
    from cos_doctor.emulator.request import CosRequest
    from cos_doctor.emulator.state import EmulatorState

MAX_KEYS = 1000


def list_objects(call: Call) -> Response:
    """GET Bucket (List Objects): prefix, delimiter, marker, max-keys, encoding-type."""
    query = call.request.query
    prefix, delimiter, marker = (
        query.get("prefix", ""),
        query.get("delimiter", ""),
        query.get("marker", ""),
    )
    max_keys_text = query.get("max-keys", "") or str(MAX_KEYS)
    if not max_keys_text.isdigit():
        raise CosError("InvalidArgument", "max-keys must be a non-negative integer.")
    max_keys = min(int(max_keys_text), MAX_KEYS)
    entries, truncated = _list_entries(call.bucket, prefix, delimiter, marker, max_keys)
    contents = [stored for _, stored in entries if stored is not None]
    common = [name for name, stored in entries if stored is None]
    next_marker = (entries[-1][0] if entries else marker) if truncated else None
    result = responses.list_bucket_result(
        call.bucket,
        prefix=prefix,
        marker=marker,
        delimiter=delimiter,
        max_keys=max_keys,
        url_encoded=query.get("encoding-type", "") == "url",
        contents=contents,
        common_prefixes=common,
        next_marker=next_marker,
    )
    return responses.xml_response(result)


def _list_entries(
    bucket: Bucket, prefix: str, delimiter: str, marker: str, max_keys: int
) -> tuple[list[tuple[str, StoredObject | None]], bool]:
    """Keys and common prefixes (object ``None``) in order, and whether more remain."""
    entries: list[tuple[str, StoredObject | None]] = []
    if max_keys == 0:
        # Nothing listed, so nothing to continue from: GET Bucket's NextMarker is "the last
        # object key in the current response" (436/7734). S3 answers max-keys=0 untruncated.
        return entries, False
    for key in sorted(k for k in bucket.objects if k.startswith(prefix) and k > marker):
        rest = key[len(prefix) :]
        if delimiter and delimiter in rest:
            group = prefix + rest[: rest.index(delimiter) + len(delimiter)]
            # Keys sharing a prefix sort together, so a group only repeats its predecessor;
            # a marker that is itself a group means that group was already returned.
            if (entries and entries[-1][0] == group) or group == marker:
                continue
            entry: tuple[str, StoredObject | None] = (group, None)
        else:
            entry = (key, bucket.objects[key])
        if len(entries) == max_keys:
            return entries, True
        entries.append(entry)
    return entries, False


def head_bucket(call: Call) -> Response:
    """HEAD Bucket: it exists and the caller may read it."""
    return responses.CosResponse(status=200, headers={"x-cos-bucket-region": call.bucket.region})


def get_location(call: Call) -> Response:
    """GET Bucket location."""
    return responses.xml_response(responses.location_constraint(call.bucket.region))


def get_acl(call: Call) -> Response:
    """GET Bucket ACL."""
    return responses.xml_response(
        responses.access_control_policy(call.bucket.owner_principal, call.bucket.acl)
    )


def put_acl(call: Call) -> Response:
    """PUT Bucket ACL from headers or an ``<AccessControlPolicy>`` body."""
    acl = parsing.acl_from_headers(call.request.headers, for_object=False)
    call.bucket.acl = acl if acl is not None else parsing.acl_from_xml(call.request.body)
    return responses.CosResponse(status=200)


def get_policy(call: Call) -> Response:
    """GET Bucket policy (JSON)."""
    if call.bucket.policy is None:
        raise CosError("NoSuchBucketPolicy")
    return responses.CosResponse(json.dumps(call.bucket.policy), content_type="application/json")


def put_policy(call: Call) -> Response:
    """PUT Bucket policy."""
    call.bucket.policy = parsing.policy_from_json(call.request.body)
    return responses.CosResponse(status=204)


def delete_policy(call: Call) -> Response:
    """DELETE Bucket policy."""
    if call.bucket.policy is None:
        raise CosError("NoSuchBucketPolicy")
    call.bucket.policy = None
    return responses.CosResponse(status=204)


def get_cors(call: Call) -> Response:
    """GET Bucket CORS."""
    if not call.bucket.cors:
        raise CosError("NoSuchCORSConfiguration")
    return responses.xml_response(responses.cors_configuration(call.bucket.cors))


def put_cors(call: Call) -> Response:
    """PUT Bucket CORS."""
    call.bucket.cors = parsing.cors_from_xml(call.request.body)
    return responses.CosResponse(status=200)


def delete_cors(call: Call) -> Response:
    """DELETE Bucket CORS."""
    call.bucket.cors = ()
    return responses.CosResponse(status=204)


def get_referer(call: Call) -> Response:
    """GET Bucket referer."""
    return responses.xml_response(responses.referer_configuration(call.bucket.referer))


def put_referer(call: Call) -> Response:
    """PUT Bucket referer; an empty body (the SDK's delete_bucket_referer) removes the rule."""
    call.bucket.referer = parsing.referer_from_xml(call.request.body)
    return responses.CosResponse(status=200)


def delete_referer(call: Call) -> Response:
    """DELETE Bucket referer."""
    call.bucket.referer = None
    return responses.CosResponse(status=204)


def delete_objects(call: Call) -> Response:
    """Delete Multiple Objects; each key is checked and reported on its own.

    COS needs the body's Content-MD5 here (DELETE Multiple Objects, 436/8289): boto3 1.36+,
    which sends a CRC32 checksum instead, was refused with this InvalidRequest on real COS
    (Moonlark-Dev/Moonlark#1416). The COS SDK always sends it.
    """
    if not call.request.header("content-md5"):
        raise CosError("InvalidRequest", "Missing required header for this request: Content-MD5")
    object_ops.check_md5(call.request, call.request.body)
    quiet, keys = parsing.delete_from_xml(call.request.body)
    deleted, errors = [], []
    for key in keys:
        try:
            call.require("DeleteObject", key=key)
        except CosError as denied:
            errors.append((key, denied.code, denied.message))
            continue
        call.bucket.objects.pop(key, None)
        deleted.append(key)
    return responses.xml_response(responses.delete_result([] if quiet else deleted, errors))


def delete_bucket(call: Call) -> Response:
    """DELETE Bucket: only when empty."""
    if call.bucket.objects:
        raise CosError("BucketNotEmpty")
    del call.state.buckets[call.bucket.name]
    return responses.CosResponse(status=204)


def create_bucket(state: EmulatorState, request: CosRequest, identity: Identity) -> Response:
    """PUT Bucket: the bucket's APPID suffix must be the caller's own account."""
    name, region = request.bucket_name or "", request.region or ""
    existing = state.buckets.get(name)
    key = identity.key
    if existing is not None:
        mine = key is not None and key.owner_uin == existing.owner_uin
        raise CosError("BucketAlreadyOwnedByYou") if mine else CosError("BucketAlreadyExists")
    account = state.accounts.get(key.owner_uin) if key is not None else None
    appid = name.rsplit("-", 1)[-1]
    if account is None or account.appid != appid:
        raise CosError("AccessDenied")
    acl = parsing.acl_from_headers(request.headers, for_object=False) or Acl()
    bucket = state.new_bucket(name, region, account, acl)
    authorize(state, identity, Target(bucket, "PutBucket", "", request.remote_addr))
    state.buckets[name] = bucket
    return responses.CosResponse(status=200, headers={"Location": f"/{name}"})


def list_buckets(state: EmulatorState, identity: Identity, region: str | None = None) -> Response:
    """GET Service: the caller's account's buckets (in ``region`` only, when given).

    Anonymous callers are refused.
    """
    key = identity.key
    if key is None:
        raise CosError("AccessDenied")
    owned = [b for b in state.buckets.values() if b.owner_uin == key.owner_uin]
    if region is not None:
        owned = [b for b in owned if b.region == region]
    owner = owned[0].owner_principal if owned else key.principal
    visible = [
        b
        for b in owned
        if key.is_root or is_allowed(state, identity, Target(b, "GetService", "", ""))
    ]
    return responses.xml_response(
        responses.list_all_my_buckets_result(owner, sorted(visible, key=lambda b: b.name))
    )
