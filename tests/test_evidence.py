"""Evidence: facts computed from the user's own request, from SDK traffic and unit inputs.

Replies here are crafted (the loopback reply server) so that each fact can be pinned exactly;
integration/ reaches the same facts through genuine misconfiguration of the emulator.
"""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest
from qcloud_cos.cos_exception import CosServiceError

import cos_doctor
from cos_doctor import Diagnosis
from cos_doctor._knowledge.catalogue import catalogue
from cos_doctor._locale import SUPPORTED_LOCALES
from cos_doctor._pipeline.context import RequestContext
from cos_doctor._pipeline.diagnose import diagnose_context
from cos_doctor._pipeline.evidence.registry import human_duration, iso_utc
from cos_doctor._pipeline.evidence.signature import first_difference
from cos_doctor._pipeline.sources import SecretsSeen
from cos_doctor._signing import sign_request
from tests.conftest import BUCKET, REGION, SECRET_KEY, TOKEN, make_client
from tests.replies import Reply, ReplyServer, error_xml

README_PATH = "README.md"
# Signed with the uppercase spelling of the tests' SecretId (its shape is valid either way).
UPPERCASE_AK_AUTHORIZATION = (
    "q-sign-algorithm=sha1&q-ak=AKIDCOSDOCTORTESTSECRETID0000000000A&q-sign-time=1;2"
    "&q-key-time=1;2&q-header-list=&q-url-param-list=&q-signature=00"
)


def _diagnosed(
    replies: ReplyServer, reply: Reply, call: str = "get_object", **kwargs: object
) -> Diagnosis:
    client = make_client(replies.port, token=kwargs.pop("token", None))  # type: ignore[arg-type]
    cos_doctor.install()
    replies.reply = reply
    arguments = {"Bucket": BUCKET, "Key": "docs/a b+c.txt", **kwargs}
    if call in {"get_bucket_policy", "head_bucket"}:
        arguments.pop("Key")
    with pytest.raises(CosServiceError) as caught:
        getattr(client, call)(**arguments)
    diagnosis = caught.value.diagnosis
    assert diagnosis is not None
    return diagnosis


def _server_date(offset: float) -> dict[str, str]:
    return {"Date": formatdate(time.time() + offset, usegmt=True)}


class TestClock:
    @pytest.mark.parametrize(
        ("offset", "variant", "sign"), [(-1204, "ahead", 1), (3600, "behind", -1)]
    )
    def test_skew_is_signed_and_worded(
        self, replies: ReplyServer, offset: int, variant: str, sign: int
    ) -> None:
        """clock_skew_seconds is local minus server: positive when the local clock is ahead."""
        diagnosis = _diagnosed(
            replies, Reply(403, error_xml("RequestTimeTooSkewed", "skewed"), _server_date(offset))
        )
        skew = diagnosis.evidence_value("clock_skew_seconds")
        assert isinstance(skew, int)
        assert abs(skew + offset) <= 2
        assert (skew > 0) == (sign > 0)
        text = next(item.text for item in diagnosis.evidence if item.key == "clock_skew_seconds")
        assert variant in text
        assert human_duration(skew, "en") in text

    def test_in_sync_clock_is_cleared(self, replies: ReplyServer) -> None:
        """A clock within a few seconds of COS is said to be fine."""
        diagnosis = _diagnosed(replies, Reply(403, error_xml("RequestTimeTooSkewed", "skewed")))
        assert abs(diagnosis.evidence_value("clock_skew_seconds")) <= 5  # type: ignore[arg-type]
        assert "not the problem" in " ".join(item.text for item in diagnosis.evidence)

    def test_signature_window_and_expiry(self, replies: ReplyServer) -> None:
        """The q-sign-time window is shown, and how long before COS's time it ended."""
        diagnosis = _diagnosed(
            replies,
            Reply(403, error_xml("AccessDenied", "Request has expired"), _server_date(20000)),
        )
        start = diagnosis.evidence_value("signature_start")
        end = diagnosis.evidence_value("signature_end")
        assert isinstance(start, int)
        assert isinstance(end, int)
        assert end - start == 10060  # the SDK signs now-60 … now+10000
        late = diagnosis.evidence_value("expired_seconds_ago")
        assert isinstance(late, int)
        assert abs(late - (20000 - 10000)) <= 3

    @pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
    def test_window_sentences_name_its_dates_and_length(
        self, replies: ReplyServer, locale: str
    ) -> None:
        """The window's sentences, worded when read, name its UTC dates and length and how late it ended."""
        cos_doctor.install(locale=locale)
        diagnosis = _diagnosed(
            replies,
            Reply(403, error_xml("AccessDenied", "Request has expired"), _server_date(20000)),
        )
        texts = {item.key: item.text for item in diagnosis.evidence}
        start = diagnosis.evidence_value("signature_start")
        end = diagnosis.evidence_value("signature_end")
        late = diagnosis.evidence_value("expired_seconds_ago")
        assert isinstance(start, int)
        assert isinstance(end, int)
        assert isinstance(late, int)
        assert iso_utc(start) in texts["signature_start"]
        assert iso_utc(end) in texts["signature_end"]
        assert human_duration(end - start, locale) in texts["signature_end"]
        assert human_duration(late, locale) in texts["expired_seconds_ago"]

    def test_skewed_signature_start_is_measured(self, replies: ReplyServer) -> None:
        """A window starting beyond COS's 15-minute tolerance is reported with its size."""
        diagnosis = _diagnosed(
            replies, Reply(403, error_xml("RequestTimeTooSkewed", "skewed"), _server_date(-1204))
        )
        early = diagnosis.evidence_value("signature_starts_in_future_seconds")
        assert isinstance(early, int)
        assert abs(early - (1204 - 60)) <= 3

    def test_pasted_body_does_not_claim_a_local_skew(self) -> None:
        """A body diagnosed later says nothing about this machine's clock."""
        diagnosis = cos_doctor.diagnose(
            error_xml("RequestTimeTooSkewed", "skewed"),
            http_status=403,
            headers=_server_date(-5000),
        )
        assert diagnosis.evidence_value("clock_skew_seconds") is None


