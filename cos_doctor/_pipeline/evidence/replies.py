"""The reply itself: no body, a body that is not COS XML, a server that is not COS."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cos_doctor._pipeline.evidence.registry import Facts, detector

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor.diagnosis import Evidence

_COS_SERVER = "tencent-cos"
_NON_BLANK = re.compile(r"\S")
_SHOWN_BODY = 120


@detector()
def error_body(facts: Facts) -> Iterator[Evidence]:
    """Say when the reply carried no COS error body, and how to see the real error."""
    context = facts.context
    if context.body_format == "xml" or context.client_failure is not None:
        return  # a client-side failure had no reply to describe
    if (not context.body or context.body.isspace()) and context.error_code is None:
        if context.http_method == "HEAD":
            yield facts.say("error_body", "absent-head", variant="head")
        else:
            yield facts.say("error_body", "absent", variant="empty")
    elif context.body_format == "json":
        yield facts.say("error_body", "json", variant="json")
    elif context.body_format == "text":
        yield facts.say("error_body", "text", variant="text", excerpt=_first_line(context.body))


@detector()
def foreign_server(facts: Facts) -> Iterator[Evidence]:
    """A reply whose Server header is not COS's came from a proxy or gateway in between."""
    server = facts.context.response_headers.get("server")
    if server and server.strip().lower() != _COS_SERVER:
        yield facts.say("response_server", server.strip())


def _first_line(body: str) -> str:
    """The body's first non-blank line, cut to what is shown; linear and small in the body.

    Never split the whole body: a 10 MB text reply split into lines took 200 MB.
    """
    found = _NON_BLANK.search(body)
    if found is None:
        return ""
    head = body[found.start() : found.start() + _SHOWN_BODY + 1]
    return head.splitlines()[0][:_SHOWN_BODY].rstrip()


@detector("invalid-argument")
def argument_named(facts: Facts) -> Iterator[Evidence]:
    """The header or parameter the error's Message names as refused, when it names one."""
    argument = facts.match.groups.get("argument")
    if argument:
        yield facts.say("argument_named", argument.lower())
