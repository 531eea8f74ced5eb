"""Object keys: the key as COS received it, the name the object most likely has, its size."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from cos_doctor._pipeline.evidence.registry import Facts, detector
from cos_doctor._pipeline.match import sent_key

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor.diagnosis import Evidence

#: Object Overview (436/13324): a key is at most 850 bytes once UTF-8 encoded.
MAX_KEY_BYTES = 850
_LEADING = "/\\"


@detector("no-such-key-leading-slash", "no-such-key-double-encoded", "invalid-object-key")
def key_as_received(facts: Facts) -> Iterator[Evidence]:
    """The key exactly as COS looked it up, which ``{key}`` (slashes stripped) does not show."""
    key = sent_key(facts.context)
    if key is not None:
        yield facts.say("key_sent", key)


@detector("no-such-key-leading-slash")
def key_without_leading_slash(facts: Facts) -> Iterator[Evidence]:
    """The same name without the leading slashes no COS key can have."""
    key = sent_key(facts.context)
    if key and key[0] in _LEADING and key.lstrip(_LEADING):
        yield facts.say("key_suggested", key.lstrip(_LEADING), variant="slash")


@detector("no-such-key-double-encoded")
def key_decoded_once_more(facts: Facts) -> Iterator[Evidence]:
    """The name the key decodes to, which is what the object is most likely called."""
    key = sent_key(facts.context)
    if key and unquote(key) != key:
        yield facts.say("key_suggested", unquote(key), variant="decoded")


@detector("invalid-object-key")
def key_size(facts: Facts) -> Iterator[Evidence]:
    """The key's UTF-8 length when it is over the documented limit."""
    key = sent_key(facts.context)
    if key is not None and len(key.encode("utf-8")) > MAX_KEY_BYTES:
        yield facts.say("key_bytes", len(key.encode("utf-8")), limit=MAX_KEY_BYTES)