class TestCredentials:
    def test_temporary_credentials_point_to_expiry(self, replies: ReplyServer) -> None:
        """A token was sent: the kind is temporary and the likely expiry is named."""
        diagnosis = _diagnosed(
            replies,
            Reply(
                403,
                error_xml(
                    "InvalidAccessKeyId",
                    "The Access Key Id you provided does not exist in our records.",
                ),
            ),
            token=TOKEN,
        )
        assert diagnosis.evidence_value("credential_kind") == "temporary"
        assert diagnosis.evidence_value("temporary_key_lifetime") == "likely-expired"

    @pytest.mark.parametrize(
        ("secret_id", "problem"),
        [
            ("cosdoctorTESTsecretid0000000000A", "prefix"),
            ("AKIDcosdoctorTESTsecretid00000", "length"),
        ],
    )
    def test_secret_id_shape_problems(
        self, replies: ReplyServer, secret_id: str, problem: str
    ) -> None:
        """Whitespace, a wrong prefix and a wrong length in the SecretId sent are flagged."""
        from qcloud_cos import CosConfig, CosS3Client

        config = CosConfig(
            Region=REGION,
            SecretId=secret_id,
            SecretKey=SECRET_KEY,
            Scheme="http",
            IP="127.0.0.1",
            Port=replies.port,
        )
        cos_doctor.install()
        replies.reply = Reply(
            403,
            error_xml(
                "InvalidAccessKeyId",
                "The Access Key Id you provided does not exist in our records.",
            ),
        )
        with pytest.raises(CosServiceError) as caught:
            CosS3Client(config, retry=0).get_object(Bucket=BUCKET, Key="a.txt")
        problems = [
            item.value
            for item in caught.value.diagnosis.evidence
            if item.key == "secret_id_problem"
        ]
        assert problem in problems
        assert secret_id.strip() not in repr(caught.value.diagnosis.to_dict())

    def test_whitespace_inside_a_presigned_q_ak_is_flagged(self) -> None:
        """A q-ak with a stray space (pasted into a URL by hand) is flagged."""
        context = RequestContext(
            http_status=403,
            error_code="InvalidAccessKeyId",
            query={"q-ak": "AKIDcosdoctorTESTsecret id0000000000A", "q-sign-time": "1;2"},
        )
        problems = [
            item.value
            for item in diagnose_context(context).evidence
            if item.key == "secret_id_problem"
        ]
        assert "whitespace" in problems

    @pytest.mark.parametrize(
        ("secret_key", "flagged"),
        [
            (SECRET_KEY, False),
            (SECRET_KEY + "\n", True),
            (" " + SECRET_KEY, True),
            (SECRET_KEY[:8] + "\u3000" + SECRET_KEY[8:], True),  # an ideographic space inside
            (SECRET_KEY[:8] + "\x1f" + SECRET_KEY[8:], True),  # a unit separator, whitespace too
        ],
    )
    def test_whitespace_anywhere_in_the_configured_secret_key_is_flagged(
        self, secret_key: str, *, flagged: bool
    ) -> None:
        """Any character str.isspace() calls whitespace, anywhere in the SecretKey, is flagged; a clean key is not."""
        context = RequestContext(
            http_status=403,
            error_code="SignatureDoesNotMatch",
            request_headers={"authorization": UPPERCASE_AK_AUTHORIZATION},
            secrets=SecretsSeen(
                secret_id="AKIDCOSDOCTORTESTSECRETID0000000000A", secret_key=secret_key
            ),
        )
        found = diagnose_context(context).evidence_value("secret_key_problem")
        assert found == ("whitespace" if flagged else None)

    def test_case_difference_from_configuration(self) -> None:
        """A q-ak differing only in case from the configured SecretId is named as such."""

        context = RequestContext(
            http_status=403,
            error_code="InvalidAccessKeyId",
            request_headers={"authorization": UPPERCASE_AK_AUTHORIZATION},
            secrets=SecretsSeen(
                secret_id="AKIDcosdoctorTESTsecretid0000000000A", secret_key=SECRET_KEY
            ),
        )
        diagnosis = diagnose_context(context)
        problems = [item.value for item in diagnosis.evidence if item.key == "secret_id_problem"]
        assert problems == ["case"]


