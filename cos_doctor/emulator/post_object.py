"""POST Object: browser form uploads authorised by a signed policy (reference §3).

Checks run in this order (COS does not document one; this is the reference's suggestion):
multipart body → policy document → key (``q-ak``) → policy signature → policy expiration →
key-time window → policy conditions → Content-MD5 → bucket permission. A form without a
``policy`` field is an anonymous upload, governed by the bucket's ACL and policy alone.

Fields after the ``file`` part are ignored, as COS documents that the file must come last.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder

from cos_doctor import _signing
from cos_doctor.emulator import object_ops, responses
from cos_doctor.emulator.access import Target, authorize
from cos_doctor.emulator.auth import TOKEN_NAME, Identity, check_time, find_key
from cos_doctor.emulator.errors import CosError
from cos_doctor.emulator.referer import DENIED_MESSAGE, referer_allowed

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

    from cos_doctor.emulator.models import Bucket
    from cos_doctor.emulator.request import CosRequest
    from cos_doctor.emulator.state import EmulatorState

# The documented wording, curly quote and trailing space included.
CONTENT_LENGTH_MESSAGE = "Condition key content-length-range doesn\u2018t match the value "
_SUCCESS_STATUSES = {"200": 200, "201": 201, "204": 204}


@dataclass(frozen=True)
class Form:
    """A decoded POST form: fields (lowercase names) before the file, and the file."""

    fields: dict[str, str]
    filename: str
    data: bytes


def read_form(request: CosRequest) -> Form:
    """Decode a multipart/form-data body; MalformedPOSTRequest if it is not one."""
    mimetype, options = parse_options_header(request.header("content-type"))
    boundary = options.get("boundary")
    if mimetype != "multipart/form-data" or not boundary:
        raise CosError("MalformedPOSTRequest")
    decoder = MultipartDecoder(boundary.encode("latin-1"))
    decoder.receive_data(request.body)
    decoder.receive_data(None)
    fields: dict[str, str] = {}
    files: list[tuple[str, bytes]] = []
    part: Field | File | None = None
    buffer = bytearray()
    try:
        event = decoder.next_event()
        while not isinstance(event, Epilogue):
            if isinstance(event, (Field, File)):
                part, buffer = event, bytearray()
            elif isinstance(event, Data):
                buffer += event.data
                if not event.more_data and isinstance(part, File):
                    files.append((part.filename, bytes(buffer)))
                elif not event.more_data and part is not None and not files:
                    fields[part.name.lower()] = buffer.decode("utf-8", "replace")
            event = decoder.next_event()
    except ValueError:
        raise CosError("MalformedPOSTRequest") from None
    if len(files) != 1:
        raise CosError("IncorrectNumberOfFilesInPostRequest")
    return Form(fields, files[0][0], files[0][1])


def _policy(form: Form) -> tuple[bytes, dict[str, Any]] | None:
    encoded = form.fields.get("policy")
    if encoded is None:
        return None
    try:
        text = base64.b64decode(encoded, validate=True)
        document = json.loads(text.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise CosError("InvalidPolicyDocument") from None
    if not isinstance(document, dict) or not document.get("conditions"):
        raise CosError("InvalidPolicyDocument")
    if not isinstance(document["conditions"], list):
        raise CosError("InvalidPolicyDocument")
    return text, document


def _expiration(document: dict[str, Any]) -> int | None:
    text = document.get("expiration")
    if text is None:
        return None
    try:
        return int(datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp())
    except ValueError:
        raise CosError("InvalidPolicyDocument") from None


def _field_value(form: Form, name: str, key: str) -> str:
    name = name.lower()
    if name == "key":
        return key
    if name == "q-sign-time":
        # Forms send the window as q-key-time; policies name it q-sign-time.
        return form.fields.get(name, form.fields.get("q-key-time", ""))
    return form.fields.get(name, "")


def _normalise(condition: Any) -> list[tuple[str, str, Any]]:
    """Turn one policy condition into (operator, field, expected) checks."""
    if isinstance(condition, dict):
        return [("eq", str(name), expected) for name, expected in condition.items()]
    if isinstance(condition, list) and len(condition) == 3:
        operator = str(condition[0]).lower()
        if operator == "content-length-range":
            return [(operator, operator, _bounds(condition))]
        if operator in {"eq", "starts-with"}:
            return [(operator, str(condition[1]).lstrip("$"), condition[2])]
    raise CosError("InvalidPolicyDocument")


def check_conditions(form: Form, conditions: list[Any], bucket: Bucket, key: str) -> None:
    """Raise the documented error for the first condition the form does not meet."""
    for operator, field, expected in (c for raw in conditions for c in _normalise(raw)):
        if operator == "content-length-range":
            low, high = expected
            if len(form.data) < low:
                raise CosError("EntityTooSmall", CONTENT_LENGTH_MESSAGE)
            if len(form.data) > high:
                raise CosError("EntityTooLarge", CONTENT_LENGTH_MESSAGE)
            continue
        actual = bucket.name if field.lower() == "bucket" else _field_value(form, field, key)
        wanted = str(expected)
        if not (actual == wanted if operator == "eq" else actual.startswith(wanted)):
            raise CosError(
                "AccessDenied", f"Condition key {field} doesn't match the value {wanted}"
            )


def _bounds(condition: list[Any]) -> tuple[int, int]:
    try:
        return int(condition[1]), int(condition[2])
    except (TypeError, ValueError):
        raise CosError("InvalidPolicyDocument") from None


def _identity(
    state: EmulatorState, form: Form, policy: tuple[bytes, dict[str, Any]] | None
) -> Identity:
    if policy is None:
        return Identity()
    text, document = policy
    key = find_key(state, form.fields.get("q-ak", ""), form.fields.get(TOKEN_NAME))
    key_time = form.fields.get("q-key-time", "")
    expected = _signing.post_policy_signature(key.secret_key, key_time, text)
    if not hmac.compare_digest(expected, form.fields.get("q-signature", "").lower()):
        # No HttpString here: the policy text itself is what was hashed.
        raise CosError(
            "SignatureDoesNotMatch",
            StringToSign=hashlib.sha1(text).hexdigest(),  # noqa: S324 - the protocol's hash
            FormatString=text.decode("utf-8"),
        )
    expiration, now = _expiration(document), int(state.now())
    if expiration is not None and expiration < now:
        raise CosError(
            "AccessDenied",
            "You post object request has been expired, expiration time: "
            f"{expiration} but the time now : {now}",
        )
    check_time(state, key_time)
    return Identity(key)


def post_object(state: EmulatorState, request: CosRequest, bucket: Bucket) -> Response:
    """Serve a POST Object form upload to ``bucket``."""
    form = read_form(request)
    if "key" not in form.fields:
        raise CosError("InvalidArgument", "Bucket POST must contain a field named 'key'.")
    key = form.fields["key"].replace("${filename}", form.filename)
    policy = _policy(form)
    identity = _identity(state, form, policy)
    if policy is not None:
        check_conditions(form, policy[1]["conditions"], bucket, key)
    object_ops.check_md5_value(form.fields.get("content-md5", ""), form.data)
    if identity.anonymous and not referer_allowed(
        bucket.referer, request.header("referer") or None
    ):
        raise CosError("AccessDenied", DENIED_MESSAGE)
    authorize(state, identity, Target(bucket, "PostObject", key, request.remote_addr))
    fields = dict(form.fields)
    if "acl" in fields:
        fields.setdefault("x-cos-acl", fields["acl"])
    stored = object_ops.new_object(fields, key, form.data, state.now())
    bucket.objects[key] = stored
    return _success(form, request.host, bucket.name, key, stored.etag)


def _success(form: Form, host: str, bucket: str, key: str, etag: str) -> Response:
    location = f"http://{host}/{quote(key, safe='/-_.~')}"
    headers = {"ETag": etag, "Location": location}
    redirect = form.fields.get("success_action_redirect")
    if redirect:
        query = urlencode({"bucket": bucket, "key": key, "etag": etag})
        headers["Location"] = f"{redirect}{'&' if '?' in redirect else '?'}{query}"
        return responses.CosResponse(status=303, headers=headers)
    status = _SUCCESS_STATUSES.get(form.fields.get("success_action_status", ""), 204)
    if status == 201:
        response = responses.xml_response(responses.post_response(location, bucket, key, etag), 201)
        response.headers.update(headers)
        return response
    return responses.CosResponse(status=status, headers=headers)
