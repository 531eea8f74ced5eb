"""Input nested too deep to read gives the honest generic rule or a TypeError, never a crash."""

from __future__ import annotations

import base64
import contextlib
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cos_doctor
from cos_doctor import Diagnosis

DEPTHS = [1_000, 100_000]


def _nested(opener: str, closer: str, depth: int, inside: str = "1") -> str:
    return opener * depth + inside + closer * depth


def _deep_list(depth: int) -> list[Any]:
    outer: list[Any] = []
    current = outer
    for _ in range(depth):
        current.append([])
        current = current[0]
    return outer


def _deep_dict(depth: int) -> dict[str, Any]:
    outer: dict[str, Any] = {}
    current = outer
    for _ in range(depth):
        current["x"] = {}
        current = current["x"]
    return outer


def _deep_tuple(depth: int) -> tuple[Any, ...]:
    current: tuple[Any, ...] = ()
    for _ in range(depth):
        current = (current,)
    return current


def _diagnosis_or_type_error(error: Any, **hints: Any) -> Diagnosis | None:
    try:
        return cos_doctor.diagnose(error, **hints)
    except TypeError:
        return None


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize(
    ("opener", "closer"),
    [('{"a":', "}"), ("[", "]"), ("{'a':", "}"), ("(", ")")],
    ids=["json-object", "json-array", "python-dict", "parentheses"],
)
def test_deeply_nested_text_gets_the_generic_rule(opener: str, closer: str, depth: int) -> None:
    """JSON or a Python literal nested 1,000 or 100,000 deep is unreadable: the generic rule."""
    for text in (
        _nested(opener, closer, depth),
        "ERROR cos: 403 " + _nested(opener, closer, depth),
    ):
        diagnosis = cos_doctor.diagnose(text)
        assert diagnosis.generic


@pytest.mark.parametrize(
    ("depth", "rule_id"), [(1_000, "access-denied"), (100_000, "unrecognized-403")]
)
def test_deeply_nested_xml_is_read_like_any_xml(depth: int, rule_id: str) -> None:
    """XML nested deep reads like any XML body: the Code's rule, or generic past the first 64 KiB."""
    body = "<Error>" + _nested("<a>", "</a>", depth, "") + "<Code>AccessDenied</Code></Error>"
    assert cos_doctor.diagnose(body, http_status=403).rule_id == rule_id


@pytest.mark.parametrize("depth", DEPTHS)
def test_deeply_nested_values_passed_as_a_dict_are_left_out(depth: int) -> None:
    """A dict whose values or keys nest too deep to print: those are unreadable, the rest read."""
    for message in (_deep_dict(depth), _deep_list(depth)):
        # Whether str() of this depth overflows depends on the interpreter (3.13 prints 1,000
        # levels): a printable value is read as its text, an unprintable one is left out.
        read = {"Code": "AccessDenied"}
        with contextlib.suppress(RecursionError):
            read["Message"] = str(message)
        expected = cos_doctor.diagnose(read).rule_id
        assert cos_doctor.diagnose({"Code": "AccessDenied", "Message": message}).rule_id == expected
    assert (
        cos_doctor.diagnose({"Code": "AccessDenied", _deep_tuple(depth): "x"}).rule_id
        == "access-denied"
    )
    _diagnosis_or_type_error({"Error": _deep_list(depth)})  # raises anything but TypeError: fails
    batch = {"Error": [{"Code": _deep_list(depth), "Key": "a"}], "Deleted": []}
    assert cos_doctor.diagnose(batch).rule_id == "delete-objects-errors"


@pytest.mark.parametrize("depth", DEPTHS)
def test_a_deeply_nested_post_policy_is_unreadable(depth: int) -> None:
    """A POST form whose policy nests too deep is read as a policy that is not JSON."""
    policy = '{"conditions":[' + _nested("[", "]", depth, '"eq"') + "]}"
    form = {"policy": base64.b64encode(policy.encode()).decode(), "key": "a"}
    body = "<Error><Code>AccessDenied</Code><Message>Invalid Policy</Message></Error>"
    assert isinstance(cos_doctor.diagnose(body, http_status=403, form=form), Diagnosis)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=3_000),
    st.lists(
        st.sampled_from(['{"a":', "[", "{'a':", "(", "<a>", '{"Code":', "<Error>"]),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from(["", "403 ", "ERROR cos: ", "<Code>NoSuchKey</Code>"]),
)
def test_any_deep_nesting_never_raises_anything_but_type_error(
    depth: int, openers: list[str], prefix: str
) -> None:
    """Whatever nests, however deep, diagnose() answers or refuses with a TypeError."""
    _diagnosis_or_type_error(prefix + "".join(openers) * depth)


def test_cos_doctor_explain_reads_deep_json_without_a_traceback() -> None:
    """`cos-doctor explain -` given JSON 1,000 deep answers in words, not with a traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "cos_doctor", "explain", "-", "--status", "403"],
        input=_nested('{"a":', "}", 1_000),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "403" in done.stdout
