"""Evidence from real SDK traffic against the emulator: what COS signed vs what was sent."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests
from qcloud_cos import CosConfig, CosS3Client
from requests.adapters import HTTPAdapter

import cos_doctor
from cos_doctor.emulator import (
    DEFAULT_OWNER_SECRET_ID,
    DEFAULT_OWNER_SECRET_KEY,
    DEFAULT_REGION,
    Emulator,
)


class RewritingHop(HTTPAdapter):
    """Stands for a proxy between the SDK and COS: it changes the request after signing.

    Like a real proxy it alters what goes on the wire, not the client's own request object.
    """

    def __init__(self, change: Callable[[requests.PreparedRequest], None]) -> None:
        super().__init__()
        self.change = change

    def send(
        self, request: requests.PreparedRequest, *args: object, **kwargs: object
    ) -> requests.Response:  # type: ignore[override]
        on_the_wire = request.copy()
        self.change(on_the_wire)
        response = super().send(on_the_wire, *args, **kwargs)  # type: ignore[arg-type]
        response.request = request
        return response


@pytest.fixture
def hop_client(
    emulator: Emulator,
) -> Iterator[Callable[[Callable[[requests.PreparedRequest], None]], CosS3Client]]:
    sessions: list[requests.Session] = []

    def build(change: Callable[[requests.PreparedRequest], None]) -> CosS3Client:
        session = requests.Session()
        session.trust_env = False
        session.mount("http://", RewritingHop(change))
        sessions.append(session)
        config = CosConfig(
            Region=DEFAULT_REGION,
            SecretId=DEFAULT_OWNER_SECRET_ID,
            SecretKey=DEFAULT_OWNER_SECRET_KEY,
            Scheme="http",
            IP="127.0.0.1",
            Port=emulator.port,
        )
        return CosS3Client(config, retry=0, session=session)

    yield build
    for session in sessions:
        session.close()


def _texts(diagnosis: cos_doctor.Diagnosis) -> str:
    return " ".join(item.text for item in diagnosis.evidence)


def test_header_rewritten_after_signing(emulator: Emulator, hop_client, installed: None) -> None:
    """A signed metadata header changed on the way is named, and the verdict is altered-in-transit."""

    def rewrite(request: requests.PreparedRequest) -> None:
        request.headers["x-cos-meta-owner"] = "proxy"

    client = hop_client(rewrite)
    with pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        client.put_object(
            Bucket=emulator.bucket, Key="k.txt", Body=b"x", Metadata={"x-cos-meta-owner": "alice"}
        )
    diagnosis = caught.value.diagnosis
    assert diagnosis.rule_id == "signature-mismatch"
    assert diagnosis.evidence_value("signature_diff") == "headers:x-cos-meta-owner"
    assert diagnosis.evidence_value("signature_verdict") == "altered-in-transit"
    assert "'alice'" in _texts(diagnosis)
    assert "'proxy'" in _texts(diagnosis)


def test_host_given_a_port_on_the_way(emulator: Emulator, hop_client, installed: None) -> None:
    """A Host header that gains a port after signing is named as such."""

    def add_port(request: requests.PreparedRequest) -> None:
        host = request.headers["Host"]
        host = host.decode() if isinstance(host, bytes) else host
        request.headers["Host"] = f"{host}:80"

    client = hop_client(add_port)
    with pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        client.get_object(Bucket=emulator.bucket, Key="k.txt")
    diagnosis = caught.value.diagnosis
    assert diagnosis.rule_id == "signature-mismatch"
    assert diagnosis.evidence_value("signature_diff") == "headers:host"
    assert "with a port" in _texts(diagnosis)


def test_wrong_secret_key_verdict(emulator: Emulator, installed: None) -> None:
    """The same text signed on both sides and a self-consistent client: the key is wrong."""
    client = emulator.client(DEFAULT_OWNER_SECRET_ID, secret_key="not-the-right-key")
    with pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        client.list_objects(Bucket=emulator.bucket, Prefix="dir/a b+c")
    assert caught.value.diagnosis.evidence_value("signature_verdict") == "wrong-secret-key"


def test_temporary_key_that_expired(emulator: Emulator, installed: None) -> None:
    """An expired temporary key: InvalidAccessKeyId with the temporary-credential facts."""
    from cos_doctor.emulator import DEFAULT_OWNER_UIN

    temporary = emulator.state.issue_temporary_key(DEFAULT_OWNER_UIN, duration=1800)
    emulator.state.set_clock_offset(3600)
    client = emulator.client(temporary.secret_id, temporary.secret_key, token=temporary.token)
    with pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        client.get_object(Bucket=emulator.bucket, Key="k.txt")
    diagnosis = caught.value.diagnosis
    assert diagnosis.rule_id == "invalid-access-key-id"
    assert diagnosis.evidence_value("credential_kind") == "temporary"
    assert diagnosis.evidence_value("temporary_key_lifetime") == "likely-expired"
    assert temporary.token not in repr(diagnosis.to_dict())


def test_clock_behind_shows_in_request_expired(emulator: Emulator, installed: None) -> None:
    """COS's clock four hours ahead: the SDK's 10000 s window has ended, by this much."""
    emulator.state.set_clock_offset(4 * 3600)
    client = emulator.client()
    with pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        client.get_object(Bucket=emulator.bucket, Key="k.txt")
    diagnosis = caught.value.diagnosis
    assert diagnosis.rule_id == "request-expired"
    skew = diagnosis.evidence_value("clock_skew_seconds")
    assert isinstance(skew, int)
    assert abs(skew + 4 * 3600) <= 5
    assert "behind" in _texts(diagnosis)
    late = diagnosis.evidence_value("expired_seconds_ago")
    assert isinstance(late, int)
    assert abs(late - (4 * 3600 - 10000)) <= 5


def test_head_403_without_body_points_to_a_ranged_get(emulator: Emulator, installed: None) -> None:
    """A HEAD that COS refuses carries no body; the diagnosis is honest and says how to see more."""
    from cos_doctor.emulator import DEFAULT_SUB_SECRET_ID

    emulator.client().put_object(Bucket=emulator.bucket, Key="k.txt", Body=b"x")
    with pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        emulator.client(DEFAULT_SUB_SECRET_ID).head_object(Bucket=emulator.bucket, Key="k.txt")
    diagnosis = caught.value.diagnosis
    assert diagnosis.rule_id == "unrecognized-403"
    assert diagnosis.evidence_value("error_body") == "absent-head"
    assert diagnosis.request_id


def test_delete_bucket_policy_needs_owner_rights(emulator: Emulator, installed: None) -> None:
    """A sub-account changing bucket configuration is told it needs owner or admin rights."""
    from cos_doctor.emulator import DEFAULT_SUB_SECRET_ID

    with pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        emulator.client(DEFAULT_SUB_SECRET_ID).put_bucket_referer(
            Bucket=emulator.bucket,
            RefererConfiguration={
                "Status": "Enabled",
                "RefererType": "White-List",
                "DomainList": {"Domain": ["a.com"]},
            },
        )
    diagnosis = caught.value.diagnosis
    assert diagnosis.rule_id == "access-denied"
    assert diagnosis.evidence_value("required_action") == "name/cos:PutBucketReferer"
    assert diagnosis.evidence_value("owner_rights_needed") is True


def test_secret_id_that_is_not_one(emulator: Emulator, installed: None) -> None:
    """A SecretKey pasted where the SecretId goes: InvalidAccessKeyId, and the shape says why."""
    client = emulator.client("emulator-owner-secret-key-not-real", secret_key="whatever")
    with pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        client.get_object(Bucket=emulator.bucket, Key="k.txt")
    diagnosis = caught.value.diagnosis
    assert diagnosis.rule_id == "invalid-access-key-id"
    assert [item.value for item in diagnosis.evidence if item.key == "secret_id_problem"] == [
        "prefix"
    ]
    assert "emulator-owner-secret-key-not-real" not in repr(diagnosis.to_dict())
