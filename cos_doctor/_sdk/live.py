"""A live failure read into the pipeline's plain records: the SDK's frames, exception and client.

The one place that reads a failure while it is happening: the frames of the SDK's methods on
the stack (recognised by code object, their locals read through :mod:`.adapter`), the
exception's own state, the ``requests`` reply ``send_request`` held, the client's settings
and the secrets it was configured with. What comes out is plain records
(:mod:`cos_doctor._pipeline.sources`); nothing downstream holds a live SDK object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cos_doctor._pipeline.context import RequestContext, merge
from cos_doctor._pipeline.sources import (
    CallArguments,
    ClientConfig,
    ExceptionSeen,
    RequestSent,
    SecretsSeen,
    read_reply,
    text_or_none,
)
from cos_doctor._record import frozen
from cos_doctor._sdk import adapter as _sdk

if TYPE_CHECKING:
    from types import FrameType, TracebackType

    from cos_doctor._pipeline.sources import Hints

__all__ = [
    "StackSources",
    "client_error_seen",
    "client_records",
    "client_secrets",
    "context_from_error",
    "read_frames",
    "response_headers",
    "sent_by",
    "traceback_frames",
]


def context_from_error(
    error: Any,
    *,
    caller: FrameType | None = None,
    hints: Hints | None = None,
    frames: list[FrameType] | None = None,
) -> RequestContext:
    """Build the context of an SDK ``CosServiceError`` or ``CosClientError``.

    Read from the exception's own state and its traceback's frames; ``caller`` is the frame
    that called the patched method when cos_doctor's hook is on the stack (without it the
    traceback alone is used, enough for errors diagnosed later). ``frames``: what
    :func:`traceback_frames` gave for the two, when the caller has them already.
    """
    if frames is None:
        frames = traceback_frames(error.__traceback__, caller)
    stack = read_frames(frames)
    if not _sdk.is_service_error(error):  # a CosClientError: no reply, or none usable
        return merge(
            call=stack.call,
            config=stack.config,
            sent=stack.sent,
            exception=client_error_seen(error, stack.sent),
            hints=hints,
            live=True,
        )
    state = _sdk.service_error_state(error)
    reply = read_reply(
        status=_int_or_none(state.status),
        digest=state.digest,
        body=state.body,
        headers=response_headers(stack.response),
        live=True,
    )
    return merge(
        reply=reply,
        call=stack.call,
        config=stack.config,
        sent=stack.sent,
        hints=hints,
        live=True,
    )


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def client_error_seen(error: Any, sent: RequestSent | None) -> ExceptionSeen:
    """Read a ``CosClientError``: its message, the classes along its cause chain, its kind."""
    # Imported here: its classifier serves client-side failures only, not a reply's.
    from cos_doctor._pipeline.client_context import exception_seen

    return exception_seen(error, _message(error), sent)


def _message(error: Any) -> str:
    args = getattr(error, "args", ())
    if args and isinstance(args[0], str):
        return args[0]
    message = _sdk.client_error_message(error)
    return message if message is not None else str(error)


def traceback_frames(
    traceback: TracebackType | None,
    caller: FrameType | None,
) -> list[FrameType]:
    """Return the frames of the failing call, outermost first, from the caller down."""
    inner: list[FrameType] = []
    while traceback is not None:
        inner.append(traceback.tb_frame)
        traceback = traceback.tb_next
    outer: list[FrameType] = []
    frame = caller if caller is not None else (inner[0].f_back if inner else None)
    while frame is not None and len(outer) < 32:
        outer.append(frame)
        frame = frame.f_back
    outer.reverse()
    known = {id(frame) for frame in inner}
    return [frame for frame in outer if id(frame) not in known] + inner


@frozen
class StackSources:
    """Everything the SDK's frames tell, plus the reply object send_request held."""

    call: CallArguments
    config: ClientConfig | None = None
    sent: RequestSent | None = None
    response: Any = None


def read_frames(frames: list[FrameType]) -> StackSources:
    """Read the SDK's own frames, recognised by code object (``cos_doctor._sdk.adapter``).

    Wrappers and tracers in between (a user's ``send_request`` override, another
    instrumentation) are stepped over instead of hiding the SDK method that called them.
    """
    _sdk.ensure_registered()
    chain: list[str] = []
    key: str | None = None
    bucket: str | None = None
    first_url: str | None = None
    local: _sdk.SendRequestLocals | None = None
    for frame in frames:
        role = _sdk.stack_role(frame)  # one lookup per frame: the stack may be deep
        if role == _sdk.SEND_REQUEST_FRAME:
            local = _sdk.send_request_locals(frame)
            break
        if role != _sdk.CLIENT_METHOD_FRAME:
            continue  # wrappers, user code, SDK plumbing (thread pools): not a client method
        arguments = frame.f_locals  # read once: each read copies the frame's locals again
        if not _sdk.is_client(arguments.get("self")):
            continue
        chain.append(frame.f_code.co_name)
        if isinstance(arguments.get("Key"), str):
            key = arguments["Key"]
        if bucket is None and isinstance(arguments.get("Bucket"), str):
            bucket = arguments["Bucket"]
        if isinstance(arguments.get("url"), str):
            first_url = arguments["url"]
    if local is None and frames:
        local = _reply_in_frame(frames)
    call = CallArguments(chain=tuple(chain), key=key, bucket=bucket, first_url=first_url)
    if local is None:
        return StackSources(call=call)
    return StackSources(
        call=call,
        config=client_records(local.client),
        sent=_request_sent(local),
        response=local.response,
    )


