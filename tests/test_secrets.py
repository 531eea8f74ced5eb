"""Secrets sealed at one boundary: no output of cos_doctor ever repeats one.

The property: a client configured with a known SecretKey, session token and SecretId makes a
real SDK call over HTTP to a loopback server; the request's key, Referer and Origin, and the
server's error body (Message, Resource, policy condition, FormatString, StringToSign), embed
those secrets plus the request's own signature and sign key. Whatever Hypothesis chooses, none
of them appears in anything cos_doctor writes: the exception's text and notes, the Diagnosis'
repr, to_dict(), rendering, evidence and pickles, the log event, and the CLI's output.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import pickle
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError
from structlog.testing import capture_logs

import cos_doctor
from cos_doctor import cli
from tests.conftest import BUCKET, REGION

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
SECRET_KEYS = st.text(_ALNUM, min_size=32, max_size=40)
TOKENS = st.text(_ALNUM + "-_", min_size=40, max_size=80).map(lambda text: f"tok{text}")
SECRET_IDS = st.text(_ALNUM, min_size=32, max_size=32).map(lambda text: f"AKID{text}")
NAMES = ("secret_key", "token", "secret_id", "signature", "sign_key")
PLACES = ("Message", "Resource", "FormatString", "StringToSign", "Condition")


@dataclass
class Seen:
    """What the loopback server received, and the secrets it derived from it."""

    secrets: dict[str, str] = field(default_factory=dict)


class EchoingCos:
    """A loopback COS that answers with an error body quoting the request's own secrets."""

    def __init__(self) -> None:
        self.status = 403
        self.code = "AccessDenied"
        self.places: dict[str, str] = {}  # element -> which secret goes there
        self.secret_key = ""
        self.seen = Seen()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # see tests/replies.py

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                body = owner.body(dict(self.headers.items())).encode()
                self.send_response_only(owner.status)
                for name, value in (
                    ("Server", "tencent-cos"),
                    ("Content-Type", "application/xml"),
                    ("Date", formatdate(usegmt=True)),
                    ("x-cos-request-id", "NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0"),
                    ("Content-Length", str(0 if self.command == "HEAD" else len(body))),
                ):
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_HEAD = _answer

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]

    def body(self, headers: dict[str, str]) -> str:
        fields = dict(pair.split("=", 1) for pair in headers.get("Authorization", "").split("&") if "=" in pair)
        secrets = {
            "secret_key": self.secret_key,
            "token": headers.get("x-cos-security-token", ""),
            "secret_id": fields.get("q-ak", ""),
            "signature": fields.get("q-signature", ""),
            "sign_key": hmac.new(self.secret_key.encode(), fields.get("q-key-time", "").encode(), hashlib.sha1).hexdigest(),
        }
        self.seen.secrets = secrets
        placed = {place: secrets[name] for place, name in self.places.items()}
        message = placed.get("Message", "Access Denied.")
        if "Condition" in placed:
            message = f"Condition key key doesn&apos;t match the value {placed['Condition']}"
        format_string = f"get\n/a.txt\n\nhost=x&x-cos-security-token={placed.get('FormatString', 'none')}\n"
        return (
            "<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n"
            f"\t<Code>{self.code}</Code>\n\t<Message>{message}</Message>\n"
            f"\t<Resource>{BUCKET}.cos.{REGION}.myqcloud.com/{placed.get('Resource', 'a.txt')}</Resource>\n"
            f"\t<StringToSign>sha1\n1;2\n{placed.get('StringToSign', 'abc')}\n</StringToSign>\n"
            f"\t<FormatString>{format_string}</FormatString>\n"
            "\t<RequestId>NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0</RequestId>\n</Error>\n"
        )

    def __enter__(self) -> EchoingCos:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def echoing_cos() -> Iterator[EchoingCos]:
    with EchoingCos() as server:
        yield server


def _outputs_of_diagnosis(diagnosis: cos_doctor.Diagnosis) -> list[str]:
    return [
        repr(diagnosis),
        json.dumps(diagnosis.to_dict(), ensure_ascii=False),
        diagnosis.render(),
        diagnosis.headline(),
        *(f"{item.value!r} {item.text}" for item in diagnosis.evidence),
        *(pickle.dumps(diagnosis, protocol).decode("latin-1") for protocol in (0, pickle.HIGHEST_PROTOCOL)),
    ]


