"""Redaction: what counts as secret never survives scrub()."""

from __future__ import annotations

import json
import logging
import string
from collections.abc import Callable
from urllib.parse import quote

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cos_doctor._log.event import SdkSecretFilter
from cos_doctor._redact import Redactor, mask_secret_id, scrub

SECRET_ID = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            f"q-sign-algorithm=sha1&q-ak={SECRET_ID}&q-signature=3b8851a11a569213c17ba8fa7dcf2abec6935172",
            "3b8851a11a569213c17ba8fa7dcf2abec6935172",
        ),
        (
            "sign_keyeb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f",
            "eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f",
        ),
        (
            "sign_key: eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f",
            "eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f",
        ),
        (
            "sign: 3b8851a11a569213c17ba8fa7dcf2abec6935172",
            "3b8851a11a569213c17ba8fa7dcf2abec6935172",
        ),
        ("{'x-cos-security-token': 'tok-123.abc', 'Host': 'h'}", "tok-123.abc"),
        ("host=h&x-cos-security-token=tok-123.abc\n", "tok-123.abc"),
        (
            "https://b.cos.ap-guangzhou.myqcloud.com/k?q-signature=abcdef0123&x-cos-security-token=tok-9",
            "abcdef0123",
        ),
        (
            "https://b.cos.ap-guangzhou.myqcloud.com/k?sign=q-sign-algorithm%3Dsha1%26q-signature%3Dabcdef0123",
            "abcdef0123",
        ),
        (f"q-ak={SECRET_ID}", SECRET_ID),
        ("Cannot connect to proxy http://alice:pa55word@127.0.0.1:3128", "pa55word"),
        ("sign=q-sign-algorithm%253Dsha1%2526q-signature%253Dabcdef0123", "abcdef0123"),
        ("next=https%3A%2F%2Fb%2Fk%3Fx-cos-security-token%253Dtok-9", "tok-9"),
    ],
)
def test_scrub_removes_the_secret(text: str, secret: str) -> None:
    """Signatures, sign keys, tokens (also percent-encoded twice), URL passwords and full SecretIds are removed or masked."""
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
    record = logging.LogRecord(
        "qcloud_cos.cos_auth",
        logging.DEBUG,
        __file__,
        1,
        "sign_key%s",
        ("eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f",),
        None,
    )
    assert SdkSecretFilter().filter(record) is True
    assert "eb2519b4" not in record.getMessage()


_FRAGMENTS = [
    "q-signature=",
    "Q-SIGNATURE: ",
    "q-signature%3D",
    "sign_key",
    "SIGN KEY ",
    "sign:",
    "ſign_key",
    "sıgn",
    "İ",
    "x-cos-security-token: ",
    "SecurityToken='",
    "session_token=b'",
    "toKen",
    "AKID",
    "akid",
    "K",
    "0123456789abcdef" * 3,
    "eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f",
    "&",
    " ",
    "'",
    "\n",
    "x",
    "Z9",
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


_AWKWARD_SECRETS = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=8, max_size=40
).filter(
    lambda text: (
        text.strip() == text and text[:8] not in "<redacted>"
    ),  # no secret is what replaces one
)
_SPELLINGS = [
    lambda text: text,
    lambda text: quote(text, safe=""),
    lambda text: quote(quote(text, safe=""), safe=""),
    lambda text: repr(text)[1:-1],
    lambda text: json.dumps(text)[1:-1],
]


@given(
    secret=_AWKWARD_SECRETS,
    spell=st.sampled_from(_SPELLINGS),
    cut=st.integers(8, 40),
    around=st.sampled_from(["{}", "x '{}' y", "Host {}… more", "a{}b"]),
)
def test_a_known_secret_goes_in_every_spelling_and_every_cut(
    secret: str, spell: Callable[[str], str], cut: int, around: str
) -> None:
    """A secret the redactor knows is removed as sent, escaped, encoded once or twice, and cut to eight characters or more."""
    shown = spell(secret[:cut])
    redacted = Redactor([secret])(around.format(shown))
    assert shown not in redacted
    assert spell(secret[:8]) not in redacted


@given(secret=_AWKWARD_SECRETS, spell=st.sampled_from(_SPELLINGS), cut=st.integers(4, 7))
def test_the_head_of_a_secret_before_a_cut_mark_goes(
    secret: str, spell: Callable[[str], str], cut: int
) -> None:
    """What a cut marked with '…' leaves of a secret's start, four characters or more, is removed."""
    head = spell(secret)[:cut]
    assert not Redactor([secret])(f"First difference: '{head}…'").startswith(
        f"First difference: '{head}"
    )


