"""The issue-9 yardstick: real COS failures, as users met them, fed through diagnose().

The corpus (``tests/data/real_failures.toml``) holds failures gathered independently of the
rules, each cited to where it was reported. The measurement itself lives in
``benchmarks/knowledge_coverage.py``, which prints the same numbers as a table.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

import pytest

from benchmarks.knowledge_coverage import (
    DATA,
    FAMILIES,
    ROOT,
    TARGET,
    VERDICTS,
    Outcome,
    Yardstick,
    client_right_share,
    client_side,
    coded,
    family_table,
    load,
    measure,
    misses,
    right_share,
    table,
)

if TYPE_CHECKING:
    from benchmarks.knowledge_coverage import Failure

#: Floors for the client-side share (issue 9f): all client-side entries, and those a rule explains.
CLIENT_FLOOR = 0.24
EXPLAINED_FLOOR = 0.6
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SOURCE = re.compile(r"^https://\S+$")


@lru_cache(maxsize=1)
def _yardstick() -> Yardstick:
    return load()


@lru_cache(maxsize=1)
def _outcomes() -> tuple[Outcome, ...]:
    return tuple(measure(_yardstick()))


def _by_id() -> dict[str, Outcome]:
    return {outcome.failure.id: outcome for outcome in _outcomes()}


FAILURE_IDS = [failure.id for failure in load().failures]


def test_corpus_is_large_and_cited() -> None:
    """The corpus has at least 120 entries, unique ids, each with a source URL and a diagnosis."""
    failures = _yardstick().failures
    assert len(failures) >= 120, f"only {len(failures)} entries in {DATA.name}"
    ids = [failure.id for failure in failures]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for failure in failures:
        assert SLUG.match(failure.id), failure.id
        assert SOURCE.match(failure.source), (failure.id, failure.source)


def test_every_entry_says_what_it_is() -> None:
    """Each entry is either a server failure with a Code, a quoted server reply, or client-side."""
    for failure in _yardstick().failures:
        has_text = bool(failure.pasted or failure.code or failure.message or failure.status)
        assert has_text, f"{failure.id}: nothing the user saw is recorded"
        if failure.client_side:
            assert failure.expected_code is None, f"{failure.id}: client-side yet has a Code"
            assert failure.pasted, f"{failure.id}: client-side entries keep the error text"


def test_every_known_code_has_an_allow_list() -> None:
    """A failure with a known Code names the rules that would be right for it.

    Without an allow-list it could never count as right. Failures without a Code may have
    none: for them only an honest generic diagnosis is acceptable until a rule is listed.
    """
    yardstick = _yardstick()
    for failure in yardstick.failures:
        if failure.expected_code:
            assert yardstick.allowed(failure), (
                f"{failure.id}: add {failure.expected_cause or failure.expected_code!r} to [allow]"
            )


@pytest.mark.parametrize("failure_id", FAILURE_IDS)
def test_diagnose_never_crashes(failure_id: str) -> None:
    """diagnose() returns a diagnosis for every real failure text, whatever its shape."""
    outcome = _by_id()[failure_id]
    assert "crash" not in (outcome.verdict, outcome.sdk_verdict), outcome.error


@pytest.mark.parametrize("failure_id", FAILURE_IDS)
def test_no_wrong_specific_rule(failure_id: str) -> None:
    """No real failure gets a specific rule whose documented cause contradicts its source.

    Checked both on the text as pasted and on the Code and Message the SDK would have held.
    """
    outcome = _by_id()[failure_id]
    failure: Failure = outcome.failure
    got = outcome.rule_id if outcome.verdict == "wrong" else outcome.sdk_rule_id
    assert "wrong" not in (outcome.verdict, outcome.sdk_verdict), (
        f"{failure.id} ({failure.source}) got {got}, which the data file does not"
        f" allow for cause={failure.expected_cause} code={failure.expected_code};"
        f" allowed: {list(outcome.allowed)}. If the rule's documented cause fits, add its id to"
        " [allow] in tests/data/real_failures.toml; otherwise the rule must not match this."
    )


def test_allow_lists_name_real_rules() -> None:
    """Every rule id an allow-list names is a rule of the knowledge base (no guessed ids)."""
    from cos_doctor._knowledge.catalogue import catalogue

    known = {rule.id for rule in catalogue().rules}
    yardstick = _yardstick()
    for name, ids in (*yardstick.allow_code.items(), *yardstick.allow_cause.items()):
        assert set(ids) <= known, f"[allow] {name}: unknown rule ids {sorted(set(ids) - known)}"


def test_every_client_side_entry_is_judged_by_its_cause() -> None:
    """Each client-side failure has a cause listed in [allow.cause] (an empty list: none fits).

    Without it a client rule that wins could not be told right from wrong.
    """
    yardstick = _yardstick()
    for failure in yardstick.failures:
        if failure.client_side:
            assert failure.expected_cause in yardstick.allow_cause, (
                f"{failure.id}: list cause {failure.expected_cause!r} in [allow.cause]"
            )


def test_client_side_share_is_counted_apart_and_reported() -> None:
    """Client-side failures never enter the known-Code share; their own share is printed."""
    outcomes = _outcomes()
    assert not any(outcome.failure.client_side for outcome in coded(outcomes))
    clients = client_side(outcomes)
    right = sum(outcome.verdict == "right" for outcome in clients)
    assert clients
    assert f"client-side (no Code): {right}/{len(clients)}" in table(outcomes)


def test_client_side_failures_a_rule_explains_mostly_get_it() -> None:
    """At least 24% of all client-side failures, and 60% of those a rule explains, get it.

    A floor against regressions in the client text classifier, measured on the text as pasted.
    """
    outcomes = _outcomes()
    explained = [outcome for outcome in client_side(outcomes) if outcome.allowed]
    explained_right = sum(outcome.verdict == "right" for outcome in explained)
    assert client_right_share(outcomes) >= CLIENT_FLOOR, table(outcomes)
    assert explained_right / len(explained) >= EXPLAINED_FLOOR, misses(outcomes)


def test_verdicts_are_counted() -> None:
    """Every entry, client-side ones included, is counted in exactly one verdict."""
    outcomes = _outcomes()
    assert len(outcomes) == len(_yardstick().failures)
    assert all(outcome.verdict in VERDICTS for outcome in outcomes)
    rendered = table(outcomes)
    assert f"entries: {len(outcomes)}" in rendered


def test_known_codes_get_their_right_rule() -> None:
    """At least 85% of real failures with a known Code get their right specific rule (issue 9).

    Judged on the text as the user pasted it: that is what a new user has.
    """
    outcomes = _outcomes()
    share = right_share(outcomes)
    assert coded(outcomes)
    assert share >= TARGET, (
        f"right specific rule for {share:.1%} of failures with a known Code"
        f" (target {TARGET:.0%}).\n\n{table(outcomes)}\n\nMisses by Code:\n{misses(outcomes)}"
    )


def test_every_family_is_a_known_slug() -> None:
    """An entry's family, when given, is one of the families the rate table counts."""
    for failure in _yardstick().failures:
        assert failure.family in (None, *FAMILIES), f"{failure.id}: family {failure.family!r}"


def test_family_table_counts_each_tagged_entry_once() -> None:
    """The per-family table counts every tagged entry in its own family's row, once."""
    outcomes = _outcomes()
    rendered = family_table(outcomes)
    for family in FAMILIES:
        members = sum(outcome.failure.family == family for outcome in outcomes)
        assert f"| `{family}` | {members} |" in rendered, family


def test_readme_shows_the_family_rates_of_the_corpus() -> None:
    """README's "Real failures" table is the per-family table of today's corpus and rules.

    Regenerate it with ``python benchmarks/knowledge_coverage.py --families``.
    """
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert family_table(_outcomes()) in readme
