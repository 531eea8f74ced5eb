"""Every rule id the code names (detectors, lint checks, investigators, comparisons) is a rule of the catalogue."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cos_doctor
from cos_doctor._access import investigate
from cos_doctor._knowledge.catalogue import CLIENT_FAILURE_KINDS, catalogue
from cos_doctor._pipeline.client_context import CLIENT_KINDS
from cos_doctor._pipeline.evidence import registry
from cos_doctor._post.lint import CHECKS

PACKAGE = Path(cos_doctor.__file__).parent
RULE_IDS = frozenset(rule.id for rule in catalogue().rules)


def _detector_rules() -> set[str]:
    return {rule_id for rule_ids, _ in registry._DETECTORS if rule_ids for rule_id in rule_ids}


def test_every_rule_a_detector_serves_exists() -> None:
    """A detector registered for a rule id the catalogue lacks would never run: none is."""
    named = _detector_rules()
    assert len(named) > 40  # the registry is filled: the detectors' modules are imported
    assert named - RULE_IDS == set()


def test_a_detector_for_a_missing_rule_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above is live: a detector naming a misspelt rule id shows up."""
    monkeypatch.setattr(
        registry, "_DETECTORS", [*registry._DETECTORS, (frozenset({"acess-denied"}), list)]
    )
    assert _detector_rules() - RULE_IDS == {"acess-denied"}


def test_every_rule_a_lint_check_or_investigator_names_exists() -> None:
    """post_object.lint()'s checks and investigate()'s investigators name rules that exist."""
    named = {rule_id for rule_id, _ in CHECKS.values() if rule_id is not None}
    named |= set(investigate._ACCESS_RULES) | set(investigate._INVESTIGATORS)
    assert named
    assert named - RULE_IDS == set()


def _compared_rule_ids(source: str) -> set[str]:
    """String literals compared (==, !=, in) with a ``rule_id`` or a ``.id`` / ``.rule_id``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        if not any(
            (isinstance(side, ast.Name) and side.id == "rule_id")
            or (isinstance(side, ast.Attribute) and side.attr == "rule_id")
            or (
                isinstance(side, ast.Attribute)
                and side.attr == "id"
                and "rule" in ast.unparse(side.value)
            )
            for side in sides
        ):
            continue
        for side in sides:
            values = side.elts if isinstance(side, (ast.Tuple, ast.Set, ast.List)) else [side]
            found |= {
                value.value
                for value in values
                if isinstance(value, ast.Constant) and isinstance(value.value, str)
            }
    return found


def test_every_rule_id_the_code_compares_with_exists() -> None:
    """``rule.id == "…"`` and ``rule_id in (…)`` in the package name rules that exist."""
    named = {
        rule_id
        for path in PACKAGE.rglob("*.py")
        for rule_id in _compared_rule_ids(path.read_text(encoding="utf-8"))
    }
    assert {"referer-denied", "post-policy-expired"} <= named  # the scan sees the comparisons
    assert named - RULE_IDS == set()


def test_the_comparison_scan_finds_a_misspelt_id() -> None:
    """The scan reads both spellings of a comparison."""
    source = 'if facts.match.rule.id == "referer-denid" or rule_id in ("no-such-kye",): pass'
    assert _compared_rule_ids(source) == {"referer-denid", "no-such-kye"}


def test_the_knowledge_names_exactly_the_client_kinds_the_library_gives() -> None:
    """The loader's list of client kinds is classify()'s, plus batch-errors (read from data)."""
    assert set(CLIENT_FAILURE_KINDS) == {*CLIENT_KINDS, "batch-errors"}
    assert len(CLIENT_FAILURE_KINDS) == len(set(CLIENT_FAILURE_KINDS))
