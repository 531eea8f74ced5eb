"""diagnose() on what users paste from logs: str(e), the SDK's log record, JSON, XML, a URL."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from qcloud_cos.cos_exception import CosServiceError

import cos_doctor
from cos_doctor.diagnosis import Diagnosis
from cos_doctor.emulator import DEFAULT_OWNER_SECRET_ID, DEFAULT_SUB_SECRET_ID, Emulator
from tests.replies import Reply, ReplyServer

# The fields a paste must carry over unchanged from the live exception's diagnosis.
KEY_FIELDS = ("rule_id", "error_code", "error_message", "request_id", "trace_id", "generic")
LOG_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


def _missing_key(emulator: Emulator) -> None:
    emulator.client().get_object(Bucket=emulator.bucket, Key="reports/2024 q1+final.csv")


def _missing_bucket_get(emulator: Emulator) -> None:
    emulator.client().get_object(Bucket="nosuchbucket-1250000000", Key="a.txt")


def _wrong_secret_key(emulator: Emulator) -> None:
    client = emulator.client(DEFAULT_OWNER_SECRET_ID, "not-the-right-secret-key")
    client.put_object(Bucket=emulator.bucket, Key="docs/a.txt", Body=b"x")


def _sub_account_without_rights(emulator: Emulator) -> None:
    emulator.client(DEFAULT_SUB_SECRET_ID).put_object(
        Bucket=emulator.bucket,
        Key="docs/b.txt",
        Body=b"x",
    )


def _anonymous_read(emulator: Emulator) -> None:
    emulator.client(anonymous=True).get_object(Bucket=emulator.bucket, Key="docs/private.txt")


FAILURES: dict[str, Callable[[Emulator], None]] = {
    "no-such-key": _missing_key,
    "no-such-bucket": _missing_bucket_get,
    "signature-mismatch": _wrong_secret_key,
    "access-denied": _sub_account_without_rights,
    "anonymous": _anonymous_read,
}


def _raise(emulator: Emulator, failure: Callable[[Emulator], None]) -> CosServiceError:
    with pytest.raises(CosServiceError) as caught:
        failure(emulator)
    return caught.value


def _same(pasted: Diagnosis, live: Diagnosis, fields: tuple[str, ...] = KEY_FIELDS) -> None:
    for name in fields:
        assert getattr(pasted, name) == getattr(live, name), name
    # A paste carries less evidence than the live request: it may rule out fewer causes and
    # find fewer likely, never more.
    assert {cause.id for cause in pasted.causes} >= {cause.id for cause in live.causes}
    assert {c.id for c in pasted.causes if c.likely} <= {c.id for c in live.causes if c.likely}


@pytest.mark.parametrize("name", FAILURES)
def test_str_of_a_real_exception_gives_the_same_diagnosis(emulator: Emulator, name: str) -> None:
    """str(e) of a real SDK exception, fed back to diagnose(), gives the live diagnosis."""
    error = _raise(emulator, FAILURES[name])
    live = cos_doctor.diagnose(error)
    assert not live.generic
    _same(cos_doctor.diagnose(str(error)), live)
    assert cos_doctor.diagnose(str(error)).http_status is None  # str(e) carries no status


@pytest.mark.parametrize("name", FAILURES)
def test_str_with_a_status_keeps_the_status(emulator: Emulator, name: str) -> None:
    """A pasted line that also shows the status (as loggers often add) keeps it."""
    error = _raise(emulator, FAILURES[name])
    live = cos_doctor.diagnose(error)
    for line in (
        f"qcloud_cos.cos_exception.CosServiceError: status_code={error.get_status_code()} {error}",
        f"{error.get_status_code()} {error}",
        f"upload failed (HTTP {error.get_status_code()}): {error}",
    ):
        pasted = cos_doctor.diagnose(line)
        _same(pasted, live)
        assert pasted.http_status == live.http_status


@pytest.mark.parametrize("name", FAILURES)
def test_digest_dict_and_origin_body_give_the_same_diagnosis(emulator: Emulator, name: str) -> None:
    """get_digest_msg() (a dict) and get_origin_msg() (the XML) diagnose like the exception."""
    error = _raise(emulator, FAILURES[name])
    live = cos_doctor.diagnose(error)
    _same(cos_doctor.diagnose(error.get_digest_msg()), live)
    _same(cos_doctor.diagnose(error.get_origin_msg(), http_status=error.get_status_code()), live)


@pytest.mark.parametrize("name", FAILURES)
def test_the_sdk_log_record_gives_the_same_diagnosis(
    emulator: Emulator,
    name: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The SDK's own logger.error record of the failure, as a log file shows it, diagnoses alike."""
    with caplog.at_level(logging.ERROR, logger="qcloud_cos.cos_client"):
        error = _raise(emulator, FAILURES[name])
    records = [r for r in caplog.records if r.name == "qcloud_cos.cos_client"]
    assert records, "the SDK logged nothing"
    line = logging.Formatter(LOG_FORMAT).format(records[-1])
    _same(cos_doctor.diagnose(line), cos_doctor.diagnose(error))


