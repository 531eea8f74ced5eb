"""The knowledge base's raw data: its TOML files, or their compiled JSON copy while it is fresh.

Parsing ~600 KB of TOML is most of the cost of the first failure a process diagnoses (see
``benchmarks/knowledge_load.py``). ``knowledge/compiled.json`` holds the same data, parsed
already, with a digest of the TOML sources it was made from; it is used only when that digest
matches the TOML files beside it, so an edited TOML file is always read as TOML. The loader
validates whatever it reads the same way, and compiling validates first.

Regenerate after editing any knowledge file: ``python -m cos_doctor._knowledge.sources``
(``tests/test_knowledge_sources.py`` fails while the copy is stale).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["COMPILED_NAME", "compile_sources", "read_sources", "source_digest"]

COMPILED_NAME = "compiled.json"
#: Bumped when the compiled file's layout changes; an unknown format is ignored, never misread.
_FORMAT = 1


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
    return _parse_toml(directory)


def _fresh_copy(directory: Path) -> dict[str, dict[str, Any]] | None:
    path = directory / COMPILED_NAME
    try:
        copy = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(copy, dict) or copy.get("format") != _FORMAT:
        return None
    if copy.get("digest") != source_digest(directory):
        return None
    files: dict[str, dict[str, Any]] = copy["files"]
    return files


def _parse_toml(directory: Path) -> dict[str, dict[str, Any]]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - depends on the interpreter
        import tomli as tomllib

    sources = {}
    for path in _source_paths(directory):
        with path.open("rb") as handle:
            sources[path.name] = tomllib.load(handle)
    return sources


def compile_sources(directory: Path) -> Path:
    """Validate the TOML in ``directory`` and write its compiled copy; return the copy's path.

    Raises ``KnowledgeError`` for a schema problem, and ValueError when some value would not
    survive JSON unchanged (a TOML date, say), so a copy is only ever written for data that
    loads exactly as the TOML does.
    """
    from cos_doctor._knowledge.catalogue import load_catalogue

    load_catalogue(directory, compiled=False)
    sources = _parse_toml(directory)
    text = json.dumps(
        {"format": _FORMAT, "digest": source_digest(directory), "files": sources},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    if json.loads(text)["files"] != sources:
        message = "knowledge data does not survive a JSON round trip"
        raise ValueError(message)
    target = directory / COMPILED_NAME
    target.write_text(text + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":  # pragma: no cover - the regeneration command
    compile_sources(Path(__file__).parent.parent / "knowledge")
