"""Write ``cos_doctor/knowledge/compiled.json``: the validated catalogue the TOML files build.

``python -m tools.compile_knowledge`` after editing any knowledge file;
``tests/test_knowledge_sources.py`` fails while the copy differs from what the TOML builds.
The package only reads the copy (:func:`cos_doctor._knowledge.catalogue.catalogue`), with
no checks of its own: validation runs here and in the tests.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from cos_doctor._knowledge.catalogue import (
    KNOWLEDGE_DIR,
    Catalogue,
    catalogue_from_data,
    load_catalogue,
)
from cos_doctor._knowledge.sources import COMPILED_FORMAT, COMPILED_NAME

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["compile_sources", "compiled_text"]


def compiled_text(rules: Catalogue) -> str:
    """The compiled copy of ``rules``: JSON, pretty-printed, in the catalogue's own order.

    Raises ValueError when the copy would not load back as the very same catalogue.
    """
    data: dict[str, Any] = {
        "format": COMPILED_FORMAT,
        "rules": [dataclasses.asdict(rule) for rule in rules.rules],
        "placeholders": rules.placeholders,
        "evidence_text": rules.evidence_text,
        "labels": rules.labels,
        "regions": rules.regions,
    }
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    if catalogue_from_data(json.loads(text)) != rules:
        message = "the knowledge base does not survive a JSON round trip"
        raise ValueError(message)
    return text


def compile_sources(directory: Path) -> Path:
    """Validate the TOML in ``directory`` and write its compiled copy; return the copy's path.

    Raises ``KnowledgeError`` for a schema problem, writing nothing.
    """
    text = compiled_text(load_catalogue(directory))
    target = directory / COMPILED_NAME
    target.write_text(text, encoding="utf-8")
    return target


if __name__ == "__main__":  # pragma: no cover - the regeneration command
    compile_sources(KNOWLEDGE_DIR)
