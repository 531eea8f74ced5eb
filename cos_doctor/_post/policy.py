"""POST Object policy documents as values: conditions, parsing, and the time format.

A policy is JSON with ``expiration`` (ISO 8601, UTC) and ``conditions``, each condition one of
(POST Object, https://www.tencentcloud.com/document/product/436/14690, "Construct a policy")::

    {"field": "value"}                       exact match (several keys: one condition each)
    ["eq", "$field", "value"]                exact match
    ["starts-with", "$field", "prefix"]      prefix match; the prefix may be empty
    ["content-length-range", min, max]       file size in bytes, both ends included

The page also fixes which match types each field allows: ``bucket``, ``success_action_status``,
``q-sign-algorithm``, ``q-ak``, ``q-sign-time`` and the ``x-cos-*`` fields other than
``x-cos-meta-*`` are exact-only. Field names compare case-insensitively (the page's own
example writes ``$Content-Type``). Nothing here does I/O; the public API is
:mod:`cos_doctor.post_object`.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Union

__all__ = [
    "EXACT_ONLY",
    "FILE_FIELD",
    "LENGTH_RANGE",
    "REQUIRED_CONDITIONS",
    "Condition",
    "Credentials",
    "PolicyDocument",
    "PolicyError",
    "PostPolicy",
    "SignedForm",
    "decode_policy_field",
    "epoch_seconds",
    "format_expiration",
    "parse_expiration",
    "parse_policy",
    "prefix_allowed",
]

LENGTH_RANGE = "content-length-range"
#: Conditions the POST Object page marks "Required: Yes".
REQUIRED_CONDITIONS = ("q-sign-algorithm", "q-ak", "q-sign-time")
#: Fields whose only documented match type is exact.
EXACT_ONLY = frozenset({"bucket", "success_action_status", *REQUIRED_CONDITIONS})

ConditionValue = Union[str, tuple[int, int]]


class PolicyError(ValueError):
    """A policy that COS cannot read; ``reason`` names which check failed (a lint check id)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        """Record the failed check and, when useful, the offending text."""
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Condition:
    """One policy condition: ``eq``, ``starts-with`` or ``content-length-range``.

    ``field`` is the form field as written in the policy (no ``$``); for a range it is
    ``content-length-range`` and ``value`` is ``(min, max)``. ``object_form`` keeps the
    ``{"field": "value"}`` spelling of an exact match, so a parsed policy re-serialises as
    it was written.
    """

    operator: str
    field: str
    value: ConditionValue
    object_form: bool = False

    @classmethod
    def exact(cls, field: str, value: str) -> Condition:
        """``{"field": "value"}``: the form must send exactly ``value``."""
        return cls("eq", field, value, object_form=True)

    @classmethod
    def starts_with(cls, field: str, prefix: str) -> Condition:
        """``["starts-with", "$field", "prefix"]``: the form value must begin with ``prefix``."""
        return cls("starts-with", field, prefix)

    @classmethod
    def length_range(cls, minimum: int, maximum: int) -> Condition:
        """``["content-length-range", min, max]``: the file size in bytes, ends included."""
        return cls(LENGTH_RANGE, LENGTH_RANGE, (minimum, maximum))

    @property
    def name(self) -> str:
        """The field name lowercased, as COS compares it."""
        return self.field.lower()

    @property
    def bounds(self) -> tuple[int, int]:
        """``(min, max)`` of a content-length-range condition."""
        if isinstance(self.value, str):
            raise TypeError(f"{self.describe()} is not a content-length-range")
        return self.value

    def to_json(self) -> Any:
        """The condition as the JSON value a policy carries."""
        if self.operator == LENGTH_RANGE:
            return [LENGTH_RANGE, *self.bounds]
        if self.object_form:
            return {self.field: self.value}
        return [self.operator, f"${self.field}", self.value]

    def describe(self) -> str:
        """Compact JSON of the condition, for messages."""
        return json.dumps(self.to_json(), ensure_ascii=False)

    def accepts(self, value: str) -> bool:
        """Whether a text form value satisfies this (eq or starts-with) condition."""
        wanted = str(self.value)
        return value == wanted if self.operator == "eq" else value.startswith(wanted)