def test_json_error_reply_pasted_gives_the_same_diagnosis(replies: ReplyServer) -> None:
    """A JSON error body, raised by the real SDK and then pasted, gives one diagnosis."""
    from tests.conftest import BUCKET, make_client

    body = json.dumps(
        {
            "Code": "NoSuchKey",
            "Message": "The specified key does not exist.",
            "RequestId": "NjU1Zg==",
        },
    )
    replies.reply = Reply(404, body, {"Content-Type": "application/json"})
    with pytest.raises(CosServiceError) as caught:
        make_client(replies.port).get_object(Bucket=BUCKET, Key="a.txt")
    live = cos_doctor.diagnose(caught.value)
    assert live.rule_id == "no-such-key"
    # The trace ID travelled in a header, not in the body: everything else must agree.
    in_body = tuple(name for name in KEY_FIELDS if name != "trace_id")
    _same(cos_doctor.diagnose(body), live, in_body)
    shown = str(caught.value)
    if "NoSuchKey" not in shown:
        # SDKs before JSON error parsing (1.9.39 reads XML only) print "Response Error Msg Is
        # INVALID" as str(e): the paste holds nothing to diagnose, and must say only that.
        assert cos_doctor.diagnose(shown).generic
        return
    _same(cos_doctor.diagnose(shown), live, in_body)
    nested = json.dumps({"Error": json.loads(body), "status": 404})
    assert cos_doctor.diagnose(nested).rule_id == "no-such-key"
    assert cos_doctor.diagnose(nested).http_status == 404


def test_presigned_url_failure_is_read_from_the_url(emulator: Emulator) -> None:
    """A presigned URL's reply plus url= gives the SDK's rule and the SecretId it was signed with."""
    wrong = emulator.client(DEFAULT_OWNER_SECRET_ID, "not-the-right-secret-key", via_proxy=True)
    url = wrong.get_presigned_url(Method="GET", Bucket=emulator.bucket, Key="docs/a.txt")
    local_url, extra = emulator.localize(url)
    with requests.Session() as session:
        session.trust_env = False
        reply = session.get(local_url, headers=extra, timeout=10)
    pasted = cos_doctor.diagnose(reply.text, url=url, http_status=reply.status_code)
    live = cos_doctor.diagnose(_raise(emulator, _wrong_secret_key))
    assert pasted.rule_id == live.rule_id == "signature-mismatch"
    assert pasted.evidence_value("secret_id_masked") == live.evidence_value("secret_id_masked")
    assert pasted.evidence_value("secret_id_masked") is not None
    assert pasted.bucket == live.bucket
    assert pasted.key == live.key


@pytest.mark.parametrize(
    "unreadable",
    [None, 403, 4.5, {}, {"name": "photo.jpg"}, [], object(), ValueError("boom"), "", b"  \n"],
    ids=repr,
)
def test_what_cannot_be_read_raises_a_type_error_saying_what_is_accepted(unreadable: Any) -> None:
    """diagnose() refuses input it cannot read, and the message says what it reads."""
    with pytest.raises(TypeError, match="CosServiceError"):
        cos_doctor.diagnose(unreadable)


def test_a_client_error_is_diagnosed_and_other_exceptions_are_refused() -> None:
    """A CosClientError is the SDK's and gets its client-side rule; any other exception is a TypeError."""
    from qcloud_cos.cos_exception import CosClientError

    diagnosis = cos_doctor.diagnose(CosClientError("HTTPConnectionPool: Read timed out."))
    assert diagnosis.rule_id == "client-read-timeout"
    with pytest.raises(TypeError, match="ValueError"):
        cos_doctor.diagnose(ValueError("not a COS error"))


def test_a_bodiless_head_failure_pasted_with_its_status(emulator: Emulator) -> None:
    """A HEAD 403 has no body: str(e) is the reply's headers, and with the status it diagnoses alike."""
    anonymous = emulator.client(anonymous=True)
    error = _raise(
        emulator, lambda em: anonymous.head_object(Bucket=em.bucket, Key="docs/private.txt")
    )
    live = cos_doctor.diagnose(error)
    assert live.http_status == 403
    pasted = cos_doctor.diagnose(f"HTTP {error.get_status_code()} {error}")
    assert (pasted.rule_id, pasted.http_status, pasted.request_id) == (
        live.rule_id,
        403,
        live.request_id,
    )
    assert pasted.request_id


@pytest.mark.parametrize("filler", ["x", " ", "<a>", "403 ", "Request has expired\n"])
def test_the_same_xml_prefix_gives_the_same_rule_at_10_kb_and_100_kb(filler: str) -> None:
    """A long Message is read whole or not at all the same way at any size (no cut drops its close)."""
    prefix = "<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n\t<Code>AccessDenied</Code>\n\t<Message>Access Denied."

    def diagnosed(size: int) -> tuple[str, str | None]:
        body = prefix + filler * (size // len(filler)) + "</Message>\n</Error>"
        diagnosis = cos_doctor.diagnose(body)
        return diagnosis.rule_id, diagnosis.error_message

    small, large = diagnosed(10_000), diagnosed(100_000)
    assert small[0] == large[0]
    assert (small[1] is None) == (large[1] is None)
