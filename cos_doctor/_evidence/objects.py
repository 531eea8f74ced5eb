"""Archived objects: the storage class COS reported, and the restore call that fixes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cos_doctor._evidence import Facts, detector

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor.diagnosis import Evidence


@detector("invalid-object-state")
def archived_object(facts: Facts) -> Iterator[Evidence]:
    """The object's storage class when the reply named it, and a ready restore_object call."""
    context = facts.context
    storage_class = context.response_headers.get("x-cos-storage-class")
    if storage_class:
        yield facts.say("storage_class", storage_class.upper())
    if context.bucket and context.key:
        # DEEP_ARCHIVE has no Expedited tier; Standard works for both archive classes.
        call = (
            f"client.restore_object(Bucket={context.bucket!r}, Key={context.key!r}, "
            "RestoreRequest={'Days': 1, 'CASJobParameters': {'Tier': 'Standard'}})"
        )
        yield facts.say("restore_call", call)