@dataclass(frozen=True)
class PolicyDocument:
    """A decoded policy: its exact bytes, expiration (Unix seconds) and conditions."""

    text: bytes
    expiration: int | None
    conditions: tuple[Condition, ...]

    def conditions_on(self, field: str) -> tuple[Condition, ...]:
        """The conditions naming ``field`` (case-insensitive)."""
        wanted = field.lower()
        return tuple(condition for condition in self.conditions if condition.name == wanted)


def epoch_seconds(moment: datetime | float | None) -> float:
    """Unix seconds of ``moment`` (now when None); a naive datetime is taken as UTC."""
    if moment is None:
        return time.time()
    if isinstance(moment, datetime):
        if moment.tzinfo is None:  # COS times are UTC
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    return float(moment)


def format_expiration(epoch: float) -> str:
    """Render Unix seconds as the policy's ISO 8601 UTC form, ``2019-08-30T09:38:12.000Z``."""
    moment = datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse_expiration(text: object) -> int:
    """Unix seconds of an ISO 8601 expiration; PolicyError ``policy-bad-expiration`` if not one."""
    if not isinstance(text, str):
        raise PolicyError("policy-bad-expiration", json.dumps(text))
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = f"{cleaned[:-1]}+00:00"
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise PolicyError("policy-bad-expiration", text) from None
    if moment.tzinfo is None:  # the document says UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def decode_policy_field(encoded: str) -> bytes:
    """The policy JSON bytes behind a form's Base64 ``policy`` field; PolicyError if not Base64."""
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise PolicyError("policy-not-base64", encoded[:40]) from None


def parse_policy(text: bytes) -> PolicyDocument:
    """Parse policy JSON bytes; raise PolicyError naming the first problem COS would see."""
    try:
        document = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # too deep: unreadable
        raise PolicyError("policy-not-json", text[:60].decode("utf-8", "replace")) from None
    if not isinstance(document, dict):
        raise PolicyError("policy-not-json", type(document).__name__)
    raw = document.get("conditions")
    if not raw or not isinstance(raw, list):
        raise PolicyError("policy-no-conditions")
    conditions = tuple(condition for item in raw for condition in _conditions(item))
    expiration = document.get("expiration")
    return PolicyDocument(
        text=text,
        expiration=None if expiration is None else parse_expiration(expiration),
        conditions=conditions,
    )


def _conditions(item: Any) -> tuple[Condition, ...]:
    if isinstance(item, dict) and item:
        return tuple(Condition.exact(str(name), _text(item, value)) for name, value in item.items())
    if isinstance(item, list) and len(item) == 3 and isinstance(item[0], str):
        operator = item[0].lower()
        if operator == LENGTH_RANGE:
            return (_length_range(item),)
        if operator in {"eq", "starts-with"} and isinstance(item[1], str):
            field = item[1].removeprefix("$")
            condition = Condition(operator, field, _text(item, item[2]))
            if operator == "starts-with" and not prefix_allowed(condition.name):
                raise PolicyError("policy-bad-condition", condition.describe())
            return (condition,)
    raise PolicyError("policy-bad-condition", json.dumps(item, ensure_ascii=False))


def prefix_allowed(name: str) -> bool:
    """Whether the page allows a prefix match on field ``name`` (lowercase)."""
    if name in EXACT_ONLY:
        return False
    return not name.startswith("x-cos-") or name.startswith("x-cos-meta-")


def _length_range(item: list[Any]) -> Condition:
    low, high = item[1], item[2]
    numbers = all(isinstance(end, int) and not isinstance(end, bool) for end in (low, high))
    if not numbers or low < 0 or high < low:
        raise PolicyError("policy-bad-condition", json.dumps(item))
    return Condition.length_range(low, high)


