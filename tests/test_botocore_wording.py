"""Every boto3 call a botocore wording writes out is one boto3 can make, as written.

A step worded for boto3 users shows code to paste: ``s3.list_object_versions(Bucket=…)``,
``botocore.config.Config(retries=…)``. Each call is read out of the prose and checked against
the installed botocore: the method exists on an S3 client, and every keyword is a member of the
operation's input (or a parameter of boto3's own transfer methods); ``generate_presigned_url``'s
``Params`` keys are members of the operation it presigns. A wording that writes the COS SDK's
shapes (``Delete={'Object': …}``, ``bucket_exists``) fails here, in every locale.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest

from cos_doctor._knowledge.catalogue import catalogue
from cos_doctor._locale import SUPPORTED_LOCALES

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402 - after the skip above

_CALL = re.compile(r"\b(s3|Config)\.?(\w*)\(")
_KEYWORD = re.compile(r"(?<![\w.'\"])([A-Za-z_]\w*)=(?!=)")
_DICT_KEY = re.compile(r"'([^']+)':")
_CLOSING = {"(": ")", "[": "]", "{": "}"}


def _arguments(text: str, start: int, closing: str = ")") -> str | None:
    """The text up to the bracket closing at ``start`` (just after the opening one).

    Nested brackets and quoted strings are stepped over; None when the call is left open
    (an ellipsis in prose, ``s3.upload_file(…``).
    """
    stack = [closing]
    quote = ""
    for at in range(start, len(text)):
        char = text[at]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in _CLOSING:
            stack.append(_CLOSING[char])
        elif char in ")]}":
            if char != stack.pop():
                return None
            if not stack:
                return text[start:at]
    return None


def _top_level(arguments: str, *, strings: bool = False) -> str:
    """The arguments with every nested bracket's content (and, unless kept, strings) left out."""
    depth, quote, kept = 0, "", []
    for char in arguments:
        if quote:
            quote = "" if char == quote else quote
            if strings and depth == 0:
                kept.append(char)
            continue
        if char in "'\"":
            quote = char
            if strings and depth == 0:
                kept.append(char)
        elif char in _CLOSING:
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0:
            kept.append(char)
    return "".join(kept)


def _calls(text: str) -> list[tuple[str, str]]:
    """(callee, arguments) for each ``s3.<method>(…)`` and ``Config(…)`` written in ``text``."""
    found = []
    for match in _CALL.finditer(text):
        arguments = _arguments(text, match.end())
        if arguments is None:
            continue
        callee = f"s3.{match[2]}" if match[1] == "s3" else "Config"
        found.append((callee, arguments))
    return found


def _botocore_prose() -> list[tuple[str, str, str]]:
    """(rule id, locale, text) of every botocore cause and step."""
    out = []
    for rule in catalogue().rules:
        for locale in SUPPORTED_LOCALES:
            text = rule.texts[locale]
            out.extend((rule.id, locale, step) for step in text.botocore_steps)
            if text.botocore_cause:
                out.append((rule.id, locale, text.botocore_cause))
    return out


@pytest.fixture(scope="module")
def s3() -> Any:
    return boto3.client(
        "s3",
        region_name="ap-guangzhou",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="not-a-secret",
    )


def _accepted(s3: Any, method: str) -> tuple[set[str], Any]:
    """The keywords ``s3.<method>`` takes, and its operation model (None: not an API call)."""
    operation = s3.meta.method_to_api_mapping.get(method)
    if operation is not None:
        model = s3.meta.service_model.operation_model(operation)
        return set(model.input_shape.members) if model.input_shape else set(), model
    return set(inspect.signature(getattr(s3, method)).parameters), None


def _problems(s3: Any, callee: str, arguments: str) -> list[str]:
    keywords = _KEYWORD.findall(_top_level(arguments))
    if callee == "Config":
        unknown = set(keywords) - set(Config.OPTION_DEFAULTS)
        return [f"Config({name}=…) is no botocore Config option" for name in sorted(unknown)]
    method = callee.removeprefix("s3.")
    if not hasattr(s3, method):
        return [f"boto3's S3 client has no method {method}"]
    accepted, _ = _accepted(s3, method)
    problems = [f"{callee}() takes no {name}=" for name in keywords if name not in accepted]
    if method == "generate_presigned_url":
        problems += _presigned_params(s3, arguments)
    return problems


def _presigned_params(s3: Any, arguments: str) -> list[str]:
    """``Params`` keys of ``generate_presigned_url('<method>', Params={…})`` are its inputs."""
    named = re.match(r"\s*(?:ClientMethod=)?'(\w+)'", arguments)
    params_at = arguments.find("Params=")
    if named is None or params_at < 0 or not hasattr(s3, named[1]):
        return [] if named is None or hasattr(s3, named[1]) else [f"no method {named[1]}"]
    opening = arguments.find("{", params_at)
    body = _arguments(arguments, opening + 1, "}") if opening >= 0 else None
    accepted, _ = _accepted(s3, named[1])
    keys = _DICT_KEY.findall(_top_level(body or "", strings=True))
    return [f"{named[1]} has no parameter {key}" for key in keys if key not in accepted]


PROSE = _botocore_prose()


def test_the_botocore_wordings_write_out_calls() -> None:
    """The check below has calls to check: it cannot pass on an empty harvest."""
    assert sum(len(_calls(text)) for _, _, text in PROSE) >= 40


@pytest.mark.parametrize(
    ("rule_id", "locale", "text"),
    [entry for entry in PROSE if _calls(entry[2])],
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else "",
)
def test_every_boto3_call_in_a_botocore_wording_is_one_boto3_makes(
    s3: Any, rule_id: str, locale: str, text: str
) -> None:
    problems = [
        problem
        for callee, arguments in _calls(text)
        for problem in _problems(s3, callee, arguments)
    ]
    assert problems == [], (rule_id, locale, text)


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("s3.list_objects_versions(Bucket='b')", "no method list_objects_versions"),
        ("s3.put_bucket_versioning(Bucket='b', Status='Enabled')", "takes no Status="),
        ("s3.upload_file('f', 'b', 'k', LocalFilePath='f')", "takes no LocalFilePath="),
        ("Config(retries={'max_attempts': 3}, Timeout=5)", "Timeout"),
        (
            "s3.generate_presigned_url('get_object', Params={'Bucket': 'b', 'response-x': 'y'})",
            "no parameter",
        ),
    ],
)
def test_the_check_catches_the_cos_sdks_shapes(s3: Any, written: str, problem: str) -> None:
    """Calls in the COS SDK's shapes are caught: the check above can fail."""
    problems = [
        found for callee, arguments in _calls(written) for found in _problems(s3, callee, arguments)
    ]
    assert any(problem in found for found in problems), problems


