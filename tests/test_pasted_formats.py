"""diagnose() on what other SDKs and tools print for a COS error, and on a Message alone.

Two kinds of evidence: real pastes from public reports (each cited), read field by field;
and, for every form, the text that SDK prints for a reply the real Python SDK raised from
over loopback HTTP, which must give the live exception's diagnosis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qcloud_cos.cos_exception import CosServiceError

import cos_doctor
from cos_doctor._knowledge.vocabulary import vocabulary
from cos_doctor._readers.pasted_formats import snake_operation
from cos_doctor.diagnosis import Diagnosis
from tests.conftest import BUCKET, REGION, make_client
from tests.replies import Reply, ReplyServer, error_xml

HOST = f"{BUCKET}.cos.{REGION}.myqcloud.com"
REQUEST_ID = "NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0"  # what tests.replies sends
TRACE_ID = "OGVmYzZiMmQzYjA2OWNh"
INFERRED = "code_inferred_from_message"


# ------------------------------------------------------------------ real pastes, as reported


@dataclass(frozen=True)
class Sample:
    """A paste from a public report and what must be read from it (None: not in the text)."""

    source: str
    text: str
    code: str | None
    status: int | None
    message: str | None = None
    request_id: str | None = None
    trace_id: str | None = None
    operation: str | None = None
    method: str | None = None


SAMPLES = {
    "cos-go-sdk": Sample(
        "https://github.com/tencentyun/coscli/issues/35",
        "FATA[2023-03-26 17:03:40] PUT https://bmft-blog-1304103443.cos-website.ap-guangzhou."
        "myqcloud.com//.nojekyll: 405 MethodNotAllowed(Message: The specified method is not "
        "allowed against this resource., RequestId: NjQyMDBhNmNfMzYyZTJjMGJfMTYwYzFfYzQxNmQ5ZA==, "
        "TraceId: OGVmYzZiMmQzYjA2OWNhODk0NTRkMTBiOWVmMDAxODc1NGE1MWY0MzY2NTg1MzM1OTY3MDliYzY2YTQ0Z"
        "ThhMDA0ZDNiODc3OGQ2ODc0NGZiNTkyNWYwYTE5NjljMjA1) ",
        "MethodNotAllowed",
        405,
        "The specified method is not allowed against this resource.",
        "NjQyMDBhNmNfMzYyZTJjMGJfMTYwYzFfYzQxNmQ5ZA==",
        "OGVmYzZiMmQzYjA2OWNhODk0NTRkMTBiOWVmMDAxODc1NGE1MWY0MzY2NTg1MzM1OTY3MDliYzY2YTQ0ZThhMDA0"
        "ZDNiODc3OGQ2ODc0NGZiNTkyNWYwYTE5NjljMjA1",
        method="PUT",
    ),
    "cos-go-sdk-cut-off": Sample(
        "https://github.com/hashicorp/terraform/pull/22540",
        "2020/02/13 10:58:03 client.go:299: [DEBUG] putBucket terraform-test-bdb9ef3a02-1259299171: "
        "code: 409, error: PUT https://terraform-test-bdb9ef3a02-1259299171.cos.na-ashburn."
        "myqcloud.com/: 409 BucketAlreadyExists(Message: The requested bucket name is not "
        "available., RequestId: NWU0NTcyMGFfNTQ4ZjBjMDlfYWQxMl82NjI0N2Q=,",
        "BucketAlreadyExists",
        409,
        "The requested bucket name is not available.",
        "NWU0NTcyMGFfNTQ4ZjBjMDlfYWQxMl82NjI0N2Q=",
        method="PUT",
    ),
    "cos-go-sdk-in-chinese-quotes": Sample(
        "https://github.com/tencentyun/intlcloud-documents/blob/master/yehe_doc/"
        "基础存储服务/对象存储/SDK 文档/Go SDK/Go SDK 常见问题_intl_zh.md",
        "Go SDK 报错“403 AccessDenied(Message: Request has expired, RequestId: xxx, TraceId: xxx)”",
        "AccessDenied",
        403,
        "Request has expired",
    ),
    "aws-sdk-go-v1": Sample(
        "https://github.com/TNT-Likely/BeeCount-Cloud/pull/64",
        "2026/07/23 17:44:14 ERROR : : error listing: PathStyleDomainForbidden: The bucket you are "
        "attempting to access must be addressed using COS virtual-styled domain. status code: 403, "
        "request id: <REQUEST_ID>, host id: ",
        "PathStyleDomainForbidden",
        403,
        "The bucket you are attempting to access must be addressed using COS virtual-styled domain.",
    ),
    "aws-sdk-go-v1-in-grpc-description": Sample(
        "https://github.com/velero-io/velero/issues/7624",
        'time="2024-04-04T04:02:14Z" level=error msg="fail to validate backup store" '
        "backup-storage-location=velero/default controller=backup-storage-location "
        'error="rpc error: code = Unknown desc = PathStyleDomainForbidden: The bucket you are '
        "attempting to access must be addressed using COS virtual-styled domain.\\n\\tstatus code: "
        "403, request id: NjY",
        "PathStyleDomainForbidden",
        403,
        "The bucket you are attempting to access must be addressed using COS virtual-styled domain.",
        "NjY",
    ),
    "aws-sdk-go-v1-terraform": Sample(
        "https://github.com/tencentcloudstack/terraform-provider-tencentcloud/issues/288",
        "Error: cos put bucket lifecycle error: InvalidArgument: Check Expiration and Transition "
        "in same rule failure.\n        status code: 400, request id: "
        "NWUwNWVlN2VfNWJhYTk0MGFfNjMxNV8zOTg3YWU=, host id: , bucket: mycos-1258798060",
        "InvalidArgument",
        400,
        "Check Expiration and Transition in same rule failure.",
        "NWUwNWVlN2VfNWJhYTk0MGFfNjMxNV8zOTg3YWU=",
    ),
    "aws-sdk-go-v2": Sample(
        "https://github.com/rclone/rclone/issues/8483",
        "2025/04/01 18:35:48 ERROR : 1.txt: Failed to copy: operation error S3: PutObject, https "
        "response error StatusCode: 400, RequestID: NjdlYmMxODRfZjQ3NGFlMDlfNjBlYV9iZTU4MTg2, "
        "HostID: , api error BadDigest: The Content-MD5 you specified is not match.",
        "BadDigest",
        400,
        "The Content-MD5 you specified is not match.",
        "NjdlYmMxODRfZjQ3NGFlMDlfNjBlYV9iZTU4MTg2",
        operation="put_object",
        method="PUT",
    ),
    "aws-java-sdk": Sample(
        "https://github.com/zfile-dev/zfile/issues/200",
        "初始化异常, 错误信息为: The specified bucket does not exist. (Service: Amazon S3; Status "
        "Code: 404; Error Code: NoSuchBucket; Request ID: NjA2MDBiZmJfNTBjODJhMDlfMjhhZjRfMzkzOTU3;"
        " S3 Extended Request ID: null)",
        "NoSuchBucket",
        404,
        "The specified bucket does not exist.",
        "NjA2MDBiZmJfNTBjODJhMDlfMjhhZjRfMzkzOTU3",
    ),
    "cos-java-sdk": Sample(
        "https://github.com/tencentyun/intlcloud-documents/blob/master/yehe_doc/"
        "基础存储服务/对象存储/SDK 文档/Java SDK/常见问题_intl_en.md",
        "com.qcloud.cos.exception.CosServiceException: Request has expired (Status Code: 403; "
        "Error Code: AccessDenied)",
        "AccessDenied",
        403,
        "Request has expired",
    ),
    "cos-mini-program-sdk": Sample(
        "https://www.tencentcloud.com/document/product/436/38958",
        "Request has expired (Status Code: 403; Error Code: AccessDenied)",
        "AccessDenied",
        403,
        "Request has expired",
    ),
    "cos-js-sdk": Sample(
        "https://github.com/tencentyun/intlcloud-documents/blob/master/yehe_doc/"
        "基础存储服务/对象存储/常见问题/文件操作问题/上传与下载_intl_en.md",
        "your policy or acl has reached the limit (Status Code: 400; Error Code: PolicyFull)",
        "PolicyFull",
        400,
        "your policy or acl has reached the limit",
    ),
    "cos-php-sdk": Sample(
        "https://github.com/tencentyun/cos-php-sdk-v5/issues/57",
        "Qcloud\\Cos\\Exception\\ServiceResponseException: Cos Error Code: InvalidAccessKeyId, "
        "Status Code: 403, Cos Request ID: NWFkZWIwY2VfMjRiMjU4NjRfNmYzZV83N2JkNw==, Cos Error "
        "Type: client, Cos Error Message: The Access Key Id you provided does not exist in our "
        "records",
        "InvalidAccessKeyId",
        403,
        "The Access Key Id you provided does not exist in our records",
        "NWFkZWIwY2VfMjRiMjU4NjRfNmYzZV83N2JkNw==",
    ),
    "cos-nodejs-sdk-inspect": Sample(
        "https://github.com/tencentyun/cos-nodejs-sdk-v5/issues/29",
        "{ error:\n   { Code: 'MalformedXML',\n     Message: 'The XML you provided was not "
        "well-formed or did not validate agai\nnst our published schema.',\n     Resource: "
        "'backup0-1253554307.cos.ap-guangzhou.myqcloud.com/a.txt',\n     RequestId: "
        "'NWE0MWI5MjdfMTliYjk0MGFfZDI5MV80MTBkM2I=',\n     TraceId: 'OGVmYzZiMmQzYjA2OWNhODk0N"
        "TRkMTBiOWVmMDAxODc0OWRkZjk0ZDM1NmI1M2E2M\nTRlY2MzZDhmNmI5MWI1OTI5MWRkM2I1ZDU3ZWE5Y2YzN"
        "DYzZTEzY2JlMjU3NDQ0MTAzNGQyNTFiM2NjY\njgzZjgwNGNmNTRjMmM3OWNhZGM=' },\n  statusCode: "
        "400,\n  headers:\n   { 'content-type': 'application/xml',\n     'content-length': '531',"
        "\n     connection: 'close',\n     server: 'tencent-cos',\n     'x-cos-request-id': "
        "'NWE0MWI5MjdfMTliYjk0MGFfZDI5MV80MTBkM2I=' } }",
        "MalformedXML",
        400,
        "The XML you provided was not well-formed or did not validate against our published "
        "schema.",
        "NWE0MWI5MjdfMTliYjk0MGFfZDI5MV80MTBkM2I=",
        "OGVmYzZiMmQzYjA2OWNhODk0NTRkMTBiOWVmMDAxODc0OWRkZjk0ZDM1NmI1M2E2MTRlY2MzZDhmNmI5MWI1OTI5"
        "MWRkM2I1ZDU3ZWE5Y2YzNDYzZTEzY2JlMjU3NDQ0MTAzNGQyNTFiM2NjYjgzZjgwNGNmNTRjMmM3OWNhZGM=",
    ),
    "cos-nodejs-sdk-json-cut-off": Sample(
        "https://github.com/tencentyun/cos-nodejs-sdk-v5/issues/38",
        '{"error":{"Code":"AccessDenied","Message":"Access Denied.","Resource":"z**p-1251**43.cos.'
        'ap-sh**ai.myqcloud.com/upload/1526661248697.png","RequestId":"NWFmZjAwNzlfZGFhMDY4NjRfODZk'
        'Nl83N2I3YQ=="},"statusCode":403,"headers":{"content-type":"application/xml",'
        '"server":"tencent-cos","x-cos-request-id":"NWFmZjAwNzlfZGFhMDY4NjRfODZkNl83N2I3YQ=="}',
        "AccessDenied",
        403,
        "Access Denied.",
        "NWFmZjAwNzlfZGFhMDY4NjRfODZkNl83N2I3YQ==",
    ),
    "ios-nserror": Sample(
        "https://github.com/tencentyun/qcloud-sdk-ios/issues/16",
        'Error Domain=com.tencent.qcloud.networking Code=403 "(null)" UserInfo={__name=Error, '
        "RequestId=NWQ0N2E1MWRfNjE5ZDA4MDlfYWU5Y19iNGRkOTk=, StringToSign=sha1\n1564976412;"
        "1564980012\n009ec928a0a91a0cc0c936c7acddc10169a45e33, Code=SignatureDoesNotMatch, "
        "TraceId=OGVmYzZiMmQzYjA2OWNh, FormatString=put\n/38905642349559468_1.jpg, "
        "Resource=xxxx, Message=The Signature you specified is invalid.}",
        "SignatureDoesNotMatch",
        403,
        "The Signature you specified is invalid.",
        "NWQ0N2E1MWRfNjE5ZDA4MDlfYWU5Y19iNGRkOTk=",
        "OGVmYzZiMmQzYjA2OWNh",
    ),
    "wechat-mini-program": Sample(
        "https://github.com/tencentyun/cos-wx-sdk-v5/issues/12",
        'Code: "InvalidArgument", Message: "x-cos-acl value invalid:[object Undefined]"',
        "InvalidArgument",
        None,
        "x-cos-acl value invalid:[object Undefined]",
    ),
    "status-then-code": Sample(
        "https://github.com/tencentyun/intlcloud-documents/blob/master/yehe_doc/"
        "基础存储服务/对象存储/常见问题/API 类问题_intl_en.md",
        "404 NoSuchUpload",
        "NoSuchUpload",
        404,
    ),
    "status-then-code-two-spaces": Sample(
        "https://github.com/tencentyun/intlcloud-documents/blob/master/yehe_doc/"
        "基础存储服务/对象存储/SDK 文档/Java SDK/常见问题_intl_en.md",
        "Code: 403  SignatureDoesNotMatch",
        "SignatureDoesNotMatch",
        403,
    ),
    "code-colon-message": Sample(
        "https://github.com/git-annex-remote-rclone/git-annex-remote-rclone/issues/75",
        "InvalidRequest: Missing required header for this request: Appid, Bucket format should "
        "be <bucketname>-<appid>",
        "InvalidRequest",
        None,
        "Missing required header for this request: Appid, Bucket format should be "
        "<bucketname>-<appid>",
    ),
    "code-colon-message-js-v3": Sample(
        "https://github.com/blinkospace/blinko/issues/443",
        "Upload error: PathStyleDomainForbidden: The bucket you are attempting to access must be "
        "addressed using COS virtual-styled domain.",
        "PathStyleDomainForbidden",
        None,
        "The bucket you are attempting to access must be addressed using COS virtual-styled domain.",
    ),
}


@pytest.mark.parametrize("name", SAMPLES)
def test_a_real_paste_is_read_field_by_field(name: str) -> None:
    """Each reported paste yields its Code, status, Message, ids, operation and method."""
    sample = SAMPLES[name]
    diagnosis = cos_doctor.diagnose(sample.text)
    assert diagnosis.error_code == sample.code
    assert diagnosis.http_status == sample.status
    if sample.message is not None:
        assert diagnosis.error_message == sample.message
    assert diagnosis.request_id == sample.request_id
    assert diagnosis.trace_id == sample.trace_id
    assert diagnosis.operation == sample.operation
    assert diagnosis.http_method == sample.method


@pytest.mark.parametrize("name", SAMPLES)
def test_a_real_paste_diagnoses_like_the_body_cos_sent(name: str) -> None:
    """A paste wins the rule the error body behind it wins, never a different one."""
    sample = SAMPLES[name]
    pasted = cos_doctor.diagnose(sample.text)
    body = error_xml(pasted.error_code or "", pasted.error_message or "")
    sent = cos_doctor.diagnose(body, http_status=sample.status, http_method=sample.method)
    assert (pasted.rule_id, pasted.generic) == (sent.rule_id, sent.generic)


@pytest.mark.parametrize(
    "prefix",
    [
        "[com.qcloud.cos.exception.CosServiceException: ]",
        "com.qcloud.cos.exception.CosServiceException: ",
        'Exception in thread "main" com.qcloud.cos.exception.CosServiceException: ',
        "",
    ],
)
def test_a_java_class_prefix_is_not_part_of_the_message(prefix: str) -> None:
    """However the stack line names the exception class, the Message COS sent is what is read."""
    text = f"{prefix}Request has expired (Status Code: 403; Error Code: AccessDenied)"
    diagnosis = cos_doctor.diagnose(text)
    assert (diagnosis.rule_id, diagnosis.error_message) == (
        "request-expired",
        "Request has expired",
    )


def test_the_go_sdk_url_gives_bucket_key_and_region() -> None:
    """The Go SDK prints the request URL: bucket, key and region come from it, decoded once."""
    text = (
        f"GET https://{HOST}/reports/100%.csv: 404 NoSuchKey(Message: The specified key does "
        f"not exist., RequestId: {REQUEST_ID}, TraceId: {TRACE_ID})"
    )
    diagnosis = cos_doctor.diagnose(text)
    assert (diagnosis.bucket, diagnosis.key, diagnosis.region) == (
        BUCKET,
        "reports/100%.csv",
        REGION,
    )
    assert diagnosis.rule_id == "no-such-key"


# ------------------------------------------------ the same reply, as each SDK prints it


@dataclass(frozen=True)
class Failed:
    """One failed call: what COS answered, and what the caller sent."""

    status: int
    code: str
    message: str
    method: str = "GET"
    operation: str = "GetObject"

    @property
    def url(self) -> str:
        return f"https://{HOST}/a.txt"


def _go(f: Failed) -> str:
    return (
        f"{f.method} {f.url}: {f.status} {f.code}(Message: {f.message}, RequestId: {REQUEST_ID}, "
        f"TraceId: {TRACE_ID})"
    )


def _aws_go_v1(f: Failed) -> str:
    return f"{f.code}: {f.message}\n\tstatus code: {f.status}, request id: {REQUEST_ID}, host id: "


def _aws_go_v2(f: Failed) -> str:
    return (
        f"operation error S3: {f.operation}, https response error StatusCode: {f.status}, "
        f"RequestID: {REQUEST_ID}, HostID: , api error {f.code}: {f.message}"
    )


def _aws_java(f: Failed) -> str:
    return (
        f"com.amazonaws.services.s3.model.AmazonS3Exception: {f.message} (Service: Amazon S3; "
        f"Status Code: {f.status}; Error Code: {f.code}; Request ID: {REQUEST_ID}; "
        "S3 Extended Request ID: null; Proxy: null)"
    )


def _cos_java(f: Failed) -> str:
    return (
        f"com.qcloud.cos.exception.CosServiceException: {f.message} (Status Code: {f.status}; "
        f"Error Code: {f.code}; Request ID: {REQUEST_ID}); Trace ID: {TRACE_ID}"
    )


def _cos_php(f: Failed) -> str:
    return (
        f"Qcloud\\Cos\\Exception\\ServiceResponseException: Cos Error Code: {f.code}, Status Code:"
        f" {f.status}, Cos Request ID: {REQUEST_ID}, Cos Error Type: client, Cos Error Message: "
        f"{f.message}"
    )


def _botocore(f: Failed) -> str:
    return (
        f"botocore.exceptions.ClientError: An error occurred ({f.code}) when calling the "
        f"{f.operation} operation: {f.message}"
    )


def _node_inspect(f: Failed) -> str:
    return (
        f"{{ error:\n   {{ Code: '{f.code}',\n     Message: '{f.message}',\n     RequestId: "
        f"'{REQUEST_ID}',\n     TraceId: '{TRACE_ID}' }},\n  statusCode: {f.status} }}"
    )


def _ios(f: Failed) -> str:
    return (
        f'Error Domain=com.tencent.qcloud.networking Code={f.status} "(null)" UserInfo={{'
        f"__name=Error, RequestId={REQUEST_ID}, Code={f.code}, TraceId={TRACE_ID}, "
        f"Message={f.message}}}"
    )


def _dotnet(f: Failed) -> str:
    return (
        f"(statusCode = {f.status}, statusMessage = Forbidden, errorCode = {f.code}, "
        f"errorMessage = {f.message}, requestId = {REQUEST_ID}, traceId = {TRACE_ID}, "
        "resouce = )"
    )


def _cpp(f: Failed) -> str:
    return (
        f"ErrorMsg={f.message}\nHttpStatus={f.status}\nErrorCode={f.code}\nErrorMsg={f.message}\n"
        f"ResourceAddr=\nXCosRequestId={REQUEST_ID}\nXCosTraceId={TRACE_ID}"
    )


# What each form carries: the fields of the diagnosis it must share with the live one.
BASE = ("rule_id", "generic", "error_code", "error_message", "http_status", "request_id")
FORMS: dict[str, tuple[Callable[[Failed], str], tuple[str, ...]]] = {
    "cos-go-sdk": (_go, (*BASE, "trace_id", "http_method", "bucket", "key", "region")),
    "aws-sdk-go-v1": (_aws_go_v1, BASE),
    "aws-sdk-go-v2": (_aws_go_v2, (*BASE, "operation", "http_method")),
    "aws-java-sdk": (_aws_java, BASE),
    "cos-java-sdk": (_cos_java, (*BASE, "trace_id")),
    "cos-php-sdk": (_cos_php, BASE),
    "botocore": (_botocore, ("rule_id", "generic", "error_code", "error_message", "operation")),
    "cos-nodejs-sdk": (_node_inspect, (*BASE, "trace_id")),
    "cos-ios-sdk": (_ios, (*BASE, "trace_id")),
    "cos-dotnet-sdk": (_dotnet, (*BASE, "trace_id")),
    "cos-cpp-sdk": (_cpp, (*BASE, "trace_id")),
}
FAILURES = {
    "request-expired": Failed(403, "AccessDenied", "Request has expired"),
    "signature": Failed(403, "SignatureDoesNotMatch", "The Signature you specified is invalid."),
    "no-such-key": Failed(404, "NoSuchKey", "The specified key does not exist."),
    "path-style": Failed(
        403,
        "PathStyleDomainForbidden",
        "The bucket you are attempting to access must be addressed using COS virtual-styled "
        "domain.",
    ),
    "slow-down": Failed(503, "SlowDown", "Please reduce your request rate."),
    "missing-appid": Failed(
        400,
        "InvalidRequest",
        "Missing required header for this request: Appid, Bucket format should be "
        "&lt;bucketname&gt;-&lt;appid&gt;",
    ),
}


def _live(replies: ReplyServer, failed: Failed) -> Diagnosis:
    body = error_xml(failed.code, failed.message, resource=f"{HOST}/a.txt")
    replies.reply = Reply(failed.status, body)
    with pytest.raises(CosServiceError) as caught:
        make_client(replies.port).get_object(Bucket=BUCKET, Key="a.txt")
    return cos_doctor.diagnose(caught.value)


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("form", FORMS)
def test_each_sdk_line_diagnoses_like_the_python_sdk(
    replies: ReplyServer,
    form: str,
    failure: str,
) -> None:
    """Another SDK's line for a reply gives the diagnosis the Python SDK's exception gives."""
    failed = FAILURES[failure]
    live = _live(replies, failed)
    assert not live.generic
    render, fields = FORMS[form]
    # The other SDKs print the Message as decoded text, not as the XML's entities.
    shown = Failed(**{**failed.__dict__, "message": live.error_message or ""})
    pasted = cos_doctor.diagnose(render(shown))
    for name in fields:
        assert getattr(pasted, name) == getattr(live, name), name
    assert {cause.id for cause in pasted.causes} >= {cause.id for cause in live.causes}


@pytest.mark.parametrize(
    "text",
    [
        (
            "botocore.exceptions.ClientError: An error occurred (403) when calling the "
            "HeadObject operation: Forbidden"
        ),
        f"Forbidden: Forbidden\n\tstatus code: 403, request id: {REQUEST_ID}, host id: ",
        (
            "operation error S3: HeadObject, https response error StatusCode: 403, RequestID: "
            f"{REQUEST_ID}, HostID: , api error Forbidden: Forbidden"
        ),
    ],
    ids=["botocore", "aws-sdk-go-v1", "aws-sdk-go-v2"],
)
def test_a_bodiless_head_failure_keeps_no_made_up_code(replies: ReplyServer, text: str) -> None:
    """A HEAD 403 printed by an AWS SDK has a status-text Code it made up: it is dropped."""
    replies.reply = Reply(403, b"")
    with pytest.raises(CosServiceError) as caught:
        make_client(replies.port).head_object(Bucket=BUCKET, Key="a.txt")
    live = cos_doctor.diagnose(caught.value)
    pasted = cos_doctor.diagnose(text)
    assert (pasted.rule_id, pasted.error_code, pasted.error_message) == (live.rule_id, None, None)
    assert pasted.http_status == 403
    assert pasted.request_id == (REQUEST_ID if REQUEST_ID in text else None)
    if pasted.http_method == "HEAD":  # v1 does not name the operation; the others do
        assert pasted.evidence_value("error_body") == live.evidence_value("error_body")


@pytest.mark.parametrize(
    ("name", "method"),
    [("GetObject", "GET"), ("HeadObject", "HEAD"), ("CompleteMultipartUpload", "POST")],
)
def test_an_aws_operation_name_gives_the_python_method_name(name: str, method: str) -> None:
    """botocore's operation name becomes the Python SDK's method name and its HTTP method."""
    text = f"An error occurred (NoSuchKey) when calling the {name} operation: Not here"
    diagnosis = cos_doctor.diagnose(text)
    assert diagnosis.operation == snake_operation(name)
    assert diagnosis.http_method == method


@pytest.mark.parametrize(
    ("text", "status"),
    [
        # https://github.com/tencentyun/qcloud-sdk-dotnet/issues/20
        (
            (
                "COSXML.CosException.CosServerException: CosServerException: 403 - Forbidden at "
                "COSXML.Network.HttpClient.CosResponse.PaserServerError(Stream inputStream, "
                "String contentType, Int64 contentLength)"
            ),
            403,
        ),
        ("StatusCodeError: 404 - Not Found", 404),
        # https://github.com/cloudreve/cloudreve/issues/806 (the message's typos are COS's)
        (
            "上传失败（400：Your proposed upload is smaller than the minimum all owed boject size.）",
            400,
        ),
    ],
)
def test_a_status_only_exception_keeps_its_status(text: str, status: int) -> None:
    """.NET's and request-promise's "Error: 403 - …" give the status class's honest rule."""
    diagnosis = cos_doctor.diagnose(text)
    assert (diagnosis.http_status, diagnosis.error_code) == (status, None)
    assert diagnosis.generic


