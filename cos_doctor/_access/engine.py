"""How COS decides whether a request may proceed: ACLs, policies, referer and CORS rules.

Pure functions over plain data — the facts of one request in, a decision and the statement,
grant or rule that decided it out. The emulator serves requests with them and
:func:`cos_doctor.investigate` replays a failed request through them, so the two can never
disagree. Sources (checked 2026-11): the evaluation process
(www.tencentcloud.com/document/product/436/35240, cloud.tencent.com/document/product/436/35240),
the policy language (436/18023), hotlink protection (436/13319, 436/32466) and CORS (436/13318,
436/8288). The rules, each pinned by one test in ``tests/test_access_engine.py``:

1. The root account acting on its own bucket is always allowed.
2. Otherwise everything is implicitly denied until something allows it.
3. Statements are gathered in two tiers. First those naming the caller: its CAM (user)
   policy, bucket-policy statements with its principal, ACL grants to it. Then those for
   everyone: ``qcs::cam::anyone:anyone`` statements and AllUsers grants. The first tier with
   any applicable statement decides, so a statement naming the user beats one for everyone,
   and an anonymous allow in the policy opens a private-ACL bucket.
4. Within a tier an explicit deny beats any allow.
5. An object's own (non-default) ACL replaces the bucket's for reads of that object.
6. A temporary key is further bounded by the policy it was issued with.
7. A statement applies when its action, resource and every condition match; a condition this
   engine does not understand never applies (only ``ip_equal`` / ``ip_not_equal`` on
   ``qcs:ip`` are understood).
8. Referer: the scheme is ignored; an entry is a prefix of ``host[:port]/path``; an entry
   without a port matches any port; ``*.example.com`` covers ``example.com`` and every
   subdomain; a missing or blank Referer is governed by the empty-referer setting alone.
9. CORS: the first rule allowing the origin (``*`` wildcards), the method and every requested
   header wins; no rule → the preflight is refused.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from cos_doctor._normalize import fold_case

__all__ = [
    "ACL_PERMISSION",
    "ALL_USERS",
    "ANYONE",
    "AccessConfig",
    "AccessRequest",
    "AclGrant",
    "CorsDecision",
    "CorsRule",
    "Decision",
    "Grant",
    "RefererConfig",
    "RefererDecision",
    "Statement",
    "decide",
    "decide_cors",
    "decide_referer",
    "glob_match",
    "statements",
]

#: The group URI COS uses for "everyone" in ACLs.
ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
#: The principal COS uses for "everyone" in policies.
ANYONE = "qcs::cam::anyone:anyone"

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
_BARE_ROOT = re.compile(r"^qcs::cam::uin/(\d+)$")


def glob_match(pattern: str, value: str) -> bool:
    """Whether ``value`` matches ``pattern``, ``*`` matching any run of characters (any case).

    Each piece between stars is found leftmost after the one before, which decides a
    star-only glob exactly in linear time (a ``.*``-joined regex is polynomial in the stars).
    """
    first, *middle = fold_case(pattern).split("*")
    text = fold_case(value)
    if not middle:
        return text == first
    last = middle.pop()
    end = len(text) - len(last)
    if end < len(first) or not text.startswith(first) or not text.endswith(last):
        return False
    position = len(first)
    for piece in middle:
        found = text.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


# Values --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One ACL entry: a grantee (CAM principal or :data:`ALL_USERS`) and a permission."""

    grantee: str
    permission: str


@dataclass(frozen=True)
class RefererConfig:
    """Hotlink protection: a white- or black-list of referer domains."""

    enabled: bool = True
    white_list: bool = True
    domains: tuple[str, ...] = ()
    allow_empty: bool = False


@dataclass(frozen=True)
class CorsRule:
    """One CORS rule of a bucket."""

    allowed_origins: tuple[str, ...]
    allowed_methods: tuple[str, ...]
    allowed_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    rule_id: str | None = None


