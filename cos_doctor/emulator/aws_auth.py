"""Who is asking, for a request signed the S3 way (AWS SigV4), as COS's S3-compatible API reads it.

A SigV4 request carries ``Authorization: AWS4-HMAC-SHA256 …`` or, presigned, the ``X-Amz-*``
query parameters. :func:`find` reads either; :mod:`cos_doctor.emulator.auth` looks the key up and
checks the time as it does for q-sign; :func:`verify` recomputes the signature over exactly the
headers the client listed and then checks the payload: its declared hash against the body, or
an ``aws-chunked`` body chunk by chunk, returning the object's bytes.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from cos_doctor.emulator import sigv4
from cos_doctor.emulator.errors import UNUSABLE_SIGNATURE, CosError

if TYPE_CHECKING:
    from cos_doctor.emulator.request import CosRequest

TOKEN_HEADER = "x-amz-security-token"  # noqa: S105 - a header name, not a secret
_TOKEN_PARAM = "X-Amz-Security-Token"  # noqa: S105 - a parameter name
_SIGNATURE_PARAM = "X-Amz-Signature"
_TIMESTAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class AwsSignature:
    """A request's SigV4 signature: who, when, over what, and (presigned) for how long."""

    credential: sigv4.Credential
    signed_headers: tuple[str, ...]
    signature: str
    #: ``yyyymmddThhmmssZ``: ``X-Amz-Date`` (or the ``Date`` header, reformatted).
    timestamp: str
    #: Seconds a presigned URL stays valid; ``None`` for the header form.
    expires: int | None
    #: What the client signed as the payload: a hash or one of the literal markers.
    payload_hash: str
    token: str | None

    @property
    def presigned(self) -> bool:
        """Whether the signature travelled in the query string."""
        return self.expires is not None

    @property
    def signed_at(self) -> float:
        """The signing time in Unix seconds."""
        moment = datetime.strptime(self.timestamp, _TIMESTAMP).replace(tzinfo=timezone.utc)
        return moment.timestamp()


def is_sigv4(request: CosRequest) -> bool:
    """Whether the request is signed the S3 way (header or presigned query)."""
    header = request.header("authorization").lstrip()
    return header.startswith(sigv4.ALGORITHM) or "X-Amz-Algorithm" in request.query


def find(request: CosRequest) -> AwsSignature:
    """Read the SigV4 signature of a request for which :func:`is_sigv4` holds."""
    found = _from_query(request) if "X-Amz-Algorithm" in request.query else _from_header(request)
    if found is None:
        # The answer to an unreadable q-sign value: COS's to a malformed SigV4 one is undocumented.
        raise CosError("AccessDenied", UNUSABLE_SIGNATURE)
    return found


def _from_header(request: CosRequest) -> AwsSignature | None:
    parsed = sigv4.parse_authorization(request.header("authorization"))
    timestamp = _timestamp(request)
    if parsed is None or timestamp is None:
        return None
    return AwsSignature(
        credential=parsed.credential,
        signed_headers=parsed.signed_headers,
        signature=parsed.signature,
        timestamp=timestamp,
        expires=None,
        # Without the header (S3 clients always send it) the payload is the body's hash.
        payload_hash=request.header("x-amz-content-sha256") or sigv4.sha256_hex(request.body),
        token=request.header(TOKEN_HEADER) or None,
    )


def _from_query(request: CosRequest) -> AwsSignature | None:
    query = request.query
    credential = sigv4.Credential.parse(query.get("X-Amz-Credential", ""))
    signed = sigv4.split_signed_headers(query.get("X-Amz-SignedHeaders", ""))
    timestamp = query.get("X-Amz-Date", "")
    expires = query.get("X-Amz-Expires", "")
    if (
        query.get("X-Amz-Algorithm") != sigv4.ALGORITHM
        or credential is None
        or not signed
        or not query.get(_SIGNATURE_PARAM)
        or _parse_timestamp(timestamp) is None
        or not expires.isdigit()
    ):
        return None
    return AwsSignature(
        credential=credential,
        signed_headers=signed,
        signature=query[_SIGNATURE_PARAM],
        timestamp=timestamp,
        expires=int(expires),
        # A presigned URL never covers the body (S3's query-string authentication page).
        payload_hash=sigv4.UNSIGNED_PAYLOAD,
        token=query.get(_TOKEN_PARAM) or None,
    )


