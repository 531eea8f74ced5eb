"""CosDiagnosedError stays a CosServiceError in every way users rely on."""

from __future__ import annotations

import copy
import pickle
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor

import pytest
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

import cos_doctor
from tests.conftest import BUCKET, REGION, make_client
from tests.replies import Reply, ReplyServer, error_xml

GETTERS = (
    "get_origin_msg",
    "get_digest_msg",
    "get_status_code",
    "get_error_code",
    "get_error_msg",
    "get_resource_location",
    "get_trace_id",
    "get_request_id",
)


def _fail(client: CosS3Client, replies: ReplyServer, reply: Reply) -> CosServiceError:
    replies.reply = reply
    with pytest.raises(CosServiceError) as caught:
        client.get_object(Bucket=BUCKET, Key="photos/cat.jpg")
    return caught.value


@pytest.fixture
def pair(replies: ReplyServer) -> tuple[CosServiceError, CosServiceError]:
    """The same reply raised once by the bare SDK and once through cos_doctor."""
    client = make_client(replies.port)
    reply = Reply(403, error_xml("AccessDenied", "You are denied by bucket referer rule"))
    plain = _fail(client, replies, reply)
    cos_doctor.install()
    diagnosed = _fail(client, replies, reply)
    return plain, diagnosed


def test_diagnosed_error_is_caught_as_cos_service_error(
    pair: tuple[CosServiceError, CosServiceError],
) -> None:
    """`except CosServiceError` still catches it, and it carries a Diagnosis."""
    _, diagnosed = pair
    assert isinstance(diagnosed, cos_doctor.CosDiagnosedError)
    assert isinstance(diagnosed, CosServiceError)
    assert diagnosed.diagnosis is not None
    assert diagnosed.diagnosis.rule_id == "referer-denied"


def test_every_getter_and_args_are_unchanged(pair: tuple[CosServiceError, CosServiceError]) -> None:
    """args and all getters return what the SDK's own exception returned."""
    plain, diagnosed = pair
    assert diagnosed.args == plain.args
    for getter in GETTERS:
        assert getattr(diagnosed, getter)() == getattr(plain, getter)(), getter


@pytest.mark.parametrize(
    ("call", "status"),
    [("get_object", 403), ("get_object", 503), ("head_object", 403), ("head_object", 404)],
)
def test_a_bodiless_reply_keeps_the_sdks_getter_values_and_the_diagnosis_has_the_request_id(
    replies: ReplyServer,
    call: str,
    status: int,
) -> None:
    """Getters answer what the SDK's own do for the same reply; the header's request id is on .diagnosis."""
    client = make_client(replies.port)

    def fail() -> CosServiceError:
        # One Date for both replies: a bodiless reply's digest is its headers, and the two
        # calls may fall in different seconds.
        replies.reply = Reply(status, headers={"Date": "Sun, 06 Dec 2026 12:00:00 GMT"})
        with pytest.raises(CosServiceError) as caught:
            getattr(client, call)(Bucket=BUCKET, Key="photos/cat.jpg")
        return caught.value

    plain = fail()
    cos_doctor.install()
    diagnosed = fail()
    assert isinstance(diagnosed, cos_doctor.CosDiagnosedError)
    for getter in GETTERS:
        assert getattr(diagnosed, getter)() == getattr(plain, getter)(), getter
    assert (
        diagnosed.diagnosis.request_id == "NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0"
    )  # the reply's header


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trips_under_every_protocol(
    pair: tuple[CosServiceError, CosServiceError], protocol: int
) -> None:
    """Unpickling gives the same class, args, getters and diagnosis."""
    _, diagnosed = pair
    restored = pickle.loads(pickle.dumps(diagnosed, protocol=protocol))
    assert type(restored) is cos_doctor.CosDiagnosedError
    assert restored.args == diagnosed.args
    assert restored.diagnosis == diagnosed.diagnosis
    for getter in GETTERS:
        assert getattr(restored, getter)() == getattr(diagnosed, getter)(), getter
    assert str(restored) == str(diagnosed)


