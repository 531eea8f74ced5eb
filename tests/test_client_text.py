"""diagnose() on client errors pasted from logs, and the getters that must not raise."""

from __future__ import annotations

import pytest
from qcloud_cos.cos_exception import CosServiceError

import cos_doctor
from cos_doctor._client_context import CLIENT_KINDS, classify
from cos_doctor._knowledge import catalogue
from cos_doctor.errors import diagnosed_copy

CLIENT_EXAMPLES = [
    (rule.id, example.client, example.message)
    for rule in catalogue().rules
    for example in rule.examples
    if example.client in CLIENT_KINDS  # kinds read from text; batch errors are data, not text
]


@pytest.mark.parametrize(("rule_id", "kind", "message"), CLIENT_EXAMPLES, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(CLIENT_EXAMPLES)])
def test_each_client_example_text_is_classified_and_diagnosed_as_its_rule(rule_id: str, kind: str, message: str) -> None:
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


def test_pasted_text_yields_the_host_and_timeout_it_names() -> None:
    """Only what the text says: the host from urllib3's wording, the timeout from 'read timeout='."""
    diagnosis = cos_doctor.diagnose(
        "HTTPSConnectionPool(host='examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com', port=443): Read timed out. (read timeout=30)",
    )
    assert diagnosis.rule_id == "client-read-timeout"
    assert diagnosis.evidence_value("failed_host") == "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"
    assert diagnosis.evidence_value("timeout_seconds") == 30.0
    assert diagnosis.evidence_value("proxy_environment") is None


def test_the_diagnosed_copy_getters_do_not_raise_on_a_bodiless_reply() -> None:
    """The SDK's getters KeyError on a HEAD error's headers-only digest; ours answer."""
    error = CosServiceError("HEAD", {"x-cos-request-id": "NjU1ZjA0YjM=", "content-length": "0"}, 403)
    with pytest.raises(KeyError):
        error.get_error_code()
    copy = diagnosed_copy(error, cos_doctor.diagnose(error))
    assert copy.get_error_code() == "Unknown"
    assert copy.get_error_msg() == "Unknown"
    assert copy.get_trace_id() == "Unknown"
    assert copy.get_request_id() == "NjU1ZjA0YjM="


def test_a_client_failure_headline_shows_no_made_up_status() -> None:
    """Without a reply there is no status or Code: the headline says so instead of 'HTTP ?'."""
    diagnosis = cos_doctor.diagnose("('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))")
    assert diagnosis.headline().startswith("client-side failure: ('Connection aborted.'")
    assert "HTTP ?" not in diagnosis.headline()
