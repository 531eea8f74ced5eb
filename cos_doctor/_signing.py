r"""The COS ``q-sign`` request signature, as pure functions.

One implementation serves two readers: the local emulator, which verifies what a client sent,
and cos_doctor's evidence code, which recomputes a client's signature to explain a
``SignatureDoesNotMatch``. Nothing here does I/O or imports the SDK.

The algorithm (Tencent's "Request Signature" page, checked against its known-answer vectors)::

    SignKey      = hex(HMAC-SHA1(SecretKey, KeyTime))
    HttpString   = lower(method) \\n path \\n params \\n headers \\n
    StringToSign = "sha1" \\n SignTime \\n hex(SHA1(HttpString)) \\n
    Signature    = hex(HMAC-SHA1(SignKey, StringToSign))

``path`` is the percent-decoded request path; ``params`` and ``headers`` are ``name=value``
pairs joined by ``&``, names encoded then lowercased, values encoded, sorted by name.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from cos_doctor._record import frozen

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ALGORITHM",
    "Authorization",
    "canonicalize",
    "cos_quote",
    "format_string",
    "format_string_canonical",
    "parse_authorization",
    "parse_authorization_params",
    "parse_key_time",
    "post_policy_signature",
    "sign_key",
    "sign_request",
    "signature",
    "string_to_sign",
]

#: The only algorithm COS defines for ``q-sign-algorithm``.
ALGORITHM = "sha1"

# The seven Authorization fields, in the order every SDK writes them.
_FIELDS = (
    "q-sign-algorithm",
    "q-ak",
    "q-sign-time",
    "q-key-time",
    "q-header-list",
    "q-url-param-list",
    "q-signature",
)
# The lists may be empty or absent (nothing signed); the others may not.
_REQUIRED = ("q-sign-algorithm", "q-ak", "q-sign-time", "q-key-time", "q-signature")


# What cos_quote() leaves as it is. Most names and values signed are (a host, "host"):
# returned without quote()'s encode, scan and decode (0.5 us each, four per HttpString).
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def cos_quote(text: str) -> str:
    """Percent-encode ``text`` the COS way: UTF-8, uppercase hex, only ``-_.~`` left bare.

    Space becomes ``%20`` (never ``+``) and ``/`` becomes ``%2F``.
    """
    if _UNRESERVED.fullmatch(text):
        return text
    return quote(text, safe="-_.~")


def _hmac_sha1_hex(key: str, message: str) -> str:
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha1).hexdigest()


# Each HMAC costs about 3 us (OpenSSL 3 looks the digest up every time), and a client's
# failures within one second share their key time: the redactor's seal check and the signature
# evidence both ask for the same sign key.
@functools.lru_cache(maxsize=16)
def sign_key(secret_key: str, key_time: str) -> str:
    """Return the SignKey: lowercase hex HMAC-SHA1 of ``key_time`` under ``secret_key``.

    ``key_time`` is ``"<start>;<end>"`` in Unix seconds (the ``q-key-time`` value). The result is
    a 40-character hex string, and that text (not the raw digest) keys the final HMAC.
    """
    return _hmac_sha1_hex(secret_key, key_time)


def canonicalize(items: Mapping[str, str]) -> dict[str, str]:
    """Encode and lowercase each name and encode each value, as the signature needs them.

    The returned mapping is what ``q-header-list`` / ``q-url-param-list`` name: its keys are
    the encoded, lowercased names. Values keep their case.
    """
    return {cos_quote(name).lower(): cos_quote(value) for name, value in items.items()}


def _join(canonical: Mapping[str, str]) -> str:
    return "&".join(f"{name}={canonical[name]}" for name in sorted(canonical))


def format_string_canonical(
    method: str,
    path: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
) -> str:
    """Build the HttpString from parameters and headers that are already canonical.

    Use this when the names come from a ``q-*-list`` (already encoded and lowercased), as a
    verifier does; otherwise use :func:`format_string`.
    """
    return f"{method.lower()}\n{path}\n{_join(params)}\n{_join(headers)}\n"


def format_string(
    method: str,
    path: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
) -> str:
    """Build the HttpString (the FormatString of a COS error) from raw names and values.

    ``path`` must be the decoded path starting with ``/`` (``/exampleobject(腾讯云)``, not its
    percent-encoded wire form); ``params`` and ``headers`` are only the items being signed.
    """
    return format_string_canonical(method, path, canonicalize(params), canonicalize(headers))


def string_to_sign(sign_time: str, http_string: str) -> str:
    """Return the StringToSign: ``sha1``, the sign time and the SHA-1 hex of the HttpString."""
    digest = hashlib.sha1(http_string.encode("utf-8")).hexdigest()  # noqa: S324 - the protocol's
    return f"{ALGORITHM}\n{sign_time}\n{digest}\n"


def signature(key: str, text_to_sign: str) -> str:
    """Return the lowercase hex HMAC-SHA1 of ``text_to_sign`` under the SignKey ``key``."""
    return _hmac_sha1_hex(key, text_to_sign)


def post_policy_signature(secret_key: str, key_time: str, policy: bytes) -> str:
    """Return the ``q-signature`` of a POST Object form.

    ``policy`` is the Base64-decoded policy JSON, byte for byte as the browser sends it. Unlike
    request signing, the string to sign is just the SHA-1 hex of those bytes.
    """
    digest = hashlib.sha1(policy).hexdigest()  # noqa: S324 - the protocol's hash
    return signature(sign_key(secret_key, key_time), digest)


@frozen
class Authorization:
    """The seven fields of a COS ``Authorization`` value (or of a presigned URL's query).

    ``header_list`` and ``url_param_list`` hold the encoded, lowercased names that were signed.
    """

    algorithm: str
    ak: str
    sign_time: str
    key_time: str
    header_list: tuple[str, ...]
    url_param_list: tuple[str, ...]
    signature: str

    def to_header(self) -> str:
        """Render the value of an ``Authorization`` header, fields in the SDKs' order."""
        values = (
            self.algorithm,
            self.ak,
            self.sign_time,
            self.key_time,
            ";".join(self.header_list),
            ";".join(self.url_param_list),
            self.signature,
        )
        return "&".join(f"{name}={value}" for name, value in zip(_FIELDS, values))


def _split_list(text: str) -> tuple[str, ...]:
    return tuple(filter(None, text.split(";")))


def parse_authorization_params(fields: Mapping[str, str]) -> Authorization | None:
    """Read an :class:`Authorization` from decoded ``q-*`` values (a presigned URL's query).

    Returns ``None`` when a required field is missing or empty.
    """
    if any(not fields.get(name) for name in _REQUIRED):
        return None
    return Authorization(
        algorithm=fields["q-sign-algorithm"],
        ak=fields["q-ak"],
        sign_time=fields["q-sign-time"],
        key_time=fields["q-key-time"],
        header_list=_split_list(fields.get("q-header-list", "")),
        url_param_list=_split_list(fields.get("q-url-param-list", "")),
        signature=fields["q-signature"],
    )


# The SDKs' own spelling: each field once, in their order, the required ones not empty.
# Anchored: searched from every "q-sign-algorithm=" in a long text, it would be quadratic.
_AS_SDKS_WRITE = re.compile(
    r"\Aq-sign-algorithm=([^&]+)&q-ak=([^&]+)&q-sign-time=([^&]+)&q-key-time=([^&]+)"
    r"&q-header-list=([^&]*)&q-url-param-list=([^&]*)&q-signature=([^&]+)"
)


def parse_authorization(text: str) -> Authorization | None:
    """Parse an ``Authorization`` header value; ``None`` when it is empty or not a q-sign value.

    Field order does not matter; unknown fields are ignored. Values are taken as written (the
    header form is not URL-encoded).
    """
    # What the SDKs write, read by one match (the general parse took 3 us of each failure).
    # Printable ASCII without a space holds no blank, so the parse below would strip nothing
    # and read the same fields.
    if text.isascii() and text.isprintable() and " " not in text:
        found = _AS_SDKS_WRITE.fullmatch(text)
        if found is not None:
            algorithm, ak, sign_time, key_time, headers, params, signed = found.groups()
            header_list, url_param_list = _split_list(headers), _split_list(params)
            return Authorization(
                algorithm, ak, sign_time, key_time, header_list, url_param_list, signed
            )
    fields: dict[str, str] = {}
    for pair in text.strip().split("&"):
        name, separator, value = pair.partition("=")
        if separator:
            fields[name.strip().lower()] = value.strip()
    return parse_authorization_params(fields)


def parse_key_time(text: str) -> tuple[int, int] | None:
    """Split ``"<start>;<end>"`` into two integers; ``None`` when it is not that shape."""
    start, separator, end = text.partition(";")
    if not separator:
        return None
    try:
        return int(start), int(end)
    except ValueError:
        return None


def sign_request(  # noqa: PLR0913 - the algorithm has exactly these inputs
    *,
    secret_id: str,
    secret_key: str,
    key_time: str,
    method: str,
    path: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
) -> Authorization:
    """Sign a request end to end and return its :class:`Authorization`.

    ``params`` and ``headers`` are the raw items to sign; ``key_time`` serves as both the sign
    time and the key time, as every SDK does.
    """
    canonical_params = canonicalize(params)
    canonical_headers = canonicalize(headers)
    http_string = format_string_canonical(method, path, canonical_params, canonical_headers)
    return Authorization(
        algorithm=ALGORITHM,
        ak=secret_id,
        sign_time=key_time,
        key_time=key_time,
        header_list=tuple(sorted(canonical_headers)),
        url_param_list=tuple(sorted(canonical_params)),
        signature=signature(sign_key(secret_key, key_time), string_to_sign(key_time, http_string)),
    )
