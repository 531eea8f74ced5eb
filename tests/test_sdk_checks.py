"""The SDK's own checks: every literal message it raises has a rule, and the hook reaches them."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import io
import pathlib
import re
import sys
import types
import urllib.parse
from typing import TYPE_CHECKING, Any

import pytest
import qcloud_cos
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosClientError
from structlog.testing import capture_logs

import cos_doctor
from tests.conftest import run_forked
from tests.replies import Reply, ReplyServer, Seen, error_xml

if TYPE_CHECKING:
    from collections.abc import Callable

_SDK_ROOT = pathlib.Path(qcloud_cos.__file__).parent
# A stand-in for each value the SDK formats into a message (a parameter name, a CRC).
_SAMPLE = "1234567890"


def _sample_message(node: ast.expr) -> str | None:
    """The message a raise site's first argument makes, formatted parts filled with a sample."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _sample_message(node.left), _sample_message(node.right)
        return None if left is None and right is None else (left or _SAMPLE) + (right or _SAMPLE)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        return node.func.value.value.format(*[_SAMPLE] * len(node.args))
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else _SAMPLE for part in node.values
        )
    return None  # a variable: str(e) of a requests exception, diagnosed as a network failure


def _raise_sites() -> dict[str, list[str]]:
    """Every literal CosClientError message of the installed SDK, with where it is raised.

    Where is ``file.py:function`` (the function holding the raise), which a test provoking
    the site can compare with the frame that raised.
    """
    sites: dict[str, list[str]] = {}
    for path in sorted(_SDK_ROOT.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        owner: dict[int, str] = {}
        for function_node in ast.walk(tree):  # outer functions first, so the innermost wins
            if isinstance(function_node, ast.FunctionDef):
                for inner in ast.walk(function_node):
                    owner[id(inner)] = function_node.name
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            function = node.exc.func
            name = function.id if isinstance(function, ast.Name) else None
            if name != "CosClientError" or not node.exc.args:
                continue
            message = _sample_message(node.exc.args[0])
            if message is not None:
                where = f"{path.name}:{owner.get(id(node), '<module>')}"
                sites.setdefault(message, []).append(where)
    return sites


SITES = _raise_sites()
MESSAGES = sorted(SITES)


def test_the_enumeration_finds_the_sdks_raise_sites() -> None:
    """The installed SDK's raise sites are found (45 messages in 1.9.39, 47 in 1.9.44)."""
    assert len(MESSAGES) >= 45
    assert "Scheme can be only set to http/https" in SITES
    assert any(message.startswith("No Parameter Named 1234567890") for message in MESSAGES)


@pytest.mark.parametrize("message", MESSAGES, ids=MESSAGES)
def test_every_raise_site_message_has_a_specific_rule(message: str) -> None:
    """Each literal message the installed SDK raises is explained by a specific rule."""
    diagnosis = cos_doctor.diagnose(CosClientError(message))
    rule = next(rule for rule in _catalogue().rules if rule.id == diagnosis.rule_id)
    assert not rule.generic, f"{message!r} ({SITES[message]}) has no specific rule"
    assert rule.source  # every fact keeps a source a reviewer can open


def _catalogue() -> Any:
    from cos_doctor._knowledge.catalogue import catalogue

    return catalogue()


# ---------------------------------------------------------------------------------------------
# Through the hook: every raise site the enumeration finds is provoked by a real call on the
# real SDK (or declared unreachable, with the SDK code that makes it so), and diagnosed once.

_GOOD = {"Region": "ap-guangzhou", "SecretId": "AKIDexample", "SecretKey": "secret-example"}
_BUCKET = "examplebucket-1250000000"
_MIB = 1024 * 1024
# What download_file reads from HEAD besides the length (its resume record keeps them).
_OBJECT_HEADERS = {"Last-Modified": "Sun, 06 Dec 2026 16:00:00 GMT", "ETag": '"abc"'}


@dataclasses.dataclass(frozen=True)
class Env:
    """What a provoking call may use: a client on the loopback server, the server, a folder."""

    client: CosS3Client
    replies: ReplyServer
    folder: pathlib.Path


@dataclasses.dataclass(frozen=True)
class Provoked:
    """A public call that reaches the site, the rule it gets and a text its title must hold.

    ``where`` is the ``file.py:function`` that raises; it may be left out for a message the
    SDK raises at one place only.
    """

    call: Callable[[Env], object]
    rule_id: str
    shown: str
    where: str = ""


@dataclasses.dataclass(frozen=True)
class Unreachable:
    """A site no public call reaches: why (the SDK's guarding code), and a check it still holds."""

    reason: str
    still_holds: Callable[[], bool]


def _config(**changes: Any) -> Callable[[Env], object]:
    return lambda _env: CosConfig(**{**_GOOD, **changes})


class _Pipe(io.RawIOBase):
    """A one-byte body that can be read and sized but not rewound, like a pipe."""

    def __init__(self) -> None:
        self.sent = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.sent:
            return 0
        buffer[:1] = b"x"
        self.sent = True
        return 1

    def tell(self) -> int:
        return 0

    def __len__(self) -> int:  # the SDK sizes a body without fileno() by len()
        return 1

    def seek(self, offset: int, whence: int = 0) -> int:
        raise io.UnsupportedOperation(f"seek({offset}, {whence})")


def _multipart_replies(seen: Seen) -> Reply:
    """As COS for a multipart upload whose every part is refused: list, initiate, then 403."""
    if seen.method == "GET":
        return Reply(200, "<ListMultipartUploadsResult></ListMultipartUploadsResult>")
    if seen.method == "POST":
        return Reply(
            200,
            f"<InitiateMultipartUploadResult><Bucket>{_BUCKET}</Bucket><Key>big.bin</Key>"
            "<UploadId>1585130821cbb7df</UploadId></InitiateMultipartUploadResult>",
        )
    if seen.method == "HEAD":  # copy's look at its source
        return Reply(200, b"", {"Content-Length": str(2 * _MIB), **_OBJECT_HEADERS})
    return Reply(403, error_xml("AccessDenied", "Access Denied."))


def _parts_fail(env: Env, call: str) -> object:
    """Run a many-part helper against a server that refuses every part."""
    env.replies.reply = _multipart_replies
    source = env.folder / "big.bin"
    source.write_bytes(b"x" * (2 * _MIB))
    if call == "upload_file":
        return env.client.upload_file(
            Bucket=_BUCKET, Key="big.bin", LocalFilePath=str(source), PartSize=1, MAXThread=1
        )
    if call == "upload_file_from_buffer":
        with source.open("rb") as body:
            return env.client.upload_file_from_buffer(
                Bucket=_BUCKET, Key="big.bin", Body=body, PartSize=1, MAXThread=1
            )
    if call == "copy":  # the source's region differs, so its host is a name: proxy it here
        proxy = {"http": f"http://127.0.0.1:{env.replies.port}"}
        client = CosS3Client(CosConfig(**_GOOD, Scheme="http", Proxies=proxy), retry=0)
        client._conf.set_copy_part_threshold_size(_MIB)  # the SDK's own setter
        source_object = {"Bucket": "source-1250000000", "Key": "a.bin", "Region": "ap-beijing"}
        return client.copy(
            Bucket=_BUCKET, Key="big.bin", CopySource=source_object, PartSize=1, MAXThread=1
        )
    return env.client.download_file(
        Bucket=_BUCKET, Key="big.bin", DestFilePath=str(env.folder / "got.bin"), PartSize=1
    )


def _download_with_wrong_crc(env: Env) -> object:
    """download_file with EnableCRC against an object whose stated CRC64 is not its bytes'."""
    content = b"x" * (2 * _MIB)

    def reply(seen: Seen) -> Reply:
        if seen.method == "HEAD":
            return Reply(
                200,
                b"",
                {
                    "Content-Length": str(len(content)),
                    "x-cos-hash-crc64ecma": "1",
                    **_OBJECT_HEADERS,
                },
            )
        first, last = (int(end) for end in seen.headers["Range"][6:].split("-"))
        return Reply(206, content[first : last + 1])

    env.replies.reply = reply
    return env.client.download_file(
        Bucket=_BUCKET,
        Key="big.bin",
        DestFilePath=str(env.folder / "got.bin"),
        PartSize=1,
        MAXThread=1,
        EnableCRC=True,
    )


def _put_over_5gb(env: Env) -> object:
    """put_object with a sparse file one byte over 5 GiB (no disk used, no byte sent)."""
    path = env.folder / "huge.bin"
    with path.open("wb") as huge:
        huge.truncate(5 * 1024 * _MIB + 1)
    with path.open("rb") as body:
        return env.client.put_object(Bucket=_BUCKET, Key="huge.bin", Body=body)


def _encrypted_get_with_bad_range(env: Env) -> object:
    """CosEncryptionClient.get_object with a Range that is not first-last."""
    from qcloud_cos.cos_encryption_client import CosEncryptionClient
    from qcloud_cos.crypto import AESProvider

    env.replies.reply = Reply(200, b"", {"Content-Length": "1"})
    config = env.client._conf
    provider = AESProvider(aes_key="MDEyMzQ1Njc4OUFCQ0RFRjAxMjM0NTY3ODlBQkNERUY=")
    encrypted = CosEncryptionClient(config, provider)
    return encrypted.get_object(Bucket=_BUCKET, Key="a.txt", Range="bytes=5")


def _vectors_without_region(_env: Env) -> object:
    """A CosVectorsClient on a config with an Endpoint and no Region, IP or Domain."""
    from qcloud_cos.cos_vectors_client import CosVectorsClient

    config = CosConfig(**{**_GOOD, "Region": None, "Endpoint": "cos.ap-guangzhou.myqcloud.com"})
    return CosVectorsClient(config).get_vector_bucket(Bucket=_BUCKET)


def _vectors_policy_as_list(env: Env) -> object:
    """CosVectorsClient.put_vector_bucket_policy with a list for Policy."""
    from qcloud_cos.cos_vectors_client import CosVectorsClient

    return CosVectorsClient(env.client._conf).put_vector_bucket_policy(Bucket=_BUCKET, Policy=[1])


def _cipher() -> Any:
    from qcloud_cos.crypto import AESCTRCipher

    return AESCTRCipher()


def _rsa_provider() -> Any:
    from qcloud_cos.crypto import RSAProvider

    return RSAProvider


def _sdk_source(module: str) -> str:
    return (_SDK_ROOT / f"{module}.py").read_text(encoding="utf-8")


def _only_caller_guarded(function: str, guard: str) -> bool:
    """``function`` is called at one place in the SDK, within the three lines after ``guard``."""
    calls = [
        (path.stem, number)
        for path in sorted(_SDK_ROOT.glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines())
        if f"{function}(" in line and f"def {function}(" not in line
    ]
    if len(calls) != 1:
        return False
    module, number = calls[0]
    return any(guard in line for line in _sdk_source(module).splitlines()[number - 3 : number])


def _switch_url_only_after_a_domain_check() -> bool:
    """send_request switches a URL only once should_switch_domain matched its myqcloud host."""
    lines = _sdk_source("cos_client").splitlines()
    calls = [n for n, line in enumerate(lines) if "switch_hostname_for_url(" in line]
    deciding = inspect.getsource(qcloud_cos.CosS3Client.should_switch_domain)
    return (
        len(calls) >= 1
        and all("should_switch_domain(url" in lines[n - 1] for n in calls)
        and "myqcloud" in deciding
        and "re.match" in deciding
    )


def _vectors_paths_are_literals() -> bool:
    """Every CosVectorsClient method builds the path it gives cos_vectors_uri from literals."""
    tree = ast.parse(_sdk_source("cos_vectors_client"))
    callers = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and "cos_vectors_uri" in ast.unparse(node)
    ]

    def literal(value: ast.expr) -> bool:
        if isinstance(value, ast.BinOp):
            return literal(value.left) or literal(value.right)
        return isinstance(value, ast.Constant) and isinstance(value.value, str)

    assignments = [
        node.value
        for caller in callers
        for node in ast.walk(caller)
        if isinstance(node, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == "path" for target in node.targets)
    ]
    return bool(callers) and len(assignments) >= len(callers) and all(map(literal, assignments))