@given(
    secret=st.text("abcdefgh0123#:@", min_size=1, max_size=7),
    quote_mark=st.sampled_from(["'", '"']),
)
def test_a_short_secret_goes_where_it_is_quoted_whole_and_nowhere_else(
    secret: str, quote_mark: str
) -> None:
    """A secret under eight characters is removed where it stands quoted whole, and inside other words it is left alone."""
    redact = Redactor([secret])
    assert (
        redact(f"Failed to parse: {quote_mark}{secret}{quote_mark} is not valid")
        == f"Failed to parse: {quote_mark}<redacted>{quote_mark} is not valid"
    )
    unrelated = f"x{secret}y and {quote_mark}z{secret}{quote_mark}"
    assert redact(unrelated) == scrub(unrelated)


def test_a_secret_pasted_with_blanks_goes_without_them_too() -> None:
    """A secret or SecretId configured with blanks around it is removed (or masked) where it travels stripped, and where it travels as given."""
    redact = Redactor(["  secret-key-0001\n"], [" key-id-000000000001 "])
    assert redact("key secret-key-0001 end") == "key <redacted> end"
    assert redact("'  secret-key-0001\n'") == "'<redacted>'"
    assert redact("q-ak=key-id-000000000001&") == "q-ak=key-****0001&"


def test_a_cut_secret_id_keeps_only_its_public_prefix() -> None:
    """A SecretId cut short shows its first four characters, like a whole one, and no more."""
    redact = Redactor(secret_ids=[SECRET_ID])
    assert redact(f"q-ak {SECRET_ID[:20]}…") == "q-ak AKID****…"
    assert redact(SECRET_ID) == "AKID****9U5q"


def test_overlapping_spellings_go_whole() -> None:
    """The JSON and repr() escapes of one character share a backslash: neither leaves the other's tail."""
    secret = "alice:::\xa0JJ?"
    assert (
        Redactor([secret, secret[:-1]])("'alice:::\\xa0JJ' and alice:::\\u00a0JJ")
        == "'<redacted>' and <redacted>"
    )


_SECRET_LISTS = st.lists(
    st.one_of(_AWKWARD_SECRETS, st.text("abcdefgh0123#:@", min_size=1, max_size=7)), max_size=3
)


@given(
    base=_SECRET_LISTS,
    base_ids=_SECRET_LISTS,
    more=_SECRET_LISTS,
    more_ids=_SECRET_LISTS,
    around=st.sampled_from(["{}", "x '{}' y", "{}… more"]),
)
def test_an_extended_redactor_redacts_as_one_built_with_every_secret(
    base: list[str], base_ids: list[str], more: list[str], more_ids: list[str], around: str
) -> None:
    """A request's redactor built on top of its client's removes exactly what one built from all the secrets at once removes."""
    extended = Redactor(base, base_ids).extended(more, more_ids)
    whole = Redactor([*base, *more], [*base_ids, *more_ids])
    for value in (*base, *base_ids, *more, *more_ids):
        for text in (
            around.format(value),
            around.format(value[:9]),
            around.format(repr(value)[1:-1]),
        ):
            assert extended(text) == whole(text)


# Request values: awkward text, short ones, and the plain letters and digits of a signature,
# a sign key or a SecretId.
_REQUEST_LISTS = st.lists(
    st.one_of(
        _AWKWARD_SECRETS,
        st.text("abcdefgh0123#:@", min_size=1, max_size=7),
        st.text(string.ascii_letters + string.digits, min_size=8, max_size=40),
    ),
    max_size=3,
)


@given(
    base=_SECRET_LISTS,
    base_ids=_SECRET_LISTS,
    more=_REQUEST_LISTS,
    more_ids=_REQUEST_LISTS,
    shared=st.booleans(),
    padding=st.sampled_from(["", " ", "\n"]),
)
@example(base=[], base_ids=[], more=["abcdefghij"], more_ids=[], shared=False, padding="")
@example(base=[], base_ids=[], more=["abcdefghij"], more_ids=[], shared=False, padding=" ")
@example(base=["x" * 9], base_ids=[], more=[], more_ids=["x" * 9], shared=False, padding="")
def test_finds_extended_never_misses_what_the_extended_redactor_changes(  # noqa: PLR0917 - Hypothesis draws each one
    base: list[str],
    base_ids: list[str],
    more: list[str],
    more_ids: list[str],
    shared: bool,
    padding: str,
) -> None:
    """finds_extended() says yes whenever the extended redactor would change a text: for the request's own values (padded with blanks or not) and for values its base already knows, in any spelling, cut or cut mark."""
    base_redactor = Redactor(base, base_ids)
    if shared:  # the request also carries its client's own values (its token, its SecretId)
        more, more_ids = [*more, *base, *base_ids], [*more_ids, *base_ids, *base]
    more = [padding + value + padding for value in more]
    extended = base_redactor.extended(more, more_ids)
    for value in (*base, *base_ids, *more, *more_ids, "nothing secret here at all"):
        for spell in _SPELLINGS:
            for cut in (4, 7, 8, 9, 40):
                for around in ("{}", "x '{}' y", "{}… more", "a{}b"):
                    text = around.format(spell(value.strip()[:cut]))
                    if extended(text) != text:
                        assert base_redactor.finds_extended(text, more, more_ids), text


