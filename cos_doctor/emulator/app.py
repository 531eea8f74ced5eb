"""The WSGI application: every response gets COS's common headers; errors get COS's body.

Each response carries ``x-cos-request-id`` (Base64 of ``<unix-hex>_<hex>_<hex>_<hex>``), a
``Date`` from the emulator's clock (offset included) and ``Server: tencent-cos``; errors add
``x-cos-trace-id`` and the XML body of :mod:`cos_doctor.emulator.errors` — except on HEAD,
whose errors carry no body, exactly as COS's do.
"""

from __future__ import annotations

import base64
import logging
import secrets
from typing import TYPE_CHECKING

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import http_date
from werkzeug.wrappers import Request, Response

from cos_doctor.emulator.errors import CosError, render_error
from cos_doctor.emulator.request import CosRequest
from cos_doctor.emulator.responses import CosResponse
from cos_doctor.emulator.routes import add_cors_headers, dispatch

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from cos_doctor.emulator.state import EmulatorState

logger = logging.getLogger(__name__)


def new_request_id(now: float) -> str:
    """A request id shaped like COS's: Base64 of ``<unix-hex>_<hex>_<hex>_<hex>``."""
    parts = (
        f"{int(now):x}",
        f"{secrets.randbits(32):08x}",
        secrets.token_hex(2),
        secrets.token_hex(2),
    )
    raw = "_".join(parts)
    return base64.b64encode(raw.encode("ascii")).decode("ascii")


def new_trace_id() -> str:
    """A trace id shaped like COS's: Base64 of a 128-character hex string."""
    return base64.b64encode(secrets.token_hex(64).encode("ascii")).decode("ascii")


class EmulatorApp:
    """A WSGI application serving the COS XML API from an :class:`EmulatorState`."""

    def __init__(self, state: EmulatorState) -> None:
        """Serve ``state``; requests are handled one at a time under its lock."""
        self.state = state

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI entry point."""
        response = self.respond(Request(environ))
        return response(environ, start_response)

    def respond(self, raw: Request) -> Response:
        """Serve one werkzeug request."""
        now = self.state.now()
        request_id = new_request_id(now)
        limit = self.state.max_body_size
        body = bounded_body(raw, limit)
        request = CosRequest.from_werkzeug(raw, b"" if body is None else body)
        if body is None:
            error = CosError("EntityTooLarge", too_large_message(limit))
            response = self._error(error, request, request_id)
        else:
            response = self._serve(request, request_id)
        with self.state.lock:
            add_cors_headers(self.state, request, response)
        response.headers["x-cos-request-id"] = request_id
        response.headers["Date"] = http_date(now)
        response.headers["Server"] = "tencent-cos"
        return response

    def _serve(self, request: CosRequest, request_id: str) -> Response:
        try:
            with self.state.lock:
                return dispatch(self.state, request)
        except CosError as error:
            return self._error(error, request, request_id)
        except Exception:
            logger.exception("emulator failed on %s %s", request.method, request.path)
            return self._error(CosError(), request, request_id)

    @staticmethod
    def _error(error: CosError, request: CosRequest, request_id: str) -> Response:
        trace_id = new_trace_id()
        body = b""
        if request.method != "HEAD":
            body = render_error(
                error, resource=request.resource, request_id=request_id, trace_id=trace_id
            )
        response = CosResponse(body, status=error.status)
        response.headers["x-cos-trace-id"] = trace_id
        return response


def too_large_message(limit: int) -> str:
    """The EntityTooLarge message for a body over the emulator's own limit."""
    # COS answers EntityTooLarge (400) for a body over its own bound (5 GB for a simple
    # upload: Error Codes 436/7730, Specifications and Limits 436/14518); the emulator keeps
    # COS's code and says that this bound is its own, and how to raise it.
    return (
        f"The request body is larger than this emulator's limit of {limit} bytes (its own bound;"
        " COS takes up to 5 GB in one upload). Raise it with EmulatorState.max_body_size,"
        ' "max_body_size" in the configuration file, or --max-body-size.'
    )


def bounded_body(raw: Request, limit: int) -> bytes | None:
    """The request body, or ``None`` when it is longer than ``limit`` bytes.

    At most ``limit + 1`` bytes are read: werkzeug refuses a longer Content-Length before
    reading, and stops a chunked body at its maximum without a word, so one byte more tells.
    The rest of a refused body is left to werkzeug's server, which reads and drops it after
    replying, so the client (which sends everything before reading) gets the error.
    """
    raw.max_content_length = limit + 1
    try:
        body = raw.get_data(cache=True)
    except RequestEntityTooLarge:
        return None
    return body if len(body) <= limit else None