_COPY = {"Bucket": _BUCKET, "Key": "a.txt", "Region": "ap-guangzhou"}

# Keyed by the message the enumeration makes of each raise site (formatted parts filled with
# _SAMPLE); a site the installed SDK has and this table lacks fails test_every_site_has_a_case.
SITE_CASES: dict[str, Provoked | Unreachable] = {
    "Body must have attr read": Provoked(
        lambda e: e.client.upload_file_from_buffer(Bucket=_BUCKET, Key="a.txt", Body=b"x"),
        "client-body-not-readable",
        "bytes",
    ),
    "CopySource Need Parameter Bucket": Provoked(
        lambda e: e.client.copy_object(
            Bucket=_BUCKET, Key="b.txt", CopySource={"bucket": "x", "Key": "a"}
        ),
        "client-copy-source-incomplete",
        "{Key, bucket}",
    ),
    "CopySource Need Parameter Key": Provoked(
        lambda e: e.client.copy_object(
            Bucket=_BUCKET, Key="b.txt", CopySource={"Bucket": _BUCKET, "Region": "ap-guangzhou"}
        ),
        "client-copy-source-incomplete",
        "{Bucket, Region}",
    ),
    "CopyStatus must be Copy or Replaced": Provoked(
        lambda e: e.client.copy_object(
            Bucket=_BUCKET, Key="b.txt", CopySource=_COPY, CopyStatus="Replace"
        ),
        "client-copy-status-invalid",
        "'Replace'",
    ),
    "EncodingType must be url": Provoked(
        lambda e: e.client.list_objects(Bucket=_BUCKET, EncodingType="xml"),
        "client-encoding-type-invalid",
        "'xml'",
        "cos_client.py:list_objects",
    ),
    "GetObject Key is invalid": Provoked(
        lambda e: e.client.get_object(Bucket=_BUCKET, Key="a/.."),
        "client-key-resolves-to-root",
        "'a/..'",
    ),
    "Host is required not empty!": Unreachable(
        "switch_hostname's one caller, switch_hostname_for_url, calls it only when "
        "urlparse(url).hostname is not None, and urlparse gives None, never '', for no host",
        lambda: (
            _only_caller_guarded("switch_hostname", "if url_parsed.hostname is not None")
            and urllib.parse.urlparse("http:///a").hostname is None
            and urllib.parse.urlparse("http://:80/a").hostname is None
        ),
    ),
    "Invalid Parameter, ETag Is Required!": Provoked(
        lambda e: e.client.complete_multipart_upload(
            Bucket=_BUCKET, Key="a.txt", UploadId="1", MultipartUpload={"Part": [{"PartNumber": 1}]}
        ),
        "client-multipart-list-invalid",
        "Part",
    ),
    "Invalid Parameter, Part Is Required!": Provoked(
        lambda e: e.client.complete_multipart_upload(
            Bucket=_BUCKET, Key="a.txt", UploadId="1", MultipartUpload={"Parts": []}
        ),
        "client-multipart-list-invalid",
        "Part",
    ),
    "Invalid Parameter, PartNumber Is Required!": Provoked(
        lambda e: e.client.complete_multipart_upload(
            Bucket=_BUCKET, Key="a.txt", UploadId="1", MultipartUpload={"Part": [{"ETag": '"x"'}]}
        ),
        "client-multipart-list-invalid",
        "PartNumber",
    ),
    "Key is required not empty": Provoked(
        lambda e: e.client.head_object(Bucket=_BUCKET, Key=""),
        "client-key-empty",
        "''",
        "cos_client.py:uri",
    ),
    f"No Parameter Named {_SAMPLE} Please Check It": Provoked(
        lambda e: e.client.put_object(
            Bucket=_BUCKET, Key="a.txt", Body=b"x", ContentTyp="text/plain"
        ),
        "client-unknown-parameter",
        "ContentTyp",
    ),
    "PlaylistName must be end with .m3u8": Provoked(
        lambda e: e.client.post_vod_playlist(
            Bucket=_BUCKET, ChannelName="ch1", PlaylistName="list", StartTime=1, EndTime=2
        ),
        "client-playlist-name-invalid",
        "'list'",
    ),
    "Policy must be a json format string or json format dict": Provoked(
        lambda e: e.client.put_bucket_policy(Bucket=_BUCKET, Policy=[1]),
        "client-policy-type-invalid",
        "list",
        "cos_client.py:put_bucket_policy",
    ),
    "Region is Required!": Provoked(
        _vectors_without_region, "client-vectors-target-missing", "Region"
    ),
    "Region or Endpoint is required not empty!": Provoked(
        _config(Region=None), "client-region-endpoint-missing", "None"
    ),
    "Scheme can be only set to http/https": Provoked(
        _config(Scheme="ftp"), "client-scheme-invalid", "'ftp'"
    ),
    "SecretId and SecretKey is Required!": Provoked(
        _config(SecretKey=""), "client-credentials-missing", "SecretKey"
    ),
    "StartTime must be less than EndTime": Provoked(
        lambda e: e.client.get_vod_playlist(
            Bucket=_BUCKET, ChannelName="ch1", StartTime=20, EndTime=10
        ),
        "client-vod-playlist-time-invalid",
        "20",
        "cos_client.py:get_vod_playlist",
    ),
    "The object size you upload can not be larger than 5GB in put_object or upload_part": (
        Provoked(_put_over_5gb, "client-object-too-large", "5")
    ),
    "Url is required not empty!": Unreachable(
        "send_request, switch_hostname_for_url's only caller, switches a URL only after "
        "should_switch_domain matched its host against a myqcloud.com pattern: never empty",
        _switch_url_only_after_a_domain_check,
    ),
    "appid is not string": Provoked(
        lambda e: CosS3Client(
            CosConfig(**{**_GOOD, "Appid": 1250000000, "IP": "127.0.0.1", "Port": 1})
        ).head_object(Bucket="examplebucket", Key="a.txt"),
        "client-appid-not-string",
        "int",  # the rule names the type given
    ),
    "bucket format is illegal, only digit, letter and - is allowed!": Provoked(
        lambda e: e.client.head_bucket(Bucket="example bucket"),
        "client-bucket-name-invalid",
        "'example bucket'",
    ),
    "bucket is not string": Provoked(
        lambda e: e.client.head_bucket(Bucket=1250000000),
        "client-bucket-not-string",
        "1250000000",
    ),
    "bucket is required not empty": Provoked(
        lambda e: e.client.head_bucket(Bucket=""), "client-bucket-empty", "empty"
    ),
    # The client always makes the cipher before using it; AESCTRCipher is public (a provider's
    # cipher= argument), so a user's own use of it reaches these two.
    "cipher is not initialized": Provoked(
        lambda _e: _cipher().encrypt(b"x"), "client-cipher-state", "cipher", "crypto.py:encrypt"
    ),
    f"crc of client: {_SAMPLE} is mismatch with cos: {_SAMPLE}": Provoked(
        _download_with_wrong_crc, "client-crc64-mismatch", "CRC"
    ),
    "invalid timestamp": Provoked(
        lambda e: e.client.get_vod_playlist(
            Bucket=_BUCKET, ChannelName="ch1", StartTime=0, EndTime=10
        ),
        "client-vod-playlist-time-invalid",
        "0",
        "cos_client.py:get_vod_playlist",
    ),
    "key is not string": Provoked(
        lambda e: e.client.copy_object(
            Bucket=_BUCKET, Key="b.txt", CopySource={**_COPY, "Key": ["a.txt"]}
        ),
        "client-key-not-string",
        "['a.txt']",
    ),
    "key:Range is wrong format, except first-last": Provoked(
        _encrypted_get_with_bad_range, "client-range-format", "'bytes=first-last'"
    ),
    "offset is not align to encrypt block": Provoked(
        lambda _e: _cipher().new_cipher(b"k" * 32, 0, offset=5),
        "client-cipher-state",
        "offset",
    ),
    "path is required not empty": Unreachable(
        "every CosVectorsClient method passes cos_vectors_uri a path it builds from literals "
        "(path = '/' + 'CreateVectorBucket'), never None",
        _vectors_paths_are_literals,
    ),
    "public_key or private_key is not allowed to be None !!!": Provoked(
        lambda _e: _rsa_provider().get_rsa_key_pair(None, "private"),
        "client-encryption-keys-missing",
        "RSAProvider",
        "crypto.py:get_rsa_key_pair",
    ),
    "region format is illegal, only digit, letter and - is allowed!": Provoked(
        _config(Region="ap guangzhou"), "client-region-invalid", "'ap guangzhou'"
    ),
    "region is not string type": Provoked(
        _config(Region=["ap-guangzhou"]), "client-region-not-string", "['ap-guangzhou']"
    ),
    "region is required not empty!": Unreachable(
        "format_region's one caller, format_endpoint, calls it only under `elif region:`, so "
        "an empty Region is refused before as 'Region or Endpoint is required not empty!'",
        lambda: _only_caller_guarded("format_region", "elif region:"),
    ),
    "secret_id and secret_key cannot contain spaces at the beginning and end": Provoked(
        _config(SecretId=" AKIDexample"), "client-secret-whitespace", "space"
    ),
    "seek unsupported to calculate md5!": Provoked(
        lambda e: e.client.put_object(Bucket=_BUCKET, Key="a.txt", Body=_Pipe(), EnableMD5=True),
        "client-body-unseekable-md5",
        "Pipe",
    ),
    "some download_part fail after max_retry, please download_file again": Provoked(
        lambda e: _parts_fail(e, "download_file"), "client-parts-failed", "download_file"
    ),
    "some upload_part fail after max_retry": Provoked(
        lambda e: _parts_fail(e, "upload_file_from_buffer"),
        "client-parts-failed",
        "upload_file_from_buffer",
    ),
    "some upload_part fail after max_retry, please upload_file again": Provoked(
        lambda e: _parts_fail(e, "upload_file"), "client-parts-failed", "upload_file"
    ),
    "some upload_part_copy fail after max_retry": Provoked(
        lambda e: _parts_fail(e, "copy"), "client-parts-failed", "copy"
    ),
    "switch must be enabled or disabled": Provoked(
        lambda e: e.client.put_live_channel_switch(Bucket=_BUCKET, ChannelName="ch1", Switch="on"),
        "client-live-channel-switch-invalid",
        "'on'",
    ),
    "unsupported body type to calculate md5!": Provoked(
        lambda e: e.client.put_object(
            Bucket=_BUCKET, Key="a.txt", Body=iter([b"x"]), EnableMD5=True
        ),
        "client-body-type-md5",
        "list_iterator",
    ),
    "versioning status must be set to Enabled or Suspended!": Provoked(
        lambda e: e.client.put_bucket_versioning(Bucket=_BUCKET, Status="On"),
        "client-versioning-status-invalid",
        "'On'",
    ),
    "your bytes strings can not be decoded in utf8, utf8 support only!": Provoked(
        lambda e: e.client.head_object(Bucket=_BUCKET, Key=b"\xff\xfe"),
        "client-not-utf8",
        "UTF-8",
    ),
    "your unicode strings can not encoded in utf8, utf8 support only!": Provoked(
        lambda e: e.client.head_object(Bucket=_BUCKET, Key="a\ud800.txt"),
        "client-not-utf8-encodable",
        "UTF-8",
    ),
}
# Sites only newer SDKs have (cos_vectors_client.py came in 1.9.4x): absent from 1.9.39.
_NEWER_SITES = frozenset({"Region is Required!", "path is required not empty"})
# The other places that raise a message already in SITE_CASES, each provoked on its own.
MORE_WAYS: list[tuple[str, Provoked]] = [
    (
        "GetObject Key is invalid",
        Provoked(
            lambda e: e.client.get_object(Bucket=_BUCKET, Key="/"),
            "client-key-resolves-to-root",
            "'/'",
        ),
    ),
    *(
        (
            "EncodingType must be url",
            Provoked(call, "client-encoding-type-invalid", "'xml'", f"cos_client.py:{name}"),
        )
        for name, call in [
            (
                "list_parts",
                lambda e: e.client.list_parts(
                    Bucket=_BUCKET, Key="a.txt", UploadId="1", EncodingType="xml"
                ),
            ),
            (
                "list_objects_versions",
                lambda e: e.client.list_objects_versions(Bucket=_BUCKET, EncodingType="xml"),
            ),
            (
                "list_multipart_uploads",
                lambda e: e.client.list_multipart_uploads(Bucket=_BUCKET, EncodingType="xml"),
            ),
        ]
    ),
    (
        "Key is required not empty",
        Provoked(
            lambda e: e.client.copy_object(
                Bucket=_BUCKET, Key="b.txt", CopySource={**_COPY, "Key": ""}
            ),
            "client-key-empty",
            "''",
            "cos_comm.py:format_path",
        ),
    ),
    (
        "Policy must be a json format string or json format dict",
        Provoked(
            _vectors_policy_as_list,
            "client-policy-type-invalid",
            "list",
            "cos_vectors_client.py:put_vector_bucket_policy",
        ),
    ),
    (
        "StartTime must be less than EndTime",
        Provoked(
            lambda e: e.client.post_vod_playlist(
                Bucket=_BUCKET, ChannelName="ch1", PlaylistName="a.m3u8", StartTime=20, EndTime=10
            ),
            "client-vod-playlist-time-invalid",
            "20",
            "cos_client.py:post_vod_playlist",
        ),
    ),
    (
        "invalid timestamp",
        Provoked(
            lambda e: e.client.post_vod_playlist(
                Bucket=_BUCKET, ChannelName="ch1", PlaylistName="a.m3u8", StartTime=0, EndTime=10
            ),
            "client-vod-playlist-time-invalid",
            "0",
            "cos_client.py:post_vod_playlist",
        ),
    ),
    (
        "cipher is not initialized",
        Provoked(
            lambda _e: _cipher().decrypt(b"x"), "client-cipher-state", "cipher", "crypto.py:decrypt"
        ),
    ),
    (
        "public_key or private_key is not allowed to be None !!!",
        Provoked(
            lambda _e: _rsa_provider().get_rsa_key_pair_path("public.pem", None),
            "client-encryption-keys-missing",
            "RSAProvider",
            "crypto.py:get_rsa_key_pair_path",
        ),
    ),
]


