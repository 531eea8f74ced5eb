"""The values the emulated COS stores: accounts, keys, ACLs, rules, buckets and objects.

Plain mutable dataclasses, so tests can inspect and adjust them directly; the
:class:`~cos_doctor.emulator.state.EmulatorState` holds them together.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import crcmod  # a dependency of the COS SDK, which checks downloads with it

# The access engine's values are the emulator's too: both read the same rules.
from cos_doctor._access.engine import ALL_USERS, ANYONE, CorsRule, Grant, RefererConfig
from cos_doctor._lazy import Lazy

__all__ = [
    "ALL_USERS",
    "ANYONE",
    "Account",
    "Acl",
    "Bucket",
    "CorsRule",
    "Grant",
    "Key",
    "MultipartUpload",
    "Part",
    "RefererConfig",
    "Restore",
    "StoredObject",
]

#: A CAM / bucket policy document, as parsed JSON.
PolicyDocument = dict[str, Any]


STANDARD = "STANDARD"
ARCHIVE_CLASSES = frozenset({"ARCHIVE", "DEEP_ARCHIVE"})
STORAGE_CLASSES = frozenset(
    {
        STANDARD,
        "STANDARD_IA",
        "INTELLIGENT_TIERING",
        "MAZ_STANDARD",
        "MAZ_STANDARD_IA",
        "MAZ_INTELLIGENT_TIERING",
        *ARCHIVE_CLASSES,
    }
)
CANNED_ACLS = frozenset({"private", "public-read", "public-read-write", "default"})
PERMISSIONS = ("READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL")

# Buckets created from this moment on refuse path-style requests (COS Bucket Domain Security
# Management Notice, 436/57456, and the path-style FAQ 436/102489: "created after January 1,
# 2024"). The notice names no time zone; the emulator reads it as midnight in Beijing (UTC+8).
PATH_STYLE_CUTOFF = 1704038400.0

# Temporary keys: COS's default lifetime.
DEFAULT_TEMPORARY_SECONDS = 1800
# The emulator's own default bound on one request body (COS's is 5 GB for a simple upload,
# Specifications and Limits, 436/14518): everything stored is held in memory.
DEFAULT_MAX_BODY_SIZE = 64 * 1024 * 1024


def principal(owner_uin: str, uin: str) -> str:
    """Return the CAM principal of ``uin`` under the account whose root is ``owner_uin``."""
    return f"qcs::cam::uin/{owner_uin}:uin/{uin}"


# The checksum COS returns as x-cos-hash-crc64ecma, built the way the SDK's own check builds it.
_CRC64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)


def crc64_of(data: bytes) -> str:
    """``x-cos-hash-crc64ecma``: the CRC-64/ECMA-182 of ``data``, in decimal."""
    return str(_CRC64(data))


def quoted_etag(data: bytes) -> str:
    """Return the ETag COS gives a simple upload: the quoted MD5 hex of the body."""
    return f'"{hashlib.md5(data).hexdigest()}"'  # noqa: S324 - ETag format, not security


@dataclass
class Account:
    """A Tencent Cloud account: its APPID, root UIN and sub-accounts with their CAM policies."""

    appid: str
    owner_uin: str
    #: Sub-account UIN → its CAM policy (``None``: no policy attached, so no COS rights).
    sub_accounts: dict[str, PolicyDocument | None] = field(default_factory=dict)


@dataclass
class Key:
    """An API key pair. A temporary (STS) key also has a token, an expiry and a scope policy."""

    secret_id: str
    secret_key: str
    uin: str
    owner_uin: str
    enabled: bool = True
    token: str | None = None
    expires_at: float | None = None
    #: For temporary keys: the policy the key was issued with (bounds its rights).
    policy: PolicyDocument | None = None

    @property
    def temporary(self) -> bool:
        """Whether this is an STS key that must travel with its token."""
        return self.token is not None

    @property
    def principal(self) -> str:
        """The CAM principal this key acts as."""
        return principal(self.owner_uin, self.uin)

    @property
    def is_root(self) -> bool:
        """Whether the key belongs to the account's root user."""
        return self.uin == self.owner_uin


