"""Facts corrected by the check against the official docs and the SDK source (issue 17, part 4).

Each test pins one corrected claim in every locale, so the wrong version cannot come back.
The sources are named in each rule's ``source`` field.
"""

from __future__ import annotations

import re

import pytest
from qcloud_cos.cos_exception import CosServiceError

import cos_doctor
from cos_doctor._knowledge.catalogue import Rule, catalogue
from cos_doctor._locale import SUPPORTED_LOCALES
from cos_doctor._pipeline.evidence.buckets import appid_of, bucket_name_problems
from cos_doctor._pipeline.evidence.network import known_regions
from tests.conftest import REGION, make_client
from tests.replies import Reply, ReplyServer, error_xml

RULES = {rule.id: rule for rule in catalogue().rules}
CLIENT_RULES = [
    rule for rule in catalogue().rules if rule.clauses and all(c.client for c in rule.clauses)
]
GETTING_STARTED = "436/12269"  # Python SDK Getting Started: the CosConfig options
OBJECT_OPERATIONS = "436/31546"  # Python SDK Object Operations: upload_file, download_file
#: Client rules whose advice is about CosConfig options (IP, Port, Endpoint, Timeout, Proxies, keys).
COSCONFIG_RULES = {
    "client-dns-failure",
    "client-connection-refused",
    "client-connection-reset",
    "client-connect-timeout",
    "client-read-timeout",
    "client-tls-failure",
    "client-proxy-failure",
    "client-credentials-missing",
    "client-unrecognized",
}


def _text(rule_id: str, locale: str) -> str:
    text = RULES[rule_id].texts[locale]
    return " ".join((text.title, text.cause, *text.steps, *text.docs))


def _causes(rule_id: str, locale: str) -> str:
    return " ".join(getattr(cause, "texts", {}).get(locale, "") for cause in RULES[rule_id].causes)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_slow_down_quotes_both_request_rate_limits(locale: str) -> None:
    """slow-down quotes 30,000 requests/s per bucket in Chinese-mainland regions and 3,000 elsewhere."""
    text = _text("slow-down", locale)
    assert "30,000" in text
    assert "3,000" in text
    assert "436/14518" in text


@pytest.mark.parametrize(
    ("locale", "deleting"),
    [("en", r"\bdelete\b"), ("ko", "지우"), ("zh", "删除")],
)
def test_policy_version_full_never_advises_deleting_versions(locale: str, deleting: str) -> None:
    """COS documents no policy versions to list or delete: the rule says so and advises no deletion."""
    text = RULES["policy-version-full"].texts[locale]
    assert not any(re.search(deleting, step, re.IGNORECASE) for step in text.steps[:-1])


@pytest.mark.parametrize(
    ("locale", "object_lock", "billing"),
    [
        ("en", "Object Lock", "Billing"),
        ("ko", "객체 잠금", "센터에서 계정"),
        ("zh", "对象锁定", "费用中心"),
    ],
)
def test_bucket_locked_blames_object_lock_not_billing(
    locale: str, object_lock: str, billing: str
) -> None:
    """BucketLocked names Object Lock (which cannot be disabled) and reads its configuration; no billing step."""
    text = _text("bucket-locked", locale)
    assert object_lock in text
    assert "get_bucket_object_lock(Bucket='{bucket}')" in text
    assert billing not in text
    assert "436/58301" in text or "436/55294" in text


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("rule_id", ["client-dns-failure", "no-such-bucket"])
def test_a_missing_appid_is_no_cause_of_dns_failure_or_no_such_bucket(
    rule_id: str, locale: str
) -> None:
    """A bucket name without -APPID gets COS's InvalidRequest (missing-appid), so neither rule blames it."""
    assert "bucket-name-lacks-appid" not in {cause.id for cause in RULES[rule_id].causes}
    cause = RULES[rule_id].texts[locale].cause
    assert "-APPID" not in cause
    assert "-APPID" not in _causes(rule_id, locale)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_dns_failure_names_an_endpoint_passed_as_region(locale: str) -> None:
    """client-dns-failure names the doubled suffix an endpoint in Region produces."""
    assert ".myqcloud.com.myqcloud.com" in RULES["client-dns-failure"].texts[locale].cause


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_connection_refused_ties_port_to_ip_and_scheme_to_an_endpoint_port(locale: str) -> None:
    """Port is used only with IP; the Scheme/port step speaks of an Endpoint that carries :port."""
    text = RULES["client-connection-refused"].texts[locale]
    assert "IP= (" in text.steps[0] or "IP=（" in text.steps[0] or "IP=(" in text.steps[0]
    assert "Endpoint" in text.steps[1]
    assert ":8080" in text.steps[1]