def _where(message: str, case: Provoked) -> str:
    """The place ``case`` must raise at: the one it names, else the message's only one."""
    return case.where or (SITES[message][0] if len(SITES[message]) == 1 else "<ambiguous>")


PROVOKED = [m for m in MESSAGES if isinstance(SITE_CASES.get(m), Provoked)]
UNREACHABLE = [m for m in MESSAGES if isinstance(SITE_CASES.get(m), Unreachable)]


def test_every_site_has_a_case() -> None:
    """Each raise site the enumeration finds is provoked or declared unreachable in SITE_CASES."""
    missing = {message: SITES[message] for message in MESSAGES if message not in SITE_CASES}
    assert missing == {}, "a raise site the table does not cover: add how a user reaches it"


def test_every_place_a_message_is_raised_is_provoked() -> None:
    """A message the SDK raises at several places has a provoking call for each place."""
    provoked = {
        (message, _where(message, case))
        for message, case in [*SITE_CASES.items(), *MORE_WAYS]
        if isinstance(case, Provoked) and message in SITES
    }
    untried = [
        f"{message} ({where})"
        for message in PROVOKED
        for where in SITES[message]
        if (message, where) not in provoked
    ]
    assert untried == []


def test_every_case_is_a_site_of_the_sdk() -> None:
    """SITE_CASES names only messages the installed SDK raises (bar the newer SDKs' sites)."""
    assert set(SITE_CASES) - set(SITES) <= _NEWER_SITES


