"""Conditional and ranged reads: the Range and the conditions sent, and the object's size."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cos_doctor._pipeline.evidence.registry import Facts, detector

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor.diagnosis import Evidence

_CONDITIONS = (
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "x-cos-copy-source-if-match",
    "x-cos-copy-source-if-none-match",
    "x-cos-copy-source-if-modified-since",
    "x-cos-copy-source-if-unmodified-since",
)
_UNSATISFIED_RANGE = re.compile(r"^bytes \*/(\d+)$")


@detector("invalid-range")
def range_and_size(facts: Facts) -> Iterator[Evidence]:
    """The Range asked for, and the object's size when the reply's Content-Range gave it."""
    context = facts.context
    asked = context.request_headers.get("range")
    if asked:
        yield facts.say("range_sent", asked.strip())
    found = _UNSATISFIED_RANGE.match(context.response_headers.get("content-range", "").strip())
    if found:
        yield facts.say("object_size", int(found.group(1)))


@detector("precondition-failed", "not-modified")
def conditions(facts: Facts) -> Iterator[Evidence]:
    """Each conditional header the request carried, as 'name: value'."""
    headers = facts.context.request_headers
    sent = tuple(f"{name}: {headers[name].strip()}" for name in _CONDITIONS if name in headers)
    if sent:
        yield facts.say("conditions_sent", sent, listed="; ".join(sent))


@detector("no-such-version")
def version_asked(facts: Facts) -> Iterator[Evidence]:
    """The versionId the request named."""
    version = facts.context.query.get("versionId")
    if version is not None:
        yield facts.say("version_id_sent", version)


@detector("head-not-found")
def head_target(facts: Facts) -> Iterator[Evidence]:
    """Whether the HEAD asked for a bucket or an object (a bucket HEAD cannot miss an object)."""
    context = facts.context
    if context.operation == "head_bucket" or context.path == "/":
        yield facts.say("head_target", "bucket", variant="bucket")
    elif context.operation == "head_object" or (context.path or "/") != "/":
        yield facts.say("head_target", "object", variant="object")
