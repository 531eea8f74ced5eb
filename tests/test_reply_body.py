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
