"""SignatureDoesNotMatch: recompute the signature and say which side is wrong.

Three sources are compared, never printed: what the client sent (its Authorization and the
request as it left the SDK), the signature recomputed from that request with the configured
SecretKey (the documented algorithm, :mod:`cos_doctor._signing`), and what COS says it signed
(``FormatString`` / ``StringToSign`` in the error body).

- COS signed a different HttpString than the one the request carried when it left: the
  request was altered on the way (a proxy, a header added or rewritten after signing).
- The client's signature does not match its own request under its configured key: the
  client signed it wrongly.
- Same HttpString, consistent client signature: COS holds a different SecretKey for this
  SecretId, i.e. the configured SecretKey does not belong to it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING
from urllib.parse import unquote

from cos_doctor._pipeline.evidence.registry import Facts, detector
from cos_doctor._redact import REDACTED, is_secret_field
from cos_doctor._signing import (
    Authorization,
    format_string,
    sign_key,
    signature,
    string_to_sign,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor._pipeline.context import RequestContext
    from cos_doctor.diagnosis import Evidence

_PARTS = ("method", "path", "params", "headers")
_SHOWN_VALUE = 80


@detector("signature-mismatch")
def signature_comparison(facts: Facts) -> Iterator[Evidence]:
    """The first difference between client and server, and the one-line verdict."""
    context = facts.context
    authorization = context.signed
    if authorization is None:
        return
    client_string = client_format_string(context, authorization)
    server_string = context.format_string
    if server_string is None and context.string_to_sign and client_string is not None:
        server_string = _server_string_by_digest(context.string_to_sign, client_string)
    difference = None
    if client_string is not None and server_string is not None:
        difference = first_difference(client_string, server_string)
        if difference is not None:
            part, name, signed, seen = difference
            yield facts.say(
                "signature_diff",
                f"{part}:{name}" if name else part,
                variant=_diff_variant(part, name, signed, seen),
                name=name,
                signed=_show(name, signed),
                seen=_show(name, seen),
            )
    consistent = _client_signature_consistent(context, authorization, client_string)
    verdict = _verdict(client_string, server_string, difference, consistent)
    yield facts.say("signature_verdict", verdict, variant=verdict)


def client_format_string(context: RequestContext, authorization: Authorization) -> str | None:
    """The HttpString of the request as it left the client, over what it declared signed."""
    if context.http_method is None or context.path is None:
        return None
    params = {name.lower(): value for name, value in context.query.items()}
    signed_params = {name: params.get(name, "") for name in authorization.url_param_list}
    signed_headers = {
        name: context.request_headers.get(name, "") for name in authorization.header_list
    }
    return format_string(context.http_method, context.path, signed_params, signed_headers)


def first_difference(client: str, server: str) -> tuple[str, str, str, str] | None:
    """Return (part, name, client value, server value) of the first difference, or None.

    ``part`` is method, path, params or headers; ``name`` the parameter or header that
    differs ("" for method and path).
    """
    client_lines = client.split("\n")
    server_lines = server.split("\n")
    for index, part in enumerate(_PARTS):
        signed = client_lines[index] if index < len(client_lines) else ""
        seen = server_lines[index] if index < len(server_lines) else ""
        if signed == seen:
            continue
        if part in ("method", "path"):
            return part, "", signed, seen
        signed_pairs, seen_pairs = _pairs(signed), _pairs(seen)
        for name in sorted(set(signed_pairs) | set(seen_pairs)):
            if signed_pairs.get(name) != seen_pairs.get(name):
                return part, name, signed_pairs.get(name, ""), seen_pairs.get(name, "")
        return part, "", signed, seen
    return None


def _pairs(text: str) -> dict[str, str]:
    pairs = {}
    for item in text.split("&"):
        if item:
            name, _, value = item.partition("=")
            pairs[name] = value
    return pairs


def _diff_variant(part: str, name: str, signed: str, seen: str) -> str:
    if part == "path":
        if "+" in signed and seen == signed.replace("+", " "):
            return "path-plus"
        return "path"
    if part == "headers" and name == "host" and ":" in unquote(seen) and ":" not in unquote(signed):
        return "host-port"
    if part in ("params", "headers") and not signed:
        return f"{part}-added"
    if part in ("params", "headers") and not seen:
        return f"{part}-missing"
    return part


def _show(name: str, value: str) -> str:
    """The value as shown: a credential's never, any other cut short (sealed with the Diagnosis)."""
    if is_secret_field(name):
        return REDACTED
    return value if len(value) <= _SHOWN_VALUE else value[: _SHOWN_VALUE - 1] + "…"


def _server_string_by_digest(server_string_to_sign: str, client_string: str) -> str | None:
    """Without FormatString, COS's StringToSign still shows whether it hashed the same text."""
    lines = server_string_to_sign.split("\n")
    if len(lines) < 3:  # "sha1", key time, digest
        return None
    digest = hashlib.sha1(client_string.encode("utf-8")).hexdigest()  # noqa: S324 - the protocol
    return client_string if lines[2] == digest else None


def _client_signature_consistent(
    context: RequestContext,
    authorization: Authorization,
    client_string: str | None,
) -> bool | None:
    """Whether the sent signature is what the configured key gives for the request sent."""
    secret_key = context.configured("secret_key")
    if secret_key is None or client_string is None:
        return None
    key = sign_key(secret_key, authorization.key_time)
    expected = signature(key, string_to_sign(authorization.sign_time, client_string))
    return hmac.compare_digest(expected, authorization.signature)


def _verdict(
    client: str | None,
    server: str | None,
    difference: tuple[str, str, str, str] | None,
    consistent: bool | None,
) -> str:
    if consistent is False:
        return "client-signing-error"
    if difference is not None:
        return "altered-in-transit"
    if consistent is True and server is not None and client == server:
        return "wrong-secret-key"
    return "undetermined"
