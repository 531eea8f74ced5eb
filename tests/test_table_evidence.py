"""Evidence for the error-code table's rules, read from real SDK traffic and pasted replies."""

from __future__ import annotations

import sys

import pytest
from qcloud_cos.cos_exception import CosServiceError

import cos_doctor
from cos_doctor import Diagnosis
from cos_doctor._knowledge.catalogue import KNOWLEDGE_DIR
from cos_doctor._pipeline.evidence.buckets import bucket_name_problems
from cos_doctor._pipeline.evidence.endpoints import endpoint_kind
from tests.conftest import BUCKET, make_client
from tests.replies import Reply, ReplyServer, error_xml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - depends on the interpreter
    import tomli as tomllib

# The signature's own fields are not secrets here: no key ever signed them.
_AUTH = (
    "q-sign-algorithm=sha1&q-ak=AKIDcosdoctorTESTsecretid0000000000A&q-sign-time=1700000000;1700003600"
    "&q-key-time=1700000000;1700003600&q-header-list={headers}&q-url-param-list={params}"
    "&q-signature=0000000000000000000000000000000000000000"
)


def _raised(replies: ReplyServer, reply: Reply, call: str, **arguments: object) -> Diagnosis:
    client = make_client(replies.port)
    cos_doctor.install()
    replies.reply = reply
    with pytest.raises(CosServiceError) as caught:
        getattr(client, call)(Bucket=BUCKET, **arguments)
    diagnosis = caught.value.diagnosis
    assert diagnosis is not None
    return diagnosis


def _no_such_key() -> Reply:
    return Reply(404, error_xml("NoSuchKey", "The specified key does not exist."))


class TestKeys:
    def test_leading_slash_key_is_named_and_corrected(self, replies: ReplyServer) -> None:
        """Key='//images/logo.png' reaches COS as '/images/logo.png': the slash rule names the fixed key."""
        # The SDK strips one slash and sends //images/logo.png (the loopback server, being
        # CPython's http.server, folds the slashes on its side; the diagnosis reads what was sent).
        diagnosis = _raised(replies, _no_such_key(), "get_object", Key="//images/logo.png")
        assert diagnosis.rule_id == "no-such-key-leading-slash"
        assert diagnosis.evidence_value("key_sent") == "/images/logo.png"
        assert diagnosis.evidence_value("key_suggested") == "images/logo.png"

    def test_double_encoded_key_is_decoded(self, replies: ReplyServer) -> None:
        """A key passed already URL-encoded is encoded again by the SDK; the rule shows the decoded name."""
        diagnosis = _raised(replies, _no_such_key(), "get_object", Key="reports%2F2024%20Q1.pdf")
        assert diagnosis.rule_id == "no-such-key-double-encoded"
        assert diagnosis.evidence_value("key_sent") == "reports%2F2024%20Q1.pdf"
        assert diagnosis.evidence_value("key_suggested") == "reports/2024 Q1.pdf"

    @pytest.mark.parametrize("key", ["docs/a b+c.txt", "/images/logo.png", "文档/报告.pdf"])
    def test_ordinary_keys_keep_the_plain_no_such_key_rule(
        self, replies: ReplyServer, key: str
    ) -> None:
        """Spaces, '+', non-ASCII and one leading slash (which the SDK strips) are not misread."""
        diagnosis = _raised(replies, _no_such_key(), "get_object", Key=key)
        assert diagnosis.rule_id == "no-such-key"

    def test_overlong_key_reports_its_bytes(self, replies: ReplyServer) -> None:
        """A KeyTooLong reply shows the key's UTF-8 length against the 850-byte limit."""
        reply = Reply(400, error_xml("KeyTooLong", "Your key is too long"))
        diagnosis = _raised(replies, reply, "put_object", Key="键" * 300, Body=b"x")
        assert diagnosis.rule_id == "invalid-object-key"
        assert diagnosis.evidence_value("key_bytes") == 900


