"""boto3 pointed at COS meets a network failure: the COS SDK's client rules, for COS only.

Each failure is provoked for real against a loopback server, through a real boto3 client. The
endpoint decides (there is no reply to ask): 127.0.0.1 is made a COS domain with
``install(cos_domains=…)``, or the endpoint names COS's own domain and a local proxy is in the
way. The same failure at an endpoint that is not COS's is left exactly as botocore raised it.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Callable

import pytest
import urllib3
from structlog.testing import capture_logs

boto3 = pytest.importorskip("boto3")
from botocore import exceptions  # noqa: E402 - after the skip above
from botocore.config import Config  # noqa: E402

import cos_doctor  # noqa: E402
from integration.loopback import (  # noqa: E402
    certificate,
    closed_port,
    full_backlog_server,
    raw_server,
    refusing_proxy,
    scripted_cos,
    self_signed_tls_server,
    silent_server,
    tls_server,
    truncating_cos,
)
from integration.test_client_failures import _invalid_names_fail_here  # noqa: E402

BUCKET = "examplebucket-1250000000"
PROXY_PASSWORD = "proxy-Pa55-word"
LOCAL = "127.0.0.1"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    yield
    cos_doctor.uninstall()


# A timeout scenario waits its timeout out: it sets a short one; the others keep a second, so
# a handshake on a busy machine is not taken for a timeout.
TIMEOUTS = {"connect_timeout": 1, "read_timeout": 1}
SHORT_TIMEOUTS = {"connect_timeout": 0.25, "read_timeout": 0.25}


def _client(endpoint_url: str, *, verify: Any = None, **config: Any) -> Any:
    settings = Config(retries={"total_max_attempts": 1}, **{**TIMEOUTS, **config})
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name="ap-guangzhou",
        aws_access_key_id="AKIDEXAMPLE0011",
        aws_secret_access_key="a-secret-never-shown",
        verify=verify,
        config=settings,
    )


def _call(client: Any) -> tuple[BaseException, BaseException, list[dict[str, Any]]]:
    """list_objects on ``client``: what the caller caught, what botocore raised, the events."""
    raised: list[BaseException] = []

    def keep(exception: BaseException, **_: Any) -> None:
        raised.append(exception)

    client.meta.events.register("after-call-error.s3.ListObjects", keep)
    with capture_logs() as events:
        try:
            client.list_objects(Bucket=BUCKET)
        except Exception as error:  # whatever boto3 raised is the subject
            caught: BaseException = error
        else:
            raise AssertionError("the boto3 call succeeded")
    assert len(raised) == 1
    failures = [event for event in events if event["event"] == "cos_request_failed"]
    return caught, raised[0], failures


# name: (rule id, botocore's class, a context giving (endpoint URL, client settings)).
Setup = Callable[[Path], AbstractContextManager[tuple[str, dict[str, Any]]]]


@contextmanager
def _refused(_: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    yield f"http://{LOCAL}:{closed_port()}", {}


@contextmanager
def _silent(_: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with silent_server() as port:
        yield f"http://{LOCAL}:{port}", dict(SHORT_TIMEOUTS)


@contextmanager
def _full_backlog(_: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with full_backlog_server() as port:
        yield f"http://{LOCAL}:{port}", dict(SHORT_TIMEOUTS)


@contextmanager
def _self_signed(directory: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with self_signed_tls_server(directory) as port:
        yield f"https://{LOCAL}:{port}", {}


@contextmanager
def _expired(directory: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    cert, key = certificate(directory, LOCAL, expired=True)
    with tls_server(cert, key) as port:
        yield f"https://{LOCAL}:{port}", {"verify": str(cert)}


@contextmanager
def _other_name(directory: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    cert, key = certificate(directory, "other.invalid")
    with tls_server(cert, key) as port:
        yield f"https://{LOCAL}:{port}", {"verify": str(cert)}


@contextmanager
def _plain_port(_: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with scripted_cos(lambda handler, body: (200, b"")) as port:
        yield f"https://{LOCAL}:{port}", {}


@contextmanager
def _closed(_: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with raw_server(None) as port:
        yield f"http://{LOCAL}:{port}", {}


@contextmanager
def _closed_in_handshake(_: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with raw_server(None) as port:
        yield f"https://{LOCAL}:{port}", {}


@contextmanager
def _bad_chunk(_: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc"
    with raw_server(reply) as port:
        yield f"http://{LOCAL}:{port}", {}


# The botocore cause each rule names likely for a call through boto3 (its settings, not CosConfig's).
BOTOCORE_CAUSE = {
    "client-connection-refused": "botocore-endpoint-port",
    "client-read-timeout": "botocore-read-timeout",
    "client-connect-timeout": "botocore-connect-timeout",
    "client-tls-untrusted": "botocore-ca-bundle",
    "client-tls-failure": "botocore-ca-bundle",
    "client-tls-hostname": "botocore-endpoint-name",
    "client-tls-plain-port": "botocore-endpoint-scheme",
    "client-connection-reset": "botocore-retries",
    "client-proxy-auth": "botocore-proxy-credentials",
    "client-proxy-failure": "botocore-proxies",
    "client-dns-failure": "botocore-endpoint-url",
    "client-tls-expired": "botocore-endpoint-certificate",
    "client-body-interrupted": "botocore-body-read-in-call",
}


def _likely(diagnosis: Any) -> list[str]:
    return [cause.id for cause in diagnosis.causes if cause.confidence == "likely"]


# What only the COS SDK has: its CosConfig and the settings it takes (a boto3 user sets
# endpoint_url, verify= and botocore.config.Config instead).
COS_SDK_SETTING = re.compile(
    r"CosConfig|CosS3Client|\bScheme\b|\b(?:Timeout|Endpoint|IP|Port|Proxies|Domain|VerifySSL|"
    r"SSLCert|EnableOldDomain|EnableInternalDomain|AutoSwitchDomainOnRetry)="
)


def _told_in_botocores_terms(caught: Any) -> None:
    """The fix and the facts name botocore's settings, not the COS SDK's, in every language."""
    found = [caught.diagnosis, *(cos_doctor.diagnose(caught, locale=loc) for loc in ("ko", "zh"))]
    facts = {(fact.key, fact.value) for fact in caught.diagnosis.evidence}
    for diagnosis in found:
        assert diagnosis.rule_id == caught.diagnosis.rule_id
        # diagnose() reads the client from the call's frame: the facts the hook read, no fewer
        assert {(fact.key, fact.value) for fact in diagnosis.evidence} == facts
        facts_shown = (fact.text for fact in diagnosis.evidence)
        prose = "\n".join((diagnosis.cause, *diagnosis.steps, *facts_shown))
        assert not COS_SDK_SETTING.search(prose), (diagnosis.locale, COS_SDK_SETTING.search(prose))


FAILURES: dict[str, tuple[str, type[BaseException], Setup]] = {
    "refused": ("client-connection-refused", exceptions.EndpointConnectionError, _refused),
    "read-timeout": ("client-read-timeout", exceptions.ReadTimeoutError, _silent),
    "connect-timeout": ("client-connect-timeout", exceptions.ConnectTimeoutError, _full_backlog),
    "self-signed": ("client-tls-untrusted", exceptions.SSLError, _self_signed),
    "expired": ("client-tls-expired", exceptions.SSLError, _expired),
    "hostname": ("client-tls-hostname", exceptions.SSLError, _other_name),
    "plain-port": ("client-tls-plain-port", exceptions.SSLError, _plain_port),
    "closed": ("client-connection-reset", exceptions.ConnectionClosedError, _closed),
    "handshake-eof": ("client-tls-failure", exceptions.SSLError, _closed_in_handshake),
    "bad-chunk": ("client-body-interrupted", exceptions.ConnectionClosedError, _bad_chunk),
}


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_a_cos_endpoints_client_failure_gets_the_sdks_client_rule(
    name: str, tmp_path: Path
) -> None:
    """At a COS endpoint: the client rule, one event, a subclass of botocore's exception."""
    rule_id, botocore_class, setup = FAILURES[name]
    cos_doctor.install(cos_domains=[LOCAL], storm_window=0)
    with setup(tmp_path) as (endpoint, settings):
        caught, raised, failures = _call(_client(endpoint, **settings))
    assert isinstance(caught, cos_doctor.CosDiagnosedBotoCoreError), repr(caught)
    assert type(raised) in type(caught).__mro__
    assert type(raised) is botocore_class, repr(raised)
    assert type(caught).__name__ == botocore_class.__name__
    assert caught.diagnosis.rule_id == rule_id
    assert [event["cos_doctor.rule_id"] for event in failures] == [rule_id]
    assert failures[0]["cos.client.library"] == "botocore"
    assert str(caught).startswith(str(raised))
    assert caught.kwargs == raised.kwargs  # type: ignore[attr-defined]
    assert caught.diagnosis.evidence_value("client_library").startswith("botocore")
    assert caught.fmt == raised.fmt  # type: ignore[attr-defined]
    timeouts = {**TIMEOUTS, **settings}
    assert (
        caught.diagnosis.evidence_value("botocore_connect_timeout") == timeouts["connect_timeout"]
    )
    assert caught.diagnosis.evidence_value("botocore_read_timeout") == timeouts["read_timeout"]
    assert _likely(caught.diagnosis) == [BOTOCORE_CAUSE[rule_id]]
    _told_in_botocores_terms(caught)


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_the_same_failure_elsewhere_is_untouched(name: str, tmp_path: Path) -> None:
    """At an endpoint that is not COS's: botocore's own exception object, no event."""
    _, botocore_class, setup = FAILURES[name]
    cos_doctor.install(storm_window=0)
    with setup(tmp_path) as (endpoint, settings):
        caught, raised, failures = _call(_client(endpoint, **settings))
    assert caught is raised
    assert type(caught) is botocore_class
    assert getattr(caught, "diagnosis", None) is None
    assert failures == []