@pytest.mark.parametrize("message", UNREACHABLE, ids=UNREACHABLE)
def test_an_unreachable_site_is_still_guarded(message: str) -> None:
    """The SDK code that makes a site unreachable through any public call is still there."""
    case = SITE_CASES[message]
    assert isinstance(case, Unreachable)
    assert case.still_holds(), case.reason


@pytest.fixture
def env(client: CosS3Client, replies: ReplyServer, tmp_path: pathlib.Path) -> Env:
    return Env(client, replies, tmp_path)


def _cases() -> list[tuple[str, Provoked]]:
    """Every provoked place the installed SDK has: the table's, then the more ways."""
    cases = [(message, SITE_CASES[message]) for message in PROVOKED]
    cases += [(message, case) for message, case in MORE_WAYS if message in SITES]
    return [(message, case) for message, case in cases if _where(message, case) in SITES[message]]


def _raised_at(error: BaseException) -> str:
    """The ``file.py:function`` of the frame that raised ``error``."""
    trace = error.__traceback__
    assert trace is not None
    while trace.tb_next is not None:
        trace = trace.tb_next
    return f"{pathlib.Path(trace.tb_frame.f_code.co_filename).name}:{trace.tb_frame.f_code.co_name}"


@pytest.mark.parametrize(
    ("message", "case"),
    [
        pytest.param(message, case, id=f"{_where(message, case)}: {message}")
        for message, case in _cases()
    ],
)
def test_the_hook_diagnoses_each_raise_site_once(
    env: Env, installed: None, message: str, case: Provoked
) -> None:
    """A site the real SDK reaches raises CosDiagnosedClientError naming the value, one event."""
    with capture_logs() as events, pytest.raises(cos_doctor.CosDiagnosedClientError) as raised:
        case.call(env)
    diagnosis = raised.value.diagnosis
    assert diagnosis is not None
    assert (diagnosis.rule_id, len(events)) == (case.rule_id, 1)
    assert events[0]["event"] == "cos_request_failed"
    assert events[0]["cos_doctor.rule_id"] == case.rule_id
    assert case.shown in diagnosis.title
    assert raised.value.args[0] == raised.value._message
    assert raised.value.__traceback__ is not None
    assert raised.value.__traceback__.tb_frame.f_globals["__name__"] != "cos_doctor._hook.install"
    assert _raised_at(raised.value) == _where(message, case)


