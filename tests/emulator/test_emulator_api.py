"""The Python surface: public names, configuration from code, reset, and the WSGI app."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from werkzeug.test import Client

import cos_doctor.emulator as emulator_package
from cos_doctor import _signing
from cos_doctor.emulator import (
    DEFAULT_BUCKET,
    DEFAULT_OWNER_SECRET_ID,
    DEFAULT_OWNER_SECRET_KEY,
    CorsRule,
    EmulatorApp,
    RefererConfig,
    default_state,
)


def test_all_is_complete():
    """__all__ names exactly the package's public attributes, once each (ruff keeps it sorted)."""
    public = {name for name in vars(emulator_package) if not name.startswith("_")}
    modules = {
        name
        for name, value in vars(emulator_package).items()
        if type(value) is type(emulator_package)
    }
    assert len(set(emulator_package.__all__)) == len(emulator_package.__all__)
    assert set(emulator_package.__all__) == public - modules - {"annotations", "werkzeug"}


def test_reset_returns_to_the_baseline(emulator, owner, bucket):
    """reset() forgets objects, keys and clock changes made since the baseline."""
    owner.put_object(Bucket=bucket, Key="temp", Body=b"")
    emulator.state.issue_temporary_key("100000000001")
    emulator.state.set_clock_offset(99)
    emulator.state.reset()
    assert emulator.state.bucket(bucket).objects == {}
    assert all(not key.temporary for key in emulator.state.keys.values())
    assert emulator.state.clock_offset == 0


def test_rules_configured_from_python(emulator, http, owner, bucket):
    """Referer and CORS rules set directly on the state take effect like the API's."""
    owner.put_object(Bucket=bucket, Key="pub", Body=b"x", ACL="public-read")
    with emulator.state.lock:
        stored = emulator.state.bucket(bucket)
        stored.referer = RefererConfig(domains=("good.example",), allow_empty=False)
        stored.cors = (CorsRule(allowed_origins=("*",), allowed_methods=("GET",)),)
    url, headers = emulator.url("pub")
    with http.get(url, headers={**headers, "Referer": "http://good.example/"}) as response:
        assert response.status_code == 200
    with http.get(url, headers=headers) as response:
        assert response.status_code == 403


def test_merged_sign_parameter(emulator, http, owner, bucket):
    """A whole Authorization value passed as a single sign= parameter is accepted."""
    owner.put_object(Bucket=bucket, Key="m", Body=b"merged")
    auth = emulator.client(via_proxy=True).get_auth(Method="GET", Bucket=bucket, Key="m")
    url, headers = emulator.url("m")
    with http.get(f"{url}?sign={quote(auth, safe='')}", headers=headers) as response:
        assert response.content == b"merged"


@pytest.mark.parametrize("secret_key", [DEFAULT_OWNER_SECRET_KEY, "wrong"])
def test_wsgi_app_without_a_server(secret_key):
    """EmulatorApp is a plain WSGI app: a request signed with _signing verifies (or not)."""
    host = f"{DEFAULT_BUCKET}.cos.ap-guangzhou.myqcloud.com"
    state = default_state()
    now = int(state.now())
    auth = _signing.sign_request(
        secret_id=DEFAULT_OWNER_SECRET_ID,
        secret_key=secret_key,
        key_time=f"{now - 60};{now + 600}",
        method="GET",
        path="/",
        params={},
        headers={"host": host},
    )
    response = Client(EmulatorApp(state)).get(
        "/", headers={"Host": host, "Authorization": auth.to_header()}
    )
    expected = 200 if secret_key == DEFAULT_OWNER_SECRET_KEY else 403
    assert response.status_code == expected
    assert response.headers["Server"] == "tencent-cos"
