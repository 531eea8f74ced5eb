"""boto3 against the emulator: every seed 403 it can reach gets the rule the COS SDK path gets.

The same misconfigurations as the seed scenarios (cos_doctor/_cli/scenarios.py), met by a real
boto3 client speaking COS's S3-compatible API (AWS SigV4) through the emulator, with
cos_doctor installed. The browser-only seeds (CORS preflight, POST Object forms) have no boto3
call. Plus what only boto3 users meet: path-style addressing and botocore's aws-chunked trailer.
"""

from __future__ import annotations

import base64
import hashlib
import re
import ssl
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

import pytest
import requests
from structlog.testing import capture_logs

boto3 = pytest.importorskip("boto3")
import botocore  # noqa: E402 - after the skip above
from botocore.config import Config  # noqa: E402

import cos_doctor  # noqa: E402
from cos_doctor._cli.scenarios import INTRUDER, OBJECT_KEY, SCENARIOS  # noqa: E402
from cos_doctor._knowledge.catalogue import catalogue  # noqa: E402
from cos_doctor.emulator import (  # noqa: E402
    DEFAULT_OWNER_SECRET_ID,
    DEFAULT_SUB_SECRET_ID,
    Emulator,
    RefererConfig,
)

# botocore 1.36 made CRC32 checksums the default (header or aws-chunked trailer).
CHECKSUMS = pytest.mark.skipif(
    tuple(int(part) for part in botocore.__version__.split(".")[:2]) < (1, 36),
    reason="botocore < 1.36 sends Content-MD5 and no default CRC32",
)
SDK_RULES = {scenario.rule_id for scenario in SCENARIOS if scenario.via == "sdk"}
HTTP_RULES = {scenario.rule_id for scenario in SCENARIOS if scenario.via == "http"}


def _put_report(emulator: Emulator, **arguments: Any) -> None:
    emulator.client().put_object(
        Bucket=emulator.bucket, Key=OBJECT_KEY, Body=b"region,revenue\n", **arguments
    )


def _failure(call: Callable[[], object]) -> BaseException:
    try:
        call()
    except Exception as error:  # whatever boto3 raised is the subject
        return error
    raise AssertionError("the boto3 call succeeded: the emulator no longer refuses it")


def _get_report(
    emulator: Emulator, *, secret_id: str | None = None, **arguments: Any
) -> BaseException:
    """The report put, then get_object signed with ``secret_id`` (the owner's by default).

    ``arguments`` go to get_object (Key= too, to override the key).
    """
    _put_report(emulator)
    client = emulator.boto3_client(secret_id)
    return _failure(
        lambda: client.get_object(Bucket=emulator.bucket, **{"Key": OBJECT_KEY, **arguments})
    )


def _sub_account(emulator: Emulator) -> BaseException:
    return _get_report(emulator, secret_id=DEFAULT_SUB_SECRET_ID)


def _disabled_key(emulator: Emulator) -> BaseException:
    client = emulator.boto3_client()
    emulator.state.set_key_enabled(DEFAULT_OWNER_SECRET_ID, enabled=False)
    return _failure(lambda: client.get_object(Bucket=emulator.bucket, Key=OBJECT_KEY))


def _archived(emulator: Emulator) -> BaseException:
    _put_report(emulator, StorageClass="ARCHIVE")
    client = emulator.boto3_client()
    return _failure(lambda: client.get_object(Bucket=emulator.bucket, Key=OBJECT_KEY))


def _clock_ahead(emulator: Emulator) -> BaseException:
    emulator.state.set_clock_offset(-20 * 60 - 4)  # this machine 20 minutes ahead of COS
    client = emulator.boto3_client()
    return _failure(lambda: client.list_objects(Bucket=emulator.bucket, Prefix="reports/"))


def _wrong_secret(emulator: Emulator) -> BaseException:
    client = emulator.boto3_client(DEFAULT_OWNER_SECRET_ID, secret_key="a-key-from-another-account")
    return _failure(lambda: client.put_object(Bucket=emulator.bucket, Key=OBJECT_KEY, Body=b"x"))


