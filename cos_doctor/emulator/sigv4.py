r"""AWS Signature Version 4, the scheme COS's S3-compatible API accepts, as pure functions.

Written from AWS's specification, not from any SDK: the SigV4 signing process and S3's
"Authenticating Requests" pages (Authorization header, query string, chunked upload). The
known-answer tests in tests/emulator/test_emulator_sigv4.py pin it to AWS's published vectors::

    CanonicalRequest = method \n uri \n query \n headers \n\n signed-headers \n payload-hash
    StringToSign     = AWS4-HMAC-SHA256 \n timestamp \n scope \n hex(SHA256(CanonicalRequest))
    SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")
    Signature        = hex(HMAC-SHA256(SigningKey, StringToSign))

A chunked upload signs each chunk in turn, chained from the request's signature (the seed).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

ALGORITHM = "AWS4-HMAC-SHA256"
#: ``x-amz-content-sha256`` values that stand for something other than the body's hash.
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_CHUNK_ALGORITHM = "AWS4-HMAC-SHA256-PAYLOAD"
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256_hex(data: bytes) -> str:
    """The lowercase hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def is_payload_hash(value: str) -> bool:
    """Whether an ``x-amz-content-sha256`` value is a hash (not one of the literal markers)."""
    return _HEX_SHA256.match(value) is not None


def uri_encode(text: str, *, keep_slash: bool = False) -> str:
    """Percent-encode ``text`` as SigV4 does: UTF-8, uppercase hex, ``A-Za-z0-9-_.~`` bare."""
    return quote(text, safe="-_.~/" if keep_slash else "-_.~")


@dataclass(frozen=True)
class Credential:
    """The ``Credential=`` value: access key and scope ``date/region/service/aws4_request``."""

    access_key: str
    date: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        """``<date>/<region>/<service>/aws4_request``."""
        return f"{self.date}/{self.region}/{self.service}/aws4_request"

    @classmethod
    def parse(cls, text: str) -> Credential | None:
        """Read ``AK/20130524/us-east-1/s3/aws4_request``; ``None`` if it is not that shape."""
        parts = text.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
            return None
        return cls(*parts[:4])


@dataclass(frozen=True)
class HeaderAuthorization:
    """The parts of an ``Authorization: AWS4-HMAC-SHA256 …`` header."""

    credential: Credential
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> HeaderAuthorization | None:
    """Parse ``AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…``.

    Returns ``None`` when the value is not a complete SigV4 header (spaces after the commas
    are optional, as clients differ).
    """
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        return None
    fields = {}
    for part in rest.split(","):
        name, separator, field = part.strip().partition("=")
        if separator:
            fields[name] = field.strip()
    credential = Credential.parse(fields.get("Credential", ""))
    signed = split_signed_headers(fields.get("SignedHeaders", ""))
    signature = fields.get("Signature", "")
    if credential is None or not signed or not signature:
        return None
    return HeaderAuthorization(credential, signed, signature)


def split_signed_headers(text: str) -> tuple[str, ...]:
    """``host;x-amz-date`` → ``("host", "x-amz-date")``, lowercased, empty names dropped."""
    return tuple(name.strip().lower() for name in text.split(";") if name.strip())


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """Encode every name and value, sort by name then value, and join with ``&``."""
    encoded = sorted((uri_encode(name), uri_encode(value)) for name, value in params)
    return "&".join(f"{name}={value}" for name, value in encoded)


def canonical_headers(headers: Mapping[str, str], signed: Iterable[str]) -> str:
    """``name:value`` lines for the signed headers: values trimmed, inner spaces collapsed.

    ``headers`` has lowercase names; a signed header that is absent counts as empty.
    """
    return "".join(f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed)


def canonical_request(  # noqa: PLR0913 - the specification's six parts
    method: str,
    *,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: tuple[str, ...],
    payload_hash: str,
) -> str:
    """Build the canonical request; ``path`` is the decoded path, encoded once here (S3 style)."""
    return "\n".join(
        (
            method.upper(),
            uri_encode(path, keep_slash=True),
            canonical_query(query),
            canonical_headers(headers, signed_headers),
            ";".join(signed_headers),
            payload_hash,
        )
    )


def string_to_sign(timestamp: str, scope: str, request_text: str) -> str:
    """``AWS4-HMAC-SHA256``, the ``yyyymmddThhmmssZ`` timestamp, the scope, the request hash."""
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{sha256_hex(request_text.encode('utf-8'))}"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, credential: Credential) -> bytes:
    """Derive the signing key from the secret and the credential's date, region and service."""
    key = _hmac(("AWS4" + secret_key).encode("utf-8"), credential.date)
    for part in (credential.region, credential.service, "aws4_request"):
        key = _hmac(key, part)
    return key


def signature(key: bytes, text_to_sign: str) -> str:
    """The lowercase hex HMAC-SHA256 of ``text_to_sign`` under the signing key."""
    return hmac.new(key, text_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def chunk_string_to_sign(timestamp: str, scope: str, previous: str, chunk: bytes) -> str:
    """The string to sign for one chunk of a ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` body."""
    return "\n".join(
        (_CHUNK_ALGORITHM, timestamp, scope, previous, EMPTY_SHA256, sha256_hex(chunk))
    )


@dataclass(frozen=True)
class Chunk:
    """One ``aws-chunked`` chunk: its data and its ``chunk-signature`` (``""`` if unsigned)."""

    data: bytes
    signature: str


@dataclass(frozen=True)
class ChunkedBody:
    """A decoded ``aws-chunked`` body: its chunks (the last one empty) and trailing headers."""

    chunks: tuple[Chunk, ...]
    trailers: dict[str, str]

    @property
    def data(self) -> bytes:
        """The object's bytes, chunk framing removed."""
        return b"".join(chunk.data for chunk in self.chunks)


def decode_chunked(body: bytes) -> ChunkedBody | None:
    """Split an ``aws-chunked`` body; ``None`` when it is not well-formed.

    Each chunk is ``<hex size>[;chunk-signature=<sig>]``, CRLF, the data, CRLF; a zero-size chunk
    ends the data and may be followed by ``name:value`` trailer lines and an empty line.
    """
    chunks: list[Chunk] = []
    position = 0
    while True:
        end = body.find(b"\r\n", position)
        if end < 0:
            return None
        size_text, _, extension = body[position:end].decode("latin-1").partition(";")
        try:
            size = int(size_text, 16)
        except ValueError:
            return None
        name, _, value = extension.partition("=")
        signature_text = value.strip() if name.strip() == "chunk-signature" else ""
        data = body[end + 2 : end + 2 + size]
        if len(data) != size:
            return None
        chunks.append(Chunk(data, signature_text))
        position = end + 2 + size
        if size == 0:
            break
        if body[position : position + 2] != b"\r\n":
            return None
        position += 2
    trailers: dict[str, str] = {}
    for line in body[position:].decode("latin-1").split("\r\n"):
        name, separator, value = line.partition(":")
        if separator:
            trailers[name.strip().lower()] = value.strip()
    return ChunkedBody(tuple(chunks), trailers)