class TestUploads:
    def test_no_such_upload_names_the_upload_and_a_list_parts_call(
        self, replies: ReplyServer
    ) -> None:
        """upload_part's UploadId is shown, with a ready list_parts call for the same bucket and key."""
        reply = Reply(404, error_xml("NoSuchUpload", "The specified upload does not exist."))
        diagnosis = _raised(
            replies,
            reply,
            "upload_part",
            Key="big.bin",
            Body=b"x",
            PartNumber=1,
            UploadId="1700-abc",
        )
        assert diagnosis.rule_id == "no-such-upload"
        assert diagnosis.evidence_value("upload_id") == "1700-abc"
        assert diagnosis.evidence_value("list_parts_call") == (
            f"client.list_parts(Bucket={BUCKET!r}, Key='big.bin', UploadId='1700-abc')"
        )

    @pytest.mark.parametrize(
        ("sent", "form"),
        [
            ("0cc175b9c0f1b6a831c399e269772661", "hex"),
            ("DMF1ucDxtqgxw5niaXcmYQ==", "base64"),
            ("not-an-md5", "malformed"),
        ],
    )
    def test_content_md5_form_is_recognised(
        self, replies: ReplyServer, sent: str, form: str
    ) -> None:
        """The Content-MD5 the SDK sent is classified as hex, well-formed Base64, or malformed."""
        reply = Reply(400, error_xml("InvalidDigest", "The Content-MD5 you specified was invalid."))
        diagnosis = _raised(replies, reply, "put_object", Key="a.txt", Body=b"a", ContentMD5=sent)
        assert diagnosis.rule_id == "invalid-digest"
        assert diagnosis.evidence_value("content_md5_form") == form

    def test_announced_length_is_shown_for_a_short_body(self, replies: ReplyServer) -> None:
        """IncompleteBody shows the Content-Length the request announced."""
        reply = Reply(
            400, error_xml("IncompleteBody", "You did not provide the number of bytes specified.")
        )
        diagnosis = _raised(replies, reply, "put_object", Key="a.txt", Body=b"abcd")
        assert diagnosis.rule_id == "body-length-mismatch"
        assert diagnosis.evidence_value("body_framing") == 4


def test_missing_bucket_comes_with_a_region_lookup(replies: ReplyServer) -> None:
    """NoSuchBucket shows the region used and a call that finds the bucket's real region."""
    reply = Reply(404, error_xml("NoSuchBucket", "The specified bucket does not exist."))
    diagnosis = _raised(replies, reply, "get_object", Key="a.txt")
    assert diagnosis.evidence_value("region_used") == "ap-guangzhou"
    assert diagnosis.evidence_value("bucket_region_lookup") == (
        f"[b['Location'] for b in client.list_buckets()['Buckets']['Bucket'] if b['Name'] == {BUCKET!r}]"
    )


class TestEncryption:
    def test_sse_header_names_are_shown_without_the_key(self, replies: ReplyServer) -> None:
        """An SSE-C read lists the headers sent by name; the customer key never appears."""
        reply = Reply(
            400,
            error_xml(
                "SSEHeaderNotAllowed", "The operation does not support the specified SSE header."
            ),
        )
        secret = "MDEyMzQ1Njc4OUFCQ0RFRjAxMjM0NTY3ODlBQkNERUY="
        diagnosis = _raised(
            replies,
            reply,
            "get_object",
            Key="a.txt",
            SSECustomerAlgorithm="AES256",
            SSECustomerKey=secret,
            SSECustomerKeyMD5="U5L61r7jcwdNvT7frmUG8g==",
        )
        assert diagnosis.rule_id == "sse-header-rejected"
        assert diagnosis.evidence_value("sse_headers_sent") == (
            "x-cos-server-side-encryption-customer-algorithm",
            "x-cos-server-side-encryption-customer-key",
            "x-cos-server-side-encryption-customer-key-md5",
        )
        assert secret not in str(diagnosis.to_dict())

    def test_a_read_without_ssec_headers_says_so(self, replies: ReplyServer) -> None:
        """Reading an SSE-C object without its key is shown as 'no encryption headers sent'."""
        reply = Reply(
            400, error_xml("SsecDecryptHeaderInvalid", "The source object is encrypted with SSE-C.")
        )
        diagnosis = _raised(replies, reply, "get_object", Key="a.txt")
        assert diagnosis.rule_id == "ssec-key-required"
        assert diagnosis.evidence_value("sse_headers_sent") == ()