def test_copy_keeps_class_and_diagnosis(pair: tuple[CosServiceError, CosServiceError]) -> None:
    """copy.copy and copy.deepcopy work and keep the diagnosis."""
    _, diagnosed = pair
    for duplicate in (copy.copy(diagnosed), copy.deepcopy(diagnosed)):
        assert type(duplicate) is cos_doctor.CosDiagnosedError
        assert duplicate.diagnosis == diagnosed.diagnosis
        assert duplicate.get_error_code() == "AccessDenied"


def _fail_in_worker(port: int) -> str:
    cos_doctor.install()
    make_client(port).get_object(Bucket=BUCKET, Key="photos/cat.jpg")
    return "unreachable"


def test_process_pool_round_trip(replies: ReplyServer) -> None:
    """An error diagnosed in a worker process arrives intact in the parent."""
    replies.reply = Reply(403, error_xml("AccessDenied", "You are denied by bucket referer rule"))
    with ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_fail_in_worker, replies.port)
        with pytest.raises(CosServiceError) as caught:
            future.result(timeout=60)
    assert type(caught.value) is cos_doctor.CosDiagnosedError
    assert caught.value.diagnosis is not None
    assert caught.value.diagnosis.rule_id == "referer-denied"
    assert caught.value.get_error_code() == "AccessDenied"


def test_traceback_is_one_traceback_ending_in_the_sdk(
    pair: tuple[CosServiceError, CosServiceError],
) -> None:
    """No 'During handling…' chain; the last frame is the SDK's own raise."""
    _, diagnosed = pair
    text = "".join(traceback.format_exception(type(diagnosed), diagnosed, diagnosed.__traceback__))
    assert "During handling of the above exception" not in text
    assert "The above exception was the direct cause" not in text
    frames = traceback.extract_tb(diagnosed.__traceback__)
    assert frames[-1].name == "send_request"
    assert frames[-1].filename.endswith("cos_client.py")


def test_printed_traceback_shows_the_whole_diagnosis(
    pair: tuple[CosServiceError, CosServiceError],
) -> None:
    """Status, code, message, rule id, operation, bucket/key, region, request id, cause,
    evidence, numbered steps with the user's values, and doc links all reach the traceback."""
    _, diagnosed = pair
    diagnosis = diagnosed.diagnosis
    assert diagnosis is not None
    text = "".join(traceback.format_exception(type(diagnosed), diagnosed, diagnosed.__traceback__))
    for expected in (
        "403",
        "AccessDenied",
        "You are denied by bucket referer rule",
        "referer-denied",
        "get_object",
        f"bucket={BUCKET}",
        "key=photos/cat.jpg",
        f"region={REGION}",
        "request_id=NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0",
        diagnosis.cause,
        "1. ",
        diagnosis.docs[0],
    ):
        assert expected in text, expected
    assert any(BUCKET in step for step in diagnosis.steps)


def test_str_starts_with_a_one_line_headline(pair: tuple[CosServiceError, CosServiceError]) -> None:
    """The first line of str(e) names status, code, message and rule; on 3.11+ it is all of it."""
    _, diagnosed = pair
    first = str(diagnosed).splitlines()[0]
    for expected in (
        "AccessDenied",
        "403",
        "You are denied by bucket referer rule",
        "referer-denied",
    ):
        assert expected in first
    if sys.version_info >= (3, 11):
        assert "\n" not in str(diagnosed)
        assert diagnosed.__notes__ == [diagnosed.diagnosis.render()]  # type: ignore[union-attr]


def test_getters_return_the_digest_values_as_the_sdk_parsed_them() -> None:
    """A JSON error's non-string value comes back unchanged, as the SDK's own getter returns it."""
    from qcloud_cos.cos_exception import CosServiceError

    from cos_doctor.errors import diagnosed_copy

    digest = {
        "code": -133,
        "message": "ERROR_CMD",
        "resource": "r",
        "requestid": "q",
        "traceid": "t",
    }
    original = CosServiceError("GET", digest, 400)  # a parsed body, as every supported SDK keeps it
    copy = diagnosed_copy(original, cos_doctor.diagnose(original))
    assert copy.get_error_code() == original.get_error_code() == -133
