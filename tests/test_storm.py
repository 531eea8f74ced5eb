"""Storms: identical failures within a window are one event, then one summary with the count."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from qcloud_cos.cos_exception import CosServiceError
from structlog.testing import capture_logs

import cos_doctor
from cos_doctor._log import event as _log
from cos_doctor._log.event import EVENT, STORM_EVENT
from tests.conftest import BUCKET, make_client
from tests.replies import Reply, ReplyServer, error_xml

DENIED = error_xml("AccessDenied", "Access Denied.")


def _diagnosis(bucket: str = BUCKET) -> cos_doctor.Diagnosis:
    return cos_doctor.diagnose(
        DENIED,
        http_status=403,
        http_method="GET",
        operation="get_object",
        url=f"https://{bucket}.cos.ap-guangzhou.myqcloud.com/a.txt",
    )


def _summaries(events: list) -> list:
    return [event for event in events if event["event"] == STORM_EVENT]


def test_thousands_of_identical_failures_from_threads_are_one_event_and_one_summary() -> None:
    """8 threads × 500 failures of 4 kinds: 4 events, 4 summaries, and every failure counted once."""
    cos_doctor.install(storm_window=60)
    diagnoses = [_diagnosis(f"bucket{number}-1250000000") for number in range(4)]
    start = threading.Barrier(8)

    def hammer(worker: int) -> None:
        start.wait()
        for call in range(500):
            _log.log_diagnosis(diagnoses[(worker + call) % 4])

    with capture_logs() as events:
        threads = [threading.Thread(target=hammer, args=(worker,)) for worker in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        immediate = [event for event in events if event["event"] == EVENT]
        assert len(immediate) == 4
        assert _summaries(events) == []  # the window is still open
        cos_doctor.uninstall()  # closes every window
    summaries = _summaries(events)
    assert sorted(event["cos.bucket"] for event in summaries) == sorted(d.bucket for d in diagnoses)
    assert sum(event["cos_doctor.storm.repeated"] for event in summaries) == 8 * 500 - 4
    assert all(event["cos_doctor.rule_id"] == "access-denied" for event in summaries)


def test_the_summary_goes_out_when_the_window_closes_without_another_failure() -> None:
    """A storm that stops still reports its count, on time, from the timer thread."""
    cos_doctor.install(storm_window=0.2)
    with capture_logs() as events:
        for _ in range(10):
            _log.log_diagnosis(_diagnosis())
        deadline = time.monotonic() + 10
        while not _summaries(events) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [event["event"] for event in events] == [EVENT, STORM_EVENT]
    assert events[1]["cos_doctor.storm.repeated"] == 9
    assert events[1]["cos_doctor.storm.window_seconds"] == 0.2


def test_a_failure_after_the_window_is_logged_again_after_the_summary() -> None:
    """Once the window has closed, the next identical failure opens a new one and is logged."""
    clock = [0.0]
    gate = _log.StormGate(
        lambda window: summaries.append(window.suppressed), clock=lambda: clock[0]
    )
    summaries: list[int] = []
    key = ("access-denied", BUCKET, "get_object", 403)
    admitted = [gate.admit(key, 5.0, 30, {}) for _ in range(3)]
    clock[0] = 5.0
    admitted.append(gate.admit(key, 5.0, 30, {}))
    assert admitted == [True, False, False, True]
    assert summaries == [2]


def test_windows_of_distinct_failures_are_forgotten_once_closed() -> None:
    """10,000 failures that never repeat leave one window behind once theirs have closed."""
    clock = [0.0]
    summaries: list[int] = []
    gate = _log.StormGate(
        lambda window: summaries.append(window.suppressed), clock=lambda: clock[0]
    )
    for number in range(10_000):
        clock[0] = number / 1000  # ten seconds of distinct failures, a 5 s window each
        assert gate.admit(("no-such-key", f"bucket-{number}", "get_object", 404), 5.0, 30, {})
    assert len(gate._windows) <= 5_001  # only the open ones
    clock[0] = 20.0
    assert gate.admit(("no-such-key", "another", "get_object", 404), 5.0, 30, {})
    assert list(gate._windows) == [("no-such-key", "another", "get_object", 404)]
    assert summaries == []  # nothing repeated: nothing to summarise


def test_a_closed_window_forgotten_by_another_failure_still_gets_its_summary() -> None:
    """The count of a storm whose window another failure expires goes out, exactly once."""
    clock = [0.0]
    summaries: list[int] = []
    gate = _log.StormGate(
        lambda window: summaries.append(window.suppressed), clock=lambda: clock[0]
    )
    storm = ("access-denied", BUCKET, "get_object", 403)
    admitted = [gate.admit(storm, 5.0, 30, {}) for _ in range(4)]
    clock[0] = 6.0
    admitted.append(gate.admit(("no-such-key", BUCKET, "get_object", 404), 5.0, 30, {}))
    gate.flush(everything=False)
    assert admitted == [True, False, False, False, True]
    assert summaries == [3]


def test_different_failures_are_never_collapsed(replies: ReplyServer) -> None:
    """Another status, operation or rule is another storm: each is logged."""
    client = make_client(replies.port)
    cos_doctor.install()
    with capture_logs() as events:
        for reply in (
            Reply(403, DENIED),
            Reply(404, error_xml("NoSuchKey", "The specified key does not exist.")),
        ):
            replies.reply = reply
            for _ in range(3):
                with pytest.raises(CosServiceError):
                    client.get_object(Bucket=BUCKET, Key="a.txt")
    assert [event["cos_doctor.rule_id"] for event in events] == ["access-denied", "no-such-key"]


def test_storms_through_the_sdk_still_diagnose_every_exception(replies: ReplyServer) -> None:
    """Thirty identical SDK failures: thirty diagnosed exceptions, one event, one summary."""
    client = make_client(replies.port)
    cos_doctor.install()
    replies.reply = Reply(403, DENIED)
    rules = []
    with capture_logs() as events:
        for _ in range(30):
            with pytest.raises(CosServiceError) as caught:
                client.get_object(Bucket=BUCKET, Key="a.txt")
            rules.append(caught.value.diagnosis.rule_id)
        cos_doctor.uninstall()
    assert rules == ["access-denied"] * 30
    assert [event["event"] for event in events] == [EVENT, STORM_EVENT]
    assert events[1]["cos_doctor.storm.repeated"] == 29


def test_a_zero_window_logs_every_failure() -> None:
    """storm_window=0 turns collapsing off."""
    cos_doctor.install(storm_window=0)
    with capture_logs() as events:
        for _ in range(5):
            _log.log_diagnosis(_diagnosis())
    assert [event["event"] for event in events] == [EVENT] * 5


def test_the_summary_is_logged_when_the_process_exits() -> None:
    """A storm still open at exit is summarised through the app's stdlib logging before it stops."""
    script = f"""
import logging, sys
logging.basicConfig(stream=sys.stderr, format="%(message)s")
import cos_doctor
cos_doctor.install(storm_window=600)
for _ in range(5):
    cos_doctor.diagnose({DENIED!r}, http_status=403, operation="get_object", log=True)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    lines = done.stderr.splitlines()
    assert len([line for line in lines if line.startswith(EVENT + ":")]) == 1
    assert next(line for line in lines if line.startswith(STORM_EVENT)).startswith(
        f"{STORM_EVENT}: 4 more identical failures"
    )
    assert done.stdout == ""


def test_a_summary_the_log_setup_refuses_does_not_break_uninstall() -> None:
    """A logging pipeline that raises on the summary costs the summary, never uninstall() or the settings reset."""
    import structlog

    def refuse_summaries(_logger: object, _name: str, event: dict) -> dict:
        if event["event"] == STORM_EVENT:
            raise RuntimeError("this pipeline refuses summaries")
        return event

    cos_doctor.install(storm_window=60)
    with capture_logs():
        for _ in range(3):
            _log.log_diagnosis(_diagnosis())
        structlog.configure(processors=[refuse_summaries, *structlog.get_config()["processors"]])
        assert cos_doctor.uninstall() is True
    assert not cos_doctor.is_installed()


def test_the_summary_lists_every_key_and_request_id_it_collapsed(replies: ReplyServer) -> None:
    """Four NoSuchKey failures on four keys: the event names the first, the summary the other three keys and request ids."""
    client = make_client(replies.port)
    cos_doctor.install()
    missing = error_xml("NoSuchKey", "The specified key does not exist.")
    with capture_logs() as events:
        for number in range(4):
            request_id = f"NjU1ZjA0YjNf{number}"
            replies.reply = Reply(
                404,
                missing.replace("NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0", request_id),
                {"x-cos-request-id": request_id},
            )
            with pytest.raises(CosServiceError):
                client.get_object(Bucket=BUCKET, Key=f"reports/{number}.csv")
        cos_doctor.uninstall()
    first, summary = events
    assert (first["event"], first["cos.key"], first["cos.request_id"]) == (
        EVENT,
        "reports/0.csv",
        "NjU1ZjA0YjNf0",
    )
    assert summary["event"] == STORM_EVENT
    assert summary["cos_doctor.storm.keys"] == ["reports/1.csv", "reports/2.csv", "reports/3.csv"]
    assert summary["cos_doctor.storm.request_ids"] == [
        "NjU1ZjA0YjNf1",
        "NjU1ZjA0YjNf2",
        "NjU1ZjA0YjNf3",
    ]
    assert (
        summary["cos_doctor.storm.keys_not_listed"],
        summary["cos_doctor.storm.request_ids_not_listed"],
    ) == (0, 0)


def test_the_summary_lists_up_to_its_bound_and_counts_the_rest() -> None:
    """Past LISTED distinct keys and request ids, the summary counts what it could not list; a repeated key is listed once."""
    from cos_doctor._log.storm import LISTED

    cos_doctor.install(storm_window=60)
    with capture_logs() as events:
        for number in range(LISTED + 6):
            for _ in range(2):  # each key twice: listed once
                _log.log_diagnosis(
                    cos_doctor.diagnose(
                        DENIED.replace("NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0", f"request-{number}"),
                        http_status=403,
                        http_method="GET",
                        operation="get_object",
                        url=f"https://{BUCKET}.cos.ap-guangzhou.myqcloud.com/k{number}",
                    )
                )
        cos_doctor.uninstall()
    [summary] = _summaries(events)
    assert summary["cos_doctor.storm.repeated"] == 2 * (LISTED + 6) - 1
    assert summary["cos_doctor.storm.keys"] == [f"k{number}" for number in range(LISTED)]
    assert summary["cos_doctor.storm.keys_not_listed"] == 2 * 6  # failures on keys beyond the list
    assert summary["cos_doctor.storm.request_ids"] == [
        f"request-{number}" for number in range(LISTED)
    ]
    assert summary["cos_doctor.storm.request_ids_not_listed"] == 2 * 6
