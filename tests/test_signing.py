"""The q-sign algorithm against Tencent's and the Go SDK's known answers, plus properties."""

from __future__ import annotations

import hashlib
import re
import string
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cos_doctor import _signing as signing

OFFICIAL_SECRET_ID = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q"
OFFICIAL_SECRET_KEY = "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz"
OFFICIAL_HOST = "examplebucket-1250000000.cos.ap-beijing.myqcloud.com"
OFFICIAL_PUT_HEADERS = {
    "Content-Length": "13",
    "Content-MD5": "mQ/fVh815F3k6TAUm8m0eg==",
    "Content-Type": "text/plain",
    "Date": "Thu, 16 May 2019 06:45:51 GMT",
    "Host": OFFICIAL_HOST,
    "x-cos-acl": "private",
    "x-cos-grant-read": 'uin="100000000011"',
}
OFFICIAL_PUT_KEY_TIME = "1557989151;1557996351"

# Base64 "policy" field of the POST Object documentation example, decoded: the exact bytes.
POST_POLICY = (
    b'{\n    "expiration": "2019-08-30T09:38:12.414Z",\n    "conditions": [\n'
    b'        { "acl": "default" },\n'
    b'        { "bucket": "examplebucket-1250000000" },\n'
    b'        [ "starts-with", "$key", "folder/subfolder/" ],\n'
    b'        [ "starts-with", "$Content-Type", "image/" ],\n'
    b'        [ "starts-with", "$success_action_redirect", "https://my.website/" ],\n'
    b'        [ "eq", "$x-cos-server-side-encryption", "AES256" ],\n'
    b'        { "q-sign-algorithm": "sha1" },\n'
    b'        { "q-ak": "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q" },\n'
    b'        { "q-sign-time": "1567150692;1567157892" }\n    ]\n}'
)


def _sign(secret_key: str, key_time: str, method: str, path: str, *, params=None, headers=None):
    return signing.sign_request(
        secret_id="AKIDexample",
        secret_key=secret_key,
        key_time=key_time,
        method=method,
        path=path,
        params=params or {},
        headers=headers or {},
    )


def _official_put():
    """The official PUT vector (§2.5, vector 1), signed."""
    return _sign(
        OFFICIAL_SECRET_KEY,
        OFFICIAL_PUT_KEY_TIME,
        "PUT",
        "/exampleobject(腾讯云)",
        headers=OFFICIAL_PUT_HEADERS,
    )