def _assert_sealed(outputs: list[str], secrets: dict[str, str]) -> None:
    for output in outputs:
        for name, secret in secrets.items():
            assert secret not in output, f"{name} leaked"
            assert quote(secret, safe="") not in output, f"{name} leaked, percent-encoded"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    secret_key=SECRET_KEYS,
    token=TOKENS,
    secret_id=SECRET_IDS,
    status_code=st.sampled_from([(403, "AccessDenied"), (403, "SignatureDoesNotMatch"), (400, "InvalidRequest"), (404, "NoSuchKey"), (503, "SlowDown")]),
    places=st.dictionaries(st.sampled_from(PLACES), st.sampled_from(NAMES), max_size=5),
    key_secret=st.sampled_from(["secret_key", "token", "secret_id", None]),
    referer_secret=st.sampled_from(["secret_key", "token", "secret_id", None]),
    origin_secret=st.sampled_from(["secret_key", "token", None]),
)
def test_no_secret_survives_the_hook_or_diagnose(  # noqa: PLR0917 - Hypothesis draws each one
    echoing_cos: EchoingCos,
    caplog: pytest.LogCaptureFixture,
    secret_key: str,
    token: str,
    secret_id: str,
    status_code: tuple[int, str],
    places: dict[str, str],
    key_secret: str | None,
    referer_secret: str | None,
    origin_secret: str | None,
) -> None:
    """Secrets in the key, Referer, Origin, headers and error body reach no output of cos_doctor."""
    configured = {"secret_key": secret_key, "token": token, "secret_id": secret_id}
    echoing_cos.status, echoing_cos.code = status_code
    echoing_cos.places = places
    echoing_cos.secret_key = secret_key
    config = CosConfig(Region=REGION, SecretId=secret_id, SecretKey=secret_key, Token=token, Scheme="http", IP="127.0.0.1", Port=echoing_cos.port)
    client = CosS3Client(config, retry=0)
    key = f"reports/{configured[key_secret]}/q.csv" if key_secret else "reports/q.csv"
    extra: dict[str, object] = {}
    if referer_secret:
        extra["Referer"] = f"https://app.example.com/page?auth={configured[referer_secret]}"
    if origin_secret:
        extra["Metadata"] = {"Origin": f"https://{configured[origin_secret]}.example.com"}
    cos_doctor.install(storm_window=0)
    with caplog.at_level(logging.DEBUG), capture_logs() as events, pytest.raises(CosServiceError) as caught:
        client.get_object(Bucket=BUCKET, Key=key, **extra)
    error = caught.value
    secrets = {**configured, **echoing_cos.seen.secrets}
    assert all(secrets.values())
    later = cos_doctor.diagnose(error)  # read again from the exception and its traceback
    ours = [record.getMessage() + repr(record.__dict__) for record in caplog.records if record.name == "cos_doctor"]
    outputs = [
        str(error),
        "\n".join(getattr(error, "__notes__", [])),
        repr(events),
        *ours,
        *_outputs_of_diagnosis(error.diagnosis),
        *_outputs_of_diagnosis(later),
    ]
    _assert_sealed(outputs, secrets)
    # The signers' own DEBUG lines: what the SDK itself adds (the caller's own key, Referer and
    # Origin are the caller's data, which the SDK logs as given).
    signer_lines = [record.getMessage() for record in caplog.records if record.name == "qcloud_cos.cos_auth"]
    assert signer_lines
    embedded = {key_secret, referer_secret, origin_secret}
    added = {name: secrets[name] for name in ("signature", "sign_key", "token", "secret_id") if name not in embedded}
    _assert_sealed(signer_lines, added)
    caplog.clear()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    token=TOKENS,
    secret_id=SECRET_IDS,
    signature=st.text("0123456789abcdef", min_size=40, max_size=40),
    places=st.dictionaries(st.sampled_from(PLACES), st.sampled_from(["token", "secret_id", "signature"]), max_size=5),
    as_json=st.booleans(),
)
def test_no_secret_survives_diagnose_of_a_body_or_the_cli(  # noqa: PLR0917 - Hypothesis draws each one
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    token: str,
    secret_id: str,
    signature: str,
    places: dict[str, str],
    as_json: bool,
) -> None:
    """A pasted body and presigned URL quoting the request's secrets: diagnose() and the CLI seal them."""
    secrets = {"token": token, "secret_id": secret_id, "signature": signature}
    server = EchoingCos.__new__(EchoingCos)
    server.code, server.places, server.secret_key = "AccessDenied", places, "unused-secret-key"
    server.seen = Seen()
    body = server.body({"Authorization": f"q-ak={secret_id}&q-signature={signature}", "x-cos-security-token": token})
    url = (
        f"https://{BUCKET}.cos.{REGION}.myqcloud.com/a.txt?q-sign-algorithm=sha1&q-ak={secret_id}"
        f"&q-sign-time=1;2&q-key-time=1;2&q-header-list=host&q-url-param-list=&q-signature={signature}"
        f"&x-cos-security-token={quote(token, safe='')}"
    )
    diagnosis = cos_doctor.diagnose(body, http_status=403, url=url, request_headers={"Referer": f"https://x.example.com/?t={token}"})
    path: Path = tmp_path_factory.mktemp("bodies") / "body.xml"
    path.write_text(body, encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["explain", str(path), "--status", "403", "--url", url, *(["--json"] if as_json else [])]) == 0
    printed = capsys.readouterr().out
    assert printed
    _assert_sealed([printed, *_outputs_of_diagnosis(diagnosis)], secrets)