@pytest.mark.parametrize("name", ["refused", "closed", "read-timeout"])
def test_the_diagnosed_failure_pickles_as_botocores_and_keeps_its_diagnosis(
    name: str, tmp_path: Path
) -> None:
    """Pickled and loaded (HTTPClientError packs request and response too): same class, message, kwargs, rule."""
    rule_id, botocore_class, setup = FAILURES[name]
    cos_doctor.install(cos_domains=[LOCAL], storm_window=0)
    with setup(tmp_path) as (endpoint, settings):
        caught, _, _ = _call(_client(endpoint, **settings))
    loaded = pickle.loads(pickle.dumps(caught))
    assert isinstance(loaded, botocore_class)
    assert isinstance(loaded, cos_doctor.CosDiagnosedBotoCoreError)
    assert type(loaded) is type(caught)
    assert str(loaded) == str(caught)
    assert loaded.kwargs.keys() == caught.kwargs.keys()  # type: ignore[attr-defined]
    assert loaded.kwargs["endpoint_url"] == caught.kwargs["endpoint_url"]  # type: ignore[attr-defined]
    assert loaded.diagnosis.rule_id == rule_id


@pytest.mark.parametrize(
    ("status", "reason", "rule_id"),
    [
        (407, "Proxy Authentication Required", "client-proxy-auth"),
        (502, "Bad Gateway", "client-proxy-failure"),
    ],
)
def test_a_proxy_refusing_the_tunnel_to_cos_is_the_proxy_rule(
    status: int, reason: str, rule_id: str
) -> None:
    """COS's own endpoint behind a refusing proxy: the proxy rule; the password never shown."""
    cos_doctor.install(storm_window=0)
    with refusing_proxy(status, reason) as port:
        proxies = {"https": f"http://alice:{PROXY_PASSWORD}@{LOCAL}:{port}"}
        cos = _client("https://cos.ap-guangzhou.myqcloud.com", proxies=proxies)
        caught, raised, failures = _call(cos)
        elsewhere = _client("https://s3.us-east-1.amazonaws.com", proxies=proxies)
        other, other_raised, other_failures = _call(elsewhere)
    assert isinstance(caught, exceptions.ProxyConnectionError)
    assert type(raised) is exceptions.ProxyConnectionError
    assert caught.diagnosis.rule_id == rule_id  # type: ignore[attr-defined]
    assert [event["cos_doctor.rule_id"] for event in failures] == [rule_id]
    assert _likely(caught.diagnosis) == [BOTOCORE_CAUSE[rule_id]]  # type: ignore[attr-defined]
    proxy = f"https=http://{LOCAL}:{port}"
    assert caught.diagnosis.evidence_value("botocore_proxies") == (proxy,)  # type: ignore[attr-defined]
    shown = caught.diagnosis.render() + repr(caught.diagnosis.to_dict()) + repr(failures)  # type: ignore[attr-defined]
    assert PROXY_PASSWORD not in shown
    _told_in_botocores_terms(caught)
    assert other is other_raised
    assert other_failures == []


