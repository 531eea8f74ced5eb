"""Read the error lines other COS SDKs and tools print back into COS's Code, Message and status.

Users paste what their own stack printed: COS's Go, Java, JavaScript, PHP, Node.js, iOS, .NET
and C++ SDKs, the AWS SDKs that rclone, terraform, velero or boto3 point at COS, or a
mini-program's console. Each recogniser below reads one of those forms (the wording it
expects is quoted from the SDK's source in its docstring) and returns a :class:`Reading`.
None guesses: a Code is read only where the form puts one, and a status-text Code that an
SDK made up for a reply without a body (``NotFound``, ``Forbidden``) is dropped again.

Every pattern starts with literal text and bounds each repeat, and each recogniser looks at
one match, so a hostile paste costs time linear in its length.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Callable

from cos_doctor._knowledge.vocabulary import REASON_PHRASES
from cos_doctor._normalize import fold_case

__all__ = ["Reading", "looks_like_code", "read_foreign", "snake_operation"]

# A COS Message is one line of prose; 4 KiB keeps any real one whole.
_MAX_MESSAGE = 4096
_MAX_ID = 256
_MAX_FIELDS = 64  # key/value pairs read from one paste
_METHODS = "GET|PUT|POST|DELETE|HEAD|OPTIONS|PATCH"
# A Code as COS spells it: CamelCase with at least two humps (NoSuchKey, InvalidURI) or an
# acronym before one (KMSAccessDenied). One-word tokens (Error, Forbidden) are not Codes.
# Anchored: it is only ever fullmatched, and unanchored it retried every letter of a long run.
_CODE_SHAPE = re.compile(r"\A(?:[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+|[A-Z]{2,}[a-z][A-Za-z0-9]*)\Z")
# An HTTP status as text: ASCII digits only ("²³⁴".isdigit() is true, int() refuses it).
_STATUS_TEXT = re.compile(r"[1-5][0-9]{2}")
_CLIENT_ERROR_NUMBER = re.compile(r"-[0-9]{1,6}")
# What a field labelled Code must hold to be read as a COS Code (COS's all start upper-case).
_CODE_VALUE = re.compile(r"[A-Z][A-Za-z0-9.]{1,63}")
# Values people put where an id was, to hide it or because the SDK had none.
_PLACEHOLDER = re.compile(r"[xX*.…]+|<[^<>]*>|null|None|undefined|nil|Unknown", re.IGNORECASE)
# The HTTP method each AWS-named operation uses (boto3 and aws-sdk-go-v2 name only the
# operation); the common ones only: an operation not listed leaves the method unknown.
_OPERATION_METHODS = {
    "head_object": "HEAD",
    "head_bucket": "HEAD",
    "get_object": "GET",
    "list_objects": "GET",
    "list_objects_v2": "GET",
    "list_parts": "GET",
    "list_multipart_uploads": "GET",
    "put_object": "PUT",
    "upload_part": "PUT",
    "upload_part_copy": "PUT",
    "copy_object": "PUT",
    "create_bucket": "PUT",
    "delete_object": "DELETE",
    "delete_bucket": "DELETE",
    "abort_multipart_upload": "DELETE",
    "delete_objects": "POST",
    "create_multipart_upload": "POST",
    "complete_multipart_upload": "POST",
    "restore_object": "POST",
}


@dataclass(frozen=True)
class Reading:
    """What one recogniser read from a paste; None where the paste does not say."""

    form: str
    code: str | None = None
    message: str | None = None
    status: int | None = None
    request_id: str | None = None
    trace_id: str | None = None
    resource: str | None = None
    url: str | None = None
    method: str | None = None
    operation: str | None = None


def read_foreign(text: str, known_codes: frozenset[str]) -> Reading | None:
    """The first form that ``text`` holds, cleaned; None when it holds none of them.

    ``known_codes`` are the Codes the knowledge base has rules for: the loosest forms (a
    ``Code: message`` prefix with nothing else around it) are read only for those.
    """
    for recogniser in _RECOGNISERS:
        reading = recogniser(text, known_codes)
        if reading is not None:
            cleaned = _cleaned(reading, known_codes)
            if cleaned.code or cleaned.status:
                return cleaned
    return None


def looks_like_code(token: str, known_codes: frozenset[str]) -> bool:
    """Whether ``token`` can be a COS Code where a paste does not label it as one."""
    if token in known_codes:
        return True
    if token.endswith(("Error", "Exception")):  # a class name (ValueError), not a Code
        return False
    return _CODE_SHAPE.fullmatch(token) is not None


def snake_operation(name: str) -> str:
    """An AWS operation name as the Python SDK spells methods: GetObject -> get_object."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return spaced.lower()