def _parse_timestamp(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, _TIMESTAMP).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _timestamp(request: CosRequest) -> str | None:
    """``X-Amz-Date``, or the ``Date`` header in the same basic ISO-8601 form."""
    amz_date = request.header("x-amz-date")
    if amz_date:
        return amz_date if _parse_timestamp(amz_date) is not None else None
    try:
        moment = parsedate_to_datetime(request.header("date"))
    except (TypeError, ValueError):
        return None
    return moment.astimezone(timezone.utc).strftime(_TIMESTAMP)


def expected_signature(request: CosRequest, found: AwsSignature, secret_key: str) -> str:
    """The signature the request should carry under ``secret_key``."""
    query = [(name, value) for name, value in request.query.items() if name != _SIGNATURE_PARAM]
    text = sigv4.canonical_request(
        request.method,
        path=request.path,
        query=query,
        headers=request.headers,
        signed_headers=found.signed_headers,
        payload_hash=found.payload_hash,
    )
    to_sign = sigv4.string_to_sign(found.timestamp, found.credential.scope, text)
    return sigv4.signature(sigv4.signing_key(secret_key, found.credential), to_sign)


def verify(request: CosRequest, found: AwsSignature, secret_key: str) -> bytes:
    """Check the signature and the payload; return the object's bytes (chunk framing removed)."""
    expected = expected_signature(request, found, secret_key)
    if not hmac.compare_digest(expected, found.signature.lower()):
        raise CosError("SignatureDoesNotMatch")
    payload = found.payload_hash
    if payload == sigv4.UNSIGNED_PAYLOAD:
        return request.body
    if payload == sigv4.STREAMING_SIGNED:
        return _signed_chunks(request, found, secret_key, expected)
    if payload == sigv4.STREAMING_UNSIGNED_TRAILER:
        return _unsigned_chunks(request)
    if not sigv4.is_payload_hash(payload):
        raise CosError("NotImplemented", f"x-amz-content-sha256 {payload} is not supported.")
    if payload != sigv4.sha256_hex(request.body):
        raise CosError("XAmzContentSHA256Mismatch")
    return request.body


def _decoded(request: CosRequest) -> sigv4.ChunkedBody:
    decoded = sigv4.decode_chunked(request.body)
    if decoded is None:
        raise CosError("IncompleteBody")
    declared = request.header("x-amz-decoded-content-length")
    if declared and declared != str(len(decoded.data)):
        raise CosError("IncompleteBody")
    return decoded


def _signed_chunks(request: CosRequest, found: AwsSignature, secret_key: str, seed: str) -> bytes:
    """Verify each chunk's signature, chained from the request's (the seed)."""
    decoded = _decoded(request)
    key = sigv4.signing_key(secret_key, found.credential)
    previous = seed
    for chunk in decoded.chunks:
        text = sigv4.chunk_string_to_sign(
            found.timestamp, found.credential.scope, previous, chunk.data
        )
        previous = sigv4.signature(key, text)
        if not hmac.compare_digest(previous, chunk.signature.lower()):
            raise CosError("SignatureDoesNotMatch")
    return decoded.data


def _unsigned_chunks(request: CosRequest) -> bytes:
    """Unframe a ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` body, as newer botocore sends over HTTPS.

    COS answered an Upload Part sent this way (chunked, no Content-Length) with 411
    MissingContentLength while simple uploads went through: infiniflow/ragflow#15927 (boto3
    1.36+ against COS, fixed client-side with request_checksum_calculation="when_required").
    """
    is_part = "partNumber" in request.query and "uploadId" in request.query
    if is_part and not request.header("content-length"):
        raise CosError("MissingContentLength")
    return _decoded(request).data
