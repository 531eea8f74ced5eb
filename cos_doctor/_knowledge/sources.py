"""The knowledge base's raw data: its TOML files, and their compiled copy.

Parsing and validating ~600 KB of TOML would be most of the cost of the first failure a
process diagnoses (see ``benchmarks/knowledge_load.py``). The catalogue those files build,
already validated, is compiled into two files, pretty-printed in the catalogue's order:
``knowledge/compiled.json``, what matching, the evidence and the event read (clauses, causes'
conditions, doc links, evidence sentences), and ``knowledge/compiled_prose.json``, the rules'
prose in every locale (titles, causes, steps, examples, sources), read when a Diagnosis is
first worded. ``tools/compile_knowledge.py`` validates and writes them, and
``tests/test_knowledge_sources.py`` fails while they differ from what the TOML builds.

Regenerate after editing any knowledge file: ``python -m tools.compile_knowledge``.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["COMPILED_FORMAT", "COMPILED_NAME", "PROSE_NAME", "parse_toml", "read_compiled"]

COMPILED_NAME = "compiled.json"
PROSE_NAME = "compiled_prose.json"
#: Bumped when the compiled files' layout changes; an unknown format is ignored, never misread.
COMPILED_FORMAT = 3


def read_compiled(directory: Path, name: str = COMPILED_NAME) -> dict[str, Any] | None:
    """A compiled file in ``directory``; None when missing, unreadable or another format."""
    try:
        copy = json.loads((directory / name).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(copy, dict) or copy.get("format") != COMPILED_FORMAT:
        return None
    return copy


def parse_toml(directory: Path) -> dict[str, dict[str, Any]]:
    """Every ``*.toml`` in ``directory`` parsed, by file name (tomllib is imported only here)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - depends on the interpreter
        import tomli as tomllib

    sources = {}
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as handle:
            sources[path.name] = tomllib.load(handle)
    return sources
