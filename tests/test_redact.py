"""Redaction: what counts as secret never survives scrub()."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cos_doctor._log.event import SdkSecretFilter
from cos_doctor._redact import mask_secret_id, scrub

SECRET_ID = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"q-sign-algorithm=sha1&q-ak={SECRET_ID}&q-signature=3b8851a11a569213c17ba8fa7dcf2abec6935172", "3b8851a11a569213c17ba8fa7dcf2abec6935172"),
        ("sign_keyeb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f", "eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f"),
        ("sign_key: eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f", "eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f"),
        ("sign: 3b8851a11a569213c17ba8fa7dcf2abec6935172", "3b8851a11a569213c17ba8fa7dcf2abec6935172"),
        ("{'x-cos-security-token': 'tok-123.abc', 'Host': 'h'}", "tok-123.abc"),
        ("host=h&x-cos-security-token=tok-123.abc\n", "tok-123.abc"),
        ("https://b.cos.ap-guangzhou.myqcloud.com/k?q-signature=abcdef0123&x-cos-security-token=tok-9", "abcdef0123"),
        ("https://b.cos.ap-guangzhou.myqcloud.com/k?sign=q-sign-algorithm%3Dsha1%26q-signature%3Dabcdef0123", "abcdef0123"),
        (f"q-ak={SECRET_ID}", SECRET_ID),
    ],
)
def test_scrub_removes_the_secret(text: str, secret: str) -> None:
    """Signatures, sign keys, tokens and full SecretIds are removed or masked."""
    assert secret not in scrub(text)


def test_mask_keeps_only_the_ends() -> None:
    """A SecretId shows its first and last four characters and nothing else."""
    assert mask_secret_id(SECRET_ID) == "AKID****9U5q"
    assert mask_secret_id("short") == "*****"
    assert mask_secret_id(None) is None


@given(st.text())
def test_scrub_is_idempotent(text: str) -> None:
    """Scrubbing twice changes nothing more than scrubbing once."""
    once = scrub(text)
    assert scrub(once) == once


def test_sdk_debug_records_are_scrubbed() -> None:
    """The filter rewrites the SDK's own DEBUG lines that carry the sign key."""
    record = logging.LogRecord("qcloud_cos.cos_auth", logging.DEBUG, __file__, 1, "sign_key%s", ("eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f",), None)
    assert SdkSecretFilter().filter(record) is True
    assert "eb2519b4" not in record.getMessage()


_FRAGMENTS = [
    "q-signature=", "Q-SIGNATURE: ", "q-signature%3D", "sign_key", "SIGN KEY ", "sign:", "ſign_key", "sıgn", "İ",
    "x-cos-security-token: ", "SecurityToken='", "session_token=b'", "toKen", "AKID", "akid", "K",
    "0123456789abcdef" * 3, "eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f", "&", " ", "'", "\n", "x", "Z9",
]


def _scrub_everything(text: str) -> str:
    """The reference: every pattern, unconditionally, as before the keyword shortcut."""
    from cos_doctor import _redact

    text = _redact._SIGNATURE.sub(r"\1<redacted>", text)
    text = _redact._AUTHORIZATION_SIGNATURE.sub(r"\1<redacted>", text)
    text = _redact._SIGN_KEY.sub(r"\1<redacted>", text)
    text = _redact._TOKEN.sub(r"\1<redacted>", text)
    return _redact._SECRET_ID.sub(lambda found: mask_secret_id(found.group(0)) or "", text)


@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map("".join))
def test_keyword_shortcut_changes_nothing(text: str) -> None:
    """Skipping patterns whose keyword is absent gives exactly what running them all gives."""
    assert scrub(text) == _scrub_everything(text)