@dataclass(frozen=True)
class Statement:
    """One statement of a policy document, with where it sits."""

    source: str  # "bucket policy", "user policy" or "temporary key policy"
    position: int  # 1-based
    effect: str  # "allow" / "deny" (anything else never decides)
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    principals: tuple[str, ...] = ()  # empty: no Principal element (CAM and STS policies)
    sid: str | None = None
    conditions: Any = field(default=None, compare=False)

    @property
    def name(self) -> str:
        """How a person finds it: by its ``Sid`` when it has one, else by its position."""
        if self.sid:
            return f'statement "{self.sid}" of the {self.source}'
        return f"statement {self.position} of the {self.source}"


@dataclass(frozen=True)
class AclGrant:
    """An ACL grant that decided, and which ACL it sits in."""

    source: str  # "bucket ACL" or "object ACL"
    grant: Grant

    @property
    def name(self) -> str:
        """How a person finds it."""
        return f"the {self.source} grant of {self.grant.permission} to {self.grant.grantee}"


@dataclass(frozen=True)
class AccessRequest:
    """What a request asks: the CAM action, the resource, who asks and from where."""

    action: str  # without "name/cos:", e.g. "GetObject"
    resource: str  # qcs::cos:<region>:uid/<appid>:<bucket>/<key or *>
    principal: str | None  # None: anonymous
    source_ip: str = ""


@dataclass(frozen=True)
class AccessConfig:
    """Everything the decision reads about the bucket, the object and the caller."""

    owner_uin: str
    bucket_policy: tuple[Statement, ...] = ()
    bucket_acl: tuple[Grant, ...] = ()
    #: ``None``: the object has no ACL of its own (``default``), the bucket's decides.
    object_acl: tuple[Grant, ...] | None = None
    #: The caller's CAM policy when it is a sub-account of the owner.
    user_policy: tuple[Statement, ...] = ()
    #: For a temporary key: the policy it was issued with (``None``: not a temporary key).
    session_policy: tuple[Statement, ...] | None = None


@dataclass(frozen=True)
class Decision:
    """Allowed or not, why (``reason``), and the statement or grant that decided."""

    allowed: bool
    #: owner | allow | deny | no-grant | session-policy
    reason: str
    deciding: Statement | AclGrant | None = None
    #: "principal" (statements naming the caller) or "everyone"; None when no tier decided.
    tier: str | None = None


# Policy documents ----------------------------------------------------------------------------


def _field(mapping: dict[str, Any], name: str) -> Any:
    # Bucket policies write "Statement", CAM policies "statement": accept any case.
    for key, value in mapping.items():
        if str(key).lower() == name:
            return value
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principal_names(value: Any) -> tuple[str, ...]:
    if value == "*":
        return (ANYONE,)
    names = _as_list(_field(value, "qcs")) if isinstance(value, dict) else []
    return tuple(_normal_principal("*" if name == "*" else str(name)) for name in names)


def _normal_principal(name: str) -> str:
    if name == "*":
        return ANYONE
    bare = _BARE_ROOT.match(name)  # "qcs::cam::uin/100" is that account's root
    return f"qcs::cam::uin/{bare[1]}:uin/{bare[1]}" if bare else name


def statements(document: Any, source: str) -> tuple[Statement, ...]:
    """Read a policy document (parsed JSON) into its statements; anything else has none."""
    if not isinstance(document, dict):
        return ()
    found = []
    for position, raw in enumerate(_as_list(_field(document, "statement")), start=1):
        if not isinstance(raw, dict):
            continue
        sid = _field(raw, "sid")
        found.append(
            Statement(
                source=source,
                position=position,
                effect=str(_field(raw, "effect")).lower(),
                actions=tuple(str(a) for a in _as_list(_field(raw, "action"))),
                resources=tuple(str(r) for r in _as_list(_field(raw, "resource"))),
                principals=_principal_names(_field(raw, "principal")),
                sid=str(sid) if sid else None,
                conditions=_field(raw, "condition"),
            )
        )
    return tuple(found)


def _action_name(action: str) -> str:
    return action if action == "*" else action.split("name/", 1)[-1].split("cos:", 1)[-1]


