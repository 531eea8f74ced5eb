"""May this identity do this action here? The emulator's side of :mod:`cos_doctor._access.engine`.

This module only gathers what the engine reads — the bucket's policy and ACL, the object's
ACL, the caller's CAM policy and a temporary key's scope — from the emulator's state; the
decision itself (and its documented rules) lives in the engine, which
:func:`cos_doctor.investigate` uses too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cos_doctor._access.engine import (
    AccessConfig,
    AccessRequest,
    Decision,
    decide,
    statements,
)
from cos_doctor.emulator.errors import CosError

if TYPE_CHECKING:
    from cos_doctor.emulator.auth import Identity
    from cos_doctor.emulator.models import Bucket
    from cos_doctor.emulator.state import EmulatorState


@dataclass(frozen=True)
class Target:
    """The action and resource a request touches, and where it comes from."""

    bucket: Bucket
    action: str
    key: str
    source_ip: str

    @property
    def resource(self) -> str:
        """The QCS resource name of the bucket or object."""
        b = self.bucket
        return f"qcs::cos:{b.region}:uid/{b.appid}:{b.name}/{self.key}"


def authorize(state: EmulatorState, identity: Identity, target: Target) -> None:
    """Raise AccessDenied (HTTP 403) unless ``identity`` may do ``target``."""
    if not is_allowed(state, identity, target):
        raise CosError("AccessDenied")


def is_allowed(state: EmulatorState, identity: Identity, target: Target) -> bool:
    """Whether ``identity`` may perform ``target``."""
    return decision(state, identity, target).allowed


def decision(state: EmulatorState, identity: Identity, target: Target) -> Decision:
    """The engine's decision for ``identity`` doing ``target``, and what decided it."""
    key = identity.key
    bucket = target.bucket
    user_policy = None
    if key is not None and key.owner_uin == bucket.owner_uin and not key.is_root:
        user_policy = state.accounts[key.owner_uin].sub_accounts.get(key.uin)
    stored = bucket.objects.get(target.key) if target.key else None
    object_acl = stored.acl.grants if stored is not None and stored.acl is not None else None
    session = None
    if key is not None and key.temporary and key.policy is not None:
        session = statements(key.policy, "temporary key policy")
    config = AccessConfig(
        owner_uin=bucket.owner_uin,
        bucket_policy=statements(bucket.policy, "bucket policy"),
        bucket_acl=bucket.acl.grants,
        object_acl=object_acl,
        user_policy=statements(user_policy, "user policy"),
        session_policy=session,
    )
    request = AccessRequest(
        action=target.action,
        resource=target.resource,
        principal=key.principal if key is not None else None,
        source_ip=target.source_ip,
    )
    return decide(request, config)
