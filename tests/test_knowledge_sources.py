"""The compiled copy of the knowledge base: exactly what the validated TOML builds, read unchecked."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

import pytest

from cos_doctor._knowledge import catalogue as catalogue_module
from cos_doctor._knowledge.catalogue import KNOWLEDGE_DIR, KnowledgeError, catalogue, load_catalogue
from cos_doctor._knowledge.sources import COMPILED_NAME, read_compiled
from tools.compile_knowledge import compile_sources, compiled_text

if TYPE_CHECKING:
    from pathlib import Path

_REGENERATE = "the compiled copy is stale: run python -m tools.compile_knowledge"


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def test_compiled_copy_is_what_the_toml_builds() -> None:
    """The shipped copy is byte for byte what compiling the validated TOML writes now."""
    shipped = (KNOWLEDGE_DIR / COMPILED_NAME).read_text(encoding="utf-8")
    assert shipped == compiled_text(load_catalogue(KNOWLEDGE_DIR)), _REGENERATE


def test_toml_path_builds_the_same_catalogue() -> None:
    """Validating and loading the TOML itself gives the very catalogue the compiled copy gives."""
    assert load_catalogue(KNOWLEDGE_DIR) == catalogue()


def test_compiled_copy_is_reviewable() -> None:
    """The copy is pretty-printed JSON in the catalogue's order: one rule after another, diffable."""
    text = (KNOWLEDGE_DIR / COMPILED_NAME).read_text(encoding="utf-8")
    assert text.count("\n") > 10_000  # one value a line, not one long line
    ids = [rule["id"] for rule in json.loads(text)["rules"]]
    assert ids == [rule.id for rule in load_catalogue(KNOWLEDGE_DIR).rules]


def test_the_process_does_not_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    """catalogue() builds from the copy without running a single schema check (they run in tests)."""

    def refuse(*_: object, **__: object) -> None:
        pytest.fail("a schema check ran while loading the compiled copy")

    for name in ("_rule", "_clause", "_text", "_same_shape", "_same_placeholders", "parse_toml"):
        monkeypatch.setattr(catalogue_module, name, refuse)
    catalogue.cache_clear()
    try:
        rules = catalogue().rules
    finally:
        catalogue.cache_clear()
    copy = read_compiled(KNOWLEDGE_DIR)
    assert copy is not None
    assert [rule.id for rule in rules] == [rule["id"] for rule in copy["rules"]]


def test_without_a_copy_the_toml_is_loaded(
    knowledge_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package whose compiled copy is missing still diagnoses: the TOML is loaded, validated."""
    (knowledge_copy / COMPILED_NAME).unlink()
    monkeypatch.setattr(catalogue_module, "KNOWLEDGE_DIR", knowledge_copy)
    catalogue.cache_clear()
    try:
        rules = catalogue()
    finally:
        catalogue.cache_clear()
    assert rules == load_catalogue(KNOWLEDGE_DIR)


def test_a_schema_error_in_the_toml_fails_loading(knowledge_copy: Path) -> None:
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


def test_compiling_writes_the_edit(knowledge_copy: Path) -> None:
    """After an edit, compiling writes a copy that carries the edit."""
    path = knowledge_copy / "access.toml"
    old = "Access denied: no policy or ACL allows this identity to make this request"
    path.write_text(path.read_text(encoding="utf-8").replace(old, "Edited title"), encoding="utf-8")
    compile_sources(knowledge_copy)
    copy = read_compiled(knowledge_copy)
    assert copy is not None
    titles = {rule["id"]: rule["texts"]["en"]["title"] for rule in copy["rules"]}
    assert titles["access-denied"] == "Edited title"


@pytest.mark.parametrize("content", ["", "not json", '{"format": 1}', "[]"])
def test_an_unreadable_copy_is_not_read(knowledge_copy: Path, content: str) -> None:
    """A missing, corrupt or other-format copy reads as none (catalogue() then loads the TOML)."""
    (knowledge_copy / COMPILED_NAME).write_text(content, encoding="utf-8")
    assert read_compiled(knowledge_copy) is None
    assert read_compiled(KNOWLEDGE_DIR) is not None
