"""The access engine, one test per documented evaluation rule (see cos_doctor._access.engine)."""

from __future__ import annotations

import pytest

from cos_doctor._access.engine import (
    ALL_USERS,
    ANYONE,
    AccessConfig,
    AccessRequest,
    CorsRule,
    Grant,
    RefererConfig,
    decide,
    decide_cors,
    decide_referer,
    statements,
)

OWNER = "100000000001"
ROOT = f"qcs::cam::uin/{OWNER}:uin/{OWNER}"
SUB = f"qcs::cam::uin/{OWNER}:uin/100000000011"
RESOURCE = "qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/a.txt"
GET = AccessRequest("GetObject", RESOURCE, SUB, "10.0.0.1")


def policy(*entries: dict) -> tuple:
    return statements({"Statement": list(entries)}, "bucket policy")


def stmt(effect: str, principal: str, action: str = "name/cos:GetObject", **extra: object) -> dict:
    return {
        "Effect": effect,
        "Principal": {"qcs": [principal]},
        "Action": [action],
        "Resource": ["*"],
        **extra,
    }


def test_rule_1_owner_root_is_always_allowed() -> None:
    """The root account acting on its own bucket is allowed even against a deny."""
    config = AccessConfig(OWNER, bucket_policy=policy(stmt("deny", ROOT)))
    decision = decide(AccessRequest("GetObject", RESOURCE, ROOT), config)
    assert (decision.allowed, decision.reason) == (True, "owner")


def test_rule_2_nothing_applicable_is_an_implicit_deny() -> None:
    """With no statement or grant that applies, the request is denied and nothing is named."""
    decision = decide(GET, AccessConfig(OWNER))
    assert (decision.allowed, decision.reason, decision.deciding) == (False, "no-grant", None)


def test_rule_3_named_user_beats_everyone_and_anonymous_policy_opens_private_acl() -> None:
    """A statement naming the caller outranks one for everyone; anyone-allow opens a private bucket."""
    config = AccessConfig(OWNER, bucket_policy=policy(stmt("deny", ANYONE), stmt("allow", SUB)))
    decision = decide(GET, config)
    assert (decision.allowed, decision.tier, decision.deciding.position) == (True, "principal", 2)
    anonymous = decide(
        AccessRequest("GetObject", RESOURCE, None),
        AccessConfig(OWNER, bucket_policy=policy(stmt("allow", ANYONE))),
    )
    assert (anonymous.allowed, anonymous.tier) == (True, "everyone")


def test_rule_4_explicit_deny_beats_allow_and_is_named_by_sid() -> None:
    """Within a tier a deny wins; the deciding statement is named by its Sid."""
    config = AccessConfig(
        OWNER, bucket_policy=policy(stmt("allow", SUB), stmt("deny", SUB, Sid="NoInterns"))
    )
    decision = decide(GET, config)
    assert (decision.allowed, decision.reason) == (False, "deny")
    assert decision.deciding.name == 'statement "NoInterns" of the bucket policy'


def test_rule_5_object_acl_replaces_bucket_acl_for_reads() -> None:
    """An object's own private ACL overrides a public-read bucket ACL for GetObject."""
    config = AccessConfig(OWNER, bucket_acl=(Grant(ALL_USERS, "READ"),), object_acl=())
    assert decide(AccessRequest("GetObject", RESOURCE, None), config).allowed is False
    public = AccessConfig(OWNER, bucket_acl=(Grant(ALL_USERS, "READ"),))
    decision = decide(AccessRequest("GetObject", RESOURCE, None), public)
    assert (decision.allowed, decision.deciding.source) == (True, "bucket ACL")


def test_rule_6_temporary_key_is_bounded_by_its_policy() -> None:
    """A temporary key may only do what its session policy also allows."""
    session = statements(
        {"statement": [{"effect": "allow", "action": ["name/cos:PutObject"], "resource": ["*"]}]},
        "temporary key policy",
    )
    config = AccessConfig(OWNER, bucket_policy=policy(stmt("allow", SUB)), session_policy=session)
    decision = decide(GET, config)
    assert (decision.allowed, decision.reason) == (False, "session-policy")


@pytest.mark.parametrize(
    ("condition", "applies"),
    [
        ({"ip_equal": {"qcs:ip": ["10.0.0.0/8"]}}, True),
        ({"ip_not_equal": {"qcs:ip": ["10.0.0.0/8"]}}, False),
        ({"string_equal": {"qcs:whatever": "x"}}, False),
    ],
)
def test_rule_7_conditions_must_hold_and_unknown_ones_never_apply(
    condition: dict, applies: bool
) -> None:
    """A statement applies only when its IP condition holds; an unknown condition never applies."""
    config = AccessConfig(OWNER, bucket_policy=policy(stmt("allow", SUB, Condition=condition)))
    assert decide(GET, config).allowed is applies


@pytest.mark.parametrize(
    ("entry", "referer", "allowed"),
    [
        ("*.example.com", "https://example.com/page", True),
        ("*.example.com", "http://a.b.example.com:8080/x", True),
        ("www.example.com", "https://www.example.com.cn/", True),
        ("example.com:8080", "https://example.com/", False),
        ("*.example.com", "https://hotlinker.example.net/", False),
    ],
)
def test_rule_8_referer_prefix_port_and_wildcard(entry: str, referer: str, allowed: bool) -> None:
    """Referer entries are scheme-less prefixes; a port must match when given; *. covers the bare domain."""
    assert decide_referer(RefererConfig(domains=(entry,)), referer).allowed is allowed


def test_rule_8_empty_referer_is_governed_by_its_own_setting() -> None:
    """A missing Referer is decided by EmptyReferConfiguration alone, on either list type."""
    assert decide_referer(RefererConfig(domains=("a.com",)), None).reason == "empty-denied"
    assert decide_referer(RefererConfig(white_list=False, allow_empty=True), "").allowed is True


def test_rule_9_cors_first_matching_rule_and_closest_refusal() -> None:
    """The first rule allowing origin, method and headers wins; otherwise the closest rule is named."""
    rules = (CorsRule(("https://a.example",), ("GET",)), CorsRule(("*",), ("PUT",), ("x-*",)))
    matched = decide_cors(rules, "https://b.example", "PUT", ["X-Trace"])
    assert (matched.allowed, matched.position) == (True, 2)
    refused = decide_cors(rules[:1], "https://b.example", "GET")
    assert (refused.allowed, refused.reason, refused.position) == (False, "origin", 1)
    assert decide_cors((), "https://a.example", "GET").reason == "no-configuration"
