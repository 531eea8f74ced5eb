"""Write the compiled knowledge base: the validated catalogue the TOML files build.

``python -m tools.compile_knowledge`` after editing any knowledge file;
``tests/test_knowledge_sources.py`` fails while the copy differs from what the TOML builds.
Two files (``cos_doctor/_knowledge/sources.py`` says why): ``compiled.json``, what matching
and the event read, and ``compiled_prose.json``, the prose read when a Diagnosis is worded.
The package only reads them (:func:`cos_doctor._knowledge.catalogue.catalogue`), with no
checks of its own: validation runs here and in the tests.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cos_doctor._knowledge.catalogue import (
    KNOWLEDGE_DIR,
    Catalogue,
    catalogue_from_data,
    core_data,
    load_catalogue,
    prose_data,
)
from cos_doctor._knowledge.sources import COMPILED_NAME, PROSE_NAME

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["compile_sources", "compiled_texts"]


def compiled_texts(rules: Catalogue) -> dict[str, str]:
    """The compiled files of ``rules`` by name: JSON, pretty-printed, in the catalogue's order.

    Raises ValueError when the files would not load back as the very same catalogue.
    """
    core, prose = _text(core_data(rules)), _text(prose_data(rules))
    if catalogue_from_data(json.loads(core), lambda: json.loads(prose)) != rules:
        message = "the knowledge base does not survive a JSON round trip"
        raise ValueError(message)
    return {COMPILED_NAME: core, PROSE_NAME: prose}


def _text(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def compile_sources(directory: Path) -> list[Path]:
    """Validate the TOML in ``directory`` and write its compiled files; return their paths.

    Raises ``KnowledgeError`` for a schema problem, writing nothing.
    """
    texts = compiled_texts(load_catalogue(directory))
    for name, text in texts.items():
        (directory / name).write_text(text, encoding="utf-8")
    return [directory / name for name in texts]


if __name__ == "__main__":  # pragma: no cover - the regeneration command
    compile_sources(KNOWLEDGE_DIR)
