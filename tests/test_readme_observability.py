"""The README's logging, Sentry and OpenTelemetry examples run as written and print what it shows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _example(heading: str) -> tuple[str, str]:
    """The section's python block and the plain block after it (its documented output)."""
    section = README.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```\n\n```\n(.*?)```", section, flags=re.DOTALL)
    assert found is not None, heading
    return found.group(1), found.group(2)


@pytest.mark.parametrize(
    ("heading", "stream"),
    [
        ("### One line per failure", "stderr"),
        ("## Sentry", "stdout"),
        ("## OpenTelemetry", "stdout"),
    ],
)
def test_the_example_prints_what_the_readme_shows(heading: str, stream: str) -> None:
    """Each example runs in a fresh interpreter and prints the documented lines ('…' stands for a request id's rest)."""
    code, shown = _example(heading)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=ROOT,
    )
    printed = getattr(done, stream)
    expected = [re.escape(line).replace("…", "[^ ,']*") for line in shown.splitlines()]
    lines = printed.splitlines()
    assert len(lines) == len(expected), printed
    for line, pattern in zip(lines, expected):
        assert re.fullmatch(pattern, line), (line, pattern)
    other = done.stdout if stream == "stderr" else done.stderr
    assert other == ""