class TestKnownAnswers:
    def test_official_put_vector_intermediates(self):
        """The official PUT example reproduces its SignKey, HeaderList and HttpString digest."""
        http_string = signing.format_string(
            "PUT", "/exampleobject(腾讯云)", {}, OFFICIAL_PUT_HEADERS
        )
        assert signing.sign_key(OFFICIAL_SECRET_KEY, OFFICIAL_PUT_KEY_TIME) == (
            "eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f"
        )
        assert hashlib.sha1(http_string.encode()).hexdigest() == (
            "8b2751e77f43a0995d6e9eb9477f4b685cca4172"
        )
        auth = _official_put()
        assert ";".join(auth.header_list) == (
            "content-length;content-md5;content-type;date;host;x-cos-acl;x-cos-grant-read"
        )

    def test_official_put_vector_signature(self):
        """The official PUT example signs to 3b8851a1…."""
        auth = _official_put()
        assert auth.signature == "3b8851a11a569213c17ba8fa7dcf2abec6935172"

    def test_encoded_path_gives_the_wrong_signature(self):
        """Signing the percent-encoded wire path instead of the decoded one gives 7c72106…."""
        auth = _sign(
            OFFICIAL_SECRET_KEY,
            OFFICIAL_PUT_KEY_TIME,
            "PUT",
            "/exampleobject(%E8%85%BE%E8%AE%AF%E4%BA%91)",
            headers=OFFICIAL_PUT_HEADERS,
        )
        assert auth.signature.startswith("7c72106")
        assert auth.signature != "3b8851a11a569213c17ba8fa7dcf2abec6935172"

    def test_official_get_vector_with_params(self):
        """The official GET example with two response-* parameters signs to 01681b8c…."""
        auth = _sign(
            OFFICIAL_SECRET_KEY,
            "1557989753;1557996953",
            "GET",
            "/exampleobject(腾讯云)",
            params={
                "response-content-type": "application/octet-stream",
                "response-cache-control": "max-age=600",
            },
            headers={"Date": "Thu, 16 May 2019 06:55:53 GMT", "Host": OFFICIAL_HOST},
        )
        assert auth.url_param_list == ("response-cache-control", "response-content-type")
        assert auth.signature == "01681b8c9d798a678e43b685a9f1bba0f6c0e012"

    def test_go_sdk_vector_with_headers(self):
        """The Go SDK's auth_test vector (three signed headers) signs to ce4ac0ec…."""
        auth = _sign(
            "AKIDZfbOA78asKUYBcXFrJD0a1ICvR98JM",
            "1480932292;1481012292",
            "PUT",
            "/testfile2",
            headers={
                "host": "testbucket-125000000.cos.ap-guangzhou.myqcloud.com",
                "x-cos-content-sha1": "db8ac1c259eb89d4a131b253bacfca5f319d54f2",
                "x-cos-stroage-class": "nearline",
            },
        )
        assert auth.signature == "ce4ac0ecbcdb30538b3fee0a97cc6389694ce53a"

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({}, "820975b5a8eccce9455b94d4ebed14d66654bf3c"),
            ({"test": "params"}, "7757e84ed5f8953eafc30afcd2a5d1ad68e00d67"),
        ],
    )
    def test_go_sdk_object_vectors(self, params, expected):
        """The Go SDK's object_test vectors sign with nothing, then one parameter, signed."""
        auth = _sign(
            "ZfbOA78asKUYBcXFrJD0a1I*******",
            "1622702557;1622706157",
            "PUT",
            "/test.jpg",
            params=params,
        )
        assert auth.signature == expected

    def test_post_policy_vector(self):
        """The POST Object example policy hashes to d5d903b8… and signs to 7758dc9a…."""
        assert hashlib.sha1(POST_POLICY).hexdigest() == "d5d903b8360468bc81c1311f134989bc8c8b5b89"
        assert signing.sign_key(OFFICIAL_SECRET_KEY, "1567150692;1567157892") == (
            "39acc8c9f34ba5b19bce4e965b370cd3f62d2fba"
        )
        assert (
            signing.post_policy_signature(OFFICIAL_SECRET_KEY, "1567150692;1567157892", POST_POLICY)
            == "7758dc9a832e9d301dca704cacbf9d9f8172fdef"
        )


class TestEncoding:
    def test_empty_parts_keep_their_newlines(self):
        """The HttpString always has four newlines, even with nothing signed."""
        assert signing.format_string("GET", "/exampleobject", {}, {}) == "get\n/exampleobject\n\n\n"

    def test_values_keep_case_and_names_are_lowercased(self):
        """Names are encoded then lowercased; values keep the uppercase hex of their encoding."""
        assert signing.canonicalize({"Prefix": "example-folder/"}) == {
            "prefix": "example-folder%2F"
        }

    def test_space_is_percent_20(self):
        """A space encodes as %20, never as +, and + itself as %2B."""
        assert signing.cos_quote("a b+c") == "a%20b%2Bc"

    def test_string_to_sign_shape(self):
        """The StringToSign is sha1, the sign time and the HttpString digest, newline-ended."""
        digest = hashlib.sha1(b"get\n/\n\n\n").hexdigest()
        assert signing.string_to_sign("1;2", "get\n/\n\n\n") == f"sha1\n1;2\n{digest}\n"