# A client's records by everything they are read from (adapter.config_state): reading its
# settings and secrets cost more than the rest of a frame, and they rarely change.
_CLIENT_RECORDS: dict[tuple[Any, ...], ClientConfig] = {}
_CLIENT_RECORDS_KEPT = 32


def client_records(client: Any) -> ClientConfig:
    """The client's settings and secrets, read once per distinct configuration."""
    config = _sdk.client_config(client)
    state = _sdk.config_state(config, client)
    found = _CLIENT_RECORDS.get(state) if state is not None else None
    if found is None:
        found = ClientConfig(
            settings=_sdk.client_settings(config, client), secrets=_secrets_of(config)
        )
        if state is not None:
            if len(_CLIENT_RECORDS) >= _CLIENT_RECORDS_KEPT:
                _CLIENT_RECORDS.clear()  # many clients: start over rather than grow
            _CLIENT_RECORDS[state] = found
    return found


def client_secrets(client: Any) -> SecretsSeen:
    """The secrets a client was configured with (for a redactor of output about the client)."""
    return client_records(client).secrets


def _secrets_of(config: Any) -> SecretsSeen:
    return SecretsSeen(
        secret_id=_sdk.configured_secret(config, "secret_id"),
        secret_key=_sdk.configured_secret(config, "secret_key"),
        token=_sdk.configured_secret(config, "token"),
        proxy_credentials=_sdk.proxy_credentials(config),
    )


def _reply_in_frame(frames: list[FrameType]) -> _sdk.SendRequestLocals | None:
    """An SDK method raised after send_request returned (an <Error> in a 200 reply)."""
    for frame in reversed(frames):
        if not _sdk.is_client_method(frame):
            continue
        response = _sdk.reply_in_frame(frame)
        if response is None:
            return None
        return _sdk.SendRequestLocals(
            client=frame.f_locals.get("self"),
            method=text_or_none(getattr(response.request, "method", None)),
            url=None,
            bucket=text_or_none(frame.f_locals.get("Bucket")),
            timeout=None,
            headers=None,
            response=response,
            attempt_index=None,
            retry_log=(),
        )
    return None


def _request_sent(local: _sdk.SendRequestLocals) -> RequestSent:
    prepared = getattr(local.response, "request", None)
    url = getattr(prepared, "url", None) or local.url
    headers = getattr(prepared, "headers", None)
    if headers is None:
        headers = local.headers or {}
    params = local.params if isinstance(local.params, dict) else {}
    timeout = local.timeout
    return RequestSent(
        method=local.method,
        url=url if isinstance(url, str) else None,
        bucket=local.bucket,
        headers=_texts(headers),
        params={str(name): str(value) for name, value in params.items()},
        attempts=local.attempt_index + 1 if local.attempt_index is not None else None,
        retry_log=local.retry_log,
        timeout=float(timeout) if isinstance(timeout, (int, float)) else None,
    )


def sent_by(response: Any) -> RequestSent | None:
    """The request behind a ``requests`` reply (for a body read after send_request returned)."""
    prepared = getattr(response, "request", None)
    if prepared is None:
        return None
    url = getattr(prepared, "url", None)
    return RequestSent(
        method=text_or_none(getattr(prepared, "method", None)),
        url=url if isinstance(url, str) else None,
        headers=_texts(prepared.headers or {}),
    )


def response_headers(response: Any) -> dict[str, str] | None:
    """The headers of the ``requests`` reply send_request held, lowercased; None if none."""
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    return {name: str(value) for name, value in lowered(headers)}


def lowered(headers: Any) -> Any:
    """(lowercased name, value) pairs; requests' CaseInsensitiveDict keeps them ready."""
    lower_items = getattr(headers, "lower_items", None)
    if lower_items is not None:
        return lower_items()
    return ((str(name).lower(), value) for name, value in headers.items())


def _texts(headers: Any) -> dict[str, str]:
    """Headers as text, names lowercased; the SDK encodes some values to bytes for requests."""
    return {
        name: value if type(value) is str else _text(value)  # a call only for the rare bytes
        for name, value in lowered(headers)
    }


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
