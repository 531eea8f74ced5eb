"""diagnose() on client errors pasted from logs, and the getters that must not raise."""

from __future__ import annotations

import pytest
from qcloud_cos.cos_exception import CosServiceError

import cos_doctor
from cos_doctor._knowledge.catalogue import catalogue
from cos_doctor._pipeline.client_context import CLIENT_KINDS, classify
from cos_doctor.errors import diagnosed_copy

# The one client kind that is not read from text: a batch call's per-key errors arrive as data
# (cos_doctor/_pipeline/parts.py). Every other kind an example names must be one classify() can return.
DATA_KINDS = frozenset({"batch-errors"})
CLIENT_EXAMPLES = [
    (rule.id, example.client, example.message)
    for rule in catalogue().rules
    for example in rule.examples
    if example.client is not None and example.client not in DATA_KINDS
]


def test_every_client_kind_the_knowledge_names_is_one_the_library_gives() -> None:
    """A misspelt client kind in a rule's clause or example fails here instead of never matching."""
    named = {
        clause.client for rule in catalogue().rules for clause in rule.clauses if clause.client
    }
    named |= {
        example.client for rule in catalogue().rules for example in rule.examples if example.client
    }
    assert named <= {*CLIENT_KINDS, *DATA_KINDS}
    assert named >= DATA_KINDS  # the exemption names a kind that exists


@pytest.mark.parametrize(
    ("rule_id", "kind", "message"),
    CLIENT_EXAMPLES,
    ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(CLIENT_EXAMPLES)],
)
def test_each_client_example_text_is_classified_and_diagnosed_as_its_rule(
    rule_id: str, kind: str, message: str
) -> None:
    """The wording of every client-rule example alone leads diagnose() to that rule."""
    assert classify((), message) == kind
    if kind == "unclassified":
        return  # text that names no cause stays a raw body for diagnose(): nothing to guess
    diagnosis = cos_doctor.diagnose(message)
    assert diagnosis.rule_id == rule_id
    assert diagnosis.http_status is None


def test_exception_types_win_over_text() -> None:
    """A proxy failure whose text also says 'Connection refused' is a proxy failure."""
    text = "Unable to connect to proxy ... [Errno 111] Connection refused"
    assert classify(("ConnectionError", "MaxRetryError", "ProxyError"), text) == "proxy"
    assert classify((), text) == "proxy"