@pytest.mark.parametrize(
    "sign",
    [
        lambda client: client.get_presigned_url(Bucket=BUCKET, Key="a.txt", Method="GET"),
        lambda client: client.get_rtmp_signed_url(Bucket=BUCKET, ChannelName="live"),
        lambda client: client.get_presigned_download_url(Bucket=BUCKET, Key="a.txt"),
    ],
    ids=["presigned-url", "rtmp", "presigned-download"],
)
def test_every_signer_s_debug_lines_are_scrubbed_while_installed(caplog: pytest.LogCaptureFixture, sign: Callable[[CosS3Client], str]) -> None:
    """The SDK's signers (CosS3Auth and CosRtmpAuth) log sign key, signature and token: scrubbed."""
    secret_key, token = "k" * 32, "tok" + "t" * 40
    config = CosConfig(Region=REGION, SecretId="AKID" + "a" * 32, SecretKey=secret_key, Token=token)
    client = CosS3Client(config)
    cos_doctor.install()
    with caplog.at_level(logging.DEBUG, logger="qcloud_cos"):
        signed = sign(client)
    assert caplog.records  # the SDK really logged
    signature = signed.split("q-signature=", 1)[1].split("&", 1)[0]
    for record in caplog.records:
        text = record.getMessage()
        for secret in (signature, token, "AKID" + "a" * 32):
            assert secret not in text
    key_times = {pair.split("=", 1)[1] for pair in signed.replace("?", "&").split("&") if pair.startswith("q-key-time=")}
    for key_time in key_times:
        sign_key = hmac.new(secret_key.encode(), key_time.encode(), hashlib.sha1).hexdigest()
        assert sign_key not in caplog.text


def test_the_sdk_s_exception_record_for_a_secret_id_with_a_newline_is_scrubbed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A SecretId pasted with its newline breaks header encoding; the SDK logs the header: scrubbed."""
    secret_id = "AKID" + "b" * 32
    config = CosConfig(Region=REGION, SecretId=secret_id + "\n", SecretKey="s" * 32, Scheme="http", IP="127.0.0.1", Port=9)
    client = CosS3Client(config, retry=0)
    cos_doctor.install()
    with caplog.at_level(logging.DEBUG, logger="qcloud_cos"), pytest.raises(Exception) as caught:
        client.get_object(Bucket=BUCKET, Key="a.txt")
    formatted = "\n".join(logging.Formatter().format(record) for record in caplog.records)
    assert "q-signature" in formatted  # the SDK really logged the header it could not send
    sdk_text = caught.value.args[0]  # the SDK's own exception text: kept as it is
    assert secret_id in sdk_text
    signature = sdk_text.split("q-signature=", 1)[1][:40]
    for output in (formatted, str(caught.value), "\n".join(getattr(caught.value, "__notes__", []))):
        assert secret_id not in output
        assert signature not in output


class _SeenByHandler(logging.Handler):
    """Keeps each record's exc_text as the SDK's logger filters left it, before any formatting."""

    def __init__(self) -> None:
        super().__init__()
        self.exc_texts: list[str | None] = []
        self.outputs: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.exc_texts.append(record.exc_text)
            self.outputs.append(logging.Formatter().format(record))


@pytest.fixture
def sdk_handler() -> Iterator[_SeenByHandler]:
    handler = _SeenByHandler()
    logger = logging.getLogger("qcloud_cos.cos_client")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def test_a_refused_connection_s_traceback_is_formatted_only_by_the_app_s_handler(
    sdk_handler: _SeenByHandler, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No secret in the SDK's logged exception chain: only the handler formats it, output unchanged."""
    formatted: list[object] = []
    format_exception = logging.Formatter.formatException

    def counting(self: logging.Formatter, exc_info: Any) -> str:
        formatted.append(exc_info)
        return format_exception(self, exc_info)

    monkeypatch.setattr(logging.Formatter, "formatException", counting)
    config = CosConfig(Region=REGION, SecretId="AKID" + "c" * 32, SecretKey="s" * 32, Scheme="http", IP="127.0.0.1", Port=9)
    client = CosS3Client(config, retry=0)
    cos_doctor.install()
    with pytest.raises(Exception, match="onnect"):
        client.head_bucket(Bucket=BUCKET)
    assert sdk_handler.exc_texts == [None]
    assert len(formatted) == 1  # by the handler only: the filter did not format it too
    (output,) = sdk_handler.outputs
    assert "Traceback (most recent call last)" in output
    assert "ConnectionRefusedError" in output or "Connection refused" in output


def test_a_secret_only_in_a_chained_exception_is_scrubbed_from_the_sdk_s_traceback(sdk_handler: _SeenByHandler) -> None:
    """The filter follows cause and context: a token in an inner exception never reaches the output."""
    token = "sekrit-session-token-0123456789"
    cos_doctor.install()
    logger = logging.getLogger("qcloud_cos.cos_client")
    try:
        _refused_after(ValueError(f"x-cos-security-token: {token}"))
    except ConnectionError:
        logger.exception("request failed")
    (output,) = sdk_handler.outputs
    assert "x-cos-security-token" in output
    assert token not in output


def _refused_after(inner: Exception) -> None:
    try:
        raise inner
    except type(inner) as caught:
        raise ConnectionError("connection refused") from caught
