"""Every row of the official COS error-code table has its own specific rule, in every locale."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

import pytest

from cos_doctor._knowledge.catalogue import KNOWLEDGE_DIR, catalogue, placeholder_names
from cos_doctor._locale import SUPPORTED_LOCALES
from cos_doctor._pipeline.context import RequestContext
from cos_doctor._pipeline.diagnose import diagnose_context
from cos_doctor._pipeline.match import match_rule
from tests.table_coverage import table_rows
from tools.rule_table import README, readme_with_tables, rule_tables

if TYPE_CHECKING:
    from pathlib import Path

    from cos_doctor._knowledge.catalogue import RuleText


class Row(NamedTuple):
    """One (HTTP status, Code) row of the documentation's table."""

    status: int
    code: str
    message: str | None


ROWS = [Row(*row) for row in table_rows()]


def test_the_table_is_the_whole_documented_table() -> None:
    """The data file holds all 130 documented rows, each (status, code) once."""
    assert len(ROWS) == 130
    assert len({(row.status, row.code) for row in ROWS}) == 130


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.status}-{row.code.replace(' ', '_')}")
def test_each_row_is_won_by_a_specific_rule_naming_its_code(row: Row, locale: str) -> None:
    """The row's status and Code alone pick one specific rule whose clause names that Code."""
    context = RequestContext(http_status=row.status, error_code=row.code, error_message=row.message)
    found = match_rule(context)
    assert found.ambiguous == ()
    assert not found.rule.generic, found.rule.id
    assert found.clause is not None
    assert found.clause.code == row.code
    diagnosis = diagnose_context(context, locale=locale)
    assert diagnosis.rule_id == found.rule.id
    # A title may name a placeholder (configuration-not-set: the Code's sub-resource): its
    # fixed words stay, the placeholder is filled.
    template = found.rule.texts[locale].title
    assert "{" not in diagnosis.title
    assert all(part in diagnosis.title for part in re.split(r"\{\w+\}", template))


def test_readme_rule_tables_are_generated_from_the_knowledge_base() -> None:
    """README.md's rule tables equal what `python -m tools.rule_table` writes."""
    current = README.read_text(encoding="utf-8")
    assert readme_with_tables(current, rule_tables()) == current


NEW_TOPIC_FILES = sorted(
    path
    for path in KNOWLEDGE_DIR.glob("*.toml")
    if path.name
    not in {
        "access.toml",
        "common.toml",
        "generic.toml",
        "post_object.toml",
        "signature.toml",
        "time.toml",
    }
    and path.name
    not in {
        "closing.toml",
        "placeholders.toml",
        "evidence.toml",
        "evidence_client.toml",
        "regions.toml",
        "ui.toml",
    }
)


@pytest.mark.parametrize("path", NEW_TOPIC_FILES, ids=lambda path: path.name)
def test_rules_of_the_table_speak_every_locale_with_the_same_placeholders(path: Path) -> None:
    """Each rule written for the table has en, ko and zh, with the same placeholders in each."""
    rules = [rule for rule in catalogue().rules if rule.file == path.name]
    assert rules
    for rule in rules:
        wanted = _placeholders(rule.texts["en"])
        for locale in ("en", "ko", "zh"):
            text = rule.texts[locale]
            assert text.title, (rule.id, locale)
            assert text.cause, (rule.id, locale)
            assert text.steps, (rule.id, locale)
            assert text.docs, (rule.id, locale)
            assert _placeholders(text) == wanted, (rule.id, locale)


def _placeholders(text: RuleText) -> set[str]:
    return {
        name for line in (text.title, text.cause, *text.steps) for name in placeholder_names(line)
    }