def _signature_reply(format_string: str) -> Reply:
    extra = f"\t<StringToSign>sha1\n1;2\n0</StringToSign>\n\t<FormatString>{format_string}</FormatString>\n"
    return Reply(
        403,
        error_xml("SignatureDoesNotMatch", "The Signature you specified is invalid.", extra=extra),
    )


def _client_string(replies: ReplyServer) -> str:
    """Sign nothing; read back what the SDK sent to reconstruct its HttpString."""
    seen = replies.seen[-1]
    host = seen.headers["Host"]
    return f"get\n/docs/a b+c.txt\n\nhost={host}\n"


class TestSignature:
    def test_same_string_and_consistent_signature_means_wrong_key(
        self, replies: ReplyServer
    ) -> None:
        """COS signed what the client signed, and the client's signature fits its key."""
        _diagnosed(replies, _signature_reply("x"))  # learn the exact Host the SDK sends
        diagnosis = _diagnosed(replies, _signature_reply(_client_string(replies)))
        assert diagnosis.evidence_value("signature_diff") is None
        assert diagnosis.evidence_value("signature_verdict") == "wrong-secret-key"

    def test_plus_turned_into_space_is_named(self, replies: ReplyServer) -> None:
        """A path whose '+' became a space on the way is the first difference."""
        _diagnosed(replies, _signature_reply("x"))
        altered = _client_string(replies).replace("a b+c", "a b c")
        diagnosis = _diagnosed(replies, _signature_reply(altered))
        assert diagnosis.evidence_value("signature_diff") == "path"
        assert "%2B" in " ".join(item.text for item in diagnosis.evidence)
        assert diagnosis.evidence_value("signature_verdict") == "altered-in-transit"

    def test_host_with_a_port_is_named(self, replies: ReplyServer) -> None:
        """A Host that arrived with a port is the first difference."""
        _diagnosed(replies, _signature_reply("x"))
        client = _client_string(replies)
        host = client.rsplit("host=", 1)[1].strip()
        diagnosis = _diagnosed(replies, _signature_reply(client.replace(host, f"{host}%3A8080")))
        assert diagnosis.evidence_value("signature_diff") == "headers:host"
        assert "with a port" in " ".join(item.text for item in diagnosis.evidence)

    def test_header_added_after_signing_is_named(self, replies: ReplyServer) -> None:
        """A signed-list header the client never signed with that value is named."""
        _diagnosed(replies, _signature_reply("x"))
        client = _client_string(replies)
        diagnosis = _diagnosed(
            replies, _signature_reply(client.rstrip("\n") + "&x-cos-meta-proxy=1\n")
        )
        assert diagnosis.evidence_value("signature_diff") == "headers:x-cos-meta-proxy"
        assert "added after signing" in " ".join(item.text for item in diagnosis.evidence)

    def test_string_to_sign_alone_is_enough_when_digests_agree(self, replies: ReplyServer) -> None:
        """Without FormatString, a matching SHA-1 in StringToSign still proves the same text."""
        import hashlib

        _diagnosed(replies, _signature_reply("x"))
        digest = hashlib.sha1(_client_string(replies).encode()).hexdigest()
        extra = f"\t<StringToSign>sha1\n1;2\n{digest}\n</StringToSign>\n"
        reply = Reply(
            403,
            error_xml(
                "SignatureDoesNotMatch", "The Signature you specified is invalid.", extra=extra
            ),
        )
        assert _diagnosed(replies, reply).evidence_value("signature_verdict") == "wrong-secret-key"

    def test_a_signature_that_does_not_follow_from_the_request_is_the_clients_fault(self) -> None:
        """The client's signature does not fit its own request and key: client-signing-error."""
        signed = sign_request(
            secret_id="AKIDcosdoctorTESTsecretid0000000000A",
            secret_key="another-key",
            key_time="1;2",
            method="GET",
            path="/a.txt",
            params={},
            headers={"host": "h"},
        )

        context = RequestContext(
            http_status=403,
            error_code="SignatureDoesNotMatch",
            http_method="GET",
            path="/a.txt",
            request_headers={"authorization": signed.to_header(), "host": "h"},
            secrets=SecretsSeen(
                secret_id="AKIDcosdoctorTESTsecretid0000000000A", secret_key=SECRET_KEY
            ),
        )
        assert (
            diagnose_context(context).evidence_value("signature_verdict") == "client-signing-error"
        )

    def test_no_secret_in_signature_evidence(self, replies: ReplyServer) -> None:
        """The sent signature and the SecretKey never appear in the evidence."""
        _diagnosed(replies, _signature_reply("x"))
        diagnosis = _diagnosed(replies, _signature_reply(_client_string(replies)))
        signature = replies.seen[-1].headers["Authorization"].rsplit("q-signature=", 1)[1]
        dumped = repr(diagnosis.to_dict())
        assert signature not in dumped
        assert SECRET_KEY not in dumped

    def test_first_difference_reports_parameters(self) -> None:
        """Parameter encodings are compared name by name."""
        client = "get\n/\nprefix=dir%2Fa%20b\nhost=h\n"
        server = "get\n/\nprefix=dir%2Fa%2Bb\nhost=h\n"
        assert first_difference(client, server) == (
            "params",
            "prefix",
            "dir%2Fa%20b",
            "dir%2Fa%2Bb",
        )
        assert first_difference(client, client) is None


