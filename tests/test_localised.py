"""One way to say a localised thing: every table by locale is worded by ``_locale.say``, under one policy."""

from __future__ import annotations

import pytest

from cos_doctor._cli import text as cli_text
from cos_doctor._cli.text import say as cli_say
from cos_doctor._knowledge.catalogue import catalogue, placeholder_names
from cos_doctor._locale import SUPPORTED_LOCALES, Words, localized, say
from cos_doctor._pipeline.context import RequestContext
from cos_doctor._pipeline.evidence import Facts
from cos_doctor._pipeline.evidence.registry import human_duration
from cos_doctor._pipeline.match import match_rule
from cos_doctor._post import lint as lint_module
from cos_doctor._redact import PATTERNS_ONLY

TABLE = {"en": "copy {key} to {bucket}", "ko": "{bucket}에 {key} 복사"}


def test_a_locale_the_table_lacks_reads_in_english() -> None:
    """A table without the asked locale gives its English text, filled in the same way."""
    assert (
        say(TABLE, "zh", {"key": "a.txt", "bucket": "b-1250000000"}) == "copy a.txt to b-1250000000"
    )
    assert say(TABLE, "ko", {"key": "a.txt", "bucket": "b"}) == "b에 a.txt 복사"
    assert localized({"en": 1, "zh": 2}, "ko") == 1


def test_a_name_without_a_value_reads_as_its_generic_wording_else_as_the_name() -> None:
    """A missing or None value becomes the caller's generic wording for the name, else <name>; nothing raises."""
    generic = {"bucket": "<bucket-appid>"}
    assert say(TABLE, "en", {"key": None}, generic) == "copy <key> to <bucket-appid>"
    assert say(TABLE, "en") == "copy <key> to <bucket>"
    assert Words({"value": 0, "flag": False})["value"] == 0  # falsy values are values


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_command_line_follows_the_policy(locale: str) -> None:
    """The CLI's messages: an unknown locale reads in English, a missing field as <name>."""
    assert cli_say("cannot-read", "fr", path="x.xml", reason="gone") == "cannot read x.xml: gone"
    assert "<reason>" in cli_say("cannot-read", locale, path="x.xml")


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_evidence_sentences_follow_the_policy(locale: str) -> None:
    """An evidence sentence missing a word says the locale's generic wording or <name>, never raises."""
    context = RequestContext(
        http_status=403, error_code="AccessDenied", error_message="Access Denied."
    )
    facts = Facts(context=context, match=match_rule(context), catalogue=catalogue(), locale=locale)
    item = facts.say("policy_expiration", 1700000000)  # the sentence also names {when}
    assert "<when>" in item.text
    assert "1700000000" in item.text


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_lint_findings_follow_the_policy(locale: str) -> None:
    """A lint finding missing a value says <name> (it used to say nothing), in every locale."""
    run = lint_module._Run(locale, bucket="examplebucket-1250000000", now=0.0, redact=PATTERNS_ONLY)
    finding = run.word("policy-expired", "expiration", seconds=5)
    assert "<when>" in finding.message
    assert "5" in finding.message


def test_units_follow_the_policy() -> None:
    """Durations in a locale without units of its own read in English."""
    assert human_duration(3723, "fr") == human_duration(3723, "en") == "1 h 2 min 3 s"


@pytest.mark.parametrize("key", sorted(cli_text._TEXT))
def test_every_command_line_text_has_every_locale_with_the_same_fields(key: str) -> None:
    """Each CLI message exists in every locale and names the same fields in each."""
    entry = cli_text._TEXT[key]
    assert set(entry) == set(SUPPORTED_LOCALES)
    fields = {locale: set(placeholder_names(text)) for locale, text in entry.items()}
    assert len({frozenset(names) for names in fields.values()}) == 1, fields
