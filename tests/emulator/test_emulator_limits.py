"""The emulator's own bound on a request body: COS's EntityTooLarge above it, nothing stored."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from cos_doctor.emulator import default_state
from cos_doctor.emulator.models import DEFAULT_MAX_BODY_SIZE
from tests.emulator.helpers import failure, read
from tests.emulator.test_emulator_command import REPO, client_for, first_line

LIMIT = 1024


@pytest.fixture
def small_limit(emulator):
    """The emulator refuses bodies over LIMIT bytes (the autouse reset restores the default)."""
    with emulator.state.lock:
        emulator.state.max_body_size = LIMIT


def test_default_limit_is_64_mib():
    """A fresh state bounds one request body at 64 MiB, the documented default."""
    assert default_state().max_body_size == DEFAULT_MAX_BODY_SIZE == 64 * 1024 * 1024


@pytest.mark.usefixtures("small_limit")
def test_body_over_the_limit_is_entity_too_large(emulator, owner, bucket):
    """A body over the limit is 400 EntityTooLarge naming the limit; the client reads that reply."""
    error = failure(owner.put_object, Bucket=bucket, Key="big", Body=b"x" * (64 * LIMIT))
    assert (error.get_status_code(), error.get_error_code()) == (400, "EntityTooLarge")
    assert f"limit of {LIMIT} bytes" in error.get_error_msg()
    assert "big" not in emulator.state.bucket(bucket).objects


@pytest.mark.usefixtures("small_limit")
def test_body_at_the_limit_is_stored(owner, bucket):
    """A body of exactly the limit is accepted, and the connection is still usable after a refusal."""
    failure(owner.put_object, Bucket=bucket, Key="big", Body=b"x" * (LIMIT + 1))
    owner.put_object(Bucket=bucket, Key="fits", Body=b"y" * LIMIT)
    assert read(owner.get_object(Bucket=bucket, Key="fits")) == b"y" * LIMIT


@pytest.mark.usefixtures("small_limit")
def test_chunked_body_over_the_limit_is_refused(emulator, http, bucket):
    """A chunked body (no Content-Length) is cut at the limit and refused the same way."""
    signer = emulator.client(via_proxy=True)
    auth = signer.get_auth(Method="PUT", Bucket=bucket, Key="chunked")
    url, headers = emulator.url("chunked")
    chunks = (b"z" * 512 for _ in range(64))  # a generator: requests sends it chunked
    with http.put(url, data=chunks, headers={**headers, "Authorization": auth}) as reply:
        assert reply.status_code == 400
        assert "<Code>EntityTooLarge</Code>" in reply.text
    assert "chunked" not in emulator.state.bucket(bucket).objects


@pytest.mark.usefixtures("small_limit")
def test_upload_part_is_bounded_too(emulator, owner, bucket):
    """Every request is bounded, a multipart part included."""
    upload_id = owner.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    error = failure(
        owner.upload_part,
        Bucket=bucket,
        Key="mp",
        Body=b"p" * (LIMIT * 2),
        PartNumber=1,
        UploadId=upload_id,
    )
    assert error.get_error_code() == "EntityTooLarge"
    assert emulator.state.bucket(bucket).uploads[upload_id].parts == {}


def test_configuration_sets_the_limit_and_reset_keeps_it():
    """ "max_body_size" in a configuration sets the limit, and reset() returns to it."""
    state = default_state({"max_body_size": 10})
    state.max_body_size = 99
    state.reset()
    assert state.max_body_size == 10


def test_command_line_sets_the_limit(http):
    """cos-doctor emulator --max-body-size N refuses bodies over N bytes."""
    command = [sys.executable, "-m", "cos_doctor.emulator", "--port", "0", "--max-body-size", "100"]
    with subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            announcement = json.loads(first_line(process))
            owner = client_for(
                announcement, http, announcement["secret_id"], announcement["secret_key"]
            )
            owner.put_object(Bucket=announcement["bucket"], Key="ok", Body=b"v" * 100)
            error = failure(
                owner.put_object, Bucket=announcement["bucket"], Key="no", Body=b"v" * 101
            )
            assert error.get_error_code() == "EntityTooLarge"
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=20)
    assert process.returncode == 0