def test_a_call_in_the_right_shape_passes(s3: Any) -> None:
    written = (
        "s3.delete_objects(Bucket='{bucket}', Delete={'Objects': [{'Key': k} for k in keys], "
        "'Quiet': True}) and s3.generate_presigned_url('get_object', Params={'Bucket': 'b', "
        "'Key': 'k', 'Range': 'bytes=0-9'}, ExpiresIn=600) with Config(retries={'mode': 'standard'})"
    )
    calls = _calls(written)
    assert [callee for callee, _ in calls] == [
        "s3.delete_objects",
        "s3.generate_presigned_url",
        "Config",
    ]
    assert [
        problem for callee, arguments in calls for problem in _problems(s3, callee, arguments)
    ] == []


# Rules a boto3 call never reaches, so their COS SDK calls are never shown to a boto3 user.
UNREACHABLE_THROUGH_BOTO3 = {
    "head-not-found": "its Code NoSuchResource is the COS SDK's; botocore says '404' (unrecognized-404)",
    "append-position-mismatch": "APPEND Object has no boto3 operation",
    "object-not-appendable": "APPEND Object has no boto3 operation",
}
_SDK_CALL = re.compile(r"\bclient\.(\w+)\(")


def _sdk_calls_shown_to_boto3() -> list[tuple[str, str, str]]:
    """(rule id, locale, text) of the rules a boto3 user gets in the COS SDK's own wording."""
    out = []
    for rule in catalogue().rules:
        if rule.id in UNREACHABLE_THROUGH_BOTO3:
            continue
        for locale in SUPPORTED_LOCALES:
            text = rule.texts[locale]
            if not text.botocore_steps:
                out.extend((rule.id, locale, step) for step in (text.cause, *text.steps))
            elif not text.botocore_cause:
                out.append((rule.id, locale, text.cause))
    return [entry for entry in out if _SDK_CALL.search(entry[2])]


@pytest.mark.parametrize(
    ("rule_id", "locale", "text"),
    _sdk_calls_shown_to_boto3(),
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else "",
)
def test_a_cos_sdk_call_a_boto3_user_is_shown_is_one_boto3_makes_too(
    s3: Any, rule_id: str, locale: str, text: str
) -> None:
    """Without a botocore wording, the rule's client.<method>(…) calls must work as s3.<method>."""
    problems = []
    for match in _SDK_CALL.finditer(text):
        arguments = _arguments(text, match.end())
        if arguments is not None:
            problems += _problems(s3, f"s3.{match[1]}", arguments)
    assert problems == [], (rule_id, locale, text)


def test_the_rules_said_unreachable_through_boto3_exist() -> None:
    ids = {rule.id for rule in catalogue().rules}
    assert set(UNREACHABLE_THROUGH_BOTO3) <= ids