class TestAccess:
    def test_referer_and_signing_are_reported(self, replies: ReplyServer) -> None:
        """The Referer sent (here: the one the caller passed) and that the call was signed."""
        diagnosis = _diagnosed(
            replies, Reply(403, error_xml("AccessDenied", "You are denied by bucket referer rule"))
        )
        assert diagnosis.evidence_value("referer_sent") is None
        assert diagnosis.evidence_value("request_signed") is True
        assert "No Referer header" in " ".join(item.text for item in diagnosis.evidence)

    def test_permission_facts_end_in_a_policy_statement(self, replies: ReplyServer) -> None:
        """Action, resource, APPID suffix and a granting statement for access-denied."""
        diagnosis = _diagnosed(replies, Reply(403, error_xml("AccessDenied", "Access Denied.")))
        assert diagnosis.evidence_value("required_action") == "name/cos:GetObject"
        assert (
            diagnosis.evidence_value("resource_name")
            == f"qcs::cos:{REGION}:uid/1250000000:{BUCKET}/docs/a b+c.txt"
        )
        assert diagnosis.evidence_value("bucket_appid_suffix") is True
        statement = diagnosis.evidence_value("policy_statement")
        assert isinstance(statement, str)
        assert '"name/cos:GetObject"' in statement

    def test_each_call_s_policy_statement_names_its_own_resource(
        self, replies: ReplyServer
    ) -> None:
        """Failing calls on two keys, the second twice, each get a statement granting that key."""
        reply = Reply(403, error_xml("AccessDenied", "Access Denied."))
        for key in ("one.txt", "two.txt", "two.txt"):
            diagnosis = _diagnosed(replies, reply, Key=key)
            statement = diagnosis.evidence_value("policy_statement")
            assert isinstance(statement, str)
            assert f'"qcs::cos:{REGION}:uid/1250000000:{BUCKET}/{key}"' in statement
            assert '"qcs::cam::uin/<OwnerUin>:uin/<SubUin>"' in statement

    def test_bucket_configuration_calls_need_owner_rights(self, replies: ReplyServer) -> None:
        """Reading a bucket policy is a bucket-configuration call."""
        diagnosis = _diagnosed(
            replies,
            Reply(403, error_xml("AccessDenied", "Access Denied.")),
            call="get_bucket_policy",
        )
        assert diagnosis.evidence_value("required_action") == "name/cos:GetBucketPolicy"
        assert diagnosis.evidence_value("owner_rights_needed") is True
        assert (
            diagnosis.evidence_value("resource_name")
            == f"qcs::cos:{REGION}:uid/1250000000:{BUCKET}/*"
        )


