"""May this identity do this action here? ACLs, bucket policies and CAM policies combined.

The rules follow Tencent's evaluation logic (reference §5.4):

1. The root account acting on its own bucket is always allowed.
2. Otherwise statements are gathered in two tiers. First those naming the caller: its CAM
   (sub-account) policy, bucket-policy statements with its principal, ACL grants to it. Then
   those for everyone: ``qcs::cam::anyone:anyone`` statements and AllUsers grants. The first
   tier with any applicable statement decides; within a tier an explicit deny beats any allow.
   Nothing applicable: denied.
3. A temporary key is further bounded by the policy it was issued with (an intersection).

Conditions are understood for ``ip_equal`` / ``ip_not_equal`` on ``qcs:ip``; a statement with a
condition this module does not understand never applies.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from cos_doctor.emulator.errors import AccessDenied
from cos_doctor.emulator.models import ALL_USERS, ANYONE, Acl, Bucket, PolicyDocument

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from cos_doctor.emulator.auth import Identity
    from cos_doctor.emulator.state import EmulatorState

# Which ACL permission lets an action through; actions absent here need a policy or ownership.
ACL_PERMISSION = {
    "GetObject": "READ",
    "HeadObject": "READ",
    "GetBucket": "READ",
    "HeadBucket": "READ",
    "GetBucketLocation": "READ",
    "ListMultipartUploads": "READ",
    "ListParts": "READ",
    "PutObject": "WRITE",
    "PostObject": "WRITE",
    "DeleteObject": "WRITE",
    "DeleteMultipleObjects": "WRITE",
    "InitiateMultipartUpload": "WRITE",
    "UploadPart": "WRITE",
    "CompleteMultipartUpload": "WRITE",
    "AbortMultipartUpload": "WRITE",
    "PostObjectRestore": "WRITE",
    "GetBucketACL": "READ_ACP",
    "GetObjectACL": "READ_ACP",
    "PutBucketACL": "WRITE_ACP",
    "PutObjectACL": "WRITE_ACP",
}
# Object ACLs speak for reads of that object; writes are governed by the bucket.
_OBJECT_ACL_PERMISSIONS = frozenset({"READ", "READ_ACP", "WRITE_ACP"})


class Verdict(Enum):
    """What a set of statements says about a request."""

    ALLOW = "allow"
    DENY = "deny"


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
    """Raise ``AccessDenied("Access Denied.")`` unless ``identity`` may do ``target``."""
    if not is_allowed(state, identity, target):
        raise AccessDenied


def is_allowed(state: EmulatorState, identity: Identity, target: Target) -> bool:
    """Whether ``identity`` may perform ``target`` (see the module docstring)."""
    key = identity.key
    own_root = key is not None and key.is_root and key.owner_uin == target.bucket.owner_uin
    if not own_root and _decide(state, identity, target) is not Verdict.ALLOW:
        return False
    if key is not None and key.temporary and key.policy is not None:
        return _verdict(_statements(key.policy), target, principal=None) is Verdict.ALLOW
    return True


def _decide(state: EmulatorState, identity: Identity, target: Target) -> Verdict | None:
    bucket_statements = _statements(target.bucket.policy)
    acl = _effective_acl(target)
    permission = ACL_PERMISSION.get(target.action)
    specific: list[Verdict | None] = []
    if identity.key is not None:
        key = identity.key
        if key.owner_uin == target.bucket.owner_uin and not key.is_root:
            policy = state.accounts[key.owner_uin].sub_accounts.get(key.uin)
            specific.append(_verdict(_statements(policy), target, principal=None))
        specific.append(_verdict(bucket_statements, target, principal=key.principal))
        specific.append(_acl_verdict(acl, key.principal, permission))
    everyone = [
        _verdict(bucket_statements, target, principal=ANYONE),
        _acl_verdict(acl, ALL_USERS, permission),
    ]
    for tier in (specific, everyone):
        if Verdict.DENY in tier:
            return Verdict.DENY
        if Verdict.ALLOW in tier:
            return Verdict.ALLOW
    return None


def _effective_acl(target: Target) -> Acl:
    stored = target.bucket.objects.get(target.key) if target.key else None
    permission = ACL_PERMISSION.get(target.action)
    if stored is not None and stored.acl is not None and permission in _OBJECT_ACL_PERMISSIONS:
        return stored.acl
    return target.bucket.acl


def _acl_verdict(acl: Acl, grantee: str, permission: str | None) -> Verdict | None:
    if permission is not None and acl.allows(grantee, permission):
        return Verdict.ALLOW
    return None


# Policy documents ----------------------------------------------------------------------------


def _field(mapping: dict[str, Any], name: str) -> Any:
    # Bucket policies write "Statement", CAM policies "statement": accept any case.
    for key, value in mapping.items():
        if key.lower() == name:
            return value
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _statements(policy: PolicyDocument | None) -> list[dict[str, Any]]:
    if not isinstance(policy, dict):
        return []
    return [s for s in _as_list(_field(policy, "statement")) if isinstance(s, dict)]


def _verdict(
    statements: Iterable[dict[str, Any]], target: Target, *, principal: str | None
) -> Verdict | None:
    """Combine the statements that apply: any deny wins, else any allow, else ``None``."""
    effects = {
        str(_field(s, "effect")).lower() for s in statements if _applies(s, target, principal)
    }
    if "deny" in effects:
        return Verdict.DENY
    if "allow" in effects:
        return Verdict.ALLOW
    return None


def _applies(statement: dict[str, Any], target: Target, principal: str | None) -> bool:
    if principal is not None and principal not in set(_principals(statement)):
        return False
    actions = [str(a) for a in _as_list(_field(statement, "action"))]
    resources = [str(r) for r in _as_list(_field(statement, "resource"))]
    return (
        any(_matches(_strip_action_prefix(a), target.action) for a in actions)
        and any(_matches(r, target.resource) for r in resources)
        and _conditions_hold(_field(statement, "condition"), target)
    )


def _principals(statement: dict[str, Any]) -> Iterator[str]:
    value = _field(statement, "principal")
    if value == "*":
        yield ANYONE
        return
    if isinstance(value, dict):
        for name in _as_list(_field(value, "qcs")):
            yield ANYONE if name == "*" else str(name)


def _strip_action_prefix(action: str) -> str:
    return action.split("name/", 1)[-1].split("cos:", 1)[-1] if action != "*" else "*"


def _matches(pattern: str, value: str) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, value, flags=re.IGNORECASE) is not None


def _conditions_hold(conditions: Any, target: Target) -> bool:
    if not conditions:
        return True
    if not isinstance(conditions, dict):
        return False
    for operator, tests in conditions.items():
        if operator.lower() not in {"ip_equal", "ip_not_equal"} or not isinstance(tests, dict):
            return False
        networks = _as_list(_field(tests, "qcs:ip"))
        inside = any(_in_network(target.source_ip, str(net)) for net in networks)
        if inside != (operator.lower() == "ip_equal"):
            return False
    return True


def _in_network(address: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False
