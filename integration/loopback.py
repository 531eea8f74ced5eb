"""Loopback servers that fail the way networks do: silence, resets, self-signed TLS, scripted COS.

Every server binds 127.0.0.1 on a free port, serves from a daemon thread, and stops when its
``with`` block ends; nothing waits longer than the client's own timeout.
"""

from __future__ import annotations

import re
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def silent_server() -> Iterator[int]:
    """Accept connections and never answer: the client's read timeout fires."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set() and len(held) < 64:
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in held:
            connection.close()
        listener.close()


@contextmanager
def full_backlog_server() -> Iterator[int]:
    """A listener that never accepts, its backlog already full: new connections get no answer
    to their SYN (Linux drops it), so the client's connect timeout fires."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port: int = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.settimeout(0)
        filler.connect_ex(("127.0.0.1", port))  # EINPROGRESS or 0: either way, queued
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


@contextmanager
def self_signed_tls_server(directory: Path) -> Iterator[int]:
    """Complete TLS handshakes with a certificate generated now and trusted by nobody."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        for _ in range(64):
            if stop.is_set():
                return
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            try:
                with context.wrap_socket(connection, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                connection.close()  # the client refused our certificate: the point

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


def reset(connection: socket.socket) -> None:
    """Close ``connection`` with a TCP RST instead of a FIN."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


# (status, body), or (status, body, headers) to replace COS's usual headers; None: reset.
Script = Callable[
    [BaseHTTPRequestHandler, bytes],
    "tuple[int, bytes] | tuple[int, bytes, dict[str, str]] | None",
]


@contextmanager
def scripted_cos(script: Script) -> Iterator[int]:
    """An HTTP server whose every reply is ``script(handler, body)``; None resets the connection."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            outcome = script(self, body)
            if outcome is None:
                reset(self.connection)
                self.close_connection = True
                return
            status, payload = outcome[0], outcome[1]
            headers = (
                outcome[2]
                if len(outcome) > 2
                else {  # type: ignore[misc]
                    "Server": "tencent-cos",
                    "x-cos-request-id": "NjU1ZjA0YjNfbG9vcGJhY2s=",
                    "Content-Type": "application/xml",
                }
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" in headers:  # a HEAD: the object's length, no body
                self.end_headers()
                return
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle  # noqa: N815 - http.server names

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # shutdown() waits up to one poll interval (0.5 s by default) for serve_forever to notice.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


@contextmanager
def truncating_cos(size: int) -> Iterator[int]:
    """An object of ``size`` bytes whose every GET promises the full length, sends half, and
    closes: HEAD is answered whole, so download_file plans its parts normally."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _headers(self, status: int, length: int) -> None:
            self.send_response(status)
            self.send_header("Server", "tencent-cos")
            self.send_header("x-cos-request-id", "NjU1ZjA0YjNfdHJ1bmNhdGVk")
            self.send_header("ETag", '"0123456789abcdef0123456789abcdef"')
            self.send_header("Last-Modified", "Wed, 25 Nov 2026 08:00:00 GMT")
            self.send_header("Content-Length", str(length))
            self.end_headers()

        def do_HEAD(self) -> None:
            self._headers(200, size)

        def do_GET(self) -> None:
            wanted = re.search(r"bytes=(\d+)-(\d+)", self.headers.get("Range") or "")
            length = int(wanted.group(2)) - int(wanted.group(1)) + 1 if wanted else size
            self._headers(206 if wanted else 200, length)
            self.wfile.write(b"x" * (length // 2))
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # shutdown() waits up to one poll interval (0.5 s by default) for serve_forever to notice.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)