@pytest.mark.parametrize(
    ("locale", "per_wait"),
    [("en", "not the whole transfer"), ("ko", "전송 전체가 아니라"), ("zh", "而不是整个传输")],
)
def test_read_timeout_bounds_each_wait_not_the_transfer(locale: str, per_wait: str) -> None:
    """requests' timeout bounds each wait for data; a steady slow transfer does not trip it."""
    assert per_wait in RULES["client-read-timeout"].texts[locale].cause


@pytest.mark.parametrize(
    ("locale", "retries", "resumes"),
    [
        ("en", "retries them", "resumes from the parts already written"),
        ("ko", "재시도하며", "이어받습니다"),
        ("zh", "会重试并", "继续下载"),
    ],
)
def test_download_file_resumes_but_does_not_retry_a_broken_part(
    locale: str, retries: str, resumes: str
) -> None:
    """download_file counts a broken part as failed; calling it again resumes from the parts written."""
    text = _text("client-body-interrupted", locale)
    assert retries not in text
    assert resumes in text


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_credentials_missing_covers_empty_values_and_anonymous_access(locale: str) -> None:
    """The SDK tests SecretId/SecretKey for truth: the check is `not os.environ.get(...)`; Anonymous=True is named."""
    text = _text("client-credentials-missing", locale)
    assert "print(not os.environ.get('COS_SECRET_ID'))" in text
    assert "is None" not in text
    assert "Anonymous=True" in text


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("rule", CLIENT_RULES, ids=lambda rule: rule.id)
def test_client_rules_cite_getting_started_for_cosconfig(rule: Rule, locale: str) -> None:
    """Object Operations (436/31546) is cited only beside upload_file/download_file; CosConfig advice cites 436/12269."""
    text = rule.texts[locale]
    docs = " ".join(text.docs)
    if OBJECT_OPERATIONS in docs:
        prose = " ".join((text.cause, *text.steps))
        assert "upload_file" in prose or "download_file" in prose, rule.id
    if rule.id in COSCONFIG_RULES:
        assert GETTING_STARTED in docs, rule.id


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_tls_failure_prefers_the_https_port_to_plain_http(locale: str) -> None:
    """WRONG_VERSION_NUMBER: go to the https port; Scheme='http' is named only as what not to do."""
    step = next(
        step
        for step in RULES["client-tls-failure"].texts[locale].steps
        if "WRONG_VERSION_NUMBER" in step
    )
    assert "443" in step
    assert "use Scheme='http'" not in step
    assert "Scheme='http'를 쓰거나" not in step
    assert "使用 Scheme='http'，或" not in step


@pytest.mark.parametrize(
    ("locale", "policy", "regions"),
    [
        ("en", "security policy allows", "Hong Kong (China)"),
        ("ko", "보안 정책이", "중국 홍콩"),
        ("zh", "安全策略允许", "中国香港"),
    ],
)
def test_kms_service_error_names_the_regions_and_guards_the_sse_cos_fallback(
    locale: str, policy: str, regions: str
) -> None:
    """SSE-KMS regions come from the Server-side Encryption Overview; SSE-COS only where policy allows."""
    text = RULES["kms-service-error"].texts[locale]
    assert regions in text.cause
    fallback = next(step for step in text.steps if "AES256" in step)
    assert policy in fallback


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("rule_id", ["client-bucket-name-invalid", "invalid-bucket-name"])
def test_bucket_name_rules_forbid_a_hyphen_at_either_end(rule_id: str, locale: str) -> None:
    """Bucket Overview (436/13312): the name may neither begin nor end with a hyphen."""
    ends = {"en": ("begin", "end"), "ko": ("시작", "끝"), "zh": ("开头", "结尾")}[locale]
    cause = RULES[rule_id].texts[locale].cause
    assert all(word in cause for word in ends)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_region_invalid_says_what_the_sdk_check_lets_through(locale: str) -> None:
    """format_region lets dots and a final newline through: the rule names the doubled-suffix DNS failure."""
    assert ".myqcloud.com.myqcloud.com" in RULES["client-region-invalid"].texts[locale].cause


