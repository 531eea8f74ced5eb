"""The compiled copy of the knowledge base: exactly what the validated TOML builds, read unchecked;
its prose read only when a diagnosis is worded."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

import pytest

from cos_doctor._knowledge import catalogue as catalogue_module
from cos_doctor._knowledge.catalogue import KNOWLEDGE_DIR, KnowledgeError, catalogue, load_catalogue
from cos_doctor._knowledge.sources import COMPILED_NAME, PROSE_NAME, read_compiled
from tools.compile_knowledge import compile_sources, compiled_texts

if TYPE_CHECKING:
    from pathlib import Path

_REGENERATE = "the compiled copy is stale: run python -m tools.compile_knowledge"


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def test_compiled_copy_is_what_the_toml_builds() -> None:
    """The shipped files are byte for byte what compiling the validated TOML writes now."""
    texts = compiled_texts(load_catalogue(KNOWLEDGE_DIR))
    assert set(texts) == {COMPILED_NAME, PROSE_NAME}
    for name, text in texts.items():
        assert (KNOWLEDGE_DIR / name).read_text(encoding="utf-8") == text, _REGENERATE


def test_toml_path_builds_the_same_catalogue() -> None:
    """Validating and loading the TOML itself gives the very catalogue the compiled copy gives."""
    assert load_catalogue(KNOWLEDGE_DIR) == catalogue()


@pytest.mark.parametrize("name", [COMPILED_NAME, PROSE_NAME])
def test_compiled_copy_is_reviewable(name: str) -> None:
    """Each file is pretty-printed JSON in the catalogue's order: one rule after another, diffable."""
    text = (KNOWLEDGE_DIR / name).read_text(encoding="utf-8")
    assert text.count("\n") > 2_000  # one value a line, not one long line
    ids = [rule["id"] if name == COMPILED_NAME else rule for rule in json.loads(text)["rules"]]
    assert ids == [rule.id for rule in load_catalogue(KNOWLEDGE_DIR).rules]


def test_prose_is_read_when_a_diagnosis_is_worded(
    knowledge_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Matching, evidence and the event's fields read compiled.json only; wording reads the prose."""
    read: list[str] = []

    def reading(directory: Path, name: str = COMPILED_NAME) -> dict[str, object] | None:
        read.append(name)
        return read_compiled(directory, name)

    monkeypatch.setattr(catalogue_module, "read_compiled", reading)
    monkeypatch.setattr(catalogue_module, "KNOWLEDGE_DIR", knowledge_copy)
    catalogue.cache_clear()
    try:
        rules = catalogue()
        rule = next(rule for rule in rules.rules if rule.id == "access-denied")
        event_reads = (rule.clauses, rule.texts["ko"].docs, rule.causes, rules.evidence_text)
        assert read == [COMPILED_NAME]
        assert all(event_reads)
        assert rule.texts["en"].title.startswith("Access denied")
        assert rule.causes[0].texts["zh"]
        assert read == [COMPILED_NAME, PROSE_NAME]  # read once, for every rule
    finally:
        catalogue.cache_clear()


def test_without_the_prose_file_the_toml_gives_it(
    knowledge_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package whose prose file is missing still words diagnoses: from the TOML, validated."""
    (knowledge_copy / PROSE_NAME).unlink()
    monkeypatch.setattr(catalogue_module, "KNOWLEDGE_DIR", knowledge_copy)
    catalogue.cache_clear()
    try:
        rules = catalogue()
        assert rules == load_catalogue(KNOWLEDGE_DIR)
    finally:
        catalogue.cache_clear()


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
    before = (knowledge_copy / COMPILED_NAME).read_bytes() + (
        knowledge_copy / PROSE_NAME
    ).read_bytes()
    path = knowledge_copy / "access.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("[rule.zh]", "[rule.zz]", 1), encoding="utf-8"
    )
    with pytest.raises(KnowledgeError):
        compile_sources(knowledge_copy)
    after = (knowledge_copy / COMPILED_NAME).read_bytes() + (
        knowledge_copy / PROSE_NAME
    ).read_bytes()
    assert after == before


def test_compiling_writes_the_edit(knowledge_copy: Path) -> None:
    """After an edit, compiling writes a copy that carries the edit."""
    path = knowledge_copy / "access.toml"
    old = "Access denied: no policy or ACL allows this identity to make this request"
    path.write_text(path.read_text(encoding="utf-8").replace(old, "Edited title"), encoding="utf-8")
    compile_sources(knowledge_copy)
    prose = read_compiled(knowledge_copy, PROSE_NAME)
    assert prose is not None
    assert prose["rules"]["access-denied"]["texts"]["en"]["title"] == "Edited title"


@pytest.mark.parametrize("name", [COMPILED_NAME, PROSE_NAME])
@pytest.mark.parametrize("content", ["", "not json", '{"format": 2}', "[]"])
def test_an_unreadable_copy_is_not_read(knowledge_copy: Path, content: str, name: str) -> None:
    """A missing, corrupt or other-format file reads as none (the TOML is then loaded)."""
    (knowledge_copy / name).write_text(content, encoding="utf-8")
    assert read_compiled(knowledge_copy, name) is None
    assert read_compiled(KNOWLEDGE_DIR, name) is not None
