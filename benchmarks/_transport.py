"""The fake COS: an in-process ``requests`` transport, real SDK clients over it, error bodies."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from benchmarks._config import BUCKET, KEY, REGION, REQUEST_ID, SECRET_ID, SECRET_KEY, TRACE_ID


@dataclass
class Reply:
    """What the fake transport answers to every request."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class FakeCos(BaseAdapter):
    """A ``requests`` transport that builds COS's reply in-process: no socket, no thread."""

    def __init__(self) -> None:
        super().__init__()
        self.reply = Reply()
        self._date = (0, "")

    def _now(self) -> str:
        second = int(time.time())
        if self._date[0] != second:
            self._date = (second, formatdate(second, usegmt=True))
        return self._date[1]

    def send(self, request: requests.PreparedRequest, **_options: Any) -> requests.Response:
        reply = self.reply
        headers = CaseInsensitiveDict(
            {
                "Server": "tencent-cos",
                "Date": self._now(),
                "Connection": "keep-alive",
                "Content-Type": "application/xml",
                "Content-Length": str(len(reply.body)),
                "x-cos-request-id": REQUEST_ID,
                **({"x-cos-trace-id": TRACE_ID} if reply.status >= 400 else {}),
                **reply.headers,
            },
        )
        body = b"" if request.method == "HEAD" else reply.body
        response = requests.Response()
        response.status_code = reply.status
        response.reason = HTTPStatus(reply.status).phrase
        response.headers = headers
        response.encoding = get_encoding_from_headers(headers)  # as HTTPAdapter does
        response.raw = io.BytesIO(body)
        response._content = body
        response._content_consumed = True
        response.url = request.url or ""
        response.request = request
        response.connection = self
        return response

    def close(self) -> None:
        return None


def make_client(adapter: FakeCos, client_class: Any = None) -> Any:
    """The real CosS3Client (default retry), with its session's transport replaced."""
    from qcloud_cos import CosConfig, CosS3Client

    config = CosConfig(Region=REGION, SecretId=SECRET_ID, SecretKey=SECRET_KEY, Scheme="https")
    client = (client_class or CosS3Client)(config, session=requests.Session())
    client._session.mount("http://", adapter)
    client._session.mount("https://", adapter)
    return client


def refused_client(port: int, client_class: Any = None) -> Any:
    """The real CosS3Client over real ``requests``, sent to ``port`` on 127.0.0.1; no retry."""
    from qcloud_cos import CosConfig, CosS3Client

    config = CosConfig(
        Region=REGION,
        SecretId=SECRET_ID,
        SecretKey=SECRET_KEY,
        Scheme="http",
        IP="127.0.0.1",
        Port=port,
    )
    return (client_class or CosS3Client)(config, retry=0)


def error_xml(code: str | None, message: str | None, extra: str = "") -> bytes:
    """An error body as COS writes it: single-quoted prolog, tab-indented elements."""
    lines = ["<?xml version='1.0' encoding='utf-8' ?>", "<Error>"]
    if code is not None:
        lines.append(f"\t<Code>{code}</Code>")
    if message is not None:
        lines.append(f"\t<Message>{message}</Message>")
    lines.extend(
        [
            f"{extra}\t<Resource>{BUCKET}.cos.{REGION}.myqcloud.com/{KEY}</Resource>",
            f"\t<RequestId>{REQUEST_ID}</RequestId>",
            f"\t<TraceId>{TRACE_ID}</TraceId>",
            "</Error>",
            "",
        ],
    )
    return "\n".join(lines).encode()