class TestParsing:
    def test_parse_official_header(self):
        """A real Authorization value parses into its seven parts."""
        text = (
            f"q-sign-algorithm=sha1&q-ak={OFFICIAL_SECRET_ID}&q-sign-time=1557989753;1557996953"
            "&q-key-time=1557989753;1557996953&q-header-list=date;host"
            "&q-url-param-list=response-cache-control;response-content-type"
            "&q-signature=01681b8c9d798a678e43b685a9f1bba0f6c0e012"
        )
        auth = signing.parse_authorization(text)
        assert auth is not None
        assert auth.ak == OFFICIAL_SECRET_ID
        assert auth.header_list == ("date", "host")
        assert auth.url_param_list == ("response-cache-control", "response-content-type")
        assert auth.to_header() == text

    @pytest.mark.parametrize("text", ["", "   ", "Bearer abc", "q-ak=x&q-signature=y", "a&b&c"])
    def test_unparseable_is_none(self, text):
        """Empty or non-q-sign values parse to None rather than raising."""
        assert signing.parse_authorization(text) is None

    def test_empty_lists_are_allowed(self):
        """A signature over nothing has empty header and parameter lists."""
        auth = signing.parse_authorization(
            "q-sign-algorithm=sha1&q-ak=a&q-sign-time=1;2&q-key-time=1;2"
            "&q-header-list=&q-url-param-list=&q-signature=abc"
        )
        assert auth is not None
        assert auth.header_list == ()
        assert auth.url_param_list == ()

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("1;2", (1, 2)),
            ("1557989151;1557996351", (1557989151, 1557996351)),
            ("12", None),
            ("a;b", None),
            ("", None),
        ],
    )
    def test_parse_key_time(self, text, expected):
        """KeyTime splits into two integers, or None when malformed."""
        assert signing.parse_key_time(text) == expected


_names = st.text(alphabet=string.ascii_letters + string.digits + "-_.", min_size=1, max_size=20)
_values = st.text(max_size=30)
_signed_names = st.lists(_names.map(lambda name: signing.cos_quote(name).lower()), max_size=5)


_SDK_FIELD_ORDER = signing._FIELDS  # the order every SDK writes them
# Values an Authorization may hold, blanks and empty ones included, never an "&".
_field_values = st.one_of(
    st.sampled_from(["", " ", "\t", "\u3000", "sha1", " sha1", "1;2\n", "a=b", "host;;date"]),
    st.text(st.characters(blacklist_characters="&"), max_size=12),
)


@st.composite
def _authorizations(draw):
    start = draw(st.integers(0, 2**40))
    key_time = f"{start};{start + draw(st.integers(0, 2**20))}"
    return signing.Authorization(
        algorithm=draw(_names),
        ak=draw(_names),
        sign_time=key_time,
        key_time=key_time,
        header_list=tuple(draw(_signed_names)),
        url_param_list=tuple(draw(_signed_names)),
        signature=draw(st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)),
    )


class TestProperties:
    @given(st.text())
    def test_cos_quote_round_trips(self, text):
        """Decoding cos_quote(s) gives s back, for any text."""
        assert unquote(signing.cos_quote(text)) == text

    @given(st.text())
    def test_cos_quote_leaves_only_unreserved(self, text):
        """The encoded form holds only unreserved characters and uppercase %XX escapes."""
        assert re.fullmatch(r"(?:[A-Za-z0-9_.~-]|%[0-9A-F]{2})*", signing.cos_quote(text))

    @given(_authorizations())
    def test_formatted_header_parses_back(self, auth):
        """parse_authorization(auth.to_header()) returns the same parts."""
        assert signing.parse_authorization(auth.to_header()) == auth

    @given(st.lists(_field_values, min_size=7, max_size=7))
    def test_field_order_and_blanks_do_not_change_what_is_read(self, values):
        """The seven fields in the SDKs' order parse to what the same fields in another order give (blanks stripped, None alike)."""
        pairs = [f"{name}={value}" for name, value in zip(_SDK_FIELD_ORDER, values)]
        as_the_sdks_write = signing.parse_authorization("&".join(pairs))
        assert as_the_sdks_write == signing.parse_authorization("&".join(reversed(pairs)))

    @given(
        st.dictionaries(_values, _values, max_size=5), st.dictionaries(_values, _values, max_size=5)
    )
    def test_format_string_has_four_lines(self, params, headers):
        """Whatever is signed, the HttpString is exactly four newline-terminated lines."""
        text = signing.format_string("GET", "/key", params, headers)
        assert text.count("\n") == 4
        assert text.endswith("\n")

    @given(st.dictionaries(_values, _values, max_size=5))
    def test_sign_request_verifies_with_format_string(self, params):
        """A signature from sign_request equals the one rebuilt from its own parts."""
        auth = _sign("secret-key", "1;2", "GET", "/k", params=params)
        http_string = signing.format_string("GET", "/k", params, {})
        expected = signing.signature(
            signing.sign_key("secret-key", "1;2"), signing.string_to_sign("1;2", http_string)
        )
        assert auth.signature == expected