def _hotlinked(emulator: Emulator) -> BaseException:
    _put_report(emulator, ACL="public-read")
    emulator.state.bucket(emulator.bucket).referer = RefererConfig(domains=("*.example.com",))
    browser = emulator.boto3_client(anonymous=True)

    def referer(request: Any, **_: Any) -> None:
        request.headers["Referer"] = f"{INTRUDER}/gallery.html"

    browser.meta.events.register("before-sign.s3.GetObject", referer)
    return _failure(lambda: browser.get_object(Bucket=emulator.bucket, Key=OBJECT_KEY))


# Each seed 403 a boto3 call can reach, by the seed rule its SDK or HTTP scenario pins.
BOTO3_SEEDS: dict[str, Callable[[Emulator], BaseException]] = {
    "access-denied": _sub_account,
    "invalid-access-key-id": _disabled_key,
    "invalid-object-state": _archived,
    "request-time-too-skewed": _clock_ahead,
    "signature-mismatch": _wrong_secret,
    "referer-denied": _hotlinked,
}
KEY_EVIDENCE: dict[str, dict[str, Any]] = {
    "access-denied": {
        "required_action": "name/cos:GetObject",
        "credential_kind": "permanent",
        "request_signed": True,
        "botocore_access_key_id": "AKID****0011",
    },
    "request-time-too-skewed": {"clock_skew_seconds": lambda value: abs(value - 1204) <= 5},
    # The Referer went in by a before-sign handler: botocore keeps no signed headers to read.
    "referer-denied": {"request_signed": False, "credential_kind": "anonymous"},
    "invalid-object-state": {
        "restore_call_cos_sdk": lambda value: "CASJobParameters" in value,
    },
}


def test_the_boto3_seeds_are_seed_rules() -> None:
    """Every seed reached here is one of the seed scenarios' rules (the same rule, two clients)."""
    assert set(BOTO3_SEEDS) <= SDK_RULES | HTTP_RULES


@pytest.mark.parametrize("rule_id", sorted(BOTO3_SEEDS))
def test_boto3_meets_the_seed_and_gets_its_rule(emulator: Emulator, rule_id: str) -> None:
    """The misconfiguration met through boto3 is diagnosed with the seed's rule, logged once."""
    cos_doctor.install(storm_window=0)
    with capture_logs() as events:
        error = BOTO3_SEEDS[rule_id](emulator)
    assert isinstance(error, cos_doctor.CosDiagnosedS3Error), repr(error)
    diagnosis = error.diagnosis
    assert diagnosis is not None
    assert diagnosis.rule_id == rule_id
    for key, expected in KEY_EVIDENCE.get(rule_id, {}).items():
        value = diagnosis.evidence_value(key)
        assert expected(value) if callable(expected) else value == expected, (key, value)
    failures = [event for event in events if event["event"] == "cos_request_failed"]
    assert [event["cos_doctor.rule_id"] for event in failures] == [rule_id]
    assert failures[0]["cos.client.library"] == "botocore"


def test_an_expired_boto3_presigned_url_is_request_expired(
    emulator: Emulator, http: requests.Session
) -> None:
    """A boto3 presigned GET opened after it expired: diagnose() of the reply says request-expired."""
    _put_report(emulator)
    url = emulator.boto3_client().generate_presigned_url(
        "get_object", Params={"Bucket": emulator.bucket, "Key": OBJECT_KEY}, ExpiresIn=60
    )
    emulator.state.set_clock_offset(10 * 60)  # opened ten minutes later
    local, headers = emulator.localize(url)
    response = http.get(local, headers=headers)
    diagnosis = cos_doctor.diagnose(response.text, http_status=response.status_code, url=url)
    assert response.status_code == 403
    assert diagnosis.rule_id == "request-expired"


def test_boto3s_default_addressing_meets_path_style_forbidden(emulator: Emulator) -> None:
    """boto3 left on 'auto' goes path-style to cos.<region>.myqcloud.com: the cause says so."""
    cos_doctor.install()
    client = emulator.boto3_client(config=Config(s3={"addressing_style": "auto"}))
    error = _failure(lambda: client.list_objects(Bucket=emulator.bucket))
    diagnosis = error.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "path-style-forbidden"
    assert diagnosis.evidence_value("addressing_style") == "path"
    assert diagnosis.evidence_value("addressing_style_configured") == "auto"
    likely = [cause.id for cause in diagnosis.causes if cause.confidence == "likely"]
    assert likely == ["botocore-default-addressing"]
    assert diagnosis.key is None  # the path's first segment is the bucket, not a key
    virtual = f"https://{emulator.bucket}.cos.{emulator.region}.myqcloud.com/"
    assert virtual in diagnosis.steps[0]