class TestReads:
    def test_range_and_object_size(self, replies: ReplyServer) -> None:
        """An unsatisfiable Range is shown with the size COS reported in Content-Range."""
        reply = Reply(
            416,
            error_xml("InvalidRange", "The requested range is not satisfiable"),
            {"Content-Range": "bytes */10"},
        )
        diagnosis = _raised(replies, reply, "get_object", Key="a.txt", Range="bytes=100-200")
        assert diagnosis.rule_id == "invalid-range"
        assert diagnosis.evidence_value("range_sent") == "bytes=100-200"
        assert diagnosis.evidence_value("object_size") == 10

    def test_version_asked_for_is_shown(self, replies: ReplyServer) -> None:
        """NoSuchVersion shows the versionId the request named."""
        reply = Reply(404, error_xml("NoSuchVersion", "The specified version does not exist."))
        diagnosis = _raised(replies, reply, "get_object", Key="a.txt", VersionId="MTg0NDUx")
        assert diagnosis.rule_id == "no-such-version"
        assert diagnosis.evidence_value("version_id_sent") == "MTg0NDUx"

    def test_conditions_sent_are_listed(self, replies: ReplyServer) -> None:
        """PreconditionFailed lists the If-Match the request carried, with its value."""
        reply = Reply(412, error_xml("PreconditionFailed", "Precondition not match."))
        diagnosis = _raised(replies, reply, "get_object", Key="a.txt", IfMatch='"abc"')
        assert diagnosis.rule_id == "precondition-failed"
        assert diagnosis.evidence_value("conditions_sent") == ('if-match: "abc"',)


class TestPastedReplies:
    def test_strict_signature_names_the_unsigned_header(self) -> None:
        """A Range header left out of q-header-list is named for the strict-signature rule."""
        diagnosis = cos_doctor.diagnose(
            error_xml("AccessDenied", "Strict signature missing header that must be signed"),
            http_status=403,
            http_method="GET",
            url=f"https://{BUCKET}.cos.ap-guangzhou.myqcloud.com/a.txt",
            request_headers={
                "Authorization": _AUTH.format(headers="host", params=""),
                "Range": "bytes=0-9",
                "Host": f"{BUCKET}.cos.ap-guangzhou.myqcloud.com",
            },
        )
        assert diagnosis.rule_id == "strict-signature-header"
        assert diagnosis.evidence_value("unsigned_headers") == ("range",)

    def test_strict_signature_names_the_unsigned_param(self) -> None:
        """A versionId appended to a presigned URL after signing is named for the strict-signature rule."""
        query = _AUTH.format(headers="host", params="").replace(
            "&q-signature", "&versionId=MTg0NDUx&q-signature"
        )
        diagnosis = cos_doctor.diagnose(
            error_xml("AccessDenied", "Strict signature missing param that must be signed."),
            http_status=403,
            url=f"https://{BUCKET}.cos.ap-guangzhou.myqcloud.com/a.txt?{query}",
        )
        assert diagnosis.rule_id == "strict-signature-param"
        assert diagnosis.evidence_value("unsigned_params") == ("versionid",)

    def test_accelerate_endpoint_is_recognised(self) -> None:
        """ActionAccelerateNotSupported says the request went to the global-acceleration domain."""
        diagnosis = cos_doctor.diagnose(
            error_xml(
                "ActionAccelerateNotSupported",
                "The acceleration endpoint does not support this operation.",
            ),
            http_status=400,
            url=f"https://{BUCKET}.cos.accelerate.myqcloud.com/?acl",
        )
        assert diagnosis.rule_id == "accelerate-not-supported"
        assert diagnosis.evidence_value("endpoint_kind") == "accelerate"

    def test_download_forbidden_in_both_documented_statuses(self) -> None:
        """The APK/IPA refusal is recognised whether COS answers 403 (en page) or 400 (zh page)."""
        message = "The APK/IPA file is not allowed to be distributed in a public network using COS default domain, please use custom domain instead."
        for status in (403, 400):
            body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n<Code>DownloadForbidden</Code>\n<Message>{message}</Message>\n</Error>'
            diagnosis = cos_doctor.diagnose(
                body,
                http_status=status,
                url=f"https://{BUCKET}.cos.ap-guangzhou.myqcloud.com/app.apk",
            )
            assert diagnosis.rule_id == "download-forbidden"
            assert diagnosis.evidence_value("endpoint_kind") == "default"

    def test_v4_json_api_error_is_recognised(self) -> None:
        """A JSON error of the retired v4 API points the user to the XML API."""
        body = '{"code":-133,"message":"ERROR_CMD_BUCKET_NOTEXIST","request_id":"NWEzMGU3NWJfYWRhZDM1MGFfMTZhOGRfMTY2YTMx"}'
        assert cos_doctor.diagnose(body).rule_id == "legacy-json-api-error"

    @pytest.mark.parametrize(
        ("host", "shape"),
        [("cos.guangzhou.myqcloud.com", "not-an-id"), ("cos.ap-guangzhou.myqcloud.com", "id")],
    )
    def test_region_shape_is_checked(self, host: str, shape: str) -> None:
        """InvalidRegionName shows the region used and whether it is shaped like a COS region ID."""
        diagnosis = cos_doctor.diagnose(
            error_xml("InvalidRegionName", "The specified region is not valid."),
            http_status=400,
            url=f"https://{BUCKET}.{host}/a.txt",
        )
        assert diagnosis.rule_id == "invalid-region"
        item = next(item for item in diagnosis.evidence if item.key == "region_used")
        assert ("not in the form" in item.text) == (shape == "not-an-id")

    def test_bucket_name_problem_is_named(self) -> None:
        """An invalid bucket name is checked against the naming rules it breaks."""
        diagnosis = cos_doctor.diagnose(
            error_xml("InvalidBucketName", "The specified bucket is not valid."),
            http_status=400,
            url="https://Example_Bucket-1250000000.cos.ap-guangzhou.myqcloud.com/",
        )
        assert diagnosis.rule_id == "invalid-bucket-name"
        assert (
            diagnosis.evidence_value("bucket_name_problem") == "characters"
        )  # host names arrive lowercased


