"""Every documented failure, provoked for real against the emulator.

Each scenario misconfigures something a user could misconfigure (a wrong key, a disabled
key, a skewed clock, a referer white-list, an archived object, a POST policy that does not
hold…) and then makes the call a user would make: through the real SDK, or, for what only
browsers do (POST Object forms, CORS preflights, anonymous hotlinks, presigned URLs), with a
plain HTTP client. The emulator is never told which error to return.

Shared by ``cos-doctor demo`` and the integration suite, so the demo shows what is tested.
SDK scenarios need :func:`cos_doctor.install` to be active; browser ones are diagnosed with
:func:`cos_doctor.diagnose` (``log=True``), as a server relaying a browser's error would.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from cos_doctor._readers.diagnose import diagnose
from cos_doctor._signing import post_policy_signature

if TYPE_CHECKING:
    import requests

    from cos_doctor._access.investigate import Finding
    from cos_doctor.diagnosis import Diagnosis
    from cos_doctor.emulator import Emulator

__all__ = [
    "MISCONFIGURATION_TEXT",
    "SCENARIOS",
    "Outcome",
    "Scenario",
    "policy_denies_sub_account",
    "post_form",
    "post_upload",
]

OBJECT_KEY = "reports/2026-q3.csv"
SITE = "https://shop.example.com"
INTRUDER = "https://hotlinker.example.net"


@dataclass(frozen=True)
class Outcome:
    """What the failing call produced: the diagnosis and, for SDK calls, the exception."""

    diagnosis: Diagnosis
    error: BaseException | None = None


@dataclass(frozen=True)
class Scenario:
    """One misconfiguration and the call that trips over it."""

    rule_id: str
    via: str  # "sdk" or "http"
    misconfiguration: str
    run: Callable[[Emulator, requests.Session], Outcome]


class ScenarioDidNotFailError(AssertionError):
    """The call succeeded: the emulator no longer reproduces this failure."""


def _sdk_failure(call: Callable[..., Any], **arguments: Any) -> Outcome:
    from qcloud_cos.cos_exception import CosServiceError

    try:
        call(**arguments)
    except CosServiceError as error:
        diagnosis = getattr(error, "diagnosis", None)
        if diagnosis is None:
            raise  # cos_doctor is not installed: let the caller see the bare SDK error
        return Outcome(diagnosis=diagnosis, error=error)
    raise ScenarioDidNotFailError(getattr(call, "__name__", "call"))


def _http_failure(
    response: requests.Response,
    request_headers: dict[str, str],
    **hints: Any,
) -> Outcome:
    with response:
        if response.status_code < 400:  # HTTP's own boundary between success and error
            raise ScenarioDidNotFailError(response.request.method or "request")
        diagnosis = diagnose(
            response.content,
            http_status=response.status_code,
            http_method=response.request.method,
            url=response.request.url,
            headers=dict(response.headers),
            request_headers=request_headers,
            log=True,
            **hints,
        )
    return Outcome(diagnosis=diagnosis)


def _put_report(emulator: Emulator, **arguments: Any) -> None:
    emulator.client().put_object(
        Bucket=emulator.bucket,
        Key=OBJECT_KEY,
        Body=b"region,revenue\n",
        **arguments,
    )


# SDK scenarios ----------------------------------------------------------------------------


def _sub_account_without_grant(emulator: Emulator, _http: requests.Session) -> Outcome:
    from cos_doctor.emulator import DEFAULT_SUB_SECRET_ID

    _put_report(emulator)
    reader = emulator.client(DEFAULT_SUB_SECRET_ID)
    return _sdk_failure(reader.get_object, Bucket=emulator.bucket, Key=OBJECT_KEY)


def _disabled_key(emulator: Emulator, _http: requests.Session) -> Outcome:
    from cos_doctor.emulator import DEFAULT_OWNER_SECRET_ID

    client = emulator.client()
    emulator.state.set_key_enabled(DEFAULT_OWNER_SECRET_ID, enabled=False)
    return _sdk_failure(client.get_object, Bucket=emulator.bucket, Key=OBJECT_KEY)


def _archived_object(emulator: Emulator, _http: requests.Session) -> Outcome:
    _put_report(emulator, StorageClass="ARCHIVE")
    client = emulator.client()
    return _sdk_failure(client.get_object, Bucket=emulator.bucket, Key=OBJECT_KEY)


def _clock_ahead(emulator: Emulator, _http: requests.Session) -> Outcome:
    # COS's clock 20 minutes behind this machine's = this machine 20 minutes ahead.
    emulator.state.set_clock_offset(-20 * 60 - 4)
    client = emulator.client()
    return _sdk_failure(client.list_objects, Bucket=emulator.bucket, Prefix="reports/")


def _wrong_secret_key(emulator: Emulator, _http: requests.Session) -> Outcome:
    from cos_doctor.emulator import DEFAULT_OWNER_SECRET_ID

    wrong_key = "a-key-from-another-account"
    client = emulator.client(DEFAULT_OWNER_SECRET_ID, secret_key=wrong_key)
    return _sdk_failure(client.put_object, Bucket=emulator.bucket, Key=OBJECT_KEY, Body=b"x")


# Browser and plain-HTTP scenarios ----------------------------------------------------------


def _expired_presigned_url(emulator: Emulator, http: requests.Session) -> Outcome:
    _put_report(emulator)
    signer = emulator.client(via_proxy=True)  # signs the real COS host, as in production
    url = signer.get_presigned_url(
        Bucket=emulator.bucket,
        Key=OBJECT_KEY,
        Method="GET",
        Expired=60,
    )
    emulator.state.set_clock_offset(10 * 60)  # the link is opened ten minutes later
    local, headers = emulator.localize(url)
    return _http_failure(http.get(local, headers=headers), headers)


def _hotlinked_image(emulator: Emulator, http: requests.Session) -> Outcome:
    _put_report(emulator, ACL="public-read")
    emulator.client().put_bucket_referer(
        Bucket=emulator.bucket,
        RefererConfiguration={
            "Status": "Enabled",
            "RefererType": "White-List",
            "DomainList": {"Domain": ["*.example.com"]},
            "EmptyReferConfiguration": "Deny",
        },
    )
    url, headers = emulator.url(OBJECT_KEY)
    headers["Referer"] = f"{INTRUDER}/gallery.html"
    return _http_failure(http.get(url, headers=headers), headers)


def _cors_origin_not_allowed(emulator: Emulator, http: requests.Session) -> Outcome:
    emulator.client().put_bucket_cors(
        Bucket=emulator.bucket,
        CORSConfiguration={
            "CORSRule": [
                {
                    "AllowedOrigin": [SITE],
                    "AllowedMethod": ["GET", "PUT"],
                    "AllowedHeader": ["*"],
                    "MaxAgeSeconds": 600,
                },
            ],
        },
    )
    url, headers = emulator.url(OBJECT_KEY)
    headers["Origin"] = "https://admin.example.org"
    headers["Access-Control-Request-Method"] = "PUT"
    return _http_failure(http.options(url, headers=headers), headers)


def post_form(  # noqa: PLR0913 - each knob is one way to get a POST policy wrong
    bucket: str,
    secret_id: str,
    secret_key: str,
    *,
    conditions: list[Any] | None = None,
    expires_in: int = 1800,
    signed_by: tuple[str, str] | None = None,
    key: str = "uploads/${filename}",
) -> dict[str, str]:
    """A browser POST Object form whose policy names ``secret_id``, signed the documented way.

    ``signed_by`` = (SecretId, SecretKey) signs the form with another key than the policy's.
    """
    now = int(time.time())
    key_time = f"{now - 60};{now + 3600}"
    if conditions is None:
        conditions = [
            {"bucket": bucket},
            ["starts-with", "$key", "uploads/"],
            {"q-sign-algorithm": "sha1"},
            {"q-ak": secret_id},
            {"q-sign-time": key_time},
        ]
    expiration = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now + expires_in))
    policy = json.dumps({"expiration": expiration, "conditions": conditions}).encode()
    form_q_ak, form_key = signed_by or (secret_id, secret_key)
    return {
        "key": key,
        "policy": base64.b64encode(policy).decode(),
        "q-sign-algorithm": "sha1",
        "q-ak": form_q_ak,
        "q-key-time": key_time,
        "q-signature": post_policy_signature(form_key, key_time, policy),
    }


def _owner_form(emulator: Emulator, **knobs: Any) -> dict[str, str]:
    from cos_doctor.emulator import DEFAULT_OWNER_SECRET_ID, DEFAULT_OWNER_SECRET_KEY

    return post_form(emulator.bucket, DEFAULT_OWNER_SECRET_ID, DEFAULT_OWNER_SECRET_KEY, **knobs)


def post_upload(
    http: requests.Session,
    url: str,
    headers: dict[str, str],
    form: dict[str, str],
) -> Outcome:
    """Send ``form`` as a browser would (file last) and diagnose the refusal."""
    headers = {**headers, "Origin": SITE}
    files = {"file": ("photo.jpg", b"\xff\xd8\xff jpeg bytes", "image/jpeg")}
    response = http.post(url, headers=headers, data=form, files=files)
    return _http_failure(response, headers, post_object=True)


def _post(emulator: Emulator, http: requests.Session, form: dict[str, str]) -> Outcome:
    url, headers = emulator.url()
    return post_upload(http, url, headers, form)


def _post_wrong_q_ak(emulator: Emulator, http: requests.Session) -> Outcome:
    from cos_doctor.emulator import DEFAULT_SUB_SECRET_ID, DEFAULT_SUB_SECRET_KEY

    # The policy names the owner's key, but the form is signed with the sub-account's.
    form = _owner_form(emulator, signed_by=(DEFAULT_SUB_SECRET_ID, DEFAULT_SUB_SECRET_KEY))
    return _post(emulator, http, form)


def _post_expired_policy(emulator: Emulator, http: requests.Session) -> Outcome:
    return _post(emulator, http, _owner_form(emulator, expires_in=-2 * 3600))


def _post_wrong_signature(emulator: Emulator, http: requests.Session) -> Outcome:
    from cos_doctor.emulator import DEFAULT_OWNER_SECRET_ID

    wrong = (DEFAULT_OWNER_SECRET_ID, "a-key-from-another-account")
    return _post(emulator, http, _owner_form(emulator, signed_by=wrong))


def _post_policy_without_conditions(emulator: Emulator, http: requests.Session) -> Outcome:
    return _post(emulator, http, _owner_form(emulator, conditions=[]))


def _post_other_bucket(emulator: Emulator, http: requests.Session) -> Outcome:
    form = _owner_form(emulator, conditions=[{"bucket": "staging-1250000000"}])
    return _post(emulator, http, form)


def _post_key_outside_prefix(emulator: Emulator, http: requests.Session) -> Outcome:
    return _post(emulator, http, _owner_form(emulator, key="avatars/${filename}"))


def _post_not_multipart(emulator: Emulator, http: requests.Session) -> Outcome:
    url, headers = emulator.url()
    headers["Content-Type"] = "multipart/form-data; boundary=----cosdoctor"
    response = http.post(url, headers=headers, data=b"key=uploads/a.txt&file=hello")
    return _http_failure(response, headers, post_object=True)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "access-denied",
        "sdk",
        "sub-account with no grant reads an object",
        _sub_account_without_grant,
    ),
    Scenario(
        "cors-forbidden",
        "http",
        "CORS rule does not allow the page's Origin",
        _cors_origin_not_allowed,
    ),
    Scenario(
        "referer-denied",
        "http",
        "hotlink white-list; image embedded elsewhere",
        _hotlinked_image,
    ),
    Scenario(
        "invalid-access-key-id",
        "sdk",
        "API key disabled in the console",
        _disabled_key,
    ),
    Scenario(
        "invalid-object-state",
        "sdk",
        "GET of an ARCHIVE object, not restored",
        _archived_object,
    ),
    Scenario(
        "request-time-too-skewed",
        "sdk",
        "client clock 20 min ahead of COS",
        _clock_ahead,
    ),
    Scenario(
        "request-expired",
        "http",
        "presigned URL opened after it expired",
        _expired_presigned_url,
    ),
    Scenario(
        "signature-mismatch",
        "sdk",
        "SecretKey of another account",
        _wrong_secret_key,
    ),
    Scenario(
        "post-qak-mismatch",
        "http",
        "form signed with a key the policy does not name",
        _post_wrong_q_ak,
    ),
    Scenario(
        "post-policy-expired",
        "http",
        "POST policy expired two hours ago",
        _post_expired_policy,
    ),
    Scenario(
        "post-signature-invalid",
        "http",
        "POST form signed with a wrong key",
        _post_wrong_signature,
    ),
    Scenario(
        "post-policy-missing-condition",
        "http",
        "POST policy without conditions",
        _post_policy_without_conditions,
    ),
    Scenario(
        "post-bucket-mismatch",
        "http",
        "POST policy names another bucket",
        _post_other_bucket,
    ),
    Scenario(
        "post-condition-mismatch",
        "http",
        "upload key outside the policy's prefix",
        _post_key_outside_prefix,
    ),
    Scenario(
        "post-malformed-body",
        "http",
        "POST body is not multipart/form-data",
        _post_not_multipart,
    ),
)


# What each scenario misconfigures, for the demo's summary in the other locales.
MISCONFIGURATION_TEXT: dict[str, dict[str, str]] = {
    "access-denied": {
        "ko": "권한 없는 하위 계정이 객체를 읽음",
        "zh": "没有授权的子账号读取对象",
    },
    "cors-forbidden": {
        "ko": "CORS 규칙이 페이지의 Origin을 허용하지 않음",
        "zh": "CORS 规则不允许页面的 Origin",
    },
    "referer-denied": {
        "ko": "핫링크 허용 목록, 다른 사이트에 이미지 삽입",
        "zh": "防盗链白名单，图片被嵌入到别的网站",
    },
    "invalid-access-key-id": {
        "ko": "콘솔에서 비활성화된 API 키",
        "zh": "在控制台中被禁用的 API 密钥",
    },
    "invalid-object-state": {
        "ko": "복구하지 않은 ARCHIVE 객체를 GET",
        "zh": "未恢复的 ARCHIVE 对象被 GET",
    },
    "request-time-too-skewed": {
        "ko": "클라이언트 시계가 COS보다 20분 빠름",
        "zh": "客户端时钟比 COS 快 20 分钟",
    },
    "request-expired": {
        "ko": "만료된 뒤에 연 사전 서명 URL",
        "zh": "过期后才打开的预签名 URL",
    },
    "signature-mismatch": {
        "ko": "다른 계정의 SecretKey",
        "zh": "另一个账号的 SecretKey",
    },
    "post-qak-mismatch": {
        "ko": "정책에 없는 키로 서명한 폼",
        "zh": "用策略未指定的密钥签名的表单",
    },
    "post-policy-expired": {
        "ko": "두 시간 전에 만료된 POST 정책",
        "zh": "两小时前已过期的 POST 策略",
    },
    "post-signature-invalid": {
        "ko": "잘못된 키로 서명한 POST 폼",
        "zh": "用错误密钥签名的 POST 表单",
    },
    "post-policy-missing-condition": {
        "ko": "conditions가 없는 POST 정책",
        "zh": "没有 conditions 的 POST 策略",
    },
    "post-bucket-mismatch": {
        "ko": "다른 버킷을 지정한 POST 정책",
        "zh": "指定了其他存储桶的 POST 策略",
    },
    "post-condition-mismatch": {
        "ko": "정책의 접두사를 벗어난 업로드 키",
        "zh": "上传键不在策略的前缀之内",
    },
    "post-malformed-body": {
        "ko": "multipart/form-data가 아닌 POST 본문",
        "zh": "不是 multipart/form-data 的 POST 请求体",
    },
}

# The investigate() example: a bucket policy that lets the sub-account read reports, then a
# second statement (with a Sid) that denies exactly that.
DENY_SID = "DenyReportsToContractors"


def policy_denies_sub_account(
    emulator: Emulator, locale: str | None = None
) -> tuple[Outcome, Finding]:
    """Misconfigure the bucket policy, fail a read for real, and investigate it as the owner."""
    from cos_doctor._access.investigate import investigate
    from cos_doctor.emulator import DEFAULT_OWNER_UIN, DEFAULT_SUB_SECRET_ID, DEFAULT_SUB_UIN

    _put_report(emulator)
    owner = emulator.client()
    principal = f"qcs::cam::uin/{DEFAULT_OWNER_UIN}:uin/{DEFAULT_SUB_UIN}"
    resource = f"qcs::cos:{emulator.region}:uid/1250000000:{emulator.bucket}/reports/*"

    def statement(effect: str, **extra: str) -> dict[str, Any]:
        return {
            "Principal": {"qcs": [principal]},
            "Effect": effect,
            "Action": ["name/cos:GetObject"],
            "Resource": [resource],
            **extra,
        }

    policy = {"Statement": [statement("allow"), statement("deny", Sid=DENY_SID)]}
    owner.put_bucket_policy(Bucket=emulator.bucket, Policy=policy)
    reader = emulator.client(DEFAULT_SUB_SECRET_ID)
    outcome = _sdk_failure(reader.get_object, Bucket=emulator.bucket, Key=OBJECT_KEY)
    finding = investigate(outcome.error, owner, principal=principal, locale=locale, log=False)
    return outcome, finding