def test_cos_doctor_explain_reads_another_sdks_line() -> None:
    """`cos-doctor explain -` given a Go SDK line on stdin names the rule the Go error has."""
    import json
    import subprocess
    import sys

    line = _go(FAILURES["no-such-key"])
    done = subprocess.run(
        [sys.executable, "-m", "cos_doctor", "explain", "-", "--json"],
        input=line,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(done.stdout)
    assert (report["rule_id"], report["http_status"], report["request_id"]) == (
        "no-such-key",
        404,
        REQUEST_ID,
    )


@pytest.mark.parametrize(
    ("text", "code", "status"),
    [
        # aws-sdk-go's s3manager wraps the S3 error: "MultipartUpload: …\ncaused by: <S3 error>".
        (
            (
                "MultipartUpload: upload multipart failed\n\tupload id: 2~xyz\ncaused by: "
                "EntityTooSmall: Your proposed upload is smaller than the minimum allowed object "
                f"size.\n\tstatus code: 400, request id: {REQUEST_ID}, host id: "
            ),
            "EntityTooSmall",
            400,
        ),
        # A tool's own Code-shaped word before the one COS sent: the known Code wins.
        (
            (
                "Error: UploadFailed: AccessDenied: Access Denied.\n\tstatus code: 403, "
                f"request id: {REQUEST_ID}, host id: "
            ),
            "AccessDenied",
            403,
        ),
    ],
)
def test_a_wrapped_aws_go_error_reads_the_code_cos_sent(text: str, code: str, status: int) -> None:
    """Wrappers around an aws-sdk-go v1 error do not hide COS's Code, status or request id."""
    diagnosis = cos_doctor.diagnose(text)
    assert (diagnosis.error_code, diagnosis.http_status) == (code, status)
    assert diagnosis.request_id == REQUEST_ID


# ------------------------------------------------------------------------ not a guess


@pytest.mark.parametrize(
    "text",
    [
        "ValueError: invalid literal for int() with base 10: 'abc'",
        "StatusCodeError: 403 - Forbidden",
        "CosServerException: 403 - Forbidden at COSXML.Network.HttpClient.CosResponse",
        "403 Forbidden",
        "rpc error: code = Unknown desc = context deadline exceeded",
        "Error: SomethingOdd: happened while uploading",
        "HTTP 500 InternalServerError",
        "GET /health took 200 ParseMillis",
        "RequestEntityTooLarge: Request Entity Too Large\n\tstatus code: 413, request id: a",
        "NotFound: Not Found\n\tstatus code: 404, request id: abc, host id: ",
        # The C SDK's client-side failure: its own error_code, no reply from COS.
        # https://github.com/tencentyun/intlcloud-documents/blob/master/yehe_doc/
        # 基础存储服务/对象存储/常见问题/SDK 类问题/C SDK_intl_en.md
        (
            "transport failure curl code:1 error:Unsupported protocol\nstatus->code: -996\n"
            "status->error_code: HttpIoError\nstatus->error_msg: Unsupported protocol"
        ),
    ],
)
def test_no_code_is_read_where_the_text_has_none(text: str) -> None:
    """Exception class names, reason phrases and made-up status texts are not COS Codes."""
    assert cos_doctor.diagnose(text, http_status=400).error_code is None


# -------------------------------------------------------- a Message alone: the Code inferred


def _unambiguous_messages() -> list[tuple[str, str]]:
    """(message, code) for every prose Message the knowledge base quotes with one Code."""
    found = []
    for message, uses in vocabulary().codes_by_message.items():
        codes = {code for code, _ in uses}
        only = next(iter(codes))
        if len(codes) == 1 and only is not None:
            found.append((message, only))
    return sorted(found)


@pytest.mark.parametrize(("message", "code"), _unambiguous_messages())
def test_a_message_alone_gives_its_only_code(message: str, code: str) -> None:
    """A Message only one Code is sent with gives that Code's diagnosis, saying it inferred it."""
    statuses = {status for _, status in vocabulary().codes_by_message[message]}
    status = min((s for s in statuses if s is not None), default=None)
    with_code = cos_doctor.diagnose(error_xml(code, message), http_status=status)
    for text in (
        message,
        f'"{message}"',
        f"{status or ''} `{message}`",
        f"upload failed: {message}",
    ):
        alone = cos_doctor.diagnose(text, http_status=status)
        assert (alone.rule_id, alone.error_code) == (with_code.rule_id, code), text
        assert alone.evidence_value(INFERRED) == code
        assert alone.evidence[0].key == INFERRED  # said first: the rest rests on it
        assert code in alone.evidence[0].text


@pytest.mark.parametrize(
    "sample",
    [
        # https://github.com/tencentyun/intlcloud-documents/blob/master/yehe_doc/基础存储服务/
        # 对象存储/SDK 文档/C++ SDK/C++ SDK 常见问题_intl_zh.md
        "C++ SDK 报错请求过期报错请求过期：Request has expired",
        # https://github.com/tencentyun/cos-python-sdk-v5/issues/56
        '"You are denied by bucket referer rule" when get_object',
        # https://github.com/tencentyun/cos-php-sdk-v5/issues/343
        '"message": "The Signature you specified is invalid.",',
    ],
)
def test_real_message_only_pastes_get_their_code(sample: str) -> None:
    """Message-only texts from real reports get the Code their Message is only sent with."""
    diagnosis = cos_doctor.diagnose(sample)
    assert diagnosis.evidence_value(INFERRED) == diagnosis.error_code
    assert not diagnosis.generic


@pytest.mark.parametrize(
    ("text", "status"),
    [
        # Two Codes are sent with this Message (EntityTooSmall and EntityTooLarge).
        ("Condition key content-length-range doesn't match the value", 400),
        # A Message the knowledge base quotes only at 403, pasted with a 404.
        ("Request has expired", 404),
        # Part of a longer sentence, not the Message itself.
        ("The docs say Request has expired means the clock is off", None),
        # An HTTP status line: its reason phrase is no COS Message, whoever answered.
        ("400 Bad Request", None),
        ("503 Service Unavailable", None),
        # A Code-shaped word before the colon: that text had a Code, just not one we know.
        ("SomeOtherCode: Request has expired", None),
    ],
)
def test_no_code_is_inferred_from_an_ambiguous_message(text: str, status: int | None) -> None:
    """A Message shared by two Codes, at the wrong status, or inside prose infers nothing."""
    diagnosis = cos_doctor.diagnose(text, http_status=status)
    assert diagnosis.evidence_value(INFERRED) is None
    assert diagnosis.error_code in (None, "SomeOtherCode")


def test_a_proxy_text_body_is_never_read_as_a_message(replies: ReplyServer) -> None:
    """A plain-text reply from the real SDK (a proxy's page) infers no Code from its words."""
    replies.reply = Reply(403, "Access Denied.", {"Content-Type": "text/plain"})
    with pytest.raises(CosServiceError) as caught:
        make_client(replies.port).get_object(Bucket=BUCKET, Key="a.txt")
    diagnosis = cos_doctor.diagnose(caught.value)
    assert diagnosis.evidence_value(INFERRED) is None
    assert diagnosis.generic


def test_the_inference_evidence_reads_in_every_locale() -> None:
    """The inferred-Code sentence exists in en, ko and zh and names the Code and Message."""
    for locale in ("en", "ko", "zh"):
        diagnosis = cos_doctor.diagnose("Request has expired", locale=locale)
        text = next(item.text for item in diagnosis.evidence if item.key == INFERRED)
        assert "AccessDenied" in text
        assert "Request has expired" in text


# -------------------------------------------------------------- hostile and binary pastes

FRAGMENTS = [
    "(Message: ",
    ", RequestId: ",
    ", TraceId: ",
    ")",
    "403 ",
    "AccessDenied",
    "NoSuchKey: ",
    "status code: 403, request id: ",
    "\\n\\t",
    "\n\t",
    "(Status Code: 403; Error Code: ",
    "; Request ID: ",
    "Cos Error Code: ",
    ", Status Code: ",
    "An error occurred (",
    ") when calling the GetObject operation: ",
    "https response error StatusCode: 400, RequestID: ",
    "api error ",
    "Code=",
    "Message=",
    "Code: '",
    "'",
    '"',
    "\\",
    "{",
    "}",
    ": ",
    "：",
    "“",
    "Request has expired",
    "PUT https://",
    "<Code>",
    " ",
    "\x00",
    "\udcff",
]


def _diagnose_or_type_error(text: str | bytes) -> None:
    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    if not decoded.strip():  # the one documented refusal: blank text with no status
        with pytest.raises(TypeError, match="CosServiceError"):
            cos_doctor.diagnose(text)
    else:
        assert isinstance(cos_doctor.diagnose(text), Diagnosis)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=400) | st.text(max_size=2000))
