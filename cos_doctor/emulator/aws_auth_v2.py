"""Who is asking, for a request signed with AWS Signature Version 2 (``AWS AK:signature``).

The header form carries ``Authorization: AWS <AccessKeyId>:<Signature>`` and a ``Date`` (or
``x-amz-date``); the presigned form the ``AWSAccessKeyId``, ``Expires`` and ``Signature`` query
parameters. :mod:`cos_doctor.emulator.auth` looks the key up and checks the time as for the other
schemes; :func:`verify` recomputes the signature over what S3's scheme signs.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from cos_doctor.emulator import sigv2
from cos_doctor.emulator.errors import UNUSABLE_SIGNATURE, CosError

if TYPE_CHECKING:
    from cos_doctor.emulator.request import CosRequest

_QUERY_FIELDS = ("AWSAccessKeyId", "Expires", "Signature")
_TOKEN = "x-amz-security-token"  # noqa: S105 - a header and parameter name, not a secret


@dataclass(frozen=True)
class V2Signature:
    """A request's SigV2 signature: whose, when (header) or until when (presigned)."""

    access_key: str
    signature: str
    #: The signing time in Unix seconds (header form; ``None`` when presigned).
    signed_at: float | None
    #: The ``Expires`` of a presigned URL in Unix seconds (``None`` for the header form).
    expires_at: float | None
    token: str | None


def is_sigv2(request: CosRequest) -> bool:
    """Whether the request is signed the SigV2 way (header or presigned query)."""
    return request.header("authorization").lstrip().startswith("AWS ") or all(
        name in request.query for name in _QUERY_FIELDS
    )


def find(request: CosRequest) -> V2Signature:
    """Read the SigV2 signature of a request for which :func:`is_sigv2` holds."""
    header = request.header("authorization").strip()
    if header.startswith("AWS "):
        access_key, _, signature = header[4:].strip().rpartition(":")
        signed_at = _date(request.header("x-amz-date") or request.header("date"))
        if not access_key or not signature or signed_at is None:
            raise CosError("AccessDenied", UNUSABLE_SIGNATURE)
        token = request.header(_TOKEN) or None
        return V2Signature(access_key, signature, signed_at, None, token)
    expires = request.query["Expires"]
    if not expires.isdigit():
        raise CosError("AccessDenied", UNUSABLE_SIGNATURE)
    token = request.query.get(_TOKEN) or request.header(_TOKEN) or None
    query = request.query
    return V2Signature(query["AWSAccessKeyId"], query["Signature"], None, float(expires), token)


def _date(text: str) -> float | None:
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError):
        return None


def expected_signature(request: CosRequest, found: V2Signature, secret_key: str) -> str:
    """The signature the request should carry under ``secret_key``."""
    headers = request.headers
    if found.expires_at is not None:
        date = str(int(found.expires_at))
    else:
        date = "" if "x-amz-date" in headers else request.header("date")
    query = {name: value for name, value in request.query.items() if name not in _QUERY_FIELDS}
    bucket = None if request.is_path_style else request.bucket_name
    text = sigv2.string_to_sign(
        request.method,
        content_md5=request.header("content-md5"),
        content_type=request.header("content-type"),
        date=date,
        amz_headers=sigv2.canonical_amz_headers(headers),
        resource=sigv2.canonical_resource(request.path, query, bucket),
    )
    return sigv2.signature(secret_key, text)


def verify(request: CosRequest, found: V2Signature, secret_key: str) -> None:
    """Raise SignatureDoesNotMatch unless the request carries the expected signature."""
    if not hmac.compare_digest(expected_signature(request, found, secret_key), found.signature):
        raise CosError("SignatureDoesNotMatch")