def test_a_proxy_from_the_environment_is_told_in_botocores_terms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTPS_PROXY, read by botocore when the client was made: its evidence speaks of botocore."""
    cos_doctor.install(storm_window=0)
    with refusing_proxy(502, "Bad Gateway") as port:
        monkeypatch.setenv("HTTPS_PROXY", f"http://{LOCAL}:{port}")
        caught, _, failures = _call(_client("https://cos.ap-guangzhou.myqcloud.com"))
    assert caught.diagnosis.rule_id == "client-proxy-failure"  # type: ignore[attr-defined]
    assert [event["cos_doctor.rule_id"] for event in failures] == ["client-proxy-failure"]
    shown = caught.diagnosis.evidence_value("proxy_environment")  # type: ignore[attr-defined]
    assert f"HTTPS_PROXY=http://{LOCAL}:{port}" in shown
    text = next(f.text for f in caught.diagnosis.evidence if f.key == "proxy_environment")  # type: ignore[attr-defined]
    assert "botocore" in text
    _told_in_botocores_terms(caught)


def test_an_unresolvable_cos_endpoint_is_the_dns_rule() -> None:
    """A COS-domain endpoint that does not resolve: EndpointConnectionError, the DNS rule."""
    reason = _invalid_names_fail_here()
    if reason is not None:
        pytest.skip(reason)
    cos_doctor.install(cos_domains=["invalid"], storm_window=0)
    caught, raised, failures = _call(_client("http://cos.ap-guangzhou.myqcloud.invalid"))
    assert type(raised) is exceptions.EndpointConnectionError
    assert isinstance(caught, exceptions.EndpointConnectionError)
    assert caught.diagnosis.rule_id == "client-dns-failure"  # type: ignore[attr-defined]
    assert [event["cos_doctor.rule_id"] for event in failures] == ["client-dns-failure"]
    assert _likely(caught.diagnosis) == ["botocore-endpoint-url"]  # type: ignore[attr-defined]
    assert caught.diagnosis.evidence_value("failed_host") == "cos.ap-guangzhou.myqcloud.invalid"  # type: ignore[attr-defined]
    _told_in_botocores_terms(caught)
    cos_doctor.install(cos_domains=[])
    other, other_raised, other_failures = _call(_client("http://cos.ap-guangzhou.myqcloud.invalid"))
    assert other is other_raised
    assert other_failures == []


@pytest.mark.parametrize("name", ["refused", "closed", "self-signed"])
def test_diagnose_reads_botocores_request_failure_without_install(
    name: str, tmp_path: Path
) -> None:
    """diagnose() of botocore's own exception, caught without install(): the hook's diagnosis."""
    rule_id, botocore_class, setup = FAILURES[name]
    with setup(tmp_path) as (endpoint, settings):
        caught, raised, failures = _call(_client(endpoint, **settings))
    assert caught is raised
    assert type(caught) is botocore_class
    assert failures == []
    diagnosis = cos_doctor.diagnose(caught)
    assert diagnosis.rule_id == rule_id
    assert _likely(diagnosis) == [BOTOCORE_CAUSE[rule_id]]
    assert diagnosis.evidence_value("client_library").startswith("botocore")


def test_diagnose_still_refuses_botocores_other_exceptions() -> None:
    """A botocore exception that is no request failure (a parameter check) is not COS's to read."""
    cos = _client(f"http://{LOCAL}:{closed_port()}")
    with pytest.raises(exceptions.ParamValidationError) as caught:
        cos.list_objects(Bucket=BUCKET, MaxKeys="ten")
    with pytest.raises(TypeError, match="request failure"):
        cos_doctor.diagnose(caught.value)


