"""The real SDK over HTTP against the project's emulator, with cos_doctor installed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

import cos_doctor
from cos_doctor.emulator import Emulator
from tests.conftest import leave_logging_as_found


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        running.state.mark_baseline()
        yield running


@pytest.fixture(autouse=True)
def _fresh_state(emulator: Emulator) -> Iterator[None]:
    yield
    emulator.state.reset()
    cos_doctor.uninstall()
    leave_logging_as_found()


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