# ----------------------------------------------------------------------------- recognisers


_GO = re.compile(
    rf"(?:(?P<method>{_METHODS}) (?P<url>https?://\S{{1,2048}}?): )?"
    r"(?P<status>[1-5]\d\d) (?P<code>[A-Za-z][\w.]{0,63})\(Message: ",
)


def _cos_go_sdk(text: str, _known: frozenset[str]) -> Reading | None:
    """COS Go SDK, ``ErrorResponse.Error()`` (cos-go-sdk-v5, error.go).

    Printed with ``"%v %v: %d %v(Message: %v, RequestId: %v, TraceId: %v)"``::

        PUT https://b-1250000000.cos.ap-guangzhou.myqcloud.com/a: 409 BucketAlreadyExists(
        Message: …, RequestId: …, TraceId: …)

    The URL it prints is already percent-decoded, so a literal ``%`` is escaped again.
    """
    found = _GO.search(text) if "(Message: " in text else None
    if found is None:
        return None
    tail = _line(text, found.end())
    message, _, ids = tail.partition(", RequestId: ")
    if not ids:
        message = _before_close(message)
    request_id, _, trace = ids.partition(", TraceId: ")
    url = found.group("url")
    # Ids are base64: they never hold the ")" that closes the SDK's text, or a comma.
    return Reading(
        form="cos-go-sdk",
        code=found.group("code"),
        message=message,
        status=int(found.group("status")),
        request_id=request_id.split(")", 1)[0].split(",", 1)[0],
        trace_id=trace.split(")", 1)[0],
        url=url.replace("%", "%25") if url else None,
        method=found.group("method"),
    )


_JAVA = re.compile(
    r"\((?:Service: [^;()\n]{0,64}; )?Status Code: (?P<status>\d{3}); "
    r"Error Code: (?P<code>[^;()\s]{1,64})(?P<more>(?:; [^;()\n]{0,300}){0,8})\)",
)
_JAVA_FIELD = re.compile(r"; (Request ID|Trace ID): ([^;()\s]{1,256})")  # not "S3 Extended …"
_JAVA_TRACE = re.compile(r"; Trace ID: ([^;()\s]{1,256})")


def _java_style(text: str, _known: frozenset[str]) -> Reading | None:
    """COS Java SDK, AWS Java SDK v1, COS JS and mini-program SDKs: message, then ``(…)``.

    ``CosServiceException.getMessage()`` (cos-java-sdk-v5)::

        msg + " (Status Code: " + status + "; Error Code: " + code + "; Request ID: " + id
            + ")" + "; Trace ID: " + trace

    ``AmazonServiceException.getMessage()`` adds ``Service: Amazon S3; `` first and
    ``; S3 Extended Request ID: …`` inside; the JS SDKs print only status and code.
    """
    found = _JAVA.search(text) if "; Error Code: " in text else None
    if found is None:
        return None
    fields = dict(_JAVA_FIELD.findall(found.group("more")))
    # COS's Java SDK prints the trace id after the closing parenthesis.
    trace = _JAVA_TRACE.match(_line(text, found.end(), 300))
    if trace is not None:
        fields.setdefault("Trace ID", trace.group(1))
    line_start = text.rfind("\n", 0, found.start()) + 1
    message_start = max(line_start, found.start() - _MAX_MESSAGE)
    return Reading(
        form="java-style",
        code=found.group("code"),
        message=_without_class_prefix(text[message_start : found.start()]),
        status=int(found.group("status")),
        request_id=fields.get("Request ID"),
        trace_id=fields.get("Trace ID"),
    )