def test_the_text_narrows_the_kind_the_exception_classes_give() -> None:
    """An SSLCertVerificationError whose text says expired is the expired kind; a ProxyError's 407, proxy-auth."""
    expired = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired"
    assert classify(("SSLError", "SSLCertVerificationError"), expired) == "tls-expired"
    assert (
        classify(("SSLError",), "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
        == "tls"
    )
    tunnel = "OSError('Tunnel connection failed: 407 Proxy Authentication Required')"
    assert classify(("ProxyError", "OSError"), tunnel) == "proxy-auth"
    # A refused connection is refused whatever else the text holds: its kind has no narrower.
    assert classify(("ConnectionRefusedError",), "certificate has expired") == "connection-refused"


def test_pasted_text_yields_the_host_and_timeout_it_names() -> None:
    """Only what the text says: the host from urllib3's wording, the timeout from 'read timeout='."""
    diagnosis = cos_doctor.diagnose(
        "HTTPSConnectionPool(host='examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com', port=443): Read timed out. (read timeout=30)",
    )
    assert diagnosis.rule_id == "client-read-timeout"
    assert (
        diagnosis.evidence_value("failed_host")
        == "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"
    )
    assert diagnosis.evidence_value("timeout_seconds") == 30.0
    assert diagnosis.evidence_value("proxy_environment") is None


def test_the_diagnosed_copy_getters_do_not_raise_on_a_bodiless_reply() -> None:
    """The SDK's getters KeyError on a headers-only dict digest; ours answer "Unknown", the id is on .diagnosis."""
    error = CosServiceError(
        "HEAD", {"x-cos-request-id": "NjU1ZjA0YjM=", "content-length": "0"}, 403
    )
    with pytest.raises(KeyError):
        error.get_error_code()
    copy = diagnosed_copy(error, cos_doctor.diagnose(error))
    assert copy.get_error_code() == "Unknown"
    assert copy.get_error_msg() == "Unknown"
    assert copy.get_trace_id() == "Unknown"
    assert copy.get_request_id() == "Unknown"
    assert copy.diagnosis.request_id == "NjU1ZjA0YjM="


def test_a_client_failure_headline_shows_no_made_up_status() -> None:
    """Without a reply there is no status or Code: the headline says so instead of 'HTTP ?'."""
    diagnosis = cos_doctor.diagnose(
        "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))"
    )
    assert diagnosis.headline().startswith("client-side failure: ('Connection aborted.'")
    assert "HTTP ?" not in diagnosis.headline()


# How each cause reads in the wild: Windows and Chinese-locale OS messages, urllib3 variants,
# and the wording of the other COS SDKs' runtimes (Go, Java / Android, Node.js, PHP cURL).
WILD_WORDINGS = [
    ("dns", "Failed to establish a new connection: [Errno 11002] getaddrinfo failed"),
    (
        "dns",
        "NewConnectionError('<urllib3.connection.HTTPSConnection object>: Failed to establish a new connection: [Errno -2] 未知的名称或服务')",
    ),
    (
        "dns",
        "dial tcp: lookup examplebucket-1250000000.cos.ap-shenzhen.myqcloud.com on 192.168.50.1:53: no such host",
    ),
    (
        "dns",
        "java.net.UnknownHostException: examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com",
    ),
    (
        "dns",
        "com.qcloud.cos.exception.CosClientException: examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com\n\tat com.qcloud.cos.utils.ExceptionUtils.createClientException(ExceptionUtils.java:44)",
    ),
    ("dns", "Error: getaddrinfo ENOTFOUND examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"),
    (
        "dns",
        "cURL error 6: Could not resolve host: examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com",
    ),
    (
        "dns",
        "GuzzleHttp\\Exception\\ConnectException: Could not resolve: b-1250000000.cos.ap-guangzhou.myqcloud.com (Domain name not found)",
    ),
    ("dns", "DNS error"),
    ("tls-expired", "RequestError: Error: certificate has expired"),
    ("tls-untrusted", "Error: unable to get local issuer certificate"),
    (
        "tls-untrusted",
        "java.security.cert.CertPathValidatorException: Trust anchor for certification path not found",
    ),
    ("tls-untrusted", "javax.net.ssl.SSLHandshakeException: PKIX path building failed"),
    (
        "tls-untrusted",
        "Get https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/: x509: certificate signed by unknown authority",
    ),
    ("tls", "cURL error 60: See http://curl.haxx.se/libcurl/c/libcurl-errors.html"),
    ("tls", "SSLEOFError(8, 'EOF occurred in violation of protocol (_ssl.c:1129)')"),
    (
        "connection-refused",
        "dial tcp 203.0.113.7:80: connectex: No connection could be made because the target machine actively refused it.",
    ),
    (
        "connection-refused",
        "NewConnectionError('<urllib3.connection.HTTPConnection object>: Failed to establish a new connection: [WinError 10061] 由于目标计算机积极拒绝，无法连接。')",
    ),
    (
        "connect-timeout",
        "NewConnectionError('<urllib3.connection.HTTPSConnection object>: Failed to establish a new connection: [WinError 10060] 由于连接方在一段时间后没有正确答复或连接的主机没有反应，连接尝试失败。')",
    ),
    (
        "connect-timeout",
        "NewConnectionError('<urllib3.connection.HTTPSConnection object>: Failed to establish a new connection: [Errno 110] Connection timed out')",
    ),
    ("connect-timeout", "java.net.SocketTimeoutException: connect timed out"),
    ("connect-timeout", "cURL error 28: Connection timed out after 10001 milliseconds"),
    ("connection-reset", "('Connection aborted.', ConnectionResetError(104, '连接被对方重置'))"),
    (
        "connection-reset",
        "('Connection aborted.', ConnectionAbortedError(10053, '你的主机中的软件中止了一个已建立的连接。', None, 10053, None))",
    ),
]

RULE_OF_KIND = {
    "dns": "client-dns-failure",
    "tls": "client-tls-failure",
    "tls-expired": "client-tls-expired",
    "tls-untrusted": "client-tls-untrusted",
    "connection-refused": "client-connection-refused",
    "connect-timeout": "client-connect-timeout",
    "connection-reset": "client-connection-reset",
}

# Messages that only sound like a network failure: another cause, so no client kind is guessed.
NOT_NETWORK = [
    "Time out",  # COS FAQ: the signature had expired, not a network timeout
    "unable to access MOUNTPOINT /path/to/mountpoint: Transport endpoint is not connected",
    "Bucket not exist",
    "cURL error 7: (see https://curl.haxx.se/libcurl/c/libcurl-errors.html)",  # refused or unreachable
]


@pytest.mark.parametrize(
    ("kind", "text"), WILD_WORDINGS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(WILD_WORDINGS)]
)
def test_wild_wordings_of_a_cause_are_classified_as_it(kind: str, text: str) -> None:
    """Each runtime's and locale's wording of a network failure is read as the same kind."""
    assert classify((), text) == kind
    assert cos_doctor.diagnose(text).rule_id == RULE_OF_KIND[kind]


@pytest.mark.parametrize("text", NOT_NETWORK)
def test_wordings_that_do_not_name_a_network_cause_stay_unclassified(text: str) -> None:
    """Text that does not say which network failure happened gets no client rule."""
    assert classify((), text) == "unclassified"
    assert cos_doctor.diagnose(text).generic


