"""The knowledge base's raw data: its TOML files, or their compiled JSON copy while it is fresh.

Parsing ~600 KB of TOML is most of the cost of the first failure a process diagnoses (see
``benchmarks/knowledge_load.py``). ``knowledge/compiled.json`` holds the same data, parsed
already, with a digest of the TOML sources it was made from; it is used only when that digest
matches the TOML files beside it, so an edited TOML file is always read as TOML. The loader
validates whatever it reads the same way, and compiling (``tools/compile_knowledge.py``)
validates first.

Regenerate after editing any knowledge file: ``python -m tools.compile_knowledge``
(``tests/test_knowledge_sources.py`` fails while the copy is stale).
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["COMPILED_FORMAT", "COMPILED_NAME", "parse_toml", "read_sources", "source_digest"]

COMPILED_NAME = "compiled.json"
#: Bumped when the compiled file's layout changes; an unknown format is ignored, never misread.
COMPILED_FORMAT = 1


def _source_paths(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.toml"))


def source_digest(directory: Path) -> str:
    """SHA-256 over the names and bytes of the TOML files in ``directory``."""
    digest = hashlib.sha256()
    for path in _source_paths(directory):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def read_sources(directory: Path, *, compiled: bool = True) -> dict[str, dict[str, Any]]:
    """Every ``*.toml`` in ``directory`` as plain data, by file name.

    From the compiled copy when ``compiled`` and the copy was made from exactly these files;
    else parsed from the TOML (tomllib is imported only then).
    """
    if compiled:
        fresh = _fresh_copy(directory)
        if fresh is not None:
            return fresh
    return parse_toml(directory)


def _fresh_copy(directory: Path) -> dict[str, dict[str, Any]] | None:
    path = directory / COMPILED_NAME
    try:
        copy = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(copy, dict) or copy.get("format") != COMPILED_FORMAT:
        return None
    if copy.get("digest") != source_digest(directory):
        return None
    files: dict[str, dict[str, Any]] = copy["files"]
    return files


def parse_toml(directory: Path) -> dict[str, dict[str, Any]]:
    """Every ``*.toml`` in ``directory`` parsed, by file name."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - depends on the interpreter
        import tomli as tomllib

    sources = {}
    for path in _source_paths(directory):
        with path.open("rb") as handle:
            sources[path.name] = tomllib.load(handle)
    return sources
