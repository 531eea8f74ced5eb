"""Issue 17 part 3: service-error families, through the real SDK and as pasted.

A bucket sub-resource with no configuration is named; a Cloud Infinite reply's X-ErrNo header is
read as its Code (the SDK raises it with the reply's headers as its digest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from qcloud_cos import CosServiceError

import cos_doctor
from cos_doctor._pipeline.ci_reply import ci_error
from cos_doctor._pipeline.subresource import subresource
from cos_doctor.testing import emulated_cos
from tests.conftest import BUCKET, make_client
from tests.replies import Reply, error_xml

if TYPE_CHECKING:
    from tests.replies import ReplyServer

# Every Code of the rule, and the sub-resource (query name, 436/14518) it is about.
NO_CONFIGURATION = {
    "NoSuchLifecycleConfiguration": "lifecycle",
    "NoSuchCORSConfiguration": "cors",
    "NoSuchTagSet": "tagging",
    "NoSuchTagSetError": "tagging",
    "NoSuchEncryptionConfiguration": "encryption",
    "NoSuchObjectLockConfiguration": "object-lock",
    "NoSuchWebsiteConfiguration": "website",
    "OriginConfigurationNotFoundError": "origin",
    "ReplicationConfigurationNotFoundError": "replication",
    "InventoryConfigurationNotFoundError": "inventory",
}


@pytest.mark.parametrize(("code", "name"), sorted(NO_CONFIGURATION.items()))
@pytest.mark.parametrize("locale", ["en", "ko", "zh"])
def test_no_configuration_names_its_sub_resource(code: str, name: str, locale: str) -> None:
    """Each documented "no such configuration" Code gets one rule naming its sub-resource."""
    found = cos_doctor.diagnose(error_xml(code, ""), http_status=404, locale=locale)
    assert found.rule_id == "configuration-not-set"
    assert name in found.title
    assert f"?{name}" in found.cause


def test_no_configuration_without_a_named_sub_resource_says_so_generically() -> None:
    """NoBucketQuotaPolicy names no sub-resource: the rule says "<sub-resource>", no raw brace."""
    found = cos_doctor.diagnose(error_xml("NoBucketQuotaPolicy", ""), http_status=404)
    assert found.rule_id == "configuration-not-set"
    assert "<sub-resource>" in found.title
    assert "{" not in found.title + found.cause + "".join(found.steps)


def test_the_sub_resource_comes_from_the_code_before_the_query() -> None:
    """The Code names the sub-resource for certain; a query's configuration name is the fallback."""
    assert subresource("NoSuchTagSet", {"cors": ""}) == "tagging"
    assert subresource(None, {"versionId": "1", "website": ""}) == "website"
    assert subresource("NoSuchKey", {"uploads": "", "acl": ""}) is None


def test_a_get_of_cors_never_set_is_diagnosed_through_the_sdk() -> None:
    """The emulator's reply to get_bucket_cors on a bucket without CORS names ?cors, live."""
    with emulated_cos() as cos, pytest.raises(CosServiceError) as caught:
        cos.client.get_bucket_cors(Bucket=cos.bucket)
    diagnosis = caught.value.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "configuration-not-set"
    assert "cors" in diagnosis.title
    assert "normal answer" in diagnosis.cause


# ---------------------------------------------------------------------------------------------
# Cloud Infinite: the X-ErrNo header


def test_x_errno_is_read_only_when_it_is_a_code() -> None:
    """X-ErrNo counts as a Code only when it is a non-zero number, with x-ci-request-id."""
    assert ci_error({"x-errno": "-46618", "x-ci-request-id": "abc"}) == ("-46618", "abc")
    assert ci_error({"x-errno": " -3004 "}) == ("-3004", None)
    assert ci_error({"x-errno": "0"}) == (None, None)
    assert ci_error({"x-errno": "oops"}) == (None, None)
    assert ci_error({"x-errno": "-" + "9" * 40}) == (None, None)
    assert ci_error({}) == (None, None)


def _ci_reply(errno: str) -> Reply:
    # The documented doc-preview failure (a 404, X-ErrNo: -3004), without the XML body the
    # sample does not show: the header is its only error field.
    return Reply(
        status=404,
        headers={"X-ErrNo": errno, "Server": "tencent-ci", "x-ci-request-id": "NjI4ZmQ3Y2Zf"},
    )


def _doc_preview_failure(replies: ReplyServer) -> CosServiceError:
    """The error of a doc-preview request (a Cloud Infinite call) answered with ``replies``."""
    client = make_client(replies.port)
    with pytest.raises(CosServiceError) as caught:
        client.ci_doc_preview_process(Bucket=BUCKET, Key="sample.pdf", Page=1)
    return caught.value


@pytest.mark.usefixtures("installed")
def test_a_cloud_infinite_reply_is_diagnosed_from_its_x_errno_header(replies: ReplyServer) -> None:
    """A doc-preview 404 whose only error field is X-ErrNo: -3004 gets the CI not-found rule."""
    replies.reply = _ci_reply("-3004")
    diagnosis = _doc_preview_failure(replies).diagnosis  # type: ignore[attr-defined]
    assert diagnosis.error_code == "-3004"
    assert diagnosis.rule_id == "ci-file-not-found"
    assert replies.seen[-1].path.startswith("/sample.pdf?")
    assert "ci-process=doc-preview" in replies.seen[-1].path


@pytest.mark.usefixtures("installed")
def test_an_xml_code_wins_over_x_errno(replies: ReplyServer) -> None:
    """When the body carries a COS Code, the header does not replace it."""
    replies.reply = Reply(
        status=404,
        body=error_xml("NoSuchKey", "The specified key does not exist."),
        headers={"X-ErrNo": "-3004"},
    )
    assert _doc_preview_failure(replies).diagnosis.error_code == "NoSuchKey"  # type: ignore[attr-defined]


@pytest.mark.usefixtures("installed")
def test_an_undocumented_ci_code_gets_an_honest_generic_diagnosis(replies: ReplyServer) -> None:
    """An X-ErrNo no page documents is still read as the Code, and only a generic rule answers."""
    replies.reply = _ci_reply("-99999")
    diagnosis = _doc_preview_failure(replies).diagnosis  # type: ignore[attr-defined]
    assert diagnosis.error_code == "-99999"
    assert diagnosis.generic


def test_a_pasted_ci_reply_with_its_headers_is_read_the_same_way() -> None:
    """diagnose() given the reply's headers reads X-ErrNo as the live hook does."""
    found = cos_doctor.diagnose(
        "", http_status=403, headers={"X-ErrNo": "-46619", "x-ci-request-id": "NjI4ZmQ3Y2Zf"}
    )
    assert found.error_code == "-46619"
    assert found.request_id == "NjI4ZmQ3Y2Zf"
    assert found.rule_id == "ci-signature-expired"