_PHP = re.compile(
    r"Cos Error Code: (?P<code>[^,\s]{1,64}), Status Code: (?P<status>\d{3})?"
    r"(?:, Cos Request ID: (?P<request_id>[^,\s]{0,256}))?"
    r"(?:, Cos Error Type: [^,\n]{0,32})?"
    r"(?:, Cos Error Message: (?P<message>[^\n]{0,4096}))?",
)


def _cos_php_sdk(text: str, _known: frozenset[str]) -> Reading | None:
    r"""COS PHP SDK, ``ServiceResponseException::__toString()`` (cos-php-sdk-v5).

    ::

        Qcloud\Cos\Exception\ServiceResponseException: Cos Error Code: …, Status Code: …,
        Cos Request ID: …, Cos Error Type: …, Cos Error Message: …
    """
    found = _PHP.search(text)
    if found is None:
        return None
    status = found.group("status")
    return Reading(
        form="cos-php-sdk",
        code=found.group("code"),
        message=found.group("message"),
        status=int(status) if status else None,
        request_id=found.group("request_id"),
    )


_BOTOCORE = re.compile(
    r"An error occurred \((?P<code>[^()\s]{1,64})\) when calling the (?P<operation>\w{1,64}) "
    r"operation(?: \(reached max retries: \d{1,4}\))?: (?P<message>[^\n]{0,4096})",
)


def _botocore(text: str, _known: frozenset[str]) -> Reading | None:
    """boto3 / botocore ``ClientError`` (botocore/exceptions.py, ``MSG_TEMPLATE``).

    ::

        An error occurred ({error_code}) when calling the {operation_name}
        operation{retry_info}: {error_message}

    For a reply without a body (HEAD) botocore's parser puts the status in the Code and the
    reason phrase in the Message (``An error occurred (403) … HeadObject operation: Forbidden``).
    """
    found = _BOTOCORE.search(text)
    if found is None:
        return None
    code: str | None = found.group("code")
    status = None
    if code and _STATUS_TEXT.fullmatch(code):
        status, code = int(code), None
    return _with_operation(
        Reading(form="botocore", code=code, message=found.group("message"), status=status),
        found.group("operation"),
    )


_AWS_GO_V2 = re.compile(
    r"(?:operation error [\w ]{1,32}: (?P<operation>\w{1,64}), )?"
    r"https response error StatusCode: (?P<status>\d{3}), "
    r"RequestID: (?P<request_id>[^,\s\"'\\]{0,256}),(?: HostID: [^,\s]{0,512},)?"
    r"(?: api error (?P<code>[\w.]{1,64}): (?P<message>[^\n]{0,4096}))?",
)


def _aws_sdk_go_v2(text: str, _known: frozenset[str]) -> Reading | None:
    """aws-sdk-go-v2 (rclone ≥ 1.68, …): smithy's ``OperationError`` around the S3 error.

    ::

    operation error S3: PutObject, https response error StatusCode: 400, RequestID: …,
    HostID: …, api error BadDigest: The Content-MD5 you specified is not match.
    """
    found = _AWS_GO_V2.search(text) if "https response error StatusCode: " in text else None
    if found is None:
        return None
    reading = Reading(
        form="aws-sdk-go-v2",
        code=found.group("code"),
        message=found.group("message"),
        status=int(found.group("status")),
        request_id=found.group("request_id"),
    )
    return _with_operation(reading, found.group("operation"))


_AWS_GO_V1 = re.compile(
    r"(?:\\n\\t|\\n|\s)\s{0,16}status code: (?P<status>\d{3}), "
    r"request id: (?P<request_id>[^,\s\"'\\]{0,256})",
)
_CODE_COLON = re.compile(r"(?<![\w.$\\])(?P<code>[A-Z][A-Za-z0-9]{1,63}): ")


