"""Keep secrets out of everything cos_doctor writes: exception text, logs, dicts, CLI output.

What counts as secret: the SecretKey and sign key, ``q-signature`` values, session tokens,
and full SecretIds (shown masked). Two layers: :func:`scrub` removes whatever is *shaped*
like a secret (a ``q-signature=`` value, a token after its header name, an ``AKID…`` id);
a :class:`Redactor` built for one request also removes the *exact* secrets that request
used, wherever they appear (a SecretKey pasted into an object key, a token in a Referer).
The value objects apply a redactor when they are built (``cos_doctor.diagnosis``): that is
the one boundary every output passes.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "PROXY_VARIABLES",
    "Redactor",
    "mask_secret_id",
    "redactor_for",
    "scrub",
    "strip_userinfo",
    "userinfo",
]

REDACTED = "<redacted>"
#: The environment variables a proxy (and its credentials) can come from.
PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
)
# Shorter values are not treated as secrets to hunt for: replacing every "abc" in a
# diagnosis would garble it, and no real SecretKey, token or signature is this short.
_MIN_SECRET_LENGTH = 8
_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]+")

# A Tencent Cloud SecretId: "AKID" plus 32 characters for permanent keys; temporary ones
# are longer. Matching from 16 characters on also catches truncated or mangled ids.
_SECRET_ID = re.compile(r"AKID[A-Za-z0-9_\-]{12,}")
_SIGNATURE = re.compile(r"(q-signature[=:]\s*)[^&\s\"'<>]+", re.IGNORECASE)
# The SDK logs "sign_key<hex>", "sign_key: <hex>", "sign: <hex>" and, for RTMP URLs,
# "signature: <hex>" at DEBUG.
_SIGN_KEY = re.compile(r"(\bsign(?:[_ ]?key|ature)?[=:\s]*)[0-9a-f]{40}", re.IGNORECASE)
_TOKEN = re.compile(
    r"((?:x-cos-security-token|x-ci-security-token|security_?token|session_?token|q-token)"
    r"[\"']?\s*[=:]\s*b?[\"']?)"
    r"[^&\s\"'<>,}]+",
    re.IGNORECASE,
)
# COS quotes a POST policy's value in "Condition key <field> doesn't match the value <value>":
# for the token condition, that value is the session token.
_TOKEN_CONDITION = re.compile(
    r"(x-cos-security-token\s+doesn\S{1,8}t\s+match\s+the\s+value\s*)[^\s<>]+",
    re.IGNORECASE,
)
# Credentials in a URL (a proxy's "http://user:password@host"): the userinfo goes.
_URL_USERINFO = re.compile(r"([a-z][a-z0-9+.\-]*://)[^/\s@'\"<>]+@", re.IGNORECASE)
_AUTHORIZATION_SIGNATURE = re.compile(r"(q-signature%3D)[^&\s\"'<>]+", re.IGNORECASE)
# Gates: case-sensitive searches on the folded text that find every match of the pattern
# above them (and maybe more). Each starts with a literal, which the regex engine skips to;
# the case-insensitive patterns try every position and took 130 µs per KiB of text.
_SIGNATURE_GATE = re.compile(r"q-signature[=:]")
_SIGN_KEY_GATE = re.compile(r"sign(?:[_ ]?key|ature)?[=:\s]*[0-9a-f]{40}")
_TOKEN_GATE = re.compile(r"token[\"']?\s*[=:]")
_TOKEN_CONDITION_GATE = "x-cos-security-token doesn"  # noqa: S105 - a phrase to look for, not a secret


def mask_secret_id(secret_id: str | None) -> str | None:
    """Return the SecretId with all but its first and last four characters hidden."""
    if not secret_id:
        return None
    visible = secret_id.strip()
    if len(visible) <= 8:  # too short to show anything and still hide something
        return "*" * len(visible)
    return f"{visible[:4]}****{visible[-4:]}"


def _folded(text: str) -> str:
    """``text`` lowercased the way re.IGNORECASE compares it with the patterns' ASCII letters.

    Besides ASCII case, IGNORECASE equates İ and ı with i and ſ with s (and the Kelvin sign,
    which lower() already maps to k). Replacing them first keeps every position in place.
    """
    if not text.isascii():
        text = text.replace("\u0130", "i").replace("\u0131", "i").replace("\u017f", "s")
    return text.lower()


def scrub(text: str) -> str:
    """Return ``text`` with signatures, sign keys and tokens removed and SecretIds masked."""
    # Each pattern runs only where its gate finds a candidate; most text has none, and the
    # patterns themselves dominated the failure path.
    folded = _folded(text)
    if "q-signature" in folded:
        if _SIGNATURE_GATE.search(folded):
            text = _SIGNATURE.sub(r"\1<redacted>", text)
        if "q-signature%3d" in folded:
            text = _AUTHORIZATION_SIGNATURE.sub(r"\1<redacted>", text)
    if "sign" in folded and _SIGN_KEY_GATE.search(folded):
        text = _SIGN_KEY.sub(r"\1<redacted>", text)
    if "token" in folded and _TOKEN_GATE.search(folded):
        text = _TOKEN.sub(r"\1<redacted>", text)
    if _TOKEN_CONDITION_GATE in folded:
        text = _TOKEN_CONDITION.sub(r"\1<redacted>", text)
    if "://" in text and "@" in text:
        text = _URL_USERINFO.sub(r"\1<redacted>@", text)
    if "AKID" in text:
        text = _SECRET_ID.sub(lambda found: mask_secret_id(found.group(0)) or "", text)
    return text


def _shaped(text: str) -> bool:
    """Whether :func:`scrub` might find anything in ``text`` (never a false "no")."""
    folded = _folded(text)
    return bool(
        "q-signature%3d" in folded
        or _SIGNATURE_GATE.search(folded)
        or _SIGN_KEY_GATE.search(folded)
        or _TOKEN_GATE.search(folded)
        or _TOKEN_CONDITION_GATE in folded
        or ("://" in text and "@" in text and _URL_USERINFO.search(text) is not None)
        or ("AKID" in text and _SECRET_ID.search(text))
    )


class Redactor:
    """Removes one request's own secrets (exact values), then anything shaped like a secret.

    Holds secrets, so it is never stored in a value object, logged or pickled: it lives for
    the duration of one diagnosis.
    """

    __slots__ = ("_known", "_patterns")

    def __init__(
        self,
        secrets: Iterable[str | None] = (),
        secret_ids: Iterable[str | None] = (),
        *,
        patterns: bool = True,
    ) -> None:
        """``secrets`` are removed outright; ``secret_ids`` are shown masked.

        ``patterns=False`` applies only the exact values, not :func:`scrub`.
        """
        self._patterns = patterns
        # secret -> whether it is a SecretId (shown masked) rather than removed outright.
        known: dict[str, bool] = {}
        for value in secret_ids:
            for variant in _variants(value):
                known[variant] = True
        for value in secrets:
            for variant in _variants(value):
                known[variant] = False
        # Longest first: a token that contains a shorter secret is removed whole.
        self._known = tuple(sorted(known.items(), key=_length_of_first, reverse=True))

    def __call__(self, text: str) -> str:
        """Return ``text`` without this request's secrets or anything shaped like one."""
        for secret, is_secret_id in self._known:
            if secret in text:
                shown = (mask_secret_id(secret) or REDACTED) if is_secret_id else REDACTED
                text = text.replace(secret, shown)
        return scrub(text) if self._patterns else text

    def finds(self, text: str) -> bool:
        """Whether calling this redactor would change ``text``.

        One search over many strings joined is far cheaper than redacting each: almost every
        diagnosis holds no secret at all.
        """
        if any(secret in text for secret, _ in self._known):
            return True
        return self._patterns and _shaped(text)

    def __repr__(self) -> str:
        return f"<Redactor of {len(self._known)} secrets>"

    def __reduce__(self) -> Any:
        raise TypeError("a Redactor holds secrets and is never pickled")


