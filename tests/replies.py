"""A loopback HTTP server that answers every request with a reply the test sets.

Core tests use it to feed the REAL SDK real HTTP replies of every shape COS sends (each
rule's spelling, HEAD without body, JSON, plain text), so the hook, the context reader and
the matcher are tested on what the SDK really raises. The emulator's integration suite
(integration/) is where replies arise from genuine misconfiguration instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: str | bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


class ReplyServer:
    """Serve ``reply`` to every request on 127.0.0.1; remember what was received.

    ``reply`` may also be a function of the request received, for a reply that quotes it.
    """

    def __init__(self) -> None:
        self.reply: Reply | Callable[[Seen], Reply] = Reply()
        self.seen: list[Seen] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as two writes; with Nagle on, the body waited for the
            # client's delayed ACK: 40 ms per request on a kept-alive connection.
            disable_nagle_algorithm = True

            def version_string(self) -> str:
                return "tencent-cos"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                seen = Seen(self.command, self.path, dict(self.headers.items()))
                owner.seen.append(seen)
                reply = owner.reply(seen) if callable(owner.reply) else owner.reply
                body = reply.body.encode() if isinstance(reply.body, str) else reply.body
                self.send_response_only(reply.status)
                headers = {
                    "Server": "tencent-cos",
                    "Content-Type": "application/xml",
                    "Date": formatdate(usegmt=True),
                    "x-cos-request-id": "NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0",
                    **reply.headers,
                }
                if reply.status >= 400:
                    headers.setdefault("x-cos-trace-id", "OGVmYzZiMmQzYjA2OWNh")
                # A HEAD answers with the object's length, which the reply may give.
                object_length = (
                    headers.pop("Content-Length", "0") if self.command == "HEAD" else None
                )
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", object_length or str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _answer

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        # shutdown() waits up to one poll interval (0.5 s by default) for serve_forever to notice.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> ReplyServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def error_xml(
    code: str,
    message: str,
    *,
    resource: str = "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a.txt",
    extra: str = "",
) -> str:
    """An error body shaped like COS's (single-quoted prolog, tab-indented)."""
    return (
        "<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n"
        f"\t<Code>{code}</Code>\n\t<Message>{message}</Message>\n{extra}"
        f"\t<Resource>{resource}</Resource>\n"
        "\t<RequestId>NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0</RequestId>\n"
        "\t<TraceId>OGVmYzZiMmQzYjA2OWNh</TraceId>\n</Error>\n"
    )
