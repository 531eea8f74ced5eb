"""The real SDK over HTTP against the project's emulator, with cos_doctor installed."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator

import pytest
import requests
import urllib3

import cos_doctor
from cos_doctor.emulator import Emulator
from tests.conftest import leave_logging_as_found


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        running.state.mark_baseline()
        yield running


# urllib3 1.26 (botocore pins it below Python 3.10) leaks the socket of a connection or tunnel
# that failed; it is collected after the test that made it, rather than warning as unraisable
# in whichever test the garbage collector happens to run in.
_URLLIB3_1 = urllib3.__version__.startswith("1.")


@pytest.fixture(autouse=True)
def _fresh_state(emulator: Emulator) -> Iterator[None]:
    yield
    emulator.state.reset()
    cos_doctor.uninstall()
    leave_logging_as_found()
    if _URLLIB3_1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False
        yield session


@pytest.fixture
def installed() -> Iterator[None]:
    cos_doctor.install()
    yield
    cos_doctor.uninstall()
