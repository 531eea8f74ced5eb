"""Read what users paste from logs back into an error reply cos_doctor can diagnose.

People rarely have the live exception; they have a line from a log. The forms recognised:

* the SDK's ``str(e)`` of a ``CosServiceError``: the repr of its parsed error dict,
  ``{'code': 'AccessDenied', 'message': …, 'resource': …, 'requestid': …, 'traceid': …}``,
  possibly after a prefix (``qcloud_cos.cos_exception.CosServiceError: {…}``) and with an
  HTTP status somewhere on the line (``403``, ``status_code=403``, ``HTTP 403``);
* the SDK's own ``logger.error`` record of a failed call: the raw XML error body after the
  logging prefix, or, for a reply without a body, the repr of the response headers;
* a JSON error (``{"Code": …}`` or ``{"Error": {"Code": …}}``) and a raw XML body;
* what other SDKs and tools print for a COS error (COS's Go, Java, JS, PHP, Node.js, iOS,
  .NET and C++ SDKs, the AWS SDKs behind rclone, terraform, velero and boto3): see
  :mod:`cos_doctor._readers.pasted_formats`;
* a Message alone, when it is one the knowledge base quotes (``Request has expired``, in
  quotes, after a status or a ``prefix:``); the pipeline may then infer the Code from it.

A parsed error is re-rendered as the COS XML body it came from, so the pipeline reads it
exactly as it reads the body of a live exception and the diagnosis is the same; the status,
HTTP method, operation and URL a line shows travel beside it as hints.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from cos_doctor._knowledge.vocabulary import Vocabulary, vocabulary
from cos_doctor._normalize import fold_case
from cos_doctor._pipeline.sources import printable
from cos_doctor._readers.pasted_formats import Reading, looks_like_code, read_foreign

__all__ = ["ACCEPTED", "Pasted", "read_pasted"]

#: What diagnose() accepts, said once for every TypeError it raises.
ACCEPTED = (
    "diagnose() reads a qcloud_cos CosServiceError or CosClientError (or its get_digest_msg() "
    "dict), a botocore ClientError or request failure (EndpointConnectionError, SSLError, "
    "ReadTimeoutError…), a COS error body (XML or JSON, str or bytes), or a line pasted from a "
    "log holding one (the SDK's str(e) or its logger.error record, another COS or AWS SDK's "
    "error line, or a Message COS sends)"
)
# Longer pastes are cut: no COS error line is anywhere near this, and literal_eval's cost
# grows with its input.
_MAX_PASTE = 64 * 1024
_XML_MARKERS = ("<Error>", "<Code>", "<Message>")
# (what the text must hold one of, lowercased, for the pattern to match; the pattern).
_STATUS_PATTERNS = (
    (
        ("status",),
        re.compile(r"\bstatus(?:[ _-]?code)?['\"]?\s*[:=]?\s*['\"]?([1-5]\d\d)\b", re.IGNORECASE),
    ),
    (("http",), re.compile(r"\bHTTP(?:/\d(?:\.\d)?)?\s*[:=]?\s*([1-5]\d\d)\b", re.IGNORECASE)),
    (("",), re.compile(r"^\s*([1-5]\d\d)\b")),
    # .NET's CosServerException ("CosServerException: 403 - Forbidden"), request-promise's
    # StatusCodeError ("StatusCodeError: 403 - \"<?xml …\"").
    (("exception:", "error:"), re.compile(r"(?:Exception|Error):\s{0,4}([1-5]\d\d)\s{1,4}-\s")),
    # A status in (full-width) brackets before a colon: "上传失败（400：Your proposed …）".
    (("",), re.compile(r"[（(]([1-5]\d\d)[：:]")),
)
_ERROR_FIELDS = {
    "code": "Code",
    "message": "Message",
    "resource": "Resource",
    "requestid": "RequestId",
    "request_id": "RequestId",
    "traceid": "TraceId",
    "trace_id": "TraceId",
}
_STATUS_FIELDS = ("status", "status_code", "statuscode", "http_status")
_HEADER_HINTS = ("x-cos-request-id", "x-cos-trace-id", "x-cos-error-code", "server")


@dataclass(frozen=True)
class Pasted:
    """A paste turned back into a reply: the body, and the status and headers it showed."""

    body: str
    http_status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    http_method: str | None = None
    operation: str | None = None
    url: str | None = None


def read_pasted(text: str) -> Pasted:
    """Return the error reply ``text`` holds (an empty body for blank text)."""
    head = text.lstrip()
    stripped = head[:_MAX_PASTE].rstrip()  # stripping the whole would copy all of it
    if not stripped:
        return Pasted(body="")
    status = _status_in(stripped)
    if any(marker in stripped for marker in _XML_MARKERS):
        # Whole: the XML reader looks for opening tags in the first 64 KiB and for closing
        # tags anywhere; a cut could drop a closing tag (the same body read differently at
        # 10 KB and at 100 KB).
        return Pasted(body=head.rstrip(), http_status=status)
    mapping = _mapping_in(stripped)
    if mapping is not None:
        pasted = from_mapping(mapping)
        if pasted is not None:
            return Pasted(pasted.body, pasted.http_status or status, pasted.headers)
    known = vocabulary()
    reading = read_foreign(stripped, known.codes)
    if reading is not None:
        return _from_reading(reading, status, known)
    message = known_message_in(stripped, known)
    if message is not None:
        return Pasted(body=_error_xml({"Message": message}), http_status=status)
    return Pasted(body=stripped, http_status=status)


def _from_reading(reading: Reading, status: int | None, known: Vocabulary) -> Pasted:
    message = reading.message
    if message is not None and not known.knows_message(message):
        # A Java stack line may carry the caller's own words before COS's message.
        message = _known_tail(message, known) or message
    elements = {
        "Code": reading.code,
        "Message": message,
        "Resource": reading.resource,
        "RequestId": reading.request_id,
        "TraceId": reading.trace_id,
    }
    if not reading.code and not message:
        # Only a status (a HEAD's reply, printed by an AWS SDK): no body, as the live
        # exception has it; the ids came in the reply's headers.
        headers = {"x-cos-request-id": reading.request_id, "x-cos-trace-id": reading.trace_id}
        return Pasted(
            body="",
            http_status=reading.status or status,
            headers={name: value for name, value in headers.items() if value},
            http_method=reading.method,
            operation=reading.operation,
            url=reading.url,
        )
    return Pasted(
        body=_error_xml(elements),
        http_status=reading.status or status,
        http_method=reading.method,
        operation=reading.operation,
        url=reading.url,
    )


def _error_xml(elements: dict[str, str | None]) -> str:
    """The COS XML error body holding ``elements`` (the ones set); "" when none is.

    A reply with nothing in it (a HEAD's) stays bodiless, as the live exception has it.
    """
    body = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in elements.items() if value)
    return f"<Error>{body}</Error>" if body else ""


# Where a quoted Message may sit in a line: "…", '…', `…`, “…”, ‘…’, 「…」.
# Each excludes its opening quote too, so a run of quotes fails at once instead of scanning.
_QUOTED = re.compile(
    r'"([^"\n]{1,512})"|\'([^\'\n]{1,512})\'|`([^`\n]{1,512})`|“([^“”\n]{1,512})”'
    r"|‘([^‘’\n]{1,512})’|「([^「」\n]{1,512})」",
)
_LEADING_STATUS = re.compile(r"^[1-5]\d\d\b[\s:：\-–]*")
_SPLIT = re.compile(r"[:：]\s*")
_MAX_CANDIDATES = 64
_WORD_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_LONGEST = 512  # longer than any Message COS sends


def known_message_in(text: str, known: Vocabulary) -> str | None:
    """A Message the knowledge base quotes, standing alone somewhere in ``text``; else None.

    Standing alone: a whole line (after a leading status), a quoted string, or the end of a
    line after a ``prefix:``. Never a piece of a longer sentence.
    """
    lines = [line for line in text.splitlines()[:_MAX_CANDIDATES] if len(line) <= _LONGEST]
    for line in lines:
        candidate = _LEADING_STATUS.sub("", line.strip()).strip(" \t'\"“”‘’`")
        if known.knows_message(candidate):
            return candidate
    for count, found in enumerate(_QUOTED.finditer(text)):
        if count >= _MAX_CANDIDATES:
            break
        candidate = next(group for group in found.groups() if group is not None)
        if known.knows_message(candidate):
            return candidate.strip()
    for line in lines:
        tail = _known_tail(line, known)
        if tail is not None:
            return tail
    return None


def _known_tail(text: str, known: Vocabulary) -> str | None:
    """The longest end of ``text`` after a colon that is a Message the knowledge base quotes."""
    for count, found in enumerate(_SPLIT.finditer(text)):
        if count >= _MAX_CANDIDATES:
            break
        if len(text) - found.end() > _LONGEST:
            continue  # no Message is this long: only the last few colons can start one
        before = _last_word(text[max(0, found.start() - 64) : found.start()])
        if before is not None and looks_like_code(before, known.codes):
            return None  # "SomeCode: message": the text has a Code, just not one we read
        tail = text[found.end() :].strip().strip("'\"“”‘’`")
        if known.knows_message(tail):
            return tail
    return None


def _last_word(text: str) -> str | None:
    """The word ending ``text`` (trailing space aside): ASCII letters and digits from a letter.

    A scan from the end: the pattern it replaces, anchored only at the end, was retried from
    every letter of a long run.
    """
    end = len(text.rstrip())
    start = end
    while start > 0 and text[start - 1] in _WORD_CHARACTERS:
        start -= 1
    while start < end and not text[start].isalpha():
        start += 1
    return text[start:end] if start < end else None


def from_mapping(mapping: dict[Any, Any]) -> Pasted | None:
    """An error dict (the SDK's digest, a JSON error) or a reply's headers; None if neither.

    Keys and values nested too deep to print are left out, as unreadable.
    """
    names = {key: printable(key) for key in mapping}
    inner = next(
        (value for key, value in mapping.items() if (names[key] or "").lower() == "error"),
        None,
    )
    fields = inner if isinstance(inner, dict) else mapping
    lowered = _lowered_names(fields)
    status = _status_field(lowered) or _status_field(_lowered_names(mapping))
    if "code" in lowered or "message" in lowered:
        texts = {
            element: printable(lowered[name])
            for name, element in _ERROR_FIELDS.items()
            if lowered.get(name) not in (None, "", "Unknown")
        }
        body = "".join(f"<{name}>{escape(text)}</{name}>" for name, text in texts.items() if text)
        return Pasted(body=f"<Error>{body}</Error>", http_status=status)
    if any(hint in lowered for hint in _HEADER_HINTS):
        headers = {name: printable(value) for name, value in lowered.items()}
        return Pasted(
            body="",
            http_status=status,
            headers={name: value for name, value in headers.items() if value is not None},
        )
    return None


def _lowered_names(fields: dict[Any, Any]) -> dict[str, Any]:
    lowered = {}
    for key, value in fields.items():
        name = printable(key)
        if name is not None:
            lowered[name.lower()] = value
    return lowered


def _mapping_in(text: str) -> dict[Any, Any] | None:
    """The outermost ``{…}`` in ``text``, read as JSON or as a Python literal."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    candidate = text[start : end + 1]
    try:
        parsed = json.loads(candidate)
    except (ValueError, RecursionError):  # RecursionError: nested too deep to read
        try:
            parsed = ast.literal_eval(candidate)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None
    return parsed if isinstance(parsed, dict) else None


def _status_in(text: str) -> int | None:
    folded = fold_case(text)
    for needed, pattern in _STATUS_PATTERNS:
        found = pattern.search(text) if any(word in folded for word in needed) else None
        if found:
            return int(found.group(1))
    return None


def _status_field(fields: dict[str, Any]) -> int | None:
    for name in _STATUS_FIELDS:
        value = fields.get(name)
        if isinstance(value, int) and 100 <= value < 600:
            return value
        if isinstance(value, str) and re.fullmatch(r"[1-5][0-9]{2}", value.strip()):
            return int(value.strip())
    return None