def test_a_configured_path_style_is_named_as_such(emulator: Emulator) -> None:
    """s3={'addressing_style': 'path'} makes path-style-configured the likely cause."""
    cos_doctor.install()
    client = emulator.boto3_client(addressing_style="path")
    error = _failure(lambda: client.get_object(Bucket=emulator.bucket, Key=OBJECT_KEY))
    diagnosis = error.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "path-style-forbidden"
    likely = [cause.id for cause in diagnosis.causes if cause.confidence == "likely"]
    assert likely == ["path-style-configured"]


@CHECKSUMS
def test_delete_objects_without_content_md5_is_diagnosed(emulator: Emulator) -> None:
    """boto3 >= 1.36's DeleteObjects (a CRC32, no Content-MD5) is COS's InvalidRequest, diagnosed."""
    cos_doctor.install()
    _put_report(emulator)
    client = emulator.boto3_client()
    error = _failure(
        lambda: client.delete_objects(
            Bucket=emulator.bucket, Delete={"Objects": [{"Key": OBJECT_KEY}]}
        )
    )
    assert isinstance(error, cos_doctor.CosDiagnosedS3Error)
    assert error.response["Error"]["Code"] == "InvalidRequest"
    diagnosis = error.diagnosis
    assert diagnosis is not None
    assert diagnosis.rule_id == "content-md5-required"
    assert "x-amz-checksum-crc32" in diagnosis.evidence_value("checksum_headers_sent")
    likely = [cause.id for cause in diagnosis.causes if cause.confidence == "likely"]
    assert likely == ["botocore-crc32-instead-of-md5"]


def test_the_content_md5_step_makes_delete_objects_work(emulator: Emulator) -> None:
    """The rule's first step, a before-call handler adding Content-MD5, is accepted by COS."""
    import base64
    import hashlib

    _put_report(emulator)
    client = emulator.boto3_client()

    def add_md5(params: Any, **kwargs: Any) -> None:
        digest = hashlib.md5(params["body"]).digest()  # noqa: S324 - COS's Content-MD5
        params["headers"]["Content-MD5"] = base64.b64encode(digest).decode()

    client.meta.events.register("before-call.s3.DeleteObjects", add_md5)
    result = client.delete_objects(
        Bucket=emulator.bucket, Delete={"Objects": [{"Key": OBJECT_KEY}]}
    )
    assert [deleted["Key"] for deleted in result["Deleted"]] == [OBJECT_KEY]
    assert OBJECT_KEY not in emulator.state.bucket(emulator.bucket).objects


# ---------------------------------------------------------------------------------------------
# botocore's aws-chunked trailer: only over HTTPS, so against a TLS server answering as COS does