def _text(item: Any, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PolicyError("policy-bad-condition", json.dumps(item, ensure_ascii=False))
    return str(value)


@dataclass(frozen=True)
class Credentials:
    """The key that signs a form: SecretId, SecretKey and, for temporary keys, the token.

    The SecretKey and token never appear in ``repr`` (and so never in a traceback or log).
    """

    secret_id: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PostPolicy:
    """A POST Object policy: when it expires and what the form must satisfy.

    :meth:`to_json` gives the exact bytes that are signed and, Base64-encoded, sent as the
    ``policy`` field; sign and send those same bytes, never a re-serialisation.
    """

    expiration: datetime
    conditions: tuple[Condition, ...]

    def to_dict(self) -> dict[str, Any]:
        """The policy as JSON-ready data."""
        return {
            "expiration": format_expiration(epoch_seconds(self.expiration)),
            "conditions": [condition.to_json() for condition in self.conditions],
        }

    def to_json(self) -> bytes:
        """The policy text: compact UTF-8 JSON, the same bytes on every call."""
        text = json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8")

    def to_base64(self) -> str:
        """The ``policy`` form field: Base64 of :meth:`to_json`."""
        return base64.b64encode(self.to_json()).decode("ascii")

    @property
    def key_time(self) -> str | None:
        """The ``q-sign-time`` the policy requires (the form's ``q-key-time``), if any."""
        for condition in self.conditions:
            if condition.name == "q-sign-time" and condition.operator == "eq":
                return str(condition.value)
        return None

    def exact_value(self, name: str) -> str | None:
        """The value an exact condition requires for field ``name``, if there is one."""
        for condition in self.conditions:
            if condition.name == name.lower() and condition.operator == "eq":
                return str(condition.value)
        return None


#: The name of the form's file part; COS requires it to be the last field.
FILE_FIELD = "file"


@dataclass(frozen=True)
class SignedForm:
    """A signed form: where to POST it and its text fields, in the order COS needs.

    The browser appends the file as the last part, named ``file``: COS reads the
    fields before the file (POST Object: "This field must be placed at the end of the
    form"; "Signature form fields should be placed before the file form field").
    """

    url: str
    fields: tuple[tuple[str, str], ...]
    file_field: str = FILE_FIELD

    def as_dict(self) -> dict[str, str]:
        """The text fields as an ordered dict (for ``requests``' ``data=``)."""
        return dict(self.fields)

    def to_dict(self) -> dict[str, Any]:
        """JSON for a browser: ``url``, ordered ``fields``, and the name of the file part."""
        return {"url": self.url, "fields": self.as_dict(), "file_field": self.file_field}

    def encode(
        self,
        data: bytes,
        *,
        filename: str,
        content_type: str = "application/octet-stream",
    ) -> tuple[str, bytes]:
        """Encode the form as ``multipart/form-data``, file last, as a browser would.

        Returns the ``Content-Type`` header (with its boundary) and the body.
        """
        boundary = f"----cos-doctor-{secrets.token_hex(12)}"
        parts = [
            _part(boundary, f'name="{_quoted(name)}"', value.encode("utf-8"))
            for name, value in self.fields
        ]
        disposition = f'name="{self.file_field}"; filename="{_quoted(filename)}"'
        parts.append(_part(boundary, disposition, data, content_type))
        body = b"".join(parts) + f"--{boundary}--\r\n".encode("ascii")
        return f"multipart/form-data; boundary={boundary}", body


def _quoted(text: str) -> str:
    # What browsers do (WHATWG multipart/form-data encoding): escape the three characters
    # that would end the quoted name or the header line.
    return text.replace("\n", "%0A").replace("\r", "%0D").replace('"', "%22")


def _part(boundary: str, disposition: str, data: bytes, content_type: str | None = None) -> bytes:
    head = f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    return head.encode("utf-8") + b"\r\n" + data + b"\r\n"