def test_other_runtimes_wordings_yield_the_host_they_name() -> None:
    """The host comes from Go's, Node.js's and Java's DNS wording as from urllib3's."""
    hosts = {
        "dial tcp: lookup b-1250000000.cos.ap-shenzhen.myqcloud.com on 10.0.0.2:53: no such host": "b-1250000000.cos.ap-shenzhen.myqcloud.com",
        "Error: getaddrinfo ENOTFOUND b-1250000000.cos.ap-guangzhou.myqcloud.com": "b-1250000000.cos.ap-guangzhou.myqcloud.com",
        "java.net.UnknownHostException: b-1250000000.cos.ap-beijing.myqcloud.com": "b-1250000000.cos.ap-beijing.myqcloud.com",
        "cURL error 6: Could not resolve host: b-1250000000.cos.ap-nanjing.myqcloud.com": "b-1250000000.cos.ap-nanjing.myqcloud.com",
        "Could not resolve: b-1250000000.cos.ap-chengdu.myqcloud.com (Domain name not found)": "b-1250000000.cos.ap-chengdu.myqcloud.com",
    }
    for text, host in hosts.items():
        assert cos_doctor.diagnose(text).evidence_value("failed_host") == host, text


class _EqualToAll(Exception):  # noqa: N818 - a stand-in for a library's exception class
    """An exception that compares equal to anything, as a careless __eq__ might."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = Exception.__hash__


def test_the_cause_chain_lists_each_exception_once_by_identity() -> None:
    """A chain that loops ends, and distinct exceptions that compare equal are each listed."""
    from cos_doctor._pipeline.client_context import _cause_chain

    outer, inner = _EqualToAll("outer"), _EqualToAll("inner")
    outer.__context__, inner.__context__ = inner, outer
    assert [str(error) for error in _cause_chain(outer)] == ["outer", "inner"]


class _TextCounted(Exception):  # noqa: N818 - a stand-in for urllib3's costly-to-print errors
    """An exception that counts how often its text is read."""

    reads = 0

    def __str__(self) -> str:
        type(self).reads += 1
        return "Failed to establish a new connection: [Errno 111] Connection refused"


def test_the_causes_text_is_read_only_when_their_classes_leave_the_kind_open() -> None:
    """A chain whose classes name the kind is classified without printing its causes."""
    from cos_doctor._pipeline.client_context import exception_seen

    refused, unnamed = Exception("outer"), Exception("outer")
    refused.__context__ = _TextCounted()
    refused.__context__.__context__ = ConnectionRefusedError(111, "Connection refused")
    assert exception_seen(refused, "outer", None).failure == "connection-refused"
    assert _TextCounted.reads == 0
    unnamed.__context__ = _TextCounted()  # classes say nothing: the text decides
    assert exception_seen(unnamed, "outer", None).failure == "connection-refused"
    assert _TextCounted.reads == 1


def test_the_most_specific_kind_the_classes_name_wins_wherever_it_is_in_the_chain() -> None:
    """Of the kinds a chain's classes name, the one listed first in the table wins, not the first class."""
    assert classify(("ConnectionRefusedError", "SSLError"), "") == "tls"
    assert classify(("SSLError", "ProxyError"), "") == "proxy"
    assert classify(("ReadTimeout", "ConnectTimeout"), "") == "connect-timeout"


_LOG_LINES = "2026-12-06 10:00:00 INFO uploading part 3\n" * 500


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("public_key or private_key is not allowed to be none !!!", "sdk-check"),
        ("  qcloud_cos.cos_exception.CosClientError: Bucket is required not empty  ", "sdk-check"),
        ("CosClientError: no parameter named Foo", "sdk-check"),
        ("the SDK said public_key or private_key is not allowed to be none !!! earlier", None),
    ],
)
def test_an_sdk_check_message_is_found_as_a_whole_line_among_many(
    line: str, kind: str | None
) -> None:
    """An SDK check message standing alone on a line of a long log, bare, after the SDK's exception prefix or formatted, is an SDK check; inside a sentence it is not."""
    found = classify((), f"{_LOG_LINES}{line}\n{_LOG_LINES}")
    if kind is None:
        assert found != "sdk-check"
    else:
        assert found == kind


def test_a_phrase_is_only_ruled_out_by_a_word_it_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Looking for a shared word first is exact: each gate is part of its phrase, and every phrase, alone or among log lines, is classified as it is without gates."""
    from cos_doctor._pipeline import client_context

    gates = client_context._GATE_OF
    assert gates  # the shared words exist (else the test would prove nothing)
    assert all(gate in phrase for phrase, gate in gates.items())
    texts = [
        text
        for phrase in gates
        for text in (phrase, f"{_LOG_LINES}{phrase}\n", f"errno 2 {phrase} connection")
    ]
    gated = [classify((), text) for text in texts]
    monkeypatch.setattr(client_context, "_GATE_OF", {})
    assert [classify((), text) for text in texts] == gated