def applies(statement: Statement, request: AccessRequest, principal: str | None) -> bool:
    """Whether ``statement`` speaks about ``request`` (for ``principal``; None: any)."""
    if principal is not None and principal not in statement.principals:
        return False
    return (
        any(glob_match(_action_name(a), request.action) for a in statement.actions)
        and any(glob_match(r, request.resource) for r in statement.resources)
        and _conditions_hold(statement.conditions, request.source_ip)
    )


def _conditions_hold(conditions: Any, source_ip: str) -> bool:
    if not conditions:
        return True
    if not isinstance(conditions, dict):
        return False
    for operator, tests in conditions.items():
        kind = str(operator).lower()
        if kind not in {"ip_equal", "ip_not_equal"} or not isinstance(tests, dict):
            return False
        networks = _as_list(_field(tests, "qcs:ip"))
        inside = any(_in_network(source_ip, str(net)) for net in networks)
        if inside != (kind == "ip_equal"):
            return False
    return True


def _in_network(address: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


# The decision --------------------------------------------------------------------------------

_Candidate = tuple[str, "Statement | AclGrant"]  # (effect, what says so)


def decide(request: AccessRequest, config: AccessConfig) -> Decision:
    """Decide ``request`` the way COS does (rules 1–7 of the module docstring)."""
    owner_root = f"qcs::cam::uin/{config.owner_uin}:uin/{config.owner_uin}"
    if request.principal is not None and request.principal == owner_root:
        decision = Decision(allowed=True, reason="owner")
    else:
        decision = _by_tiers(request, config)
    if decision.allowed and config.session_policy is not None:
        bound = _tier_verdict([("", s) for s in config.session_policy if applies(s, request, None)])
        if bound is None or not bound.allowed:
            deciding = bound.deciding if bound is not None else None
            return Decision(allowed=False, reason="session-policy", deciding=deciding)
    return decision


def _by_tiers(request: AccessRequest, config: AccessConfig) -> Decision:
    permission = ACL_PERMISSION.get(request.action)
    acl_source, acl = "bucket ACL", config.bucket_acl
    if config.object_acl is not None and permission in _OBJECT_ACL_PERMISSIONS:
        acl_source, acl = "object ACL", config.object_acl
    tiers: list[tuple[str, str | None]] = [("everyone", ANYONE)]
    if request.principal is not None:
        tiers.insert(0, ("principal", request.principal))
    for tier, principal in tiers:
        candidates: list[_Candidate] = []
        if tier == "principal":
            candidates += [("", s) for s in config.user_policy if applies(s, request, None)]
        candidates += [("", s) for s in config.bucket_policy if applies(s, request, principal)]
        grantee = ALL_USERS if tier == "everyone" else principal
        candidates += [
            ("allow", AclGrant(acl_source, g))
            for g in acl
            if permission is not None
            and g.grantee == grantee
            and g.permission in {permission, "FULL_CONTROL"}
        ]
        verdict = _tier_verdict(candidates)
        if verdict is not None:
            return Decision(verdict.allowed, verdict.reason, verdict.deciding, tier)
    return Decision(allowed=False, reason="no-grant")


def _tier_verdict(candidates: list[_Candidate]) -> Decision | None:
    """Any deny wins, else the first allow; ``None`` when nothing applies."""
    effects = [(effect or getattr(what, "effect", ""), what) for effect, what in candidates]
    for wanted, allowed in (("deny", False), ("allow", True)):
        for effect, what in effects:
            if effect == wanted:
                return Decision(allowed=allowed, reason=wanted, deciding=what)
    return None


# Hotlink protection --------------------------------------------------------------------------


@dataclass(frozen=True)
class RefererDecision:
    """Whether a Referer passes the bucket's rule, why, and the list entry that decided."""

    allowed: bool
    #: no-rule | disabled | empty-allowed | empty-denied | listed | not-listed | black-listed
    reason: str
    entry: str | None = None


def _without_scheme(text: str) -> str:
    return re.sub(r"^[a-z][a-z0-9+.-]*://", "", text.strip().lower())


def referer_entry_matches(entry: str, referer: str) -> bool:
    """Whether one domain-list ``entry`` matches the ``Referer`` value (rule 8).

    The entry matches a prefix of the Referer (scheme dropped), each ``*`` standing for a
    run without "/"; "*.example.com" covers the bare domain as well as every subdomain.
    Found piece by piece with ``str.find``, linear in the Referer's length.
    """
    entry, text = _without_scheme(entry), _without_scheme(referer)
    if not entry.startswith("*."):
        return _pieces_match(entry.split("*"), text, 0)
    first, *rest = entry[2:].split("*")
    slash = text.find("/")
    host_end = len(text) if slash < 0 else slash
    if "/" in first:  # its "/" can only be the Referer's first one: one place to start
        start = host_end - first.index("/")
        return (start == 0 or (start > 0 and text[start - 1] == ".")) and _pieces_match(
            [first, *rest], text, start
        )
    # Later starts (after each "." of the host) find only what the earliest one finds.
    starts = (0, *(i + 1 for i in range(host_end) if text[i] == "."))
    earliest = next((i for i in starts if text.startswith(first, i)), None)
    return earliest is not None and _pieces_match([first, *rest], text, earliest)


def _pieces_match(pieces: list[str], text: str, start: int) -> bool:
    """Whether ``text`` from ``start`` begins with the pieces, separated by runs without "/"."""
    first, *rest = pieces
    if not text.startswith(first, start):
        return False
    position = start + len(first)
    for piece in rest:
        slash = text.find("/", position)
        found = text.find(piece, position, len(text) if slash < 0 else slash + len(piece))
        if found < 0:
            return False
        position = found + len(piece)
    return True


def decide_referer(config: RefererConfig | None, referer: str | None) -> RefererDecision:
    """Decide a request carrying ``referer`` (``None`` or blank: none sent)."""
    if config is None:
        return RefererDecision(allowed=True, reason="no-rule")
    if not config.enabled:
        return RefererDecision(allowed=True, reason="disabled")
    if not referer or not referer.strip():
        allowed = config.allow_empty
        return RefererDecision(allowed, "empty-allowed" if allowed else "empty-denied")
    entry = next((e for e in config.domains if referer_entry_matches(e, referer)), None)
    if config.white_list:
        return RefererDecision(entry is not None, "listed" if entry else "not-listed", entry)
    return RefererDecision(entry is None, "black-listed" if entry else "not-listed", entry)


# CORS ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorsDecision:
    """The rule that allows a preflight, or why none does.

    ``reason`` is ``matched``, ``no-configuration``, or the part the closest rule refused:
    ``origin``, ``method`` or ``headers``; ``position`` (1-based) and ``rule`` name that rule.
    """

    allowed: bool
    reason: str
    position: int | None = None
    rule: CorsRule | None = None


_CORS_STAGES = ("origin", "method", "headers")


def decide_cors(
    rules: tuple[CorsRule, ...] | list[CorsRule],
    origin: str,
    method: str,
    headers: tuple[str, ...] | list[str] = (),
) -> CorsDecision:
    """Find the first rule allowing this origin, method and every requested header (rule 9)."""
    if not rules:
        return CorsDecision(allowed=False, reason="no-configuration")
    wanted = [h.strip() for h in headers if h.strip()]
    closest: tuple[int, int, CorsRule] | None = None
    for position, rule in enumerate(rules, start=1):
        passed = 0
        if any(glob_match(pattern, origin) for pattern in rule.allowed_origins):
            passed = 1
            if method.upper() in {m.upper() for m in rule.allowed_methods}:
                passed = 2
                if all(any(glob_match(p, h) for p in rule.allowed_headers) for h in wanted):
                    return CorsDecision(
                        allowed=True, reason="matched", position=position, rule=rule
                    )
        if closest is None or passed > closest[0]:
            closest = (passed, position, rule)
    assert closest is not None  # noqa: S101 - rules is not empty
    return CorsDecision(
        allowed=False, reason=_CORS_STAGES[closest[0]], position=closest[1], rule=closest[2]
    )