@pytest.fixture
def tls_cos(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """HTTPS on 127.0.0.1 answering every request with COS's 411 MissingContentLength."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    body = (
        b"<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n\t<Code>MissingContentLength</Code>\n"
        b"\t<Message>You must provide the Content-Length HTTP header.</Message>\n"
        b"\t<RequestId>NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0</RequestId>\n</Error>\n"
    )

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_PUT(self) -> None:
            for _ in range(10_000):  # the chunked body, then the trailer's lines, then a blank
                line = self.rfile.readline(65_537)
                if line in {b"\r\n", b""} and self._chunks_done:
                    break
                self._chunks_done = self._chunks_done or line.startswith(b"0\r\n")
            self.send_response_only(411)
            for name, value in (
                ("Server", "tencent-cos"),
                ("Content-Type", "application/xml"),
                ("x-cos-request-id", "NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0"),
                ("Content-Length", str(len(body))),
                ("Connection", "close"),
            ):
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        _chunks_done = False

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], cert
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@CHECKSUMS
def test_botocores_checksum_trailer_is_the_likely_cause_of_missing_content_length(
    tls_cos: tuple[int, Path],
) -> None:
    """An upload_part botocore sent aws-chunked with a CRC32 trailer: that cause is likely."""
    port, cert = tls_cos
    cos_doctor.install()
    client = boto3.client(
        "s3",
        endpoint_url=f"https://127.0.0.1:{port}",
        region_name="ap-guangzhou",
        aws_access_key_id=DEFAULT_OWNER_SECRET_ID,
        aws_secret_access_key="secret",
        verify=str(cert),
        config=Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}),
    )
    error = _failure(
        lambda: client.upload_part(
            Bucket="examplebucket-1250000000", Key="big", UploadId="1", PartNumber=1, Body=b"part"
        )
    )
    diagnosis = error.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "missing-content-length"
    sent = diagnosis.evidence_value("checksum_headers_sent")
    assert "x-amz-trailer" in sent
    assert "content-encoding: aws-chunked" in sent
    likely = [cause.id for cause in diagnosis.causes if cause.confidence == "likely"]
    assert "botocore-checksum-trailer" in likely


def test_region_name_elsewhere_is_the_likely_cause_of_no_such_bucket(emulator: Emulator) -> None:
    """region_name naming the bucket's COS region while endpoint_url names another: said so."""
    cos_doctor.install()
    emulator.state.add_bucket("shanghai-1250000000", "ap-shanghai")
    client = emulator.boto3_client(
        region="ap-shanghai", endpoint_url=f"http://cos.{emulator.region}.myqcloud.com"
    )
    error = _failure(lambda: client.list_objects(Bucket="shanghai-1250000000"))
    diagnosis = error.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "no-such-bucket"
    assert diagnosis.evidence_value("region_name_elsewhere") == "ap-shanghai"
    assert diagnosis.evidence_value("region_used") == emulator.region
    likely = [cause.id for cause in diagnosis.causes if cause.confidence == "likely"]
    assert likely == ["botocore-region-name"]


def test_an_aws_region_name_is_not_taken_for_the_cos_region(emulator: Emulator) -> None:
    """region_name='us-east-1' is not COS's region: the diagnosis names the endpoint's region."""
    cos_doctor.install()
    client = emulator.boto3_client(
        region="us-east-1", endpoint_url=f"http://cos.{emulator.region}.myqcloud.com"
    )
    client.head_bucket(Bucket=emulator.bucket)  # COS reads no region from the signature's scope
    error = _failure(lambda: client.list_objects(Bucket="elsewhere-1250000000"))
    diagnosis = error.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "no-such-bucket"
    assert diagnosis.evidence_value("region_used") == emulator.region
    assert diagnosis.evidence_value("botocore_region") == "us-east-1"
    assert diagnosis.evidence_value("region_name_elsewhere") is None
    assert f"{emulator.region} endpoint" in diagnosis.causes[0].text
    # The region lookup is the COS SDK's call, and said to be: boto3's list_buckets differs.
    assert diagnosis.evidence_value("bucket_region_lookup") is None
    lookup = next(e for e in diagnosis.evidence if e.key == "bucket_region_lookup_cos_sdk")
    assert "elsewhere-1250000000" in lookup.value
    assert "COS Python SDK" in lookup.text


# What only the COS SDK has: its signature's q-* fields, its settings and header, the
# StringToSign its error replies carry. A boto3 user told to check them has nothing to check.
COS_SDK_ONLY = re.compile(
    r"q-ak|q-signature|q-sign-time|CosConfig|CosS3Client|x-cos-security-token|StringToSign and "
    r"FormatString|StringToSign和FormatString|StringToSign 和 FormatString|StringToSign과|"
    r"EnableMD5|PartSize|MAXThread|LocalFilePath|upload_file_from_buffer|get_bucket_lifecycle\(|"
    r"bucket_exists|object_exists|list_objects_versions|get_presigned_url|DestFilePath|"
    r"get_bucket_object_lock|delete_bucket_inventory\(|'Part'|\['Content-Length'\]|"
    r"\['Last-Modified'\]|the Python SDK reports"
)


def _sub_account_head(emulator: Emulator) -> BaseException:
    _put_report(emulator)
    reader = emulator.boto3_client(DEFAULT_SUB_SECRET_ID)
    return _failure(lambda: reader.head_object(Bucket=emulator.bucket, Key=OBJECT_KEY))


def _missing_bucket(emulator: Emulator) -> BaseException:
    client = emulator.boto3_client()
    return _failure(lambda: client.list_objects(Bucket="missing-1250000000"))


def _other_bodys_md5(emulator: Emulator) -> BaseException:
    client = emulator.boto3_client()
    other = base64.b64encode(hashlib.md5(b"another body").digest()).decode()  # noqa: S324
    return _failure(
        lambda: client.put_object(
            Bucket=emulator.bucket, Key=OBJECT_KEY, Body=b"region,revenue\n", ContentMD5=other
        )
    )


def _unknown_upload(emulator: Emulator) -> BaseException:
    client = emulator.boto3_client()
    return _failure(
        lambda: client.upload_part(
            Bucket=emulator.bucket,
            Key=OBJECT_KEY,
            UploadId="no-such-upload",
            PartNumber=1,
            Body=b"x",
        )
    )


def _small_first_part(emulator: Emulator) -> BaseException:
    client = emulator.boto3_client()
    upload = client.create_multipart_upload(Bucket=emulator.bucket, Key=OBJECT_KEY)["UploadId"]
    parts = [
        {
            "PartNumber": number,
            "ETag": client.upload_part(
                Bucket=emulator.bucket,
                Key=OBJECT_KEY,
                UploadId=upload,
                PartNumber=number,
                Body=b"x",
            )["ETag"],
        }
        for number in (1, 2)
    ]
    return _failure(
        lambda: client.complete_multipart_upload(
            Bucket=emulator.bucket,
            Key=OBJECT_KEY,
            UploadId=upload,
            MultipartUpload={"Parts": parts},
        )
    )


def _missing_head(emulator: Emulator) -> BaseException:
    client = emulator.boto3_client()
    return _failure(lambda: client.head_object(Bucket=emulator.bucket, Key="missing/report.csv"))


def _bucket_with_an_object(emulator: Emulator) -> BaseException:
    _put_report(emulator)
    client = emulator.boto3_client()
    return _failure(lambda: client.delete_bucket(Bucket=emulator.bucket))


def _unchanged(emulator: Emulator) -> BaseException:
    _put_report(emulator)
    etag = emulator.boto3_client().head_object(Bucket=emulator.bucket, Key=OBJECT_KEY)["ETag"]
    return _get_report(emulator, IfNoneMatch=etag)  # put again, the same bytes: the same ETag


def _part_never_uploaded(emulator: Emulator) -> BaseException:
    client = emulator.boto3_client()
    upload = client.create_multipart_upload(Bucket=emulator.bucket, Key=OBJECT_KEY)["UploadId"]
    return _failure(
        lambda: client.complete_multipart_upload(
            Bucket=emulator.bucket,
            Key=OBJECT_KEY,
            UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0000"'}]},
        )
    )


# The seeds, and more failures whose SDK steps name q-ak, CosConfig, EnableMD5 or PartSize.
WORDED_FOR_BOTOCORE = {
    **BOTO3_SEEDS,
    "unrecognized-403": _sub_account_head,  # a HEAD's 403 has no body to read
    "no-such-bucket": _missing_bucket,
    "bad-digest": _other_bodys_md5,
    "no-such-upload": _unknown_upload,
    "part-too-small": _small_first_part,
    "unrecognized-404": _missing_head,  # a HEAD's 404: Code '404', no body
    "no-such-key-leading-slash": partial(_get_report, Key=f"/{OBJECT_KEY}"),
    "bucket-not-empty": _bucket_with_an_object,
    "invalid-range": partial(_get_report, Range="bytes=100-200"),
    "not-modified": _unchanged,  # a 304: botocore raises it as a ClientError
    "precondition-failed": partial(_get_report, IfMatch='"0000"'),
    "invalid-part": _part_never_uploaded,
}
# What only the botocore wording says (the same in every language), where the SDK's wording
# names nothing the check above could catch.
BOTOCORE_ONLY = {
    "unrecognized-404": "e.response['Error']['Code'] == '404'",
    "no-such-key-leading-slash": "botocore",
    "bucket-not-empty": "Delete={'Objects': ",
    "invalid-range": "['ContentLength']",
    "not-modified": "botocore.exceptions.ClientError",
    "precondition-failed": "['LastModified']",
    "invalid-part": "MultipartUpload={'Parts': ",
}


def _same_facts(found: Any, diagnosis: Any) -> bool:
    """The same facts, value for value; the clock skew within a few seconds.

    The skew is this machine's clock when the diagnosis is made minus COS's in the reply:
    diagnose() a moment after the hook reads a moment more.
    """

    def facts(of: Any) -> tuple[set[tuple[str, Any]], int | None]:
        kept = {(fact.key, fact.value) for fact in of.evidence if fact.key != "clock_skew_seconds"}
        return kept, of.evidence_value("clock_skew_seconds")

    (found_facts, found_skew), (facts_then, skew_then) = facts(found), facts(diagnosis)
    if found_facts != facts_then or (found_skew is None) != (skew_then is None):
        return False
    return found_skew is None or 0 <= found_skew - skew_then <= 5


@pytest.mark.parametrize("rule_id", sorted(WORDED_FOR_BOTOCORE))
def test_a_boto3_call_is_told_the_fix_in_botocores_terms(emulator: Emulator, rule_id: str) -> None:
    """A failure met through boto3 names no COS-SDK-only field or setting, in every language.

    The live diagnosis (English) names the key that signed; the same exception read again in
    Korean and Chinese by diagnose() gets the same rule and the same botocore wording.
    """
    cos_doctor.install("en", storm_window=0)
    error = WORDED_FOR_BOTOCORE[rule_id](emulator)
    diagnosis = error.diagnosis  # type: ignore[attr-defined]
    placeholder = catalogue().placeholders["en"]["secret_id_masked"]
    signer = diagnosis.evidence_value("botocore_access_key_id")
    for found in (diagnosis, *(cos_doctor.diagnose(error, locale=loc) for loc in ("ko", "zh"))):
        assert found.rule_id == rule_id
        # diagnose() reads the client from the call's frame: the facts the hook read, no fewer
        assert _same_facts(found, diagnosis), (found.evidence, diagnosis.evidence)
        prose = "\n".join((found.cause, *found.steps))
        assert not COS_SDK_ONLY.search(prose), (found.locale, COS_SDK_ONLY.search(prose))
        assert BOTOCORE_ONLY.get(rule_id, "") in prose, found.locale
    prose = "\n".join((diagnosis.cause, *diagnosis.steps))
    assert placeholder not in prose  # the key that signed is known: it is named
    if signer is not None and "SecretId" in diagnosis.steps[0]:
        assert signer in prose


def test_the_cos_sdk_keeps_its_own_wording_for_the_same_failure(emulator: Emulator) -> None:
    """The wrong SecretKey through the COS SDK is told about q-ak and the reply's StringToSign."""
    cos_doctor.install(storm_window=0)
    client = emulator.client(DEFAULT_OWNER_SECRET_ID, "a-key-from-another-account")
    error = _failure(lambda: client.get_object(Bucket=emulator.bucket, Key=OBJECT_KEY))
    diagnosis = error.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "signature-mismatch"
    assert "q-ak" in diagnosis.steps[0]
    assert "StringToSign" in diagnosis.steps[1]
    assert not any("botocore" in step for step in diagnosis.steps)


def test_signature_version_s3_applies_in_code_not_in_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What signature-mismatch's boto3 step says: COS's guide's ~/.aws/config form signs SigV4.

    The guide (436/32537) writes ``s3 = signature_version = s3`` in ~/.aws/config; botocore
    reads the signature version from the Config passed in code only. Nothing leaves this
    process: the signed request is read before it is sent.
    """
    config = tmp_path / "config"
    config.write_text(
        "[default]\ns3 =\n    signature_version = s3\n    addressing_style = virtual\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))

    class Signed(Exception):  # noqa: N818 - carries the request out, not an error
        pass

    def authorization(configured: Config | None) -> str:
        client = boto3.session.Session().client(
            "s3",
            endpoint_url="https://cos.ap-guangzhou.myqcloud.com",
            aws_access_key_id=DEFAULT_OWNER_SECRET_ID,
            aws_secret_access_key="a-secret-key",
            config=configured,
        )

        def stop(request: Any, **_: Any) -> None:
            raise Signed(request.headers["Authorization"])

        client.meta.events.register("before-send", stop)
        with pytest.raises(Signed) as signed:
            client.head_object(Bucket="examplebucket-1250000000", Key=OBJECT_KEY)
        value = signed.value.args[0]
        return value.decode() if isinstance(value, bytes) else value

    assert authorization(None).startswith("AWS4-HMAC-SHA256 Credential=")
    assert authorization(Config(signature_version="s3")).startswith(
        f"AWS {DEFAULT_OWNER_SECRET_ID}:"
    )


def test_botocore_signed_so_no_hand_made_signature_or_key_encoding(emulator: Emulator) -> None:
    """botocore signs and encodes the key itself: those two SDK-side causes are not offered."""
    cos_doctor.install(storm_window=0)
    diagnosis = _wrong_secret(emulator).diagnosis  # type: ignore[attr-defined]
    offered = {cause.id for cause in diagnosis.causes}
    assert "botocore-signature-version" in offered
    assert not offered & {"hand-made-signature", "key-encoding"}


def test_a_boto3_user_restores_an_archived_object_where_cos_documents_it(
    emulator: Emulator,
) -> None:
    """boto3 cannot send COS's CASJobParameters: the steps say so, and read x-cos-* headers."""
    cos_doctor.install(storm_window=0)
    diagnosis = _archived(emulator).diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "invalid-object-state"
    restore, headers = diagnosis.steps[1], diagnosis.steps[0]
    assert "not with boto3" in restore
    assert "GlacierJobParameters" in restore
    assert "client.restore_object(" in restore  # the COS SDK's call, named as such
    assert "['ResponseMetadata']['HTTPHeaders'].get('x-cos-storage-class')" in headers


def test_what_the_boto3_wording_says_botocore_does() -> None:
    """The botocore behaviour the boto3 steps rest on, pinned on every botocore CI runs.

    restore_object cannot send COS's CASJobParameters; HeadObject's StorageClass and Restore
    come from x-amz-* headers only; use_accelerate_endpoint goes to AWS's s3-accelerate host
    and is refused together with an endpoint_url. Nothing leaves the process.
    """
    from botocore.exceptions import EndpointResolutionError, ParamValidationError

    class Sent(Exception):  # noqa: N818 - carries the URL out, not an error
        pass

    def stop(request: Any, **_: Any) -> None:
        raise Sent(request.url)

    def client(**settings: Any) -> Any:
        made = boto3.session.Session().client(
            "s3", aws_access_key_id=DEFAULT_OWNER_SECRET_ID, aws_secret_access_key="x", **settings
        )
        made.meta.events.register("before-send", stop)
        return made

    cos = client(endpoint_url="https://cos.ap-guangzhou.myqcloud.com", region_name="ap-guangzhou")
    restore = {"Days": 1, "CASJobParameters": {"Tier": "Standard"}}
    with pytest.raises(ParamValidationError, match="GlacierJobParameters"):
        cos.restore_object(
            Bucket="examplebucket-1250000000", Key=OBJECT_KEY, RestoreRequest=restore
        )
    members = cos.meta.service_model.operation_model("HeadObject").output_shape.members
    assert members["StorageClass"].serialization["name"] == "x-amz-storage-class"
    assert members["Restore"].serialization["name"] == "x-amz-restore"
    accelerate = Config(s3={"use_accelerate_endpoint": True})
    with pytest.raises(Sent, match=r"\.s3-accelerate\.amazonaws\.com/"):
        client(region_name="us-east-1", config=accelerate).head_object(
            Bucket="examplebucket-1250000000", Key=OBJECT_KEY
        )
    with pytest.raises(EndpointResolutionError):
        client(endpoint_url="https://cos.ap-guangzhou.myqcloud.com", config=accelerate).head_object(
            Bucket="examplebucket-1250000000", Key=OBJECT_KEY
        )
