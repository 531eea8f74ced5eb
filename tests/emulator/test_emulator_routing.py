"""Routing by Host, as COS does: virtual-hosted buckets only, everything else explained."""

from __future__ import annotations

import pytest
from qcloud_cos.cos_exception import CosServiceError


@pytest.mark.parametrize(
    "case",
    [
        ("cos.ap-guangzhou.myqcloud.com", 403, "PathStyleDomainForbidden", "virtual-styled domain"),
        ("examplebucket.cos.ap-guangzhou.myqcloud.com", 400, "InvalidRequest", "Appid"),
        ("127.0.0.1", 400, "InvalidRequest", "names no bucket"),
        (
            "examplebucket-1250000000.cos.ap-beijing.myqcloud.com",
            404,
            "NoSuchBucket",
            "does not exist",
        ),
    ],
    ids=["path-style", "no-appid", "bare-ip", "wrong-region"],
)
def test_hosts_that_name_no_bucket(emulator, http, case):
    """A Host that is not <bucket>-<appid>.cos.<region>.myqcloud.com gets COS's error for it."""
    host, status, code, message = case
    url, _ = emulator.url("key")
    with http.get(url, headers={"Host": host}) as response:
        assert response.status_code == status
        assert f"<Code>{code}</Code>" in response.text
        assert message in response.text


def test_tencentcos_domain_is_accepted(emulator, http, owner, bucket):
    """The newer <bucket>.cos.<region>.tencentcos.cn domain addresses the same bucket."""
    owner.put_object(Bucket=bucket, Key="pub", Body=b"x", ACL="public-read")
    url, _ = emulator.url("pub")
    with http.get(
        url, headers={"Host": f"{bucket}.cos.{emulator.region}.tencentcos.cn"}
    ) as response:
        assert response.content == b"x"


def test_unserved_subresource_is_not_implemented(owner, bucket):
    """A real COS API the emulator does not serve answers 501 NotImplemented, never a fake success."""
    with pytest.raises(CosServiceError) as caught:
        owner.get_bucket_versioning(Bucket=bucket)
    assert (caught.value.get_status_code(), caught.value.get_error_code()) == (
        501,
        "NotImplemented",
    )


def test_malformed_authorization(emulator, http, bucket):
    """An Authorization value that is not a q-sign signature is refused, not treated as anonymous."""
    url, headers = emulator.url("key")
    with http.get(url, headers={**headers, "Authorization": "Bearer abc"}) as response:
        assert response.status_code == 403
        assert "<Code>AccessDenied</Code>" in response.text
