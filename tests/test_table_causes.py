"""Ranked causes of the table's multi-cause codes, decided by the evidence of each request.

EntityTooSmall, InvalidRequest / InvalidArgument, MissingContentLength, MethodNotAllowed and
the SDK's bodiless HEAD 404: the real SDK over real HTTP against a loopback server where the
request itself is the evidence, pasted replies where the evidence is the URL or headers given.
"""

from __future__ import annotations

import pytest
from qcloud_cos.cos_exception import CosServiceError

import cos_doctor
from cos_doctor import Diagnosis
from tests.conftest import BUCKET, make_client
from tests.replies import Reply, ReplyServer, error_xml

_ENTITY_TOO_SMALL = "Your proposed upload is smaller than the minimum allowed object size."


def _raised(replies: ReplyServer, reply: Reply, call: str, **arguments: object) -> Diagnosis:
    client = make_client(replies.port)
    cos_doctor.install()
    replies.reply = reply
    arguments.setdefault("Bucket", BUCKET)
    with pytest.raises(CosServiceError) as caught:
        getattr(client, call)(**arguments)
    diagnosis = caught.value.diagnosis
    assert diagnosis is not None
    return diagnosis


def _ranked(diagnosis: Diagnosis) -> list[tuple[str, str]]:
    return [(cause.id, cause.confidence) for cause in diagnosis.causes]


def test_entity_too_small_on_one_put_is_the_over_5gb_case(replies: ReplyServer) -> None:
    """EntityTooSmall for a simple put_object ranks the >5 GB single PUT likely, rules out parts."""
    reply = Reply(400, error_xml("EntityTooSmall", _ENTITY_TOO_SMALL))
    diagnosis = _raised(replies, reply, "put_object", Key="big.bin", Body=b"x")
    assert diagnosis.rule_id == "part-too-small"
    assert diagnosis.evidence_value("upload_kind") == "simple"
    assert _ranked(diagnosis) == [("simple-upload-over-5gb", "likely")]
    assert diagnosis.causes[0].because == ("upload_kind",)


def test_entity_too_small_on_a_part_is_the_short_part_case(replies: ReplyServer) -> None:
    """EntityTooSmall for upload_part ranks the short part likely and rules out the single PUT."""
    reply = Reply(400, error_xml("EntityTooSmall", _ENTITY_TOO_SMALL))
    diagnosis = _raised(
        replies, reply, "upload_part", Key="big.bin", Body=b"x", PartNumber=1, UploadId="u-1"
    )
    assert diagnosis.rule_id == "part-too-small"
    assert diagnosis.evidence_value("upload_kind") == "multipart"
    assert _ranked(diagnosis) == [("part-under-minimum", "likely")]


def test_entity_too_small_pasted_without_a_request_decides_nothing() -> None:
    """Without the request, both EntityTooSmall causes stay possible, in the documented order."""
    diagnosis = cos_doctor.diagnose(error_xml("EntityTooSmall", _ENTITY_TOO_SMALL), http_status=400)
    assert _ranked(diagnosis) == [
        ("part-under-minimum", "possible"),
        ("simple-upload-over-5gb", "possible"),
    ]


def test_invalid_request_for_a_bucket_without_appid_ranks_that_first(replies: ReplyServer) -> None:
    """InvalidRequest on a bucket named without -APPID: the missing suffix is the likely cause."""
    reply = Reply(400, error_xml("InvalidRequest", "The request is invalid"))
    diagnosis = _raised(
        replies, reply, "put_object", Bucket="examplebucket", Key="a.txt", Body=b"x"
    )
    assert diagnosis.rule_id == "invalid-argument"
    assert diagnosis.causes[0].id == "bucket-name-lacks-appid"
    assert diagnosis.causes[0].because == ("bucket_appid_suffix",)


def test_invalid_request_for_a_full_bucket_name_rules_the_suffix_out(replies: ReplyServer) -> None:
    """With BucketName-APPID sent, the missing-suffix cause is left out and nothing is guessed."""
    reply = Reply(400, error_xml("InvalidRequest", "The request is invalid"))
    diagnosis = _raised(replies, reply, "put_object", Key="a.txt", Body=b"x")
    shown = dict(_ranked(diagnosis))
    assert "bucket-name-lacks-appid" not in shown
    assert set(shown.values()) == {"possible"}


def test_invalid_argument_with_sse_headers_ranks_encryption_first(replies: ReplyServer) -> None:
    """InvalidArgument on a request that carried SSE headers: the encryption cause is likely."""
    reply = Reply(400, error_xml("InvalidArgument", "Invalid Argument"))
    diagnosis = _raised(
        replies, reply, "put_object", Key="a.txt", Body=b"x", ServerSideEncryption="AES256"
    )
    assert diagnosis.causes[0].id == "encryption-argument"
    assert diagnosis.causes[0].likely
    assert "invalid-header-value" in dict(_ranked(diagnosis))


