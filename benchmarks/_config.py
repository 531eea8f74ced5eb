"""What the benchmarks run against, for how long, and the targets they report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"
KEY = "bench/a.txt"
# The failing calls' keys, one after the other: real failures name many objects, and a single
# key would let every cache keyed on the URL or the key (urlsplit's own, 128 entries; the
# policy statement's, 256) answer each call, which the SDK and cos_doctor do not get in production.
FAILURE_KEYS = tuple(f"bench/{index:04d}/a.txt" for index in range(1024))
SECRET_ID = "AKIDcosdoctorBENCHsecretid000000000A"
SECRET_KEY = "bench-secret-key-never-printed-0001"
REQUEST_ID = "NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0"
TRACE_ID = "OGVmYzZiMmQzYjA2OWNh"
MIB = 1 << 20

# The targets. Reported with ✓/✗, never asserted.
TARGET_SUCCESS_ADDED_US = 1.5  # issue 5's budget, superseded by the two below (issue 8)
TARGET_SUCCESS_RATIO = 1.01  # a whole successful call with / without cos_doctor
TARGET_LAYER_OVER_WRAPT_US = 0.3  # cos_doctor's layer alone minus a bare wrapt pass-through
TARGET_FAILURE_ADDED_US = 50.0
TARGET_IMPORT_MS = 20.0
TARGET_DIAGNOSE_MS_PER_MIB = 5.0  # issue 16: diagnose() on 1 MB of any text
TARGET_FIRST_FAILURE_MS = 20.0  # issue 16: the first diagnosed failure of a fresh process
# What `import cos_doctor` and `install()` must not load: it is paid on the first failure.
LAZY_MODULES = (
    "cos_doctor._knowledge.catalogue",
    "cos_doctor._pipeline.diagnose",
    "cos_doctor._pipeline.evidence",
    "structlog",
)


@dataclass(frozen=True)
class Plan:
    """How long each measurement runs: rounds of interleaved batches, calls per batch."""

    success_rounds: int = 250
    success_layouts: int = 6
    success_calls: int = 40
    layer_rounds: int = 60
    layer_calls: int = 20000
    logging_rounds: int = 60
    logging_calls: int = 20
    failure_rounds: int = 60
    failure_calls: int = 8
    stage_rounds: int = 40
    stage_calls: int = 20
    diagnose_rounds: int = 40
    big_repeats: int = 3
    adversarial_sizes: tuple[int, ...] = (8192, 16384, 32768)
    adversarial_full_size_timeout: float = 5.0
    import_runs: int = 15
    memory_runs: int = 3
    memory_failures: int = 2000
    first_failure_runs: int = 20


QUICK = Plan(
    success_rounds=16,
    success_layouts=2,
    success_calls=10,
    layer_rounds=12,
    layer_calls=5000,
    logging_rounds=6,
    logging_calls=5,
    failure_rounds=8,
    failure_calls=3,
    stage_rounds=6,
    stage_calls=5,
    diagnose_rounds=4,
    big_repeats=1,
    adversarial_sizes=(4096, 8192),
    adversarial_full_size_timeout=3.0,
    import_runs=3,
    memory_runs=1,
    memory_failures=200,
    first_failure_runs=3,
)
