"""Request bodies and ACL headers, read into state values.

XML bodies come from the SDK's ``xmltodict`` (no namespaces) or from browsers and other SDKs
(sometimes namespaced); tags are compared without their namespace.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from cos_doctor.emulator.errors import CosError
from cos_doctor.emulator.models import (
    ALL_USERS,
    CANNED_ACLS,
    PERMISSIONS,
    Acl,
    CorsRule,
    Grant,
    PolicyDocument,
    RefererConfig,
    principal,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

# x-cos-grant-read → READ, x-cos-grant-full-control → FULL_CONTROL, …
_GRANT_HEADERS = {f"x-cos-grant-{p.lower().replace('_', '-')}": p for p in PERMISSIONS}
_GRANTEE = re.compile(r'(id|uri)\s*=\s*"([^"]*)"', re.IGNORECASE)
_BARE_OR_ROOT = re.compile(r"^(?:qcs::cam::uin/)?(\d+)(?::uin/(\d+))?$")


def parse_xml(body: bytes) -> ET.Element:
    """Parse an XML body with namespaces dropped from tags; MalformedXML if it is not XML."""
    try:
        root = ET.fromstring(body)  # noqa: S314 - a local test server parsing its own clients
    except ET.ParseError:
        raise CosError("MalformedXML") from None
    for element in root.iter():
        element.tag = element.tag.rsplit("}", 1)[-1]
    return root


def _texts(element: ET.Element, tag: str) -> tuple[str, ...]:
    return tuple((child.text or "").strip() for child in element.findall(tag))


def _text(element: ET.Element, tag: str, default: str = "") -> str:
    texts = _texts(element, tag)
    return texts[0] if texts else default


def grantee_principal(grantee: str) -> str:
    """Normalise an ACL grantee: a bare UIN ``"1000"`` means that account's root."""
    if grantee in {ALL_USERS, "qcs::cam::anyone:anyone"}:
        return ALL_USERS
    match = _BARE_OR_ROOT.match(grantee)
    if match:
        owner, uin = match[1], match[2] or match[1]
        return principal(owner, uin)
    return grantee


def acl_from_headers(headers: Mapping[str, str], *, for_object: bool) -> Acl | None:
    """Read ``x-cos-acl`` and ``x-cos-grant-*``; ``None`` when the request sets neither.

    An object's ``default`` ACL (inherit the bucket's) comes back as ``Acl("default")``.
    """
    canned = headers.get("x-cos-acl", "").strip()
    grants = tuple(
        Grant(grantee_principal(value), permission)
        for header, permission in _GRANT_HEADERS.items()
        for _kind, value in _GRANTEE.findall(headers.get(header, ""))
    )
    if not canned and not grants:
        return None
    allowed = CANNED_ACLS if for_object else CANNED_ACLS - {"default"}
    if canned and canned not in allowed:
        raise CosError("InvalidArgument", f"Invalid x-cos-acl value: {canned}")
    return Acl.from_canned(canned or "private", grants)


def acl_from_xml(body: bytes) -> Acl:
    """Read an ``<AccessControlPolicy>`` body into an ACL of explicit grants."""
    root = parse_xml(body)
    grants = []
    for grant in root.iter("Grant"):
        grantee = grant.find("Grantee")
        permission = _text(grant, "Permission").upper()
        if grantee is None or permission not in PERMISSIONS:
            raise CosError("MalformedXML")
        who = _text(grantee, "URI") or _text(grantee, "ID")
        grants.append(Grant(grantee_principal(who), permission))
    everyone = {g.permission for g in grants if g.grantee == ALL_USERS}
    canned = (
        "public-read-write"
        if {"READ", "WRITE"} <= everyone
        else ("public-read" if "READ" in everyone else "private")
    )
    return Acl(canned=canned, grants=tuple(grants))


def cors_from_xml(body: bytes) -> tuple[CorsRule, ...]:
    """Read a ``<CORSConfiguration>`` body."""
    rules = []
    for rule in parse_xml(body).iter("CORSRule"):
        max_age = _text(rule, "MaxAgeSeconds")
        if not _texts(rule, "AllowedOrigin") or not _texts(rule, "AllowedMethod"):
            raise CosError("MalformedXML")
        rules.append(
            CorsRule(
                allowed_origins=_texts(rule, "AllowedOrigin"),
                allowed_methods=tuple(m.upper() for m in _texts(rule, "AllowedMethod")),
                allowed_headers=_texts(rule, "AllowedHeader"),
                expose_headers=_texts(rule, "ExposeHeader"),
                max_age=int(max_age) if max_age.isdigit() else None,
                rule_id=_text(rule, "ID") or None,
            )
        )
    return tuple(rules)


def referer_from_xml(body: bytes) -> RefererConfig | None:
    """Read a ``<RefererConfiguration>`` body; an empty body clears the rule."""
    if not body.strip():
        return None
    root = parse_xml(body)
    domain_list = root.find("DomainList")
    return RefererConfig(
        enabled=_text(root, "Status", "Enabled").lower() == "enabled",
        white_list=_text(root, "RefererType", "White-List").lower() != "black-list",
        domains=_texts(domain_list, "Domain") if domain_list is not None else (),
        allow_empty=_text(root, "EmptyReferConfiguration", "Deny").lower() == "allow",
    )


def delete_from_xml(body: bytes) -> tuple[bool, list[str]]:
    """Read a ``<Delete>`` body: whether it is quiet, and the keys to delete."""
    root = parse_xml(body)
    keys = [_text(obj, "Key") for obj in root.iter("Object")]
    return _text(root, "Quiet").lower() == "true", keys


def parts_from_xml(body: bytes) -> list[tuple[int, str]]:
    """Read a ``<CompleteMultipartUpload>`` body: (part number, ETag) pairs in order."""
    parts = []
    for part in parse_xml(body).iter("Part"):
        number = _text(part, "PartNumber")
        if not number.isdigit():
            raise CosError("MalformedXML")
        parts.append((int(number), _text(part, "ETag")))
    return parts


def restore_from_xml(body: bytes) -> tuple[int, str]:
    """Read a ``<RestoreRequest>`` body: days to keep the copy, and the retrieval tier."""
    root = parse_xml(body)
    days = _text(root, "Days", "1")
    tier_parent = root.find("CASJobParameters")
    tier = _text(tier_parent, "Tier", "Standard") if tier_parent is not None else "Standard"
    if not days.isdigit() or int(days) < 1:
        raise CosError("MalformedXML")
    return int(days), tier


def policy_from_json(body: bytes) -> PolicyDocument:
    """Read a bucket policy; MalformedPolicy unless it is a JSON object with statements."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # too deep: unreadable
        raise CosError("MalformedPolicy") from None
    if not isinstance(document, dict):
        raise CosError("MalformedPolicy")
    statements = next((v for k, v in document.items() if k.lower() == "statement"), None)
    if not isinstance(statements, list) or not statements:
        raise CosError("MalformedPolicy")
    return document
