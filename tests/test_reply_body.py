"""An XML error body's fields are read unescaped, and html loads only for a body that escapes."""

from __future__ import annotations

import subprocess
import sys

from cos_doctor._pipeline.sources import read_reply

_BODY = "<Error><Code>{code}</Code><Message>{message}</Message></Error>"


def test_entities_in_a_field_are_unescaped() -> None:
    """Named and numeric character references read as the characters they stand for."""
    body = _BODY.format(code="InvalidArgument", message="a &amp; b &lt;c&gt; &#39;d&#x27;")
    reply = read_reply(status=400, body=body)
    assert (reply.code, reply.message) == ("InvalidArgument", "a & b <c> 'd'")


def test_a_body_without_entities_loads_no_html() -> None:
    """Reading a body that escapes nothing leaves html (and its ~1 ms entity table) unloaded."""
    code = (
        "import sys\n"
        "from cos_doctor._pipeline.sources import read_reply\n"
        f"reply = read_reply(status=403, body={_BODY.format(code='AccessDenied', message='no')!r})\n"
        "assert reply.code == 'AccessDenied', reply\n"
        "print('html' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False"]


def test_the_digest_wins_and_the_body_fills_what_it_leaves_empty() -> None:
    """The SDK's digest gives the fields it has; the body gives the rest, ServerTime included."""
    body = (
        "<Error><Code>FromBody</Code><Message>body message</Message>"
        "<RequestId>body-id</RequestId><ServerTime>1700000000</ServerTime></Error>"
    )
    digest = {"code": "FromDigest", "message": "", "resource": "Unknown", "requestid": "digest-id"}
    reply = read_reply(status=403, digest=digest, body=body)
    assert (reply.code, reply.message, reply.request_id) == (
        "FromDigest",
        "body message",
        "digest-id",
    )
    assert (reply.server_time, reply.body_format) == ("1700000000", "xml")


def test_a_body_whose_only_element_the_digest_said_is_still_xml() -> None:
    """A body holding only elements the digest already said is read as XML, not as text."""
    digest = {"code": "AccessDenied", "message": "denied"}
    reply = read_reply(status=403, digest=digest, body="<Error><Message>m</Message></Error>")
    assert (reply.message, reply.body_format) == ("denied", "xml")
