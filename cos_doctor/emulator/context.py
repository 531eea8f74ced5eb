"""What an operation handler is given: the request, who sent it, and the bucket it addresses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cos_doctor.emulator.access import Target, authorize
from cos_doctor.emulator.errors import CosError

if TYPE_CHECKING:
    from cos_doctor.emulator.auth import Identity
    from cos_doctor.emulator.models import Bucket, StoredObject
    from cos_doctor.emulator.request import CosRequest
    from cos_doctor.emulator.state import EmulatorState


@dataclass(frozen=True)
class Call:
    """One authenticated request to one existing bucket."""

    state: EmulatorState
    request: CosRequest
    identity: Identity
    bucket: Bucket

    @property
    def key(self) -> str:
        """The object key the request addresses ('' at bucket level)."""
        return self.request.key

    @property
    def host(self) -> str:
        """The bucket's host name, as the request gave it."""
        return self.request.host

    def require(self, action: str, key: str | None = None, bucket: Bucket | None = None) -> None:
        """Raise AccessDenied unless the caller may do ``action`` (on ``key`` in ``bucket``)."""
        target = Target(
            bucket=bucket or self.bucket,
            action=action,
            key=self.key if key is None else key,
            source_ip=self.request.remote_addr,
        )
        authorize(self.state, self.identity, target)

    def stored_object(self, key: str | None = None) -> StoredObject:
        """The object addressed (or ``key``), or NoSuchKey."""
        stored = self.bucket.objects.get(self.key if key is None else key)
        if stored is None:
            raise CosError("NoSuchKey")
        return stored
