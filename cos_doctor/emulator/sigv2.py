r"""AWS Signature Version 2 for S3 ("AWS AK:signature"), which COS's S3-compatible API also takes.

COS: "AWS v2 and AWS v4 signatures: COS supports both signature formats" (General
Configuration of COS in S3-compatible third-party applications), and its "Using AWS S3 SDK to
Access COS" page configures boto3 with ``signature_version = s3``. Written from S3's "Signing
and Authenticating REST Requests" page and pinned to its examples in
tests/emulator/test_emulator_sigv2.py::

    StringToSign = VERB \n Content-MD5 \n Content-Type \n Date \n AmzHeaders Resource
    Signature    = Base64(HMAC-SHA1(secret, StringToSign))

``Date`` is empty when ``x-amz-date`` is sent, and a presigned URL's ``Expires`` otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from collections.abc import Mapping

# Query parameters that are part of the resource signed: S3's list (acl, lifecycle, location,
# logging, notification, partNumber, policy, requestPayment, torrent, uploadId, uploads,
# versionId, versioning, versions, website, the response-* overrides) and the sub-resources
# S3 added later that clients sign the same way (delete, cors, restore, tagging…).
SUBRESOURCES = frozenset(
    {
        "accelerate", "acl", "cors", "delete", "encryption", "intelligent-tiering", "inventory",
        "lifecycle", "location", "logging", "notification", "object-lock", "partNumber",
        "policy", "replication", "requestPayment", "response-cache-control",
        "response-content-disposition", "response-content-encoding", "response-content-language",
        "response-content-type", "response-expires", "restore", "retention", "select",
        "select-type", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning",
        "versions", "website",
    }
)  # fmt: skip


def canonical_resource(path: str, query: Mapping[str, str], bucket: str | None) -> str:
    """``/<bucket><path>`` (``bucket`` is ``None`` when the path holds it) plus sub-resources.

    ``path`` is the decoded path; it is encoded back as S3 clients send it (``/`` and ``~``
    left bare). Sub-resources are sorted by name and keep their decoded values.
    """
    resource = ("/" + bucket if bucket else "") + quote(path, safe="/~")
    names = sorted(name for name in query if name in SUBRESOURCES)
    if names:
        resource += "?" + "&".join(
            f"{name}={query[name]}" if query[name] else name for name in names
        )
    return resource


def canonical_amz_headers(headers: Mapping[str, str]) -> str:
    """The ``x-amz-*`` headers, lowercase and sorted, one ``name:value`` line each."""
    names = sorted(name for name in headers if name.lower().startswith("x-amz-"))
    return "".join(f"{name.lower()}:{headers[name].strip()}\n" for name in names)


def string_to_sign(  # noqa: PLR0913 - the specification's parts
    method: str,
    *,
    content_md5: str,
    content_type: str,
    date: str,
    amz_headers: str,
    resource: str,
) -> str:
    """Join the parts of a SigV2 StringToSign."""
    return f"{method.upper()}\n{content_md5}\n{content_type}\n{date}\n{amz_headers}{resource}"


def signature(secret_key: str, text_to_sign: str) -> str:
    """Base64 of the HMAC-SHA1 of ``text_to_sign`` under the secret key."""
    digest = hmac.new(secret_key.encode("utf-8"), text_to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")