@pytest.mark.parametrize(
    ("bucket", "region", "problems"),
    [
        ("examplebucket-1250000000", "ap-guangzhou", []),
        ("Example_Bucket-1250000000", "ap-guangzhou", ["uppercase", "characters"]),
        ("-bucket-1250000000", "ap-guangzhou", ["leading-hyphen"]),
        ("examplebucket", "ap-guangzhou", ["no-appid"]),
        ("a-very-long-bucket-name-for-logs-1250000000", "ap-shenzhen-fsi", ["domain-too-long"]),
    ],
)
def test_bucket_naming_rules(bucket: str, region: str, problems: list[str]) -> None:
    """Each documented naming rule is checked, and a valid name breaks none."""
    assert bucket_name_problems(bucket, region) == problems


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("examplebucket-1250000000.cos.accelerate.myqcloud.com", "accelerate"),
        ("examplebucket-1250000000.cos-website.ap-guangzhou.myqcloud.com", "website"),
        ("examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com:443", "default"),
        ("cdn.example.com", "custom"),
    ],
)
def test_endpoint_kinds(host: str, kind: str) -> None:
    """COS's domain kinds are told apart by host name."""
    assert endpoint_kind(host) == kind


NEW_KEYS = [
    "key_sent",
    "key_suggested",
    "key_bytes",
    "upload_id",
    "list_parts_call",
    "content_md5_form",
    "body_framing",
    "range_sent",
    "object_size",
    "conditions_sent",
    "endpoint_kind",
    "unsigned_headers",
    "unsigned_params",
    "bucket_name_problem",
    "sse_headers_sent",
    "region_used",
    "version_id_sent",
    "bucket_region_lookup",
]


@pytest.mark.parametrize("key", NEW_KEYS)
def test_new_evidence_speaks_every_locale(key: str) -> None:
    """Each evidence text added for the table rules has en, ko and zh, in every variant."""
    table = tomllib.loads((KNOWLEDGE_DIR / "evidence.toml").read_text(encoding="utf-8"))[key]
    variants = [table] if "en" in table else list(table.values())
    for variant in variants:
        assert {"en", "ko", "zh"} <= set(variant), key