@dataclass
class Acl:
    """A bucket or object ACL: the canned name it was set with, expanded into grants."""

    canned: str = "private"
    grants: tuple[Grant, ...] = ()

    @classmethod
    def from_canned(cls, canned: str, extra: tuple[Grant, ...] = ()) -> Acl:
        """Expand ``public-read`` / ``public-read-write`` into AllUsers grants."""
        grants: tuple[Grant, ...] = ()
        if canned in {"public-read", "public-read-write"}:
            grants += (Grant(ALL_USERS, "READ"),)
        if canned == "public-read-write":
            grants += (Grant(ALL_USERS, "WRITE"),)
        return cls(canned=canned, grants=grants + extra)


@dataclass
class Restore:
    """A restore of an archived object: running until finished, then readable until expiry."""

    days: int
    tier: str
    requested_at: float
    ongoing: bool = True
    expires_at: float | None = None


@dataclass
class StoredObject:
    """An object: its bytes and everything COS returns about it."""

    key: str
    data: bytes
    last_modified: float
    content_type: str = "application/octet-stream"
    #: Standard headers stored with the object (cache-control, content-disposition…), lowercase.
    headers: dict[str, str] = field(default_factory=dict)
    #: ``x-cos-meta-*`` headers, lowercase names, values as sent (UTF-8 text).
    metadata: dict[str, str] = field(default_factory=dict)
    storage_class: str = STANDARD
    #: ``None`` means ``default``: the bucket's ACL decides.
    acl: Acl | None = None
    restore: Restore | None = None
    etag: str = ""
    #: Server-side encryption headers echoed on GET / HEAD (an SSE-C key's MD5, never the key).
    encryption: dict[str, str] = field(default_factory=dict)
    #: The ``x-cos-tagging`` tags it was stored with, in order.
    tags: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        """Derive the ETag from the data unless one was given (multipart uploads give one)."""
        if not self.etag:
            self.etag = quoted_etag(self.data)

    @Lazy
    def crc64(self) -> str:
        """``x-cos-hash-crc64ecma``: the CRC-64/ECMA-182 of the data, in decimal."""
        return crc64_of(self.data)

    @property
    def archived(self) -> bool:
        """Whether the object is in an archive class and not currently restored."""
        if self.storage_class not in ARCHIVE_CLASSES:
            return False
        return self.restore is None or self.restore.ongoing


@dataclass
class Part:
    """One uploaded part of a multipart upload."""

    number: int
    data: bytes
    last_modified: float
    etag: str = ""

    def __post_init__(self) -> None:
        """Parts carry the quoted MD5 of their bytes."""
        if not self.etag:
            self.etag = quoted_etag(self.data)

    @Lazy
    def crc64(self) -> str:
        """The part's ``x-cos-hash-crc64ecma`` (Upload Part returns it: CRC64 Check, 436/34078)."""
        return crc64_of(self.data)


@dataclass
class MultipartUpload:
    """A multipart upload in progress, with what the final object will carry."""

    upload_id: str
    key: str
    initiated: float
    initiator: str
    template: StoredObject
    parts: dict[int, Part] = field(default_factory=dict)


@dataclass
class Bucket:
    """A bucket ``<name>-<appid>`` and everything configured on it."""

    name: str
    region: str
    appid: str
    owner_uin: str
    created: float
    acl: Acl = field(default_factory=Acl)
    policy: PolicyDocument | None = None
    referer: RefererConfig | None = None
    cors: tuple[CorsRule, ...] = ()
    objects: dict[str, StoredObject] = field(default_factory=dict)
    uploads: dict[str, MultipartUpload] = field(default_factory=dict)

    @property
    def accepts_path_style(self) -> bool:
        """Whether path-style requests reach it: only buckets created before 2024 (436/102489)."""
        return self.created < PATH_STYLE_CUTOFF

    @property
    def owner_principal(self) -> str:
        """The CAM principal of the owning account's root."""
        return principal(self.owner_uin, self.owner_uin)