def test_the_cos_sdks_own_failure_names_no_botocore_cause() -> None:
    """The same refusal through the COS SDK: its retry loop ran, so the botocore cause is ruled out."""
    from qcloud_cos import CosClientError, CosConfig, CosS3Client

    cos_doctor.install(storm_window=0)
    config = CosConfig(
        Region="ap-guangzhou",
        SecretId="AKIDEXAMPLE0011",
        SecretKey="a-secret-never-shown",
        IP=LOCAL,
        Port=closed_port(),
        Scheme="http",
    )
    with pytest.raises(CosClientError) as caught:
        CosS3Client(config, retry=0).list_objects(Bucket=BUCKET)
    diagnosis = caught.value.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "client-connection-refused"
    assert [cause.id for cause in diagnosis.causes] == []


def test_the_frame_locals_read_on_failure_are_botocores() -> None:
    """_make_api_call still names the locals the context reads (request, parameters, operation)."""
    from botocore.client import BaseClient

    method = BaseClient.__dict__["_make_api_call"]
    names = getattr(method, "__wrapped__", method).__code__.co_varnames
    assert {"operation_name", "api_params", "request_dict"} <= set(names)


# ---------------------------------------------------------------------------------------------
# A GetObject's Body read after the call returned (botocore's StreamingBody)

