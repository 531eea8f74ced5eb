"""Logging as the Python HOWTO asks of a library: silent unless configured, one line per
failure under basicConfig, and alive after a late dictConfig. Each runs in a fresh interpreter
(pytest's own handlers would hide what an unconfigured application sees)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A real SDK client against a loopback server answering every request with NoSuchKey.
PREAMBLE = """
import logging, sys
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError
import cos_doctor
from tests.replies import Reply, ReplyServer, error_xml

server = ReplyServer().__enter__()
server.reply = Reply(404, error_xml("NoSuchKey", "The specified key does not exist."))
client = CosS3Client(CosConfig(Region="ap-guangzhou", SecretId="AKIDexample", SecretKey="key",
                               Scheme="http", IP="127.0.0.1", Port=server.port), retry=0)

def fail(key="a.txt"):
    try:
        client.get_object(Bucket="examplebucket-1250000000", Key=key)
    except CosServiceError:
        pass
"""


def _records(stderr: str) -> list[list[str]]:
    """[level, logger] of each record (format "%(levelname)s %(name)s %(message)s"; the SDK's message spans lines)."""
    levels = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
    return [line.split(" ", 2)[:2] for line in stderr.splitlines() if line.startswith(levels)]


def _run(body: str) -> subprocess.CompletedProcess[str]:
    script = PREAMBLE + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=ROOT,
    )


def test_an_application_that_configured_no_logging_prints_nothing() -> None:
    """With no handler anywhere, a diagnosed failure writes nothing to stderr or stdout (NullHandler, not the last resort)."""
    done = _run("""
        cos_doctor.install()
        fail()
        fail("b.txt")
    """)
    assert (done.stdout, done.stderr) == ("", "")


def test_basic_config_shows_one_line_per_failure() -> None:
    """Under logging.basicConfig a failure is one line: cos_doctor's event; the SDK's own ERROR record is at DEBUG."""
    done = _run("""
        logging.basicConfig(format="%(levelname)s %(name)s %(message)s")
        cos_doctor.install(storm_window=0)
        fail()
        fail("b.txt")
    """)
    lines = done.stderr.splitlines()
    assert len(lines) == 2
    assert all(
        line.startswith("WARNING cos_doctor cos_request_failed: NoSuchKey (HTTP 404)")
        for line in lines
    )
    assert [line.split("key=")[1].split()[0] for line in lines] == ["a.txt", "b.txt"]


def test_the_sdks_lowered_record_still_shows_at_debug() -> None:
    """With DEBUG on for the SDK, its record of the failure is still there, at DEBUG, after cos_doctor's event."""
    done = _run("""
        logging.basicConfig(format="%(levelname)s %(name)s %(message)s")
        logging.getLogger("qcloud_cos.cos_client").setLevel(logging.DEBUG)
        cos_doctor.install()
        fail()
    """)
    failure = [
        line.split(" ", 2)[:2]
        for line in done.stderr.splitlines()
        if line.startswith(("WARNING", "DEBUG")) and ("NoSuchKey" in line or "<?xml" in line)
    ]
    assert failure == [["WARNING", "cos_doctor"], ["DEBUG", "qcloud_cos.cos_client"]]
    assert (
        "DEBUG qcloud_cos.cos_client send request" in done.stderr
    )  # the SDK's other DEBUG records as ever


def test_a_setting_keeps_the_sdks_record_at_its_own_level() -> None:
    """install(lower_sdk_records=False) leaves the SDK's ERROR record as the SDK logged it."""
    done = _run("""
        logging.basicConfig(format="%(levelname)s %(name)s %(message)s")
        cos_doctor.install(lower_sdk_records=False)
        fail()
    """)
    assert _records(done.stderr) == [
        ["WARNING", "cos_doctor"],
        ["ERROR", "qcloud_cos.cos_client"],
    ]


def test_the_sdks_records_of_failures_cos_doctor_does_not_log_are_untouched() -> None:
    """An expected failure logged by nobody (expected_level=None) keeps the SDK's ERROR record; so does object_exists' HEAD 404 WARNING."""
    done = _run("""
        logging.basicConfig(format="%(levelname)s %(name)s %(message)s")
        cos_doctor.install(expected=["NoSuchKey"], expected_level=None)
        fail()
        server.reply = Reply(404)
        assert client.object_exists(Bucket="examplebucket-1250000000", Key="gone.txt") is False
    """)
    assert _records(done.stderr) == [
        ["ERROR", "qcloud_cos.cos_client"],
        ["WARNING", "qcloud_cos.cos_client"],
    ]


def test_the_sdks_records_are_untouched_once_uninstalled() -> None:
    """After uninstall() the SDK logs its ERROR record as it always did."""
    done = _run("""
        logging.basicConfig(format="%(levelname)s %(name)s %(message)s")
        cos_doctor.install()
        cos_doctor.uninstall()
        fail()
    """)
    assert _records(done.stderr) == [["ERROR", "qcloud_cos.cos_client"]]


@pytest.mark.parametrize("first", ["failure", "import"])
def test_events_keep_flowing_after_a_late_dict_config(first: str) -> None:
    """dictConfig with its default disable_existing_loggers=True, after the first failure (or just the import), silences no later event."""
    done = _run(f"""
        import logging.config
        cos_doctor.install(storm_window=0)
        if {first!r} == "failure":
            fail("before.txt")
        logging.config.dictConfig({{
            "version": 1,
            "formatters": {{"plain": {{"format": "%(name)s %(message)s"}}}},
            "handlers": {{"err": {{"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "plain"}}}},
            "root": {{"handlers": ["err"], "level": "INFO"}},
        }})
        assert logging.getLogger("cos_doctor").disabled  # what dictConfig does to existing loggers
        fail("after.txt")
    """)
    [line] = done.stderr.splitlines()
    assert line.startswith("cos_doctor cos_request_failed: NoSuchKey (HTTP 404)")
    assert "key=after.txt" in line


def test_a_structlog_application_also_sees_one_line_per_failure() -> None:
    """With structlog configured (the event goes through it) and stdlib basicConfig for the rest, the SDK's record does not add a second line."""
    done = _run("""
        import structlog
        logging.basicConfig(format="%(levelname)s %(name)s %(message)s")
        structlog.configure(processors=[structlog.processors.add_log_level, structlog.processors.JSONRenderer()])
        cos_doctor.install()
        fail()
    """)
    [event] = [json.loads(line) for line in done.stdout.splitlines()]
    assert (event["event"], event["level"], event["cos_doctor.rule_id"]) == (
        "cos_request_failed",
        "warning",
        "no-such-key",
    )
    assert done.stderr == ""  # no ERROR record of the SDK's beside it
