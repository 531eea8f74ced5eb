"""Write ``cos_doctor/knowledge/compiled.json``, the parsed copy of the knowledge base's TOML.

``python -m tools.compile_knowledge`` after editing any knowledge file;
``tests/test_knowledge_sources.py`` fails while the copy is stale. The package only reads the
copy (:mod:`cos_doctor._knowledge.sources`), and only while its digest matches the TOML.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cos_doctor._knowledge.catalogue import KNOWLEDGE_DIR, load_catalogue
from cos_doctor._knowledge.sources import (
    COMPILED_FORMAT,
    COMPILED_NAME,
    parse_toml,
    source_digest,
)

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["compile_sources"]


def compile_sources(directory: Path) -> Path:
    """Validate the TOML in ``directory`` and write its compiled copy; return the copy's path.

    Raises ``KnowledgeError`` for a schema problem, and ValueError when some value would not
    survive JSON unchanged (a TOML date, say), so a copy is only ever written for data that
    loads exactly as the TOML does.
    """
    load_catalogue(directory, compiled=False)
    sources = parse_toml(directory)
    text = json.dumps(
        {"format": COMPILED_FORMAT, "digest": source_digest(directory), "files": sources},
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
    compile_sources(KNOWLEDGE_DIR)
