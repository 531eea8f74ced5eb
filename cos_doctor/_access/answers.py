"""The SDK's answers read into the access engine's values: the one place that knows their shapes.

``qcloud_cos`` returns configuration as ``xmltodict`` dictionaries (a lone child unwrapped, a
JSON policy as a string); :func:`cos_doctor.investigate` and ``cos-doctor check`` read them only
through these functions.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cos_doctor._access import engine as _access

__all__ = [
    "as_list",
    "client_region",
    "cors_rules",
    "grantee",
    "grants",
    "owner_uin",
    "policy_statements",
    "referer_config",
]

_UIN = re.compile(r"uin/(\d+)")


def client_region(client: Any) -> str | None:
    """The region a ``CosS3Client`` is configured for (its private config, read by ``_sdk``)."""
    from cos_doctor._sdk import adapter as _sdk

    return _sdk.client_settings(_sdk.client_config(client), client).region


def as_list(value: Any) -> list[Any]:
    """``value`` as a list (xmltodict gives a lone element unwrapped)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def grantee(value: str) -> str:
    """An ACL grantee as a principal: a bare UIN is that account's root."""
    if value in {_access.ALL_USERS, _access.ANYONE}:
        return _access.ALL_USERS
    bare = re.fullmatch(r"(?:qcs::cam::uin/)?(\d+)(?::uin/(\d+))?", value)
    if bare:
        return f"qcs::cam::uin/{bare[1]}:uin/{bare[2] or bare[1]}"
    return value


def grants(raw: Any, *, skip_owner: bool) -> tuple[_access.Grant, ...]:
    """The grants of a ``get_bucket_acl`` / ``get_object_acl`` answer (the owner's optional)."""
    owner = ((raw or {}).get("Owner") or {}).get("ID")
    found = []
    for grant in as_list(((raw or {}).get("AccessControlList") or {}).get("Grant")):
        who = (grant.get("Grantee") or {}).get("URI") or (grant.get("Grantee") or {}).get("ID")
        if not who or (skip_owner and who == owner):
            continue
        found.append(_access.Grant(grantee(str(who)), str(grant.get("Permission", "")).upper()))
    return tuple(found)


def owner_uin(raw: Any) -> str:
    """The owner's UIN from an ACL answer ('' when absent)."""
    found = _UIN.search(str(((raw or {}).get("Owner") or {}).get("ID") or ""))
    return found.group(1) if found else ""


def policy_statements(raw: Any) -> tuple[_access.Statement, ...]:
    """The statements of a ``get_bucket_policy`` answer."""
    text = (raw or {}).get("Policy")
    try:
        document = json.loads(text) if isinstance(text, str) else text
    except (ValueError, RecursionError):  # RecursionError: nested too deep to read
        return ()
    return _access.statements(document, "bucket policy")


def referer_config(raw: Any) -> _access.RefererConfig | None:
    """A ``get_bucket_referer`` answer as the engine's value (``None``: no rule)."""
    if not raw:
        return None
    domains = as_list((raw.get("DomainList") or {}).get("Domain"))
    return _access.RefererConfig(
        enabled=str(raw.get("Status", "Enabled")).lower() == "enabled",
        white_list=str(raw.get("RefererType", "White-List")).lower() != "black-list",
        domains=tuple(str(d) for d in domains),
        allow_empty=str(raw.get("EmptyReferConfiguration", "Deny")).lower() == "allow",
    )


def cors_rules(raw: Any) -> tuple[_access.CorsRule, ...]:
    """A ``get_bucket_cors`` answer as the engine's rules."""
    return tuple(
        _access.CorsRule(
            allowed_origins=tuple(str(o) for o in as_list(rule.get("AllowedOrigin"))),
            allowed_methods=tuple(str(m).upper() for m in as_list(rule.get("AllowedMethod"))),
            allowed_headers=tuple(str(h) for h in as_list(rule.get("AllowedHeader"))),
            rule_id=rule.get("ID"),
        )
        for rule in as_list((raw or {}).get("CORSRule"))
    )