def _length_of_first(item: tuple[str, bool]) -> int:
    return len(item[0])


def _variants(value: str | None) -> tuple[str, ...]:
    """The value as sent and as it appears percent-encoded in a URL or a form."""
    if not value:
        return ()
    stripped = value.strip()
    if len(stripped) < _MIN_SECRET_LENGTH:
        return ()
    if stripped.isalnum() or _URL_SAFE.fullmatch(stripped):  # nothing to percent-encode
        return (stripped,)
    return tuple({stripped, quote(stripped, safe=""), quote(stripped, safe="/")})


#: The redactor for text that belongs to no request: patterns only.
PATTERNS_ONLY = Redactor()


def redactor_for(context: Any) -> Redactor:
    """The redactor of one request, from what its context observed.

    It knows the configured and sent SecretKey, session token, signature, sign key and SecretId.
    """
    secret_key = context.configured("secret_key")
    signed = context.signed
    form = {name.lower(): value for name, value in getattr(context, "post_form", ())}
    secrets = [
        secret_key,
        context.configured("token"),
        context.request_headers.get("x-cos-security-token"),
        context.query.get("x-cos-security-token"),
        context.query.get("q-token"),
        form.get("x-cos-security-token"),  # a POST Object form carries its own
        form.get("q-signature"),
    ]
    if signed is not None:
        secrets.append(signed.signature)
        if secret_key:
            from cos_doctor._signing import sign_key  # deferred: only diagnoses need it

            secrets.append(sign_key(secret_key, signed.key_time))
    secrets.extend(_proxy_secrets(context))
    secret_ids = [context.configured("secret_id"), context.secret_id_sent]
    return Redactor(secrets, secret_ids)


def _proxy_secrets(context: Any) -> list[str]:
    """Proxy credentials, configured or from the environment, as an error may quote them.

    urllib3 quotes a proxy URL it cannot parse only up to the first '#', '?' or '/' of its
    password ("'alice:pa55' is not a valid host"): that prefix is a secret of its own, as is
    the password alone and each percent-decoded form.
    """
    found = list(context.secrets.proxy_credentials)
    for name in PROXY_VARIABLES:
        credentials = userinfo(os.environ.get(name, ""))
        if credentials:
            found.append(credentials)
    pieces: list[str] = []
    for credentials in found:
        password = credentials.partition(":")[2]
        for whole in (credentials, password, unquote(credentials), unquote(password)):
            pieces.append(whole)
            pieces.extend(re.split(r"[#?/]", whole)[:1])
    return pieces


def userinfo(url: str) -> str | None:
    """The ``user:password`` of ``scheme://user:password@host``, or None when there is none."""
    rest = url.rpartition("://")[2]
    credentials, at, _ = rest.rpartition("@")
    return credentials if at and credentials else None


def strip_userinfo(url: str) -> str:
    """``url`` without ``user:password@``: proxy credentials are never shown."""
    scheme, separator, rest = url.rpartition("://")
    host = rest.rpartition("@")[2]
    return f"{scheme}{separator}{host}"