@pytest.mark.parametrize(
    ("message", "case"), _cases(), ids=[f"{_where(m, case)}: {m}" for m, case in _cases()]
)
def test_without_install_each_site_is_the_sdks_plain_error(
    env: Env, message: str, case: Provoked
) -> None:
    """Without install() each provoked place raises the SDK's plain CosClientError, no event."""
    with capture_logs() as events, pytest.raises(CosClientError) as raised:
        case.call(env)
    assert type(raised.value) is CosClientError
    pattern = ".+".join(re.escape(part) for part in message.split(_SAMPLE))
    assert re.fullmatch(pattern, raised.value.args[0])
    assert _raised_at(raised.value) == _where(message, case)
    assert events == []


def test_a_secret_the_sdk_refuses_is_never_shown(installed: None) -> None:
    """SecretKey with a trailing space is refused; the diagnosis and event never hold the key."""
    secret = "TOPSECRETkeyvalue123 "
    with capture_logs() as events, pytest.raises(cos_doctor.CosDiagnosedClientError) as raised:
        CosConfig(Region="ap-guangzhou", SecretId="AKIDexample", SecretKey=secret)
    diagnosis = raised.value.diagnosis
    assert diagnosis is not None
    assert "TOPSECRET" not in diagnosis.render()
    assert "TOPSECRET" not in repr(events)