def test_hostile_text_never_raises_anything_but_type_error(parts: list[str] | str) -> None:
    """Any mix of the recognisers' own landmarks, or any text, diagnoses or is refused."""
    _diagnose_or_type_error(parts if isinstance(parts, str) else "".join(parts))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=4000))
def test_binary_pastes_never_raise_anything_but_type_error(data: bytes) -> None:
    """Bytes that are not UTF-8 (a binary file pasted by mistake) never crash diagnose()."""
    _diagnose_or_type_error(data)


@pytest.mark.parametrize(
    "text",
    [
        '{"Code": "AccessDenied", "status": "²³⁴"}',
        "Code=²³⁴ Message=hi",
        "An error occurred (²³⁴) when calling the GetObject operation: x",
    ],
)
def test_digits_int_refuses_are_not_a_status(text: str) -> None:
    """Superscript digits pass str.isdigit() but not int(): they are no status, and no crash."""
    assert cos_doctor.diagnose(text).http_status is None


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_a_long_repetition_of_any_landmark_is_read_in_linear_time(fragment: str) -> None:
    """One landmark repeated (where a careless pattern backtracks) diagnoses in time linear in its size."""
    from tests import redos

    _diagnose_or_type_error(fragment * (300_000 // len(fragment)))
    assert redos.superlinear(_diagnose_or_type_error, [fragment]) == []
