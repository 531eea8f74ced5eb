"""The emulator's SigV4 code reproduces AWS's published known-answer vectors.

Sources of the vectors: the SigV4 test suite's ``get-vanilla`` and
``get-vanilla-query-order-key-case`` cases (aws-c-auth tests/aws-sig-v4-test-suite, also in
AWS's "Signature Version 4 test suite" page), and the S3 API reference examples "Signature
Calculations for the Authorization Header" (GET Object), "Query String Authentication" and
"Transferring Payload in Multiple Chunks" (sigv4-streaming).
"""

from __future__ import annotations

import pytest

from cos_doctor.emulator import aws_auth, sigv4
from cos_doctor.emulator.errors import CosError
from cos_doctor.emulator.request import CosRequest

SUITE_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_CREDENTIAL = sigv4.Credential("AKIDEXAMPLE", "20150830", "us-east-1", "service")
S3_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
S3_CREDENTIAL = sigv4.Credential("AKIAIOSFODNN7EXAMPLE", "20130524", "us-east-1", "s3")
S3_TIME = "20130524T000000Z"


def _sign(credential, secret, timestamp, method, path, query, headers, signed, payload):  # noqa: PLR0917
    text = sigv4.canonical_request(
        method, path=path, query=query, headers=headers, signed_headers=signed, payload_hash=payload
    )
    to_sign = sigv4.string_to_sign(timestamp, credential.scope, text)
    return text, to_sign, sigv4.signature(sigv4.signing_key(secret, credential), to_sign)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ([], "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        (
            [("Param2", "value2"), ("Param1", "value1")],
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
    ],
    ids=["get-vanilla", "get-vanilla-query-order-key-case"],
)
def test_signature_suite_vectors(query, expected):
    """The get-vanilla cases of AWS's SigV4 test suite give AWS's published signatures."""
    headers = {"host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z"}
    text, to_sign, signature = _sign(
        SUITE_CREDENTIAL,
        SUITE_KEY,
        "20150830T123600Z",
        "GET",
        "/",
        query,
        headers,
        ("host", "x-amz-date"),
        sigv4.EMPTY_SHA256,
    )
    assert signature == expected
    if not query:
        assert text == (
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n" + sigv4.EMPTY_SHA256
        )
        assert to_sign.endswith(
            "\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        )


def test_s3_header_example():
    """S3's GET Object example (Range, empty-body hash) gives AWS's canonical hash and signature."""
    headers = {
        "host": "examplebucket.s3.amazonaws.com",
        "range": "bytes=0-9",
        "x-amz-content-sha256": sigv4.EMPTY_SHA256,
        "x-amz-date": S3_TIME,
    }
    _, to_sign, signature = _sign(
        S3_CREDENTIAL,
        S3_KEY,
        S3_TIME,
        "GET",
        "/test.txt",
        [],
        headers,
        ("host", "range", "x-amz-content-sha256", "x-amz-date"),
        sigv4.EMPTY_SHA256,
    )
    assert to_sign.endswith("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
    assert signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"


def _request(method, path, headers, query=None, body=b""):
    return CosRequest(
        method=method,
        host=headers.get("host", ""),
        path=path,
        query=query or {},
        headers=headers,
        body=body,
        remote_addr="127.0.0.1",
    )


def test_s3_presigned_example():
    """S3's presigned GET example verifies; any other secret is SignatureDoesNotMatch."""
    query = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
        "X-Amz-Date": S3_TIME,
        "X-Amz-Expires": "86400",
        "X-Amz-SignedHeaders": "host",
        "X-Amz-Signature": "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
    }
    request = _request("GET", "/test.txt", {"host": "examplebucket.s3.amazonaws.com"}, query)
    assert aws_auth.is_sigv4(request)
    found = aws_auth.find(request)
    assert (found.presigned, found.expires, found.payload_hash) == (True, 86400, "UNSIGNED-PAYLOAD")
    assert aws_auth.verify(request, found, S3_KEY) == b""
    with pytest.raises(CosError) as caught:
        aws_auth.verify(request, found, S3_KEY + "x")
    assert caught.value.code == "SignatureDoesNotMatch"


def _streaming_example(
    final_signature="b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
):
    headers = {
        "host": "s3.amazonaws.com",
        "x-amz-date": S3_TIME,
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "authorization": (
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
            "x-amz-decoded-content-length;x-amz-storage-class,"
            "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
        ),
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": "66560",
        "content-length": "66824",
    }
    body = (
        b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n"
        + b"a" * 65536
        + b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n"
        + b"a" * 1024
        + f"\r\n0;chunk-signature={final_signature}\r\n\r\n".encode()
    )
    assert len(body) == 66824
    return _request("PUT", "/examplebucket/chunkObject.txt", headers, body=body)


def test_s3_streaming_example():
    """S3's chunked-upload example verifies chunk by chunk and yields the 66560 bytes sent."""
    request = _streaming_example()
    found = aws_auth.find(request)
    assert aws_auth.verify(request, found, S3_KEY) == b"a" * 66560


def test_streaming_chunk_signature_is_checked():
    """A wrong signature on the final chunk is SignatureDoesNotMatch, though the seed is right."""
    request = _streaming_example(final_signature="0" * 64)
    with pytest.raises(CosError) as caught:
        aws_auth.verify(request, aws_auth.find(request), S3_KEY)
    assert caught.value.code == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    "value",
    [
        "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=AK/20130524/s3/aws4_request, SignedHeaders=host, Signature=a",
        "AWS4-HMAC-SHA1 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=a",
    ],
    ids=["no-signed-headers", "short-scope", "other-algorithm"],
)
def test_malformed_authorization_is_refused(value):
    """An Authorization value that is not a complete SigV4 header parses to nothing."""
    assert sigv4.parse_authorization(value) is None


def test_decode_chunked_reads_trailers():
    """An unsigned aws-chunked body yields its data and its trailing checksum header."""
    decoded = sigv4.decode_chunked(b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n")
    assert decoded is not None
    assert decoded.data == b"hello"
    assert decoded.trailers == {"x-amz-checksum-crc32": "NhCmhg=="}
    assert sigv4.decode_chunked(b"5\r\nhel") is None