class TestObjectsAndReplies:
    def test_archived_object_gets_a_ready_restore_call(self, replies: ReplyServer) -> None:
        """The storage class from the reply and a restore_object call with the user's names."""
        diagnosis = _diagnosed(
            replies,
            Reply(
                403,
                error_xml("InvalidObjectState", "archived"),
                {"x-cos-storage-class": "DEEP_ARCHIVE"},
            ),
        )
        assert diagnosis.evidence_value("storage_class") == "DEEP_ARCHIVE"
        assert diagnosis.evidence_value("restore_call") == (
            f"client.restore_object(Bucket='{BUCKET}', Key='docs/a b+c.txt', "
            "RestoreRequest={'Days': 1, 'CASJobParameters': {'Tier': 'Standard'}})"
        )

    def test_plain_text_from_a_proxy_is_called_out(self, replies: ReplyServer) -> None:
        """A non-XML body from a server that is not COS is named as such."""
        reply = Reply(
            502,
            "<html><body>Bad Gateway</body></html>",
            {"Server": "nginx", "Content-Type": "text/html"},
        )
        client = make_client(replies.port)
        cos_doctor.install()
        replies.reply = reply
        with pytest.raises(CosServiceError) as caught:
            client.get_object(Bucket=BUCKET, Key="a.txt")
        diagnosis = caught.value.diagnosis
        assert diagnosis.rule_id == "unrecognized-5xx"
        assert diagnosis.evidence_value("error_body") == "text"
        assert diagnosis.evidence_value("response_server") == "nginx"

    def test_head_404_whose_getters_choke_is_still_diagnosed(self, replies: ReplyServer) -> None:
        """A HEAD 404 without request id headers breaks the SDK's getters, not cos_doctor."""
        client = make_client(replies.port)
        cos_doctor.install()
        replies.reply = Reply(404, headers={"x-cos-request-id": ""})
        with pytest.raises(CosServiceError) as caught:
            client.head_object(Bucket=BUCKET, Key="gone.txt")
        diagnosis = caught.value.diagnosis
        assert diagnosis.rule_id == "head-not-found"
        assert diagnosis.evidence_value("head_target") == "object"


def test_every_evidence_text_exists_in_every_locale() -> None:
    """Each evidence key and variant is worded in every supported locale."""
    for key, entry in catalogue().evidence_text.items():
        tables = (
            entry.values() if all(isinstance(value, dict) for value in entry.values()) else [entry]
        )
        for table in tables:
            for locale in SUPPORTED_LOCALES:
                assert table.get(locale), (key, locale)


def test_readme_documents_every_evidence_key() -> None:
    """The README's evidence table names every key."""
    from pathlib import Path

    text = (Path(__file__).parent.parent / README_PATH).read_text(encoding="utf-8")
    missing = [key for key in catalogue().evidence_text if f"`{key}`" not in text]
    assert missing == []


@pytest.mark.parametrize(
    ("seconds", "en", "ko", "zh"),
    [
        (0, "0 s", "0초", "0秒"),
        (61, "1 min 1 s", "1분 1초", "1分1秒"),
        (90061, "1 d 1 h 1 min 1 s", "1일 1시간 1분 1초", "1天1小时1分1秒"),
        (-1204, "20 min 4 s", "20분 4초", "20分4秒"),
    ],
)
def test_human_duration(seconds: int, en: str, ko: str, zh: str) -> None:
    """Durations read at a glance, in every language, sign dropped."""
    assert human_duration(seconds, "en") == en
    assert human_duration(seconds, "ko") == ko
    assert human_duration(seconds, "zh") == zh
