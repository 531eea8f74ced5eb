"""One emulator for the whole folder; its state is reset after every test."""

from __future__ import annotations

import base64
import json
import time

import pytest
import requests

from cos_doctor import _signing
from cos_doctor.emulator import (
    DEFAULT_OWNER_SECRET_ID,
    DEFAULT_OWNER_SECRET_KEY,
    DEFAULT_SUB_SECRET_ID,
    Emulator,
)


@pytest.fixture(scope="session")
def emulator():
    with Emulator() as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_state(emulator):
    yield
    emulator.state.reset()


@pytest.fixture
def owner(emulator):
    """The default root account's client, wired by IP/Port as the reference recommends."""
    return emulator.client()


@pytest.fixture
def sub(emulator):
    """The default sub-account's client (no CAM policy: no rights of its own)."""
    return emulator.client(DEFAULT_SUB_SECRET_ID)


@pytest.fixture
def anonymous(emulator):
    return emulator.client(anonymous=True)


@pytest.fixture(scope="session")
def http():
    with requests.Session() as session:
        session.trust_env = False
        yield session


@pytest.fixture
def bucket(emulator):
    return emulator.bucket


@pytest.fixture
def post_form():
    """Build a signed POST Object form (see _post_policy_form)."""
    return _post_policy_form


def _post_policy_form(
    conditions,
    *,
    key="uploads/${filename}",
    secret_id=DEFAULT_OWNER_SECRET_ID,
    secret_key=DEFAULT_OWNER_SECRET_KEY,
    expires_in=600,
    extra_fields=None,
):
    """A browser-style POST Object form: fields in order, signed per the POST Object doc."""
    now = int(time.time())
    key_time = f"{now - 60};{now + 3600}"
    document = {
        "expiration": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now + expires_in)),
        "conditions": conditions,
    }
    policy = json.dumps(document).encode()
    fields = {
        "key": key,
        "policy": base64.b64encode(policy).decode(),
        "q-sign-algorithm": "sha1",
        "q-ak": secret_id,
        "q-key-time": key_time,
        "q-signature": _signing.post_policy_signature(secret_key, key_time, policy),
    }
    fields.update(extra_fields or {})
    return fields
