"""The documented default account, and JSON configuration files that add to it.

Default (every key is obviously fake and works only against this emulator):

=====================  ====================================================
APPID                  ``1250000000``
Owner (root) UIN       ``100000000001``, key ``AKIDcosdoctorEmulatorOwner0000000001`` /
                       ``emulator-owner-secret-key-not-real``
Sub-account UIN        ``100000000011`` (no CAM policy: no COS rights), key
                       ``AKIDcosdoctorEmulatorSub000000000011`` /
                       ``emulator-sub-secret-key-not-real``
Bucket                 ``examplebucket-1250000000`` in ``ap-guangzhou``, private
=====================  ====================================================

A configuration file is JSON; every top-level entry is optional::

    {
      "clock_offset": 0,
      "max_body_size": 67108864,
      "accounts": [
        {"appid": "1250000001", "owner_uin": "100000000002",
         "sub_accounts": [{"uin": "100000000022", "policy": {"statement": [...]}}]}
      ],
      "keys": [
        {"secret_id": "AKID-MY-KEY", "secret_key": "my-secret", "uin": "100000000002",
         "enabled": true}
      ],
      "buckets": [
        {"name": "photos-1250000001", "region": "ap-beijing", "acl": "public-read",
         "created": 1700000000, "policy": {"Statement": [...]},
         "objects": [{"key": "a.txt", "data": "hello", "storage_class": "ARCHIVE",
                      "content_type": "text/plain"}]}
      ]
    }

A bucket's ``created`` (Unix seconds, default now) decides whether it still answers path-style
requests: only buckets created before 2024 do, as on COS. Accounts come before the keys and
buckets that refer to them; everything is added to the
default account, bucket and keys above. ``max_body_size`` is the emulator's own bound on one
request body in bytes (default 64 MiB; it keeps everything in memory): a longer body is
refused with COS's ``EntityTooLarge``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from cos_doctor.emulator.state import EmulatorState

DEFAULT_APPID = "1250000000"
DEFAULT_OWNER_UIN = "100000000001"
DEFAULT_SUB_UIN = "100000000011"
DEFAULT_REGION = "ap-guangzhou"
DEFAULT_BUCKET = f"examplebucket-{DEFAULT_APPID}"
# Fake on purpose. SecretIds have the real shape ("AKID" + 32), so shape checks stay quiet;
# secret keys are hyphenated so that no secret scanner mistakes them for real ones.
DEFAULT_OWNER_SECRET_ID = "AKIDcosdoctorEmulatorOwner0000000001"  # noqa: S105
DEFAULT_OWNER_SECRET_KEY = "emulator-owner-secret-key-not-real"  # noqa: S105
DEFAULT_SUB_SECRET_ID = "AKIDcosdoctorEmulatorSub000000000011"  # noqa: S105
DEFAULT_SUB_SECRET_KEY = "emulator-sub-secret-key-not-real"  # noqa: S105


def add_defaults(state: EmulatorState) -> None:
    """Add the documented default account, keys and bucket to ``state``."""
    state.add_account(DEFAULT_APPID, DEFAULT_OWNER_UIN)
    state.add_sub_account(DEFAULT_OWNER_UIN, DEFAULT_SUB_UIN)
    state.add_key(DEFAULT_OWNER_SECRET_ID, DEFAULT_OWNER_SECRET_KEY, DEFAULT_OWNER_UIN)
    state.add_key(DEFAULT_SUB_SECRET_ID, DEFAULT_SUB_SECRET_KEY, DEFAULT_SUB_UIN)
    state.add_bucket(DEFAULT_BUCKET, DEFAULT_REGION)


def default_state(config: dict[str, Any] | None = None) -> EmulatorState:
    """Return a state holding the defaults plus ``config``, with that as its reset baseline."""
    state = EmulatorState()
    add_defaults(state)
    if config:
        apply_config(state, config)
    state.mark_baseline()
    return state


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a JSON configuration file (see the module docstring for its shape)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise TypeError(f"{path}: the configuration must be a JSON object")
    return cast("dict[str, Any]", data)


def _entries(config: dict[str, Any], name: str) -> list[dict[str, Any]]:
    entries = config.get(name, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise TypeError(f"configuration: {name!r} must be a list of objects")
    return cast("list[dict[str, Any]]", entries)


def apply_config(state: EmulatorState, config: dict[str, Any]) -> None:
    """Add the accounts, keys and buckets of a parsed configuration to ``state``."""
    try:
        state.set_clock_offset(float(config.get("clock_offset", 0)))
        state.max_body_size = int(config.get("max_body_size", state.max_body_size))
        for account in _entries(config, "accounts"):
            owner = str(account["owner_uin"])
            state.add_account(str(account["appid"]), owner)
            for sub in _entries(account, "sub_accounts"):
                state.add_sub_account(owner, str(sub["uin"]), sub.get("policy"))
        for key in _entries(config, "keys"):
            state.add_key(str(key["secret_id"]), str(key["secret_key"]), str(key["uin"]))
            state.set_key_enabled(str(key["secret_id"]), enabled=bool(key.get("enabled", True)))
        for entry in _entries(config, "buckets"):
            created = entry.get("created")
            bucket = state.add_bucket(
                str(entry["name"]),
                str(entry["region"]),
                acl=str(entry.get("acl", "private")),
                created=None if created is None else float(created),
            )
            bucket.policy = entry.get("policy")
            for obj in _entries(entry, "objects"):
                state.put_object(
                    bucket.name,
                    str(obj["key"]),
                    str(obj.get("data", "")).encode("utf-8"),
                    storage_class=str(obj.get("storage_class", "STANDARD")),
                    content_type=str(obj.get("content_type", "application/octet-stream")),
                )
    except KeyError as missing:
        raise ValueError(f"configuration: missing or unknown {missing}") from None
    except TypeError as wrong:
        raise ValueError(f"configuration: {wrong}") from None
