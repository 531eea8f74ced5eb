"""The rule index: the full matcher's answer, looked up for a failure seen before."""

from __future__ import annotations

import dataclasses

import pytest

from cos_doctor._knowledge.catalogue import Example, Rule, catalogue
from cos_doctor._pipeline.context import RequestContext
from cos_doctor._pipeline.match import Match, _full_match, match_rule

EXAMPLES = [(rule, example) for rule in catalogue().rules for example in rule.examples]


def _context(example: Example, **changes: object) -> RequestContext:
    context = RequestContext(
        http_status=example.status,
        error_code=example.code,
        error_message=example.message,
        post_object=example.post_object,
        http_method=example.method,
        path=f"/{example.key}" if example.key else None,
        client_failure=example.client,
    )
    return dataclasses.replace(context, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule", "example"), EXAMPLES, ids=lambda value: getattr(value, "id", None) or ""
)
def test_the_index_answers_as_the_full_matcher(rule: Rule, example: Example) -> None:
    """For every example, and the same failure on another key, status, method or form, the index gives the full matcher's rule, captures and ties, the first time and the next."""
    variants = [
        _context(example),
        _context(example, path="/other/key.txt"),
        _context(example, http_status=500 if example.status != 500 else 403),
        _context(example, http_method="HEAD" if example.method != "HEAD" else "GET"),
        _context(example, post_object=not example.post_object),
        _context(example, error_message=(example.message or "") + " Extra words"),
    ]
    for context in variants:
        expected = _full_match(context, catalogue())
        for _ in range(2):
            assert match_rule(context) == expected


def test_a_failure_seen_before_is_looked_up() -> None:
    """The second identical reply gets the very answer of the first, without running the matcher."""
    context = RequestContext(
        http_status=403,
        error_code="AccessDenied",
        error_message="Access Denied.",
        http_method="GET",
    )
    assert match_rule(context) is match_rule(dataclasses.replace(context))


def test_rules_that_read_the_key_are_looked_up_by_which_key_patterns_hold() -> None:
    """NoSuchKey's rules look at the key COS saw: keys that hold the same key patterns share one answer, keys that hold others get their own rule."""
    reply = {
        "http_status": 404,
        "error_code": "NoSuchKey",
        "error_message": "The specified key does not exist.",
        "http_method": "GET",
    }

    def matched(path: str) -> Match:
        return match_rule(RequestContext(**reply, path=path))  # type: ignore[arg-type]

    leading_slash = matched("//photos/a.jpg")
    plain = matched("/photos/a.jpg")
    encoded = matched("/photos/a%2520b.jpg")
    assert leading_slash.rule.id == "no-such-key-leading-slash"
    assert plain.rule.id == "no-such-key"
    assert encoded.rule.id == "no-such-key-double-encoded"
    assert matched("/photos/b.jpg") is plain  # another plain key: looked up
    assert matched("//videos/c.mp4") is leading_slash
    assert matched("/photos/a%2520b.jpg") is encoded


def test_a_client_failure_is_looked_up_by_its_kind_whatever_its_message() -> None:
    """A refused connection's message names a host, a port and an object address that change every time: the kind alone finds the answer."""
    first = RequestContext(
        client_failure="connection-refused",
        error_message="Failed to establish a new connection: [Errno 111] <conn at 0x7f01>",
    )
    again = dataclasses.replace(
        first, error_message="Failed to establish a new connection: [Errno 111] <conn at 0x7f02>"
    )
    assert match_rule(first).rule.id == "client-connection-refused"
    assert match_rule(again) is match_rule(first)