def test_without_install_the_sdk_raises_its_own_error() -> None:
    """Before install() (and after uninstall()) a refused argument is the SDK's plain error."""
    for _ in range(2):
        with pytest.raises(CosClientError) as raised:
            CosConfig(**{**_GOOD, "Scheme": "ftp"})
        assert type(raised.value) is CosClientError
        cos_doctor.install()
        cos_doctor.uninstall()


def test_uninstall_restores_the_error_class_exactly() -> None:
    """install() wraps CosClientError.__init__ once; uninstall() puts back the same function."""
    original = CosClientError.__dict__["__init__"]
    cos_doctor.install()
    cos_doctor.install()
    wrapped = CosClientError.__dict__["__init__"]
    assert wrapped is not original
    assert wrapped.__wrapped__ is original
    cos_doctor.uninstall()
    assert CosClientError.__dict__["__init__"] is original


def test_an_error_made_outside_the_sdk_is_left_alone(installed: None) -> None:
    """A CosClientError the application makes itself is neither diagnosed nor logged."""
    with capture_logs() as events:
        error = CosClientError("Scheme can be only set to http/https")
    assert type(error) is CosClientError
    assert events == []


def test_a_network_failure_is_still_diagnosed_once_by_send_request(
    installed: None,
) -> None:
    """send_request's CosClientError(str(e)) is left to its wrapper: one event, network rule."""
    import socket

    from tests.conftest import make_client

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = make_client(port)
    with capture_logs() as events, pytest.raises(cos_doctor.CosDiagnosedClientError) as raised:
        refused.head_object(Bucket="examplebucket-1250000000", Key="a.txt")
    assert raised.value.diagnosis is not None
    assert raised.value.diagnosis.rule_id == "client-connection-refused"
    assert len([event for event in events if event.get("cos_doctor.rule_id")]) == 1


