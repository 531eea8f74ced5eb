"""POST Object: browser form uploads authorised by a signed policy (reference §3).

Checks run in this order (COS does not document one; this is the reference's suggestion):
multipart body → policy document → key (``q-ak``) → policy signature → policy expiration →
key-time window → policy conditions → Content-MD5 → bucket permission. A form without a
``policy`` field is an anonymous upload, governed by the bucket's ACL and policy alone.

Fields after the ``file`` part are ignored, as COS documents that the file must come last.

Conditions follow the POST Object page (https://www.tencentcloud.com/document/product/436/14690,
"Construct a policy"): every field a condition names, except ``bucket``, must be sent, so a
missing field fails even an empty prefix; ``q-sign-algorithm`` must be ``sha1``. A prefix
match on a field the page allows only exact matches for (``bucket``, ``success_action_status``,
``q-*``, ``x-cos-*`` other than ``x-cos-meta-*``) is refused as an invalid policy document: the
page does not say what COS answers, so that reply is this emulator's choice.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timezone
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
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError):
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
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise CosError("InvalidPolicyDocument") from None
    if moment.tzinfo is None:  # policy times are UTC, whatever this machine's zone
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def _field_value(form: Form, name: str, key: str) -> str | None:
    name = name.lower()
    if name == "key":
        return key
    if name == "q-sign-time":
        # Forms send the window as q-key-time; policies name it q-sign-time.
        return form.fields.get(name, form.fields.get("q-key-time"))
    return form.fields.get(name)


def _exact_only(field: str) -> bool:
    name = field.lower()
    if name in {"bucket", "success_action_status", "q-sign-algorithm", "q-ak", "q-sign-time"}:
        return True
    return name.startswith("x-cos-") and not name.startswith("x-cos-meta-")


def _normalise(condition: Any) -> list[tuple[str, str, Any]]:
    """Turn one policy condition into (operator, field, expected) checks."""
    if isinstance(condition, dict) and condition:
        return [("eq", str(name), _scalar(expected)) for name, expected in condition.items()]
    if isinstance(condition, list) and len(condition) == 3:
        operator = str(condition[0]).lower()
        if operator == "content-length-range":
            return [(operator, operator, _bounds(condition))]
        field = str(condition[1]).lstrip("$")
        if operator == "eq" or (operator == "starts-with" and not _exact_only(field)):
            return [(operator, field, _scalar(condition[2]))]
    raise CosError("InvalidPolicyDocument")


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise CosError("InvalidPolicyDocument")
    return str(value)


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
        if actual is None or not (
            actual == wanted if operator == "eq" else actual.startswith(wanted)
        ):
            message = f"Condition key {field} doesn't match the value {wanted}"
            raise CosError("AccessDenied", message)


def _bounds(condition: list[Any]) -> tuple[int, int]:
    low, high = condition[1], condition[2]
    numbers = all(isinstance(end, int) and not isinstance(end, bool) for end in (low, high))
    if not numbers or low < 0 or high < low:
        raise CosError("InvalidPolicyDocument")
    return low, high


def _identity(
    state: EmulatorState, form: Form, policy: tuple[bytes, dict[str, Any]] | None
) -> Identity:
    if policy is None:
        return Identity()
    text, document = policy
    key = find_key(state, form.fields.get("q-ak", ""), form.fields.get(TOKEN_NAME))
    key_time = form.fields.get("q-key-time", "")
    expected = _signing.post_policy_signature(key.secret_key, key_time, text)
    algorithm_ok = form.fields.get("q-sign-algorithm", "").lower() == _signing.ALGORITHM
    signature_ok = hmac.compare_digest(expected, form.fields.get("q-signature", "").lower())
    if not (algorithm_ok and signature_ok):
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
