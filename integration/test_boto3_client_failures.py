"""boto3 pointed at COS meets a network failure: the COS SDK's client rules, for COS only.

Each failure is provoked for real against a loopback server, through a real boto3 client. The
endpoint decides (there is no reply to ask): 127.0.0.1 is made a COS domain with
``install(cos_domains=…)``, or the endpoint names COS's own domain and a local proxy is in the
way. The same failure at an endpoint that is not COS's is left exactly as botocore raised it.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Callable

import pytest
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


def _client(endpoint_url: str, *, verify: Any = None, **config: Any) -> Any:
    settings = Config(
        retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=1, **config
    )
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
        yield f"http://{LOCAL}:{port}", {}


@contextmanager
def _full_backlog(_: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with full_backlog_server() as port:
        yield f"http://{LOCAL}:{port}", {}


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
    assert caught.diagnosis.evidence_value("botocore_connect_timeout") == 1.0
    assert caught.diagnosis.evidence_value("botocore_read_timeout") == 1.0
    assert _likely(caught.diagnosis) == [BOTOCORE_CAUSE[rule_id]]


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
    assert other is other_raised
    assert other_failures == []


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
    cos_doctor.install(cos_domains=[])
    other, other_raised, other_failures = _call(_client("http://cos.ap-guangzhou.myqcloud.invalid"))
    assert other is other_raised
    assert other_failures == []


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