def _aws_sdk_go_v1(text: str, known: frozenset[str]) -> Reading | None:
    r"""aws-sdk-go v1 (rclone, gobackup, terraform, velero): ``awserr.SprintError``.

    ::

        "%s: %s\n\t%s" % (code, message, "status code: %d, request id: %s, host id: %s")

    Loggers flatten the line break to a space, or print it as a literal ``\n\t`` inside a
    quoted gRPC description; the Code is the first Code-shaped ``Word: `` on that line.
    """
    found = _AWS_GO_V1.search(text) if "status code: " in text else None
    if found is None:
        return None
    line_start = text.rfind("\n", 0, found.start()) + 1
    before = text[max(line_start, found.start() - _MAX_MESSAGE) : found.start()]
    code, message = _code_and_message(before, known)
    return Reading(
        form="aws-sdk-go-v1",
        code=code,
        message=message,
        status=int(found.group("status")),
        request_id=found.group("request_id"),
    )


def _code_then_message(text: str, known: frozenset[str]) -> Reading | None:
    """``Code: message`` with nothing else to go on (AWS SDK for JS v3, a tool's own log).

    ::

        Upload error: PathStyleDomainForbidden: The bucket you are attempting to access …

    The loosest form, so read only for Codes the knowledge base knows.
    """
    head = text[: _MAX_MESSAGE * 4]
    if ": " not in head:
        return None
    for line in head.splitlines()[:_MAX_FIELDS]:
        code, message = _code_and_message(line, known, known_only=True)
        if code:
            return Reading(form="code-colon-message", code=code, message=message)
    return None


_FIELD = re.compile(
    r"""(?<![\w.-])["']?(?P<key>Code|code|errorCode|ErrorCode|error_code|Message|message|"""
    r"""errorMessage|ErrorMsg|error_msg|RequestId|requestId|RequestID|request_id|XCosRequestId|"""
    r"""TraceId|traceId|trace_id|XCosTraceId|Resource|resource|resouce|ResourceAddr|statusCode|"""
    r"""StatusCode|status_code|HttpStatus|httpStatus)["']?[ \t]{0,4}[:=][ \t]{0,4}""",
)
# Every label above, lowercased, holds one of these: text without any has no field to read.
_FIELD_WORDS = ("code", "message", "msg", "request", "trace", "resou", "status")
_FIELD_NAMES = {
    "code": "code",
    "errorcode": "code",
    "error_code": "code",
    "message": "message",
    "errormessage": "message",
    "errormsg": "message",
    "error_msg": "message",
    "requestid": "request_id",
    "request_id": "request_id",
    "xcosrequestid": "request_id",
    "traceid": "trace_id",
    "trace_id": "trace_id",
    "xcostraceid": "trace_id",
    "resource": "resource",
    "resouce": "resource",  # sic: COSXML.CosServerException.GetInfo()
    "resourceaddr": "resource",
    "statuscode": "status",
    "status_code": "status",
    "httpstatus": "status",
}
# An unquoted value ends at the next ", Name=" / ", Name:" / ", name = ", a brace or a line end.
_UNQUOTED_END = re.compile(r", ?[A-Za-z_][\w-]{0,31} ?[=:]|[{}\n]|\)\s*$")