def test_outdated_and_unsupported_citations_are_gone() -> None:
    """No rule cites 436/40947; checksum-rejected no longer cites Upload Part (436/7750) for x-cos-content-sha1."""
    for rule in RULES.values():
        for locale in SUPPORTED_LOCALES:
            assert "436/40947" not in " ".join(rule.texts[locale].docs), rule.id
    for locale in SUPPORTED_LOCALES:
        assert "436/7750" not in " ".join(RULES["checksum-rejected"].texts[locale].docs)


def test_eu_moscow_is_not_a_known_region() -> None:
    """The regions page no longer lists eu-moscow, so region_known does not vouch for it."""
    assert "eu-moscow" not in known_regions()
    assert "eu-frankfurt" in known_regions()


OLD_KOREAN_LABELS = (
    "[크로스 도메인 CORS 액세스 설정]",
    "[사용자 지정 오리진 도메인]",
    "[기본 설정]",
    "비용 센터",
    "'지역 및 액세스 도메인'",
)


@pytest.mark.parametrize("rule", list(RULES.values()), ids=lambda rule: rule.id)
def test_korean_console_labels_match_the_korean_docs(rule: Rule) -> None:
    """Korean steps use the Korean console's labels (크로스 도메인 액세스(CORS) 설정, 과금 센터 …)."""
    text = rule.texts["ko"]
    joined = " ".join((text.cause, *text.steps))
    assert not [label for label in OLD_KOREAN_LABELS if label in joined]


@pytest.mark.parametrize(
    ("locale", "label"),
    [("en", "Permission Policy Settings"), ("ko", "[Policy 권한 설정]"), ("zh", "Policy 权限设置")],
)
def test_malformed_policy_names_the_policy_tab_as_the_console_does(locale: str, label: str) -> None:
    """The bucket policy editor sits under Permission Management → Permission Policy Settings."""
    assert label in " ".join(RULES["malformed-policy"].texts[locale].steps)


@pytest.mark.parametrize(
    ("bucket", "problems"),
    [
        ("examplebucket-1250000000", []),
        ("-examplebucket-1250000000", ["leading-hyphen"]),
        ("-1250000000", ["leading-hyphen"]),
        ("examplebucket--1250000000", ["trailing-hyphen"]),
        ("examplebucket-2024", ["no-appid"]),
        ("examplebucket-1250000000\n", ["characters", "no-appid"]),
        ("Example_bucket-1250000000", ["uppercase", "characters"]),
    ],
)
def test_bucket_name_problems_follow_the_naming_rules(bucket: str, problems: list[str]) -> None:
    """One definition of the naming rules: hyphen at either end of the name, APPID of 5+ digits, no newline."""
    assert bucket_name_problems(bucket, None) == problems


def test_one_appid_definition_serves_every_detector(replies: ReplyServer) -> None:
    """A 5-digit APPID is an APPID for bucket_appid_suffix, resource_name and bucket_name_problem alike."""
    bucket = "examplebucket-12345"
    assert appid_of(bucket) == "12345"
    assert "no-appid" not in bucket_name_problems(bucket, None)
    cos_doctor.install()
    replies.reply = Reply(403, error_xml("AccessDenied", "Access Denied."))
    with pytest.raises(CosServiceError) as caught:
        make_client(replies.port).get_object(Bucket=bucket, Key="a.txt")
    diagnosis = caught.value.diagnosis
    assert diagnosis.rule_id == "access-denied"
    assert diagnosis.evidence_value("bucket_appid_suffix") is True
    assert (
        diagnosis.evidence_value("resource_name") == f"qcs::cos:{REGION}:uid/12345:{bucket}/a.txt"
    )