KEY = "reports/q3 a+b.csv"
OBJECT_SIZE = 64 * 1024


def _read_whole(body: Any) -> object:
    return body.read()


def _read_in_chunks(body: Any) -> object:
    return b"".join(body.iter_chunks(4096))


def _read_into(body: Any) -> object:
    buffer = bytearray(OBJECT_SIZE)
    view = memoryview(buffer)
    while body.readinto(view):  # io's way: a BufferedReader, shutil.copyfileobj…
        pass
    return buffer


def _readers() -> dict[str, Callable[[Any], object]]:
    from botocore.response import StreamingBody

    readers = {"read": _read_whole, "iter_chunks": _read_in_chunks}
    if "readinto" in StreamingBody.__dict__:  # botocore 1.30+
        readers["readinto"] = _read_into
    return readers


READERS = _readers()
# urllib3 2 keeps the path it sent with the reply; 1.26 (under botocore) keeps none.
URL_PATH_KEPT = int(urllib3.__version__.split(".")[0]) >= 2


def _stream_failure(
    port: int, reader: Callable[[Any], object], addressing: str = "path"
) -> tuple[BaseException, list[dict[str, Any]]]:
    """get_object from the truncating server, then ``reader`` on its Body: caught, events."""
    client = _client(f"http://{LOCAL}:{port}", s3={"addressing_style": addressing})
    if addressing == "virtual":  # the bucket goes in the host name: resolve it to the server
        client.meta.events.register(
            "before-send.s3.GetObject", _to_loopback(port), unique_id="to-loopback"
        )
    reply = client.get_object(Bucket=BUCKET, Key=KEY)
    with capture_logs() as events:
        try:
            reader(reply["Body"])
        except Exception as error:  # whatever botocore raised is the subject
            caught: BaseException = error
        else:
            raise AssertionError("the body was read whole: the server no longer truncates it")
    return caught, [event for event in events if event["event"] == "cos_request_failed"]


def _to_loopback(port: int) -> Callable[..., None]:
    def send_here(request: Any, **_: Any) -> None:
        request.url = request.url.replace(f"{BUCKET}.{LOCAL}:{port}", f"{LOCAL}:{port}")

    return send_here


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_streamed_body_that_breaks_while_read_is_diagnosed(reader: str) -> None:
    """Read after get_object returned: the body rule, one event, botocore's class, its key."""
    from botocore.exceptions import IncompleteReadError, ResponseStreamingError

    cos_doctor.install(storm_window=0)
    with truncating_cos(OBJECT_SIZE) as port:
        caught, failures = _stream_failure(port, READERS[reader])
    assert isinstance(caught, cos_doctor.CosDiagnosedBotoCoreError), repr(caught)
    assert isinstance(caught, (ResponseStreamingError, IncompleteReadError))
    diagnosis = caught.diagnosis
    assert diagnosis.rule_id == "client-body-interrupted"
    if URL_PATH_KEPT:
        assert (diagnosis.bucket, diagnosis.key) == (BUCKET, KEY)
    assert diagnosis.request_id == "NjU1ZjA0YjNfdHJ1bmNhdGVk"
    assert diagnosis.evidence_value("botocore_body_read") == "after-call"
    assert _likely(diagnosis) == ["botocore-streamed-body"]
    assert "s3.download_file(" in diagnosis.steps[1]
    assert [event["cos_doctor.rule_id"] for event in failures] == ["client-body-interrupted"]
    assert failures[0]["cos.client.library"] == "botocore"
    assert pickle.loads(pickle.dumps(caught)).diagnosis.rule_id == "client-body-interrupted"


@pytest.mark.parametrize("reader", sorted(READERS))
def test_diagnose_reads_a_streamed_bodys_failure_without_install(reader: str) -> None:
    """Without install(): the body rule; when it was read is not known, so no cause is likely."""
    with truncating_cos(OBJECT_SIZE) as port:
        caught, failures = _stream_failure(port, READERS[reader])
    assert getattr(caught, "diagnosis", None) is None
    assert failures == []
    diagnosis = cos_doctor.diagnose(caught)
    assert diagnosis.rule_id == "client-body-interrupted"
    assert diagnosis.evidence_value("botocore_body_read") is None
    assert _likely(diagnosis) == []


