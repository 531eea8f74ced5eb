"""The README's Python: every ```python block compiles, and every runnable one runs for real.

A block is runnable unless the line right before its fence is one of these markers:

* ``<!-- not-run: REASON -->``: compiled only. For a fragment of the reader's own code (its
  ``client``, ``bucket``, ``body``…) or a block that needs real COS credentials; the reason is
  required and says which.
* ``<!-- readme-example: NAME -->``: run by a test of its own, which reads the block by name
  with ``readme_example("NAME")`` (a server, or a test needing the fixture that server gives);
  such a test must exist.

Any other marker there is refused, so a misspelt one cannot hide a block. A runnable block runs
in a fresh interpreter in an empty folder, against the emulator when it needs COS
(``cos_doctor.testing``): a block that defines ``test_`` functions is a test file, run by pytest
as a user's suite runs it, with cos_doctor's plugin loaded from its entry point and warnings as
errors; any other block is a script. New blocks are picked up as they are written.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
_MARKER = re.compile(r"^<!--\s*(.*?)\s*-->$")
_PYTHON = {"python", "py", "python3"}


@dataclass(frozen=True)
class Block:
    """One ```python block of the README."""

    line: int  # of its first line of code
    code: str
    marker: str | None  # the HTML comment right before the fence, if any

    @property
    def name(self) -> str:
        return f"README.md:{self.line}"


def readme_blocks(text: str) -> list[Block]:
    """Every ```python block of ``text``, with the marker comment before its fence."""
    blocks = []
    for fence in _FENCE.finditer(text):
        if fence.group(1).lower() not in _PYTHON:
            continue
        before = text[: fence.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
        marker = _MARKER.match(before)
        line = text.count("\n", 0, fence.start(2)) + 1
        blocks.append(Block(line, fence.group(2), marker.group(1) if marker else None))
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def _kind(block: Block) -> str:
    """'not-run', 'readme-example' or 'run'; fails on a marker it does not know."""
    if block.marker is None:
        return "run"
    kind, _, reason = block.marker.partition(":")
    assert kind in {"not-run", "readme-example"}, f"{block.name}: unknown marker {block.marker!r}"
    assert reason.strip(), f"{block.name}: the marker {kind!r} needs a reason or a name"
    return kind


def _defines_tests(code: str) -> int:
    """How many top-level ``test_`` functions the block defines."""
    tree = ast.parse(code)
    return sum(
        isinstance(node, ast.FunctionDef) and node.name.startswith("test_") for node in tree.body
    )


def test_the_readme_has_runnable_blocks_of_both_kinds() -> None:
    """The parser finds the README's blocks, and among them a script and a pytest file that run."""
    runnable = [block for block in BLOCKS if _kind(block) == "run"]
    assert any(_defines_tests(block.code) for block in runnable)
    assert any(not _defines_tests(block.code) for block in runnable)


def test_the_block_finder_reads_markers_and_languages() -> None:
    """Only python fences are blocks, and the comment right before a fence is its marker."""
    text = (
        "intro\n\n<!-- not-run: needs keys -->\n```python\nx = 1\n```\n\n"
        "```sh\nls\n```\n\n<!-- stray -->\n\n```py\ny = 2\n```\n"
    )
    assert readme_blocks(text) == [
        Block(line=5, code="x = 1\n", marker="not-run: needs keys"),
        Block(line=15, code="y = 2\n", marker="stray"),
    ]
    with pytest.raises(AssertionError, match="unknown marker"):
        _kind(readme_blocks(text)[1])


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: block.name)
def test_every_python_block_compiles(block: Block) -> None:
    """Each block is valid Python for this interpreter, reported at its README line."""
    _kind(block)  # and its marker is one this module knows
    compile("\n" * (block.line - 1) + block.code, "README.md", "exec")


@pytest.mark.parametrize(
    "block", [block for block in BLOCKS if _kind(block) == "readme-example"], ids=lambda b: b.name
)
def test_every_named_block_has_its_test(block: Block) -> None:
    """A block left to a test of its own is read by one, by its name."""
    name = block.marker.partition(":")[2].strip() if block.marker else ""
    call = f'readme_example("{name}")'
    readers = [
        path
        for folder in ("tests", "integration")
        for path in (ROOT / folder).rglob("test_*.py")
        if call in path.read_text(encoding="utf-8")
    ]
    assert readers, f"{block.name}: no test calls {call}"


@pytest.mark.parametrize(
    "block", [block for block in BLOCKS if _kind(block) == "run"], ids=lambda b: b.name
)
def test_every_runnable_block_runs(block: Block, tmp_path: Path) -> None:
    """A script exits 0; a test file passes under pytest with every test it defines."""
    tests = _defines_tests(block.code)
    source = tmp_path / (f"test_readme_{block.line}.py" if tests else f"readme_{block.line}.py")
    source.write_text(block.code, encoding="utf-8")
    if tests:
        # A user's own suite: its own ini (no project config reaches it), the plugin found
        # through its entry point, warnings as errors as this project runs.
        (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", source.name]
    else:
        command = [sys.executable, "-W", "error", source.name]
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, f"{block.name}\n{result.stdout}\n{result.stderr}"
    if tests:
        assert f"{tests} passed" in result.stdout, result.stdout
