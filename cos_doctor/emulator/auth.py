"""Who is asking: verify a request's signature (q-sign, AWS SigV4 or SigV2), independently of SDKs.

The recipe (reference §2.8): find the signature in the ``Authorization`` header, the ``q-*``
query parameters of a presigned URL, or a merged ``sign=`` parameter; no signature at all (or
an empty header, as the SDK sends with ``Anonymous=True``) means an anonymous request. Then look
up the key, check a temporary key's token, check the time window, and recompute the signature
over exactly the headers and parameters the client listed — a listed item that is absent counts
as an empty value. A request signed the S3 way (``AWS4-HMAC-SHA256``, header or ``X-Amz-*``
query; or SigV2's ``AWS AK:signature``) takes the same steps with
:mod:`cos_doctor.emulator.aws_auth` (:mod:`~cos_doctor.emulator.aws_auth_v2`), so every scheme
shares the key lookup, the clock rules and the errors.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from cos_doctor import _signing
from cos_doctor.emulator import aws_auth, aws_auth_v2
from cos_doctor.emulator.errors import UNUSABLE_SIGNATURE, CosError
from cos_doctor.emulator.models import ANYONE, Key

if TYPE_CHECKING:
    from cos_doctor.emulator.request import CosRequest
    from cos_doctor.emulator.state import EmulatorState

#: How far in the future a signature may start before it counts as clock skew (15 minutes).
MAX_SKEW_SECONDS = 900
TOKEN_NAME = "x-cos-security-token"  # noqa: S105 - a header name, not a secret
# Any of these in the query makes it a presigned URL.
_QUERY_SIGNATURE_FIELDS = frozenset({"q-sign-algorithm", "q-ak", "q-signature"})


@dataclass(frozen=True)
class Identity:
    """The caller: the key it signed with, or anonymous (``key is None``)."""

    key: Key | None = None

    @property
    def anonymous(self) -> bool:
        """Whether the request carried no signature."""
        return self.key is None

    @property
    def principal(self) -> str:
        """The CAM principal acting (``qcs::cam::anyone:anyone`` when anonymous)."""
        return ANYONE if self.key is None else self.key.principal


ANONYMOUS = Identity()


def server_time(state: EmulatorState) -> str:
    """The server clock as the ISO-8601 ``<ServerTime>`` of a time-related error."""
    return datetime.fromtimestamp(state.now(), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def find_authorization(request: CosRequest) -> _signing.Authorization | None:
    """Return the request's signature, ``None`` if unsigned; raise if present but unusable."""
    header = request.header("authorization").strip()
    if header:
        auth = _signing.parse_authorization(header)
    elif "sign" in request.query:
        auth = _signing.parse_authorization(request.query["sign"])
    elif _QUERY_SIGNATURE_FIELDS & request.query.keys():
        auth = _signing.parse_authorization_params(request.query)
    else:
        return None
    times_ok = auth is not None and all(
        _signing.parse_key_time(text) is not None for text in (auth.sign_time, auth.key_time)
    )
    if auth is None or not times_ok:
        raise CosError("AccessDenied", UNUSABLE_SIGNATURE)
    return auth


def find_key(state: EmulatorState, secret_id: str, token: str | None) -> Key:
    """Return the enabled, unexpired key ``secret_id``, checking a temporary key's token."""
    key = state.keys.get(secret_id)
    if key is None or not key.enabled:
        raise CosError("InvalidAccessKeyId")
    if key.temporary:
        expired = key.expires_at is not None and key.expires_at <= state.now()
        if expired or token is None or not hmac.compare_digest(token, key.token or ""):
            raise CosError("InvalidAccessKeyId")
    return key


def check_time(state: EmulatorState, sign_time: str) -> None:
    """Reject a signature window that starts too far ahead or has already ended."""
    window = _signing.parse_key_time(sign_time)
    if window is None:
        raise CosError("AccessDenied", UNUSABLE_SIGNATURE)
    start, end = window
    now = state.now()
    if start > now + MAX_SKEW_SECONDS:
        raise CosError("RequestTimeTooSkewed", ServerTime=server_time(state))
    if end < now:
        raise CosError("AccessDenied", "Request has expired", ServerTime=server_time(state))