_SHAPED_FRAGMENTS = [
    *_FRAGMENTS,
    "://",
    "http://",
    "@",
    "alice:pa55@",
    "x-cos-security-token doesn't match the value ",
    "q-signature%253D",
    "%3D",
]


@given(st.lists(st.sampled_from(_SHAPED_FRAGMENTS), max_size=12).map("".join))
@example("http://alice:pa55@127.0.0.1")
@example("x-cos-security-token doesn't match the value tok-1")
@example("q-signature%253Dabc")
@example("Sign_Key: " + "ab" * 20)
@example("session_token=b'tok'")
@example("q-ak=" + SECRET_ID)
def test_a_redactor_finds_everything_scrub_would_change(text: str) -> None:
    """Redactor.finds() says no only where scrub() leaves the text as it is: a signature, sign key, token, URL password or SecretId is always found."""
    if scrub(text) != text:
        assert Redactor().finds(text)


def test_a_client_redactor_is_built_once_per_set_of_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same secrets give the same redactor object; other secrets, or a proxy variable set since, give a new one that knows them."""
    from cos_doctor._pipeline.sources import SecretsSeen
    from cos_doctor._redact import client_redactor

    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    secrets = SecretsSeen(secret_id=SECRET_ID, secret_key="client-secret-key-0001")
    first = client_redactor(secrets)
    assert (
        client_redactor(SecretsSeen(secret_id=SECRET_ID, secret_key="client-secret-key-0001"))
        is first
    )
    assert "client-secret-key-0001" not in first("key client-secret-key-0001")
    other = client_redactor(SecretsSeen(secret_id=SECRET_ID, secret_key="another-secret-key-02"))
    assert other is not first
    assert "another-secret-key-02" not in other("key another-secret-key-02")
    monkeypatch.setenv("HTTPS_PROXY", "http://alice:proxy-pass-word@127.0.0.1:3128")
    with_proxy = client_redactor(secrets)
    assert with_proxy is not first
    assert "proxy-pass-word" not in with_proxy("'proxy-pass-word'")


@given(
    token=_AWKWARD_SECRETS,
    signature=st.text("0123456789abcdef", min_size=40, max_size=40),
    said=st.sampled_from(["token", "signature", "sign key", "secret id", "key", "nothing"]),
    spell=st.sampled_from(_SPELLINGS),
    cut=st.integers(4, 40),
)
def test_the_quick_seal_check_never_misses_a_secret_the_request_redactor_removes(
    token: str, signature: str, said: str, spell: Callable[[str], str], cut: int
) -> None:
    """finds_for says a text needs sealing whenever the request's full redactor would change it: its token, signature, sign key, SecretId or its client's SecretKey, in any spelling or cut."""
    from cos_doctor._pipeline.context import RequestContext
    from cos_doctor._pipeline.sources import SecretsSeen
    from cos_doctor._redact import finds_for, redactor_for
    from cos_doctor._signing import sign_key

    key_time = "1700000000;1700003600"
    authorization = (
        f"q-sign-algorithm=sha1&q-ak={SECRET_ID}&q-sign-time={key_time}&q-key-time={key_time}"
        f"&q-header-list=host&q-url-param-list=&q-signature={signature}"
    )
    secret_key = "client-secret-key-0001"
    context = RequestContext(
        request_headers={"authorization": authorization, "x-cos-security-token": token},
        secrets=SecretsSeen(secret_id=SECRET_ID, secret_key=secret_key),
    )
    value = {
        "token": token,
        "signature": signature,
        "sign key": sign_key(secret_key, key_time),
        "secret id": SECRET_ID,
        "key": secret_key,
        "nothing": "nothing secret here at all",
    }[said]
    for around in ("{}", "x '{}' y", "{}… more", "a{}b"):
        text = around.format(spell(value[:cut]))
        if redactor_for(context)(text) != text:
            assert finds_for(context, text)


def test_a_client_s_settings_and_secrets_are_read_once_per_configuration() -> None:
    """The same client configuration gives the same records; set_credential() or another region gives new ones that know the change."""
    from qcloud_cos import CosConfig, CosS3Client

    from cos_doctor._sdk.live import client_records, client_secrets

    config = CosConfig(Region="ap-guangzhou", SecretId=SECRET_ID, SecretKey="first-secret-key-0001")
    client = CosS3Client(config)
    first = client_records(client)
    assert client_records(client) is first
    assert first.secrets.secret_key == "first-secret-key-0001"
    # Token given: the SDK's set_credential() fails on its default None (it strips it).
    config.set_credential(SECRET_ID, "second-secret-key-0002", Token="session-token-0003")
    changed = client_secrets(client)
    assert (changed.secret_key, changed.token) == ("second-secret-key-0002", "session-token-0003")
    elsewhere = CosConfig(
        Region="ap-beijing", SecretId=SECRET_ID, SecretKey="first-secret-key-0001"
    )
    assert client_records(CosS3Client(elsewhere)).settings.region == "ap-beijing"