def _fields(text: str, _known: frozenset[str]) -> Reading | None:
    """Labelled fields, whatever the punctuation, as SDKs print their error objects.

    COS Node.js SDK (``util.inspect``: unquoted keys, single quotes, wrapped at the terminal
    width) and its JSON, ``{"error":{"Code":…},"statusCode":403}``; the iOS SDK's ``NSError``
    (``UserInfo={…, Code=SignatureDoesNotMatch, …, Message=…}``); a mini-program's console
    (``Code: "InvalidArgument", Message: "…"``); .NET ``CosServerException.GetInfo()``
    (``errorCode = …, errorMessage = …``); the C++ SDK demo (``ErrorCode=…``, ``HttpStatus=…``).
    """
    folded = fold_case(text)
    if not any(word in folded for word in _FIELD_WORDS):
        return None
    values: dict[str, str] = {}
    for count, found in enumerate(_FIELD.finditer(text)):
        if count >= _MAX_FIELDS:
            break
        name = _FIELD_NAMES[found.group("key").lower()]
        value = _value_at(text, found.end())
        if value is None:
            continue
        if name == "code":
            # iOS prints the HTTP status as the NSError's Code=403 before the COS Code.
            token = value.split(maxsplit=1)[0] if value.strip() else ""
            if _CLIENT_ERROR_NUMBER.fullmatch(token):
                # The C SDK's status->code: -996: the SDK's own error, no reply from COS,
                # so its error_code (HttpIoError) is no COS Code either.
                return None
            if token.isdecimal():
                name, value = "status", token
            elif not _CODE_VALUE.fullmatch(token):
                continue
            else:
                value = token
        values.setdefault(name, value)
    status = values.get("status", "")
    if "code" not in values and "message" not in values:
        return None
    return Reading(
        form="labelled-fields",
        code=values.get("code"),
        message=values.get("message"),
        status=int(status) if _STATUS_TEXT.fullmatch(status) else None,
        request_id=values.get("request_id"),
        trace_id=values.get("trace_id"),
        resource=values.get("resource"),
    )


_STATUS_CODE = re.compile(
    # The lookbehind after the first digit: a pattern that starts with a character set is
    # skipped along quickly; one that starts with a lookbehind is tried at every position.
    r"(?P<status>[3-5](?<![\w.][3-5])\d\d)[ \t]{1,4}(?:-[ \t]{1,4})?"
    r"(?P<code>[A-Z][A-Za-z0-9]{2,63})(?![\w(])",
)


def _status_then_code(text: str, known: frozenset[str]) -> Reading | None:
    """A status then a Code, as docs and tools quote them.

    ``404 NoSuchUpload``, ``Code: 403  SignatureDoesNotMatch``, ``403 AccessDenied``;
    ``403 Forbidden`` is not one (a reason phrase).
    """
    for count, found in enumerate(_STATUS_CODE.finditer(text)):
        if count >= _MAX_FIELDS:
            break
        if looks_like_code(found.group("code"), known):
            return Reading(
                form="status-code",
                code=found.group("code"),
                status=int(found.group("status")),
            )
    return None


_RECOGNISERS: tuple[Callable[[str, frozenset[str]], Reading | None], ...] = (
    _cos_go_sdk,
    _java_style,
    _cos_php_sdk,
    _botocore,
    _aws_sdk_go_v2,
    _aws_sdk_go_v1,
    _fields,
    _code_then_message,
    _status_then_code,
)


# ----------------------------------------------------------------------------- helpers


def _cleaned(reading: Reading, known: frozenset[str]) -> Reading:
    """Placeholders and made-up status-text Codes removed; whitespace and quotes trimmed."""
    code = _kept(reading.code)
    message = _kept(reading.message, placeholders=False)
    if message is not None:
        message = message.strip(" \t'\"“”‘’`") or None
    if message in _ABSENT_MESSAGES:
        message = None
    if code is not None and _made_up(code, message, known):
        # aws-sdk-go and friends name a reply without a body after its status text
        # (NotFound: Not Found); COS sent no Code at all, so the paste has none either.
        code = message = None
    if message is not None and message in REASON_PHRASES.get(reading.status or 0, ()):
        message = None  # botocore's Message for a bodiless reply: the reason phrase
    status = reading.status if reading.status and 100 <= reading.status < 600 else None
    return replace(
        reading,
        code=code,
        message=message,
        status=status,
        request_id=_kept(reading.request_id, limit=_MAX_ID),
        trace_id=_kept(reading.trace_id, limit=_MAX_ID),
        resource=_kept(reading.resource),
    )


