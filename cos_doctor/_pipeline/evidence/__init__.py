"""Facts computed for THIS request, one small detector per fact.

The detectors live in this package's modules, one per topic, and register themselves in
:mod:`.registry` when this package is imported (on the first failure, never on the success
path): import :func:`collect_evidence` from here, not from the registry.
"""

from __future__ import annotations

# Importing the topic modules registers their detectors.
from cos_doctor._pipeline.evidence import (  # noqa: F401 - imported for their registrations
    access,
    botocore,
    buckets,
    clock,
    credentials,
    encryption,
    endpoints,
    keys,
    network,
    objects,
    post,
    reads,
    replies,
    signature,
    uploads,
)
from cos_doctor._pipeline.evidence.registry import Facts, collect_evidence

__all__ = ["Facts", "collect_evidence"]