def verify_signature(request: CosRequest, key: Key, auth: _signing.Authorization) -> None:
    """Recompute the signature over what the client listed; raise SignatureDoesNotMatch."""
    params = _signing.canonicalize(request.query)
    headers = _signing.canonicalize(request.headers)
    http_string = _signing.format_string_canonical(
        request.method,
        request.path,
        {name: params.get(name, "") for name in auth.url_param_list},
        {name: headers.get(name, "") for name in auth.header_list},
    )
    text_to_sign = _signing.string_to_sign(auth.sign_time, http_string)
    expected = _signing.signature(_signing.sign_key(key.secret_key, auth.key_time), text_to_sign)
    algorithm_ok = auth.algorithm.lower() == _signing.ALGORITHM
    if not (algorithm_ok and hmac.compare_digest(expected, auth.signature.lower())):
        raise CosError("SignatureDoesNotMatch", StringToSign=text_to_sign, FormatString=http_string)


def check_aws_time(state: EmulatorState, found: aws_auth.AwsSignature) -> None:
    """The clock rules for SigV4: a presigned URL expires; a signing time must be near now.

    A presigned URL past ``X-Amz-Date + X-Amz-Expires`` gets COS's "Request has expired"; a
    signing time more than 15 minutes from the server's clock (either way for the header form,
    ahead for a presigned URL) gets RequestTimeTooSkewed, as a q-sign window starting too late.
    """
    now = state.now()
    signed_at = found.signed_at
    if found.expires is not None:
        if signed_at > now + MAX_SKEW_SECONDS:
            raise CosError("RequestTimeTooSkewed", ServerTime=server_time(state))
        if signed_at + found.expires < now:
            raise CosError("AccessDenied", "Request has expired", ServerTime=server_time(state))
    elif abs(now - signed_at) > MAX_SKEW_SECONDS:
        raise CosError("RequestTimeTooSkewed", ServerTime=server_time(state))


def authenticate_aws(request: CosRequest, state: EmulatorState) -> tuple[Identity, CosRequest]:
    """Identify the caller of a SigV4 request; the request comes back with its payload unframed."""
    found = aws_auth.find(request)
    key = find_key(state, found.credential.access_key, found.token)
    check_aws_time(state, found)
    body = aws_auth.verify(request, found, key.secret_key)
    return Identity(key), request if body is request.body else replace(request, body=body)


def authenticate_aws_v2(request: CosRequest, state: EmulatorState) -> Identity:
    """Identify the caller of a SigV2 request, with the clock rules of the other schemes."""
    found = aws_auth_v2.find(request)
    key = find_key(state, found.access_key, found.token)
    now = state.now()
    if found.expires_at is not None and found.expires_at < now:
        raise CosError("AccessDenied", "Request has expired", ServerTime=server_time(state))
    if found.signed_at is not None and abs(now - found.signed_at) > MAX_SKEW_SECONDS:
        raise CosError("RequestTimeTooSkewed", ServerTime=server_time(state))
    aws_auth_v2.verify(request, found, key.secret_key)
    return Identity(key)


def authenticate(request: CosRequest, state: EmulatorState) -> tuple[Identity, CosRequest]:
    """Identify the caller of a signed or anonymous request, or raise the COS error.

    The request is returned too: a SigV4 ``aws-chunked`` upload comes back with its body
    decoded, so operations store the object's bytes, not the chunk framing.
    """
    if aws_auth.is_sigv4(request):
        return authenticate_aws(request, state)
    if aws_auth_v2.is_sigv2(request):
        return authenticate_aws_v2(request, state), request
    auth = find_authorization(request)
    if auth is None:
        return ANONYMOUS, request
    token = request.headers.get(TOKEN_NAME) or request.query.get(TOKEN_NAME)
    key = find_key(state, auth.ak, token)
    check_time(state, auth.sign_time)
    verify_signature(request, key, auth)
    return Identity(key), request