def test_a_helper_call_reports_its_refused_argument_once(
    client: CosS3Client,
    installed: None,
) -> None:
    """upload_file with an empty Bucket: one diagnosis (the check's), one event, not two."""
    with capture_logs() as events, pytest.raises(cos_doctor.CosDiagnosedClientError) as raised:
        client.upload_file(Bucket="", Key="a.txt", LocalFilePath=__file__)
    assert raised.value.diagnosis is not None
    assert raised.value.diagnosis.rule_id == "client-bucket-empty"
    assert len(events) == 1


# ---------------------------------------------------------------------------------------------
# The patch's composition guarantees hold for the check layer too


def test_a_foreign_wrapper_on_top_survives_uninstall_and_ours_passes_through() -> None:
    """Another wrapt layer over ours stays after uninstall(); ours then diagnoses nothing."""
    import wrapt

    original = CosClientError.__dict__["__init__"]
    calls: list[str] = []

    def foreign(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        calls.append("foreign")
        return wrapped(*args, **kwargs)

    cos_doctor.install()
    wrapt.wrap_function_wrapper(CosClientError, "__init__", foreign)
    try:
        with pytest.raises(cos_doctor.CosDiagnosedClientError):
            CosConfig(**{**_GOOD, "Scheme": "ftp"})  # both layers run, ours diagnoses
        cos_doctor.uninstall()
        assert CosClientError.__dict__["__init__"]._self_wrapper is foreign
        with pytest.raises(CosClientError) as raised:
            CosConfig(**{**_GOOD, "Scheme": "ftp"})
        assert type(raised.value) is CosClientError
        assert calls == ["foreign", "foreign"]
    finally:
        cos_doctor.uninstall()
        CosClientError.__init__ = original  # type: ignore[method-assign]


def test_checks_failing_in_many_threads_are_each_diagnosed_once(
    installed: None,
) -> None:
    """Eight threads refused at once: each gets its own diagnosis naming its own value."""
    import threading

    cos_doctor.install(storm_window=0)  # each failure its own event, none collapsed

    found: dict[int, str] = {}

    def refuse(number: int) -> None:
        try:
            CosConfig(**{**_GOOD, "Scheme": f"scheme{number}"})
        except cos_doctor.CosDiagnosedClientError as error:
            diagnosis = error.diagnosis
            found[number] = diagnosis.title if diagnosis is not None else ""

    with capture_logs() as events:
        threads = [threading.Thread(target=refuse, args=(number,)) for number in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sorted(found) == list(range(8))
    assert all(f"'scheme{number}'" in title for number, title in found.items())
    assert len(events) == 8


def test_install_before_the_sdk_is_imported_reaches_its_checks() -> None:
    """install() before `import qcloud_cos`: CosConfig's own check is diagnosed after the import."""
    import subprocess
    import sys
    import textwrap

    script = """
        import sys
        import cos_doctor
        assert "qcloud_cos" not in sys.modules
        cos_doctor.install()
        from qcloud_cos import CosConfig
        try:
            CosConfig(Region="ap-guangzhou", SecretId="a", SecretKey="b", Scheme="ftp")
        except cos_doctor.CosDiagnosedClientError as error:
            print(error.diagnosis.rule_id)
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == "client-scheme-invalid"


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="POSIX fork only")
def test_a_forked_child_diagnoses_checks(installed: None) -> None:
    """In a child forked after install(), a refused argument is diagnosed there too."""

    def child() -> None:
        with pytest.raises(cos_doctor.CosDiagnosedClientError) as raised:
            CosConfig(**{**_GOOD, "Scheme": "ftp"})
        assert raised.value.diagnosis is not None

    assert run_forked(child) == 0


def test_a_successful_call_never_runs_the_check_layer(
    client: CosS3Client,
    replies: ReplyServer,
    installed: None,
) -> None:
    """A successful call makes no CosClientError, so the check layer adds nothing to it."""
    import wrapt

    original = CosClientError.__dict__["__init__"]
    made: list[str] = []

    def count(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        made.append("made")
        return wrapped(*args, **kwargs)

    wrapt.wrap_function_wrapper(CosClientError, "__init__", count)
    try:
        replies.reply = Reply(200, b"", {"ETag": '"d41d8cd98f00b204e9800998ecf8427e"'})
        client.head_object(Bucket="examplebucket-1250000000", Key="a.txt")
        client.put_object(Bucket="examplebucket-1250000000", Key="a.txt", Body=b"x")
        assert made == []
        with pytest.raises(CosClientError):
            client.head_object(Bucket="", Key="a.txt")
        assert made == ["made"]  # the counter sees a construction: it would have seen one
    finally:
        CosClientError.__init__ = original  # type: ignore[method-assign]


def _sdk_function_codes() -> dict[str, list[types.CodeType]]:
    """Every function and method of every module of the installed SDK, by name."""
    for path in sorted(_SDK_ROOT.glob("*.py")):
        importlib.import_module(
            "qcloud_cos" if path.stem == "__init__" else f"qcloud_cos.{path.stem}"
        )
    functions: dict[str, list[types.CodeType]] = {}
    for module in list(sys.modules.values()):
        if not getattr(module, "__name__", "").startswith("qcloud_cos"):
            continue
        for value in vars(module).values():
            for member in vars(value).values() if isinstance(value, type) else [value]:
                code = getattr(getattr(member, "__wrapped__", member), "__code__", None)
                if isinstance(code, types.CodeType):
                    functions.setdefault(code.co_name, []).append(code)
    return functions


# The check functions of the vectors client (cos_vectors_client.py, newer SDKs only): the only
# ones an older supported SDK may lack.
_VECTORS_ONLY = frozenset({"cos_vectors_uri", "put_vector_bucket_policy"})


def test_every_check_function_the_adapter_reads_exists_with_its_local() -> None:
    """Each check function named in _sdk/adapter.py that the installed SDK has holds its local.

    (The vectors client's, which newer SDKs added, are absent from older ones; nothing else.)
    """
    from cos_doctor._sdk import adapter

    functions = _sdk_function_codes()
    checked = adapter._CHECKED
    missing = [
        f"{name}.{local}"
        for name, candidates in checked.items()
        for local, _argument, _word, _how in candidates
        if not local.startswith("^")  # read from the caller: the hook tests cover it
        and functions.get(name)
        and not any(local in code.co_varnames for code in functions[name])
    ]
    assert missing == []
    absent = {name for name in checked if name not in functions}
    assert absent <= _VECTORS_ONLY, absent