@pytest.mark.skipif(not URL_PATH_KEPT, reason="urllib3 1.26 keeps no request path")
def test_the_streamed_bodys_bucket_is_read_from_a_virtual_hosted_url() -> None:
    """<bucket>.<host>/<key>: with the bucket outside the path, the path is the key."""
    cos_doctor.install(cos_domains=[LOCAL], storm_window=0)
    with truncating_cos(OBJECT_SIZE) as port:
        caught, failures = _stream_failure(port, _read_whole, addressing="virtual")
    assert caught.diagnosis.rule_id == "client-body-interrupted"  # type: ignore[attr-defined]
    assert caught.diagnosis.key == KEY  # type: ignore[attr-defined]
    assert len(failures) == 1


def test_another_stores_streamed_body_is_untouched() -> None:
    """No COS headers and a host that is not COS's: botocore's own exception, no event."""
    from botocore.exceptions import ResponseStreamingError

    cos_doctor.install(storm_window=0)
    with truncating_cos(OBJECT_SIZE, cos_headers=False) as port:
        caught, failures = _stream_failure(port, _read_whole)
    assert type(caught) is ResponseStreamingError
    assert getattr(caught, "diagnosis", None) is None
    assert failures == []


def test_download_file_retries_its_broken_parts_itself(tmp_path: Path) -> None:
    """boto3's download_file retries a broken body: cos_doctor reports none of its attempts."""
    from boto3.s3.transfer import TransferConfig

    cos_doctor.install(storm_window=0)
    with truncating_cos(OBJECT_SIZE) as port, capture_logs() as events:
        client = _client(f"http://{LOCAL}:{port}", s3={"addressing_style": "path"})
        with pytest.raises(Exception) as raised:  # s3transfer's own, after its retries
            client.download_file(
                BUCKET,
                KEY,
                str(tmp_path / "q3.csv"),
                Config=TransferConfig(num_download_attempts=2),
            )
    assert getattr(raised.value, "diagnosis", None) is None
    assert [event for event in events if event["event"] == "cos_request_failed"] == []


def test_uninstall_takes_the_layer_off_the_streamed_body() -> None:
    """install() wraps StreamingBody.read and readinto; uninstall() puts botocore's back."""
    from botocore.response import StreamingBody

    names = [name for name in ("read", "readinto") if name in StreamingBody.__dict__]
    originals = {name: StreamingBody.__dict__[name] for name in names}
    cos_doctor.install()
    assert all(StreamingBody.__dict__[name].__wrapped__ is originals[name] for name in originals)
    cos_doctor.uninstall()
    assert {name: StreamingBody.__dict__[name] for name in originals} == originals


def test_the_streamed_body_names_read_on_failure_are_botocores_and_urllib3s() -> None:
    """StreamingBody keeps urllib3's response as _raw_stream; it keeps its pool (and path)."""
    import io

    from botocore.response import StreamingBody
    from urllib3.response import HTTPResponse

    raw = HTTPResponse(body=io.BytesIO(b"x"), preload_content=False, request_url="/b-1250000000/k")
    assert StreamingBody(raw, 1)._raw_stream is raw
    assert hasattr(raw, "_pool")
    if URL_PATH_KEPT:
        assert raw._request_url == "/b-1250000000/k"


@pytest.mark.parametrize(
    ("url", "bucket", "key"),
    [
        ("https://b-1250000000.cos.ap-guangzhou.myqcloud.com/a/b.csv", "b-1250000000", "a/b.csv"),
        (
            "https://cos.ap-guangzhou.myqcloud.com/b-1250000000/a%20b%2Bc.csv",
            "b-1250000000",
            "a b+c.csv",
        ),
        ("http://127.0.0.1:8080/b-1250000000/a.csv", "b-1250000000", "a.csv"),
        ("https://files.example.com/photos/a.jpg", None, "photos/a.jpg"),
        ("https://b-1250000000.cos.ap-guangzhou.myqcloud.com/", "b-1250000000", None),
        (None, None, None),
    ],
)
def test_a_streamed_bodys_url_names_its_bucket_and_key_as_far_as_it_says(
    url: str | None, bucket: str | None, key: str | None
) -> None:
    """Virtual-hosted, path-style (a <name>-<APPID> first segment), or the path as the key."""
    from botocore.exceptions import IncompleteReadError

    from cos_doctor._sdk.botocore import StreamReply, context_from_stream_failure

    error = IncompleteReadError(actual_bytes=1, expected_bytes=2)
    context = context_from_stream_failure(error, StreamReply({}, url))
    assert (context.bucket, context.key) == (bucket, key)
