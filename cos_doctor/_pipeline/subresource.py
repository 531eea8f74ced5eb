"""Which bucket sub-resource (``?lifecycle``, ``?cors`` …) a failed request addressed.

COS names it in the Code of a "no such configuration" 404 (Error Codes, 436/7730; GET Bucket
tagging's NoSuchTagSetError), and the request names it as its query's sub-resource (the API
reserved fields of Specifications and Limits, 436/14518). The Code says it for certain; the
query is the fallback when the Code does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["subresource"]

_BY_CODE = {
    "NoSuchLifecycleConfiguration": "lifecycle",
    "NoSuchCORSConfiguration": "cors",
    "NoSuchTagSet": "tagging",
    "NoSuchTagSetError": "tagging",
    "NoSuchEncryptionConfiguration": "encryption",
    "NoSuchObjectLockConfiguration": "object-lock",
    "NoSuchWebsiteConfiguration": "website",
    "OriginConfigurationNotFoundError": "origin",
    "ReplicationConfigurationNotFoundError": "replication",
    "InventoryConfigurationNotFoundError": "inventory",
}
# The reserved fields that are a bucket's configurations (436/14518), in the order a query
# is searched; acl, uploads, delete, versions, location and the object ones are not settings.
_CONFIGURATIONS = (
    "lifecycle",
    "cors",
    "tagging",
    "encryption",
    "object-lock",
    "website",
    "origin",
    "replication",
    "inventory",
    "policy",
    "referer",
    "logging",
    "domain",
    "accelerate",
    "notification",
    "intelligenttiering",
    "versioning",
)


def subresource(code: str | None, query: Mapping[str, str]) -> str | None:
    """The sub-resource the Code names, else the first configuration the query names."""
    named = _BY_CODE.get(code or "")
    if named is not None:
        return named
    return next((name for name in _CONFIGURATIONS if name in query), None)
