"""Keep secrets out of everything cos_doctor writes: exception text, logs, dicts, CLI output.

What counts as secret: the SecretKey and sign key (never read into any output in the first
place), ``q-signature`` values, session tokens, and full SecretIds (shown masked).
"""

from __future__ import annotations

import re

__all__ = ["mask_secret_id", "scrub"]

# A Tencent Cloud SecretId: "AKID" plus 32 characters for permanent keys; temporary ones
# are longer. Matching from 16 characters on also catches truncated or mangled ids.
_SECRET_ID = re.compile(r"AKID[A-Za-z0-9_\-]{12,}")
_SIGNATURE = re.compile(r"(q-signature[=:]\s*)[^&\s\"'<>]+", re.IGNORECASE)
# The SDK logs "sign_key<hex>", "sign_key: <hex>" and "sign: <hex>" at DEBUG.
_SIGN_KEY = re.compile(r"(\bsign(?:[_ ]?key)?[=:\s]*)[0-9a-f]{40}", re.IGNORECASE)
_TOKEN = re.compile(
    r"((?:x-cos-security-token|x-ci-security-token|security_?token|session_?token)"
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
_AUTHORIZATION_SIGNATURE = re.compile(r"(q-signature%3D)[^&\s\"'<>]+", re.IGNORECASE)


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
    # Each pattern needs a keyword that a cheap substring test finds first; most text has
    # none, and five case-insensitive regexes per string dominated the failure path.
    folded = _folded(text)
    if "q-signature" in folded:
        text = _SIGNATURE.sub(r"\1<redacted>", text)
        text = _AUTHORIZATION_SIGNATURE.sub(r"\1<redacted>", text)
    if "sign" in folded:
        text = _SIGN_KEY.sub(r"\1<redacted>", text)
    if "token" in folded:
        text = _TOKEN.sub(r"\1<redacted>", text)
        text = _TOKEN_CONDITION.sub(r"\1<redacted>", text)
    if "AKID" in text:
        text = _SECRET_ID.sub(lambda found: mask_secret_id(found.group(0)) or "", text)
    return text
