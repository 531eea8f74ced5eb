"""What the emulated COS knows: accounts, keys, buckets, objects and the server clock.

Everything is plain, mutable Python, configurable from tests and resettable: configure a state,
call :meth:`EmulatorState.mark_baseline`, and :meth:`EmulatorState.reset` returns to it. Every
error the emulator returns follows from this data (a disabled key, a clock offset, a referer
white-list…); nothing here names an error to return.

The HTTP side holds :attr:`EmulatorState.lock` while it serves a request; hold it too when
changing state while a server is running.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from typing import Any

from cos_doctor.emulator.models import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_TEMPORARY_SECONDS,
    STANDARD,
    STORAGE_CLASSES,
    Account,
    Acl,
    Bucket,
    Key,
    PolicyDocument,
    StoredObject,
)


class EmulatorState:
    """All accounts, keys and buckets of one emulator, and its clock."""

    def __init__(self) -> None:
        """Start empty; see :func:`cos_doctor.emulator.config.default_state` for the default."""
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.keys: dict[str, Key] = {}
        self.buckets: dict[str, Bucket] = {}
        #: Seconds added to the host clock: positive puts the server ahead of its clients.
        self.clock_offset: float = 0.0
        #: The emulator's own bound on one request body, in bytes (it keeps everything in
        #: memory); above it a request is refused with EntityTooLarge before it is stored.
        self.max_body_size: int = DEFAULT_MAX_BODY_SIZE
        self._baseline: tuple[Any, ...] | None = None

    # Clock and reset -----------------------------------------------------------------------

    def now(self) -> float:
        """The server's time in Unix seconds (host clock plus :attr:`clock_offset`)."""
        return time.time() + self.clock_offset

    def set_clock_offset(self, seconds: float) -> None:
        """Move the server clock ``seconds`` away from the host's (negative: behind)."""
        with self.lock:
            self.clock_offset = seconds

    def mark_baseline(self) -> None:
        """Remember the current configuration as the one :meth:`reset` restores."""
        with self.lock:
            self._baseline = copy.deepcopy(self._contents())

    def reset(self) -> None:
        """Return to the configuration saved by :meth:`mark_baseline` (or to empty)."""
        with self.lock:
            baseline = self._baseline or ({}, {}, {}, 0.0, DEFAULT_MAX_BODY_SIZE)
            (
                self.accounts,
                self.keys,
                self.buckets,
                self.clock_offset,
                self.max_body_size,
            ) = copy.deepcopy(baseline)

    def _contents(self) -> tuple[Any, ...]:
        return self.accounts, self.keys, self.buckets, self.clock_offset, self.max_body_size

    # Accounts and keys ---------------------------------------------------------------------

    def add_account(self, appid: str, owner_uin: str) -> Account:
        """Create (or return) the account with this APPID and root UIN."""
        with self.lock:
            account = self.accounts.setdefault(owner_uin, Account(appid, owner_uin))
            if account.appid != appid:
                raise ValueError(f"UIN {owner_uin} already owns APPID {account.appid}")
            return account

    def add_sub_account(
        self, owner_uin: str, uin: str, policy: PolicyDocument | None = None
    ) -> None:
        """Add a sub-account to an account, optionally with its CAM policy."""
        with self.lock:
            self.account(owner_uin).sub_accounts[uin] = policy

    def set_user_policy(self, uin: str, policy: PolicyDocument | None) -> None:
        """Attach (or with ``None`` detach) the CAM policy of sub-account ``uin``."""
        with self.lock:
            self.account(self.owner_of(uin)).sub_accounts[uin] = policy

    def account(self, owner_uin: str) -> Account:
        """The account whose root is ``owner_uin``."""
        try:
            return self.accounts[owner_uin]
        except KeyError:
            raise KeyError(f"no account with root UIN {owner_uin}") from None

    def owner_of(self, uin: str) -> str:
        """The root UIN of the account ``uin`` belongs to (itself for a root)."""
        for account in self.accounts.values():
            if uin == account.owner_uin or uin in account.sub_accounts:
                return account.owner_uin
        raise KeyError(f"UIN {uin} belongs to no account")

    def add_key(self, secret_id: str, secret_key: str, uin: str) -> Key:
        """Register a permanent key pair for the root or a sub-account ``uin``."""
        with self.lock:
            key = Key(secret_id, secret_key, uin=uin, owner_uin=self.owner_of(uin))
            self.keys[secret_id] = key
            return key

    def set_key_enabled(self, secret_id: str, *, enabled: bool) -> None:
        """Enable or disable a key, as the CAM console does."""
        with self.lock:
            self.keys[secret_id].enabled = enabled

    def issue_temporary_key(
        self,
        uin: str,
        *,
        policy: PolicyDocument | None = None,
        duration: float = DEFAULT_TEMPORARY_SECONDS,
    ) -> Key:
        """Issue an STS key for ``uin``, valid ``duration`` seconds of server time.

        Its rights are those of ``uin`` intersected with ``policy`` (when given).
        """
        with self.lock:
            key = Key(
                secret_id="AKIDtmp-" + secrets.token_hex(8),
                secret_key="tmp-secret-" + secrets.token_hex(8),
                uin=uin,
                owner_uin=self.owner_of(uin),
                token="emulator-token-" + secrets.token_hex(16),
                expires_at=self.now() + duration,
                policy=policy,
            )
            self.keys[key.secret_id] = key
            return key

    # Buckets and objects -------------------------------------------------------------------

    def add_bucket(
        self, name: str, region: str, *, acl: str = "private", created: float | None = None
    ) -> Bucket:
        """Create bucket ``name`` (``<bucket>-<appid>``) for the account owning that APPID.

        ``created`` (Unix seconds, default now) backdates it: buckets created before 2024
        still answer path-style requests.
        """
        appid = name.rsplit("-", 1)[-1]
        with self.lock:
            owner = next((a for a in self.accounts.values() if a.appid == appid), None)
            if owner is None:
                raise KeyError(f"no account has APPID {appid} (bucket names end in -<APPID>)")
            bucket = self.new_bucket(name, region, owner, Acl.from_canned(acl))
            if created is not None:
                bucket.created = created
            self.buckets[name] = bucket
            return bucket

    def new_bucket(self, name: str, region: str, owner: Account, acl: Acl) -> Bucket:
        """A bucket of ``owner``'s, created now and not yet stored (PUT Bucket checks first)."""
        return Bucket(
            name=name,
            region=region,
            appid=owner.appid,
            owner_uin=owner.owner_uin,
            created=self.now(),
            acl=acl,
        )

    def bucket(self, name: str) -> Bucket:
        """The bucket called ``name``."""
        try:
            return self.buckets[name]
        except KeyError:
            raise KeyError(f"no bucket {name}") from None

    def put_object(  # noqa: PLR0913 - mirrors what PUT Object can set
        self,
        bucket: str,
        key: str,
        data: bytes,
        *,
        storage_class: str = STANDARD,
        content_type: str = "application/octet-stream",
        acl: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> StoredObject:
        """Store an object directly (seeding tests), bypassing HTTP and permissions."""
        if storage_class not in STORAGE_CLASSES:
            raise ValueError(f"unknown storage class {storage_class}")
        with self.lock:
            stored = StoredObject(
                key=key,
                data=data,
                last_modified=self.now(),
                content_type=content_type,
                metadata=dict(metadata or {}),
                storage_class=storage_class,
                acl=None if acl in {None, "default"} else Acl.from_canned(acl or "private"),
            )
            self.bucket(bucket).objects[key] = stored
            return stored

    def finish_restore(self, bucket: str, key: str) -> None:
        """Complete a running restore now, as if the archive retrieval had finished."""
        with self.lock:
            stored = self.bucket(bucket).objects[key]
            if stored.restore is None:
                raise ValueError(f"{key} has no restore in progress")
            stored.restore.ongoing = False
            stored.restore.expires_at = self.now() + stored.restore.days * 86400
