"""The compiled copy of the knowledge base: used only while fresh, never a way around validation."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

import pytest

from cos_doctor._knowledge.catalogue import KNOWLEDGE_DIR, KnowledgeError, catalogue, load_catalogue
from cos_doctor._knowledge.sources import COMPILED_NAME, read_sources, source_digest
from tools.compile_knowledge import compile_sources

if TYPE_CHECKING:
    from pathlib import Path

_REGENERATE = "run: python -m tools.compile_knowledge"


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def _compiled(directory: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((directory / COMPILED_NAME).read_text(encoding="utf-8"))
    return data


def test_compiled_copy_is_fresh() -> None:
    """The shipped compiled copy was made from exactly the TOML files beside it."""
    assert _compiled(KNOWLEDGE_DIR)["digest"] == source_digest(KNOWLEDGE_DIR), _REGENERATE


def test_compiled_copy_holds_exactly_the_toml() -> None:
    """The compiled copy's data equals the TOML parsed now, file by file."""
    assert _compiled(KNOWLEDGE_DIR)["files"] == read_sources(KNOWLEDGE_DIR, compiled=False)


def test_toml_path_builds_the_same_catalogue() -> None:
    """Validating and loading the TOML itself gives the very catalogue the compiled copy gives."""
    assert load_catalogue(KNOWLEDGE_DIR, compiled=False) == catalogue()


def test_a_stale_copy_is_ignored(knowledge_copy: Path) -> None:
    """After a TOML edit the loader reads the TOML, not the copy made before the edit."""
    path = knowledge_copy / "access.toml"
    text = path.read_text(encoding="utf-8")
    old = "Access denied: no policy or ACL allows this identity to make this request"
    path.write_text(text.replace(old, "Edited title"), encoding="utf-8")
    rules = {rule.id: rule for rule in load_catalogue(knowledge_copy).rules}
    assert rules["access-denied"].texts["en"].title == "Edited title"


def test_a_stale_copy_never_hides_a_schema_error(knowledge_copy: Path) -> None:
    """A placeholder typo in the TOML fails loading although a valid compiled copy sits beside it."""
    path = knowledge_copy / "access.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{request_id}", "{reqest_id}", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="reqest_id"):
        load_catalogue(knowledge_copy)


def test_compiling_validates_first(knowledge_copy: Path) -> None:
    """Compiling invalid TOML raises and leaves the previous copy as it was."""
    before = (knowledge_copy / COMPILED_NAME).read_bytes()
    path = knowledge_copy / "access.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("[rule.zh]", "[rule.zz]", 1), encoding="utf-8"
    )
    with pytest.raises(KnowledgeError):
        compile_sources(knowledge_copy)
    assert (knowledge_copy / COMPILED_NAME).read_bytes() == before


def test_compiling_writes_a_fresh_copy(knowledge_copy: Path) -> None:
    """After an edit, compiling makes the copy fresh again and it carries the edit."""
    path = knowledge_copy / "ui.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert _compiled(knowledge_copy)["digest"] != source_digest(knowledge_copy)
    compile_sources(knowledge_copy)
    assert _compiled(knowledge_copy)["digest"] == source_digest(knowledge_copy)
    assert read_sources(knowledge_copy) == read_sources(knowledge_copy, compiled=False)


@pytest.mark.parametrize("content", ["", "not json", '{"format": 99}', "[]"])
def test_an_unreadable_copy_falls_back_to_toml(knowledge_copy: Path, content: str) -> None:
    """A missing, corrupt or unknown-format copy is ignored: the TOML is read instead."""
    (knowledge_copy / COMPILED_NAME).write_text(content, encoding="utf-8")
    assert read_sources(knowledge_copy) == read_sources(KNOWLEDGE_DIR, compiled=False)
