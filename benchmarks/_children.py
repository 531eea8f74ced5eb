"""Fresh Python interpreters that import this working tree: for import cost, memory, slow bodies."""

from __future__ import annotations

import os
import subprocess
import sys

from benchmarks._config import ROOT


def child_env() -> dict[str, str]:
    """The environment of a child: this working tree first on its path, no import profiling."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def run_python(
    *arguments: str, timeout: float | None = None, env: dict[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python *arguments`` to completion; a failing child fails the benchmark.

    ``env`` sets (or, with None, removes) variables of the child's environment.
    """
    environment = child_env()
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run(
        [sys.executable, *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
        env=environment,
    )


def child_seconds(code: str, timeout: float) -> float | None:
    """The number ``code`` prints last (seconds it measured), or None past ``timeout``."""
    try:
        done = run_python("-c", code, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return float(done.stdout.strip().splitlines()[-1])