# Each status text squashed into a Code, as the AWS SDKs make one up, and the text itself.
_SYNTHETIC = {
    phrase.replace(" ", ""): phrase for phrases in REASON_PHRASES.values() for phrase in phrases
}
# What SDKs print where the reply had no Message.
_ABSENT_MESSAGES = ("Unknown", "null", "undefined", "None")


def _made_up(code: str, message: str | None, known: frozenset[str]) -> bool:
    """Whether ``code`` is a status text an SDK made up rather than a Code COS sent."""
    phrase = _SYNTHETIC.get(code)
    if phrase is None:
        return False
    if message is not None:
        return message == phrase
    return code not in known


def _kept(value: str | None, *, limit: int = _MAX_MESSAGE, placeholders: bool = True) -> str | None:
    if value is None:
        return None
    value = value.strip().strip(",;")
    if not value or (placeholders and _PLACEHOLDER.fullmatch(value)):
        return None
    return value[:limit]


def _with_operation(reading: Reading, name: str | None) -> Reading:
    if not name:
        return reading
    operation = snake_operation(name)
    return replace(reading, operation=operation, method=_OPERATION_METHODS.get(operation))


def _line(text: str, start: int, limit: int = _MAX_MESSAGE) -> str:
    """From ``start`` to the end of its line, at most ``limit`` characters."""
    window = text[start : start + limit]
    return window.split("\n", 1)[0].rstrip("\r")


def _before_close(value: str) -> str:
    """A field the SDK closed with ``)``: cut there, and drop quotes a logger put around it."""
    value = value.rstrip().rstrip("\"'”」")
    return value.removesuffix(")")


_CLASS_PREFIX = re.compile(r"^\s*\[?[\w$.]*(?:Exception|Error)\]?\s*:\s*\]?\s*")


def _without_class_prefix(text: str) -> str:
    """The message, without the exception class a stack trace printed before it."""
    text = text.strip()
    for _ in range(3):
        trimmed = _CLASS_PREFIX.sub("", text, count=1)
        if trimmed == text:
            break
        text = trimmed
    return text


def _code_and_message(
    line: str,
    known: frozenset[str],
    *,
    known_only: bool = False,
) -> tuple[str | None, str | None]:
    """The Code of ``line`` (a ``Word: `` before its message) and the text after it.

    A Code the knowledge base knows wins over an earlier Code-shaped word (a tool's own
    ``UploadFailed: AccessDenied: …``); failing that, the first Code-shaped word does.
    """
    fallback = None
    for count, found in enumerate(_CODE_COLON.finditer(line)):
        if count >= _MAX_FIELDS:
            break
        code = found.group("code")
        if code in known:
            fallback = found
            break
        if fallback is None and not known_only and looks_like_code(code, known):
            fallback = found
    if fallback is None:
        return None, None
    message = line[fallback.end() :].replace("\\n\\t", " ").replace("\\n", " ")
    return fallback.group("code"), message.strip().strip("\"'")


_QUOTED = {
    "'": re.compile(r"'((?:[^'\\]|\\.){0,4096})'", re.DOTALL),
    '"': re.compile(r'"((?:[^"\\]|\\.){0,4096})"', re.DOTALL),
}


def _value_at(text: str, start: int) -> str | None:
    """The value that begins at ``start``: a quoted string, or up to the next field."""
    window = text[start : start + _MAX_MESSAGE + 2]
    if not window:
        return None
    pattern = _QUOTED.get(window[0])
    if pattern is not None:
        found = pattern.match(window)
        if found is None:
            return None
        raw = found.group(1)
        if window[0] == '"':
            try:
                return str(json.loads(f'"{raw}"'))
            except ValueError:
                return raw
        # util.inspect never puts a raw line break inside a quoted string: one there is the
        # terminal wrapping a long line, so the pieces join without a space.
        return raw.replace("\\'", "'").replace("\r", "").replace("\n", "")
    found = _UNQUOTED_END.search(window)
    value = window[: found.start()] if found else window
    return value.strip() or None