def test_invalid_argument_naming_a_header_ranks_its_value_first() -> None:
    """A Message that names an x-cos-* header makes that header's value the likely cause."""
    body = error_xml("InvalidArgument", "x-cos-acl value invalid:[object Undefined]")
    diagnosis = cos_doctor.diagnose(body, http_status=400)
    assert diagnosis.rule_id == "invalid-argument"
    assert diagnosis.evidence_value("argument_named") == "x-cos-acl"
    assert (diagnosis.causes[0].id, diagnosis.causes[0].because) == (
        "invalid-header-value",
        ("argument_named",),
    )


def test_missing_content_length_with_a_chunked_body_blames_the_stream() -> None:
    """MissingContentLength for a chunked body: the streamed body is likely, the proxy is not."""
    body = error_xml("MissingContentLength", "You must provide the Content-Length HTTP header.")
    diagnosis = cos_doctor.diagnose(
        body, http_status=411, http_method="PUT", request_headers={"Transfer-Encoding": "chunked"}
    )
    assert diagnosis.causes[0].id == "chunked-body"
    assert diagnosis.causes[0].likely
    assert not any(cause.likely for cause in diagnosis.causes[1:])


def test_missing_content_length_after_sending_one_blames_the_path(replies: ReplyServer) -> None:
    """The SDK sent a Content-Length and COS saw none: something in between dropped it."""
    reply = Reply(
        411, error_xml("MissingContentLength", "You must provide the Content-Length HTTP header.")
    )
    diagnosis = _raised(replies, reply, "put_object", Key="a.txt", Body=b"hello")
    assert diagnosis.evidence_value("body_framing") == len(b"hello")
    assert (diagnosis.causes[0].id, diagnosis.causes[0].confidence) == (
        "length-dropped-in-transit",
        "likely",
    )
    assert "client-left-header-out" not in dict(_ranked(diagnosis))


@pytest.mark.parametrize(
    ("host", "website_cause"),
    [
        ("examplebucket-1250000000.cos-website.ap-guangzhou.myqcloud.com", "likely"),
        ("examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com", None),
        ("static.example.com", "possible"),
    ],
)
def test_method_not_allowed_blames_the_website_domain_only_when_used(
    host: str, website_cause: str | None
) -> None:
    """A PUT refused with 405 names the static-website domain likely there, never on the API domain."""
    body = error_xml(
        "MethodNotAllowed", "The specified method is not allowed against this resource."
    )
    diagnosis = cos_doctor.diagnose(
        body, http_status=405, http_method="PUT", url=f"https://{host}/index.html"
    )
    assert diagnosis.rule_id == "operation-not-supported"
    assert dict(_ranked(diagnosis)).get("website-endpoint") == website_cause


@pytest.mark.parametrize(
    ("call", "arguments", "causes"),
    [
        ("head_object", {"Key": "gone.txt"}, ["object-missing", "bucket-missing"]),
        ("head_bucket", {}, ["bucket-missing"]),
    ],
)
def test_head_404_names_what_may_be_missing(
    replies: ReplyServer, call: str, arguments: dict[str, object], causes: list[str]
) -> None:
    """The SDK's NoSuchResource for a HEAD 404: a bucket HEAD cannot miss an object."""
    diagnosis = _raised(replies, Reply(404), call, **arguments)
    assert diagnosis.error_code == "NoSuchResource"
    assert diagnosis.rule_id == "head-not-found"
    assert [cause.id for cause in diagnosis.causes] == causes
    assert not any(cause.likely for cause in diagnosis.causes)


def test_short_middle_part_in_the_emulator_is_the_part_case() -> None:
    """A real multipart upload with a 1 KB middle part, completed: the short part is likely."""
    from cos_doctor.emulator import Emulator

    with Emulator() as emulator:
        client = emulator.client()
        bucket = emulator.bucket
        upload_id = client.create_multipart_upload(Bucket=bucket, Key="big.bin")["UploadId"]
        parts = [
            {
                "PartNumber": number,
                "ETag": client.upload_part(
                    Bucket=bucket,
                    Key="big.bin",
                    Body=b"x" * 1024,
                    PartNumber=number,
                    UploadId=upload_id,
                )["ETag"],
            }
            for number in (1, 2)
        ]
        with pytest.raises(CosServiceError) as caught:
            client.complete_multipart_upload(
                Bucket=bucket, Key="big.bin", UploadId=upload_id, MultipartUpload={"Part": parts}
            )
    diagnosis = cos_doctor.diagnose(caught.value)
    assert diagnosis.rule_id == "part-too-small"
    assert _ranked(diagnosis) == [("part-under-minimum", "likely")]
