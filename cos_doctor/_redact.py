"""Keep secrets out of everything cos_doctor writes: exception text, logs, dicts, CLI output.

What counts as secret: the SecretKey and sign key, ``q-signature`` values, session tokens,
and full SecretIds (shown masked). Two layers: :func:`scrub` removes whatever is *shaped*
like a secret (a ``q-signature=`` value, a token after its header name, an ``AKID…`` id);
a :class:`Redactor` built for one request also removes the *exact* secrets that request
used, wherever they appear (a SecretKey pasted into an object key, a token in a Referer).
The value objects apply a redactor when they are built (``cos_doctor.diagnosis``): that is
the one boundary every output passes. A known secret is looked for in every spelling an
output may give it (escaped, percent-encoded once or twice) and every cut of it.
"""

from __future__ import annotations

import functools
import json
import os
import re
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import quote, quote_plus, unquote

from cos_doctor._normalize import fold_case as _folded

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "PROXY_VARIABLES",
    "Redactor",
    "client_redactor",
    "finds_for",
    "is_secret_field",
    "mask_secret_id",
    "redactor_for",
    "scrub",
    "strip_userinfo",
    "userinfo",
]

REDACTED = "<redacted>"
#: The environment variables a proxy (and its credentials) can come from.
PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
)
# Shorter values are not treated as secrets to hunt for: replacing every "abc" in a
# diagnosis would garble it, and no real SecretKey, token or signature is this short.
_MIN_SECRET_LENGTH = 8
# What cos_doctor appends where it cuts a value short, and how much of a secret's start
# before it is removed (fewer characters match unrelated text too often).
_CUT = "…"
_LEAST_BEFORE_CUT = 4
_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]+")

# A Tencent Cloud SecretId: "AKID" plus 32 characters for permanent keys; temporary ones
# are longer. Matching from 16 characters on also catches truncated or mangled ids.
_SECRET_ID = re.compile(r"AKID[A-Za-z0-9_\-]{12,}")
_SIGNATURE = re.compile(r"(q-signature[=:]\s*)[^&\s\"'<>]+", re.IGNORECASE)
# The SDK logs "sign_key<hex>", "sign_key: <hex>", "sign: <hex>" and, for RTMP URLs,
# "signature: <hex>" at DEBUG.
_SIGN_KEY = re.compile(r"(\bsign(?:[_ ]?key|ature)?[=:\s]*)[0-9a-f]{40}", re.IGNORECASE)
_TOKEN = re.compile(
    r"((?:x-cos-security-token|x-ci-security-token|security_?token|session_?token|q-token)"
    r"[\"']?\s*(?:[=:]|%(?:25)?3D)\s*b?[\"']?)"
    r"[^&\s\"'<>,}]+",
    re.IGNORECASE,
)
# COS quotes a POST policy's value in "Condition key <field> doesn't match the value <value>":
# for the token condition, that value is the session token.
_TOKEN_CONDITION = re.compile(
    r"(x-cos-security-token\s+doesn\S{1,8}t\s+match\s+the\s+value\s*)[^\s<>]+",
    re.IGNORECASE,
)
# Credentials in a URL (a proxy's "http://user:password@host"): the userinfo goes. Found
# from each "://" (a scheme pattern tried at every letter of a long run was quadratic).
_AFTER_SCHEME = re.compile(r"://([^/\s@'\"<>]+)@")
_SCHEME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-")
# Where urllib3 ends a URL's authority (and so cuts a proxy password holding one of these).
_URLLIB3_AUTHORITY_END = re.compile(r"[\\/?#]")
# Percent-encoded once or twice: a signed URL inside another URL's parameter.
_AUTHORIZATION_SIGNATURE = re.compile(r"(q-signature%(?:25)?3D)[^&\s\"'<>]+", re.IGNORECASE)
# Gates: case-sensitive searches on the folded text that find every match of the pattern
# above them (and maybe more). Each starts with a literal, which the regex engine skips to;
# the case-insensitive patterns try every position and took 130 µs per KiB of text.
_SIGNATURE_GATE = re.compile(r"q-signature[=:]")
_SIGN_KEY_GATE = re.compile(r"sign(?:[_ ]?key|ature)?[=:\s]*[0-9a-f]{40}")
_TOKEN_GATE = re.compile(r"token[\"']?\s*(?:[=:]|%(?:25)?3d)")
_TOKEN_CONDITION_GATE = "x-cos-security-token doesn"  # noqa: S105 - a phrase to look for, not a secret


# Fields whose value is a credential, whatever its length or shape: never shown.
_SECRET_FIELD = re.compile(
    r"(?:x-cos-security-|x-ci-security-|security_?|session_?|q-)token|q-signature|authorization",
    re.IGNORECASE,
)


def is_secret_field(name: str) -> bool:
    """Whether the header, parameter or form field ``name`` carries a credential as its value."""
    return _SECRET_FIELD.fullmatch(name.strip()) is not None


def mask_secret_id(secret_id: str | None) -> str | None:
    """Return the SecretId with all but its first and last four characters hidden."""
    if not secret_id:
        return None
    visible = secret_id.strip()
    if len(visible) <= 8:  # too short to show anything and still hide something
        return "*" * len(visible)
    return f"{visible[:4]}****{visible[-4:]}"


def scrub(text: str) -> str:
    """Return ``text`` with signatures, sign keys and tokens removed and SecretIds masked."""
    # Each pattern runs only where its gate finds a candidate; most text has none, and the
    # patterns themselves dominated the failure path. Each look for a word is a pass over the
    # text: "sign" and "token" gate every pattern holding them, "@" (memchr) goes first.
    folded = _folded(text)
    if "sign" in folded:
        text = _without_signatures(text, folded)
    if "token" in folded:
        if _TOKEN_GATE.search(folded):
            text = _TOKEN.sub(r"\1<redacted>", text)
        if _TOKEN_CONDITION_GATE in folded:
            text = _TOKEN_CONDITION.sub(r"\1<redacted>", text)
    if "@" in text and "://" in text:
        text = _without_url_userinfo(text)
    if "AKID" in text:
        text = _SECRET_ID.sub(lambda found: mask_secret_id(found.group(0)) or "", text)
    return text


def _without_signatures(text: str, folded: str) -> str:
    """``text`` without its ``q-signature`` values and sign keys (``folded``: the original's)."""
    if "q-signature" in folded:
        if _SIGNATURE_GATE.search(folded):
            text = _SIGNATURE.sub(r"\1<redacted>", text)
        if "q-signature%3d" in folded or "q-signature%253d" in folded:
            text = _AUTHORIZATION_SIGNATURE.sub(r"\1<redacted>", text)
    if _SIGN_KEY_GATE.search(folded):
        text = _SIGN_KEY.sub(r"\1<redacted>", text)
    return text


def _url_userinfo(text: str) -> Iterator[tuple[int, int]]:
    """Where each URL's userinfo is, as ``[a-z][a-z0-9+.-]*://(userinfo)@`` would find it.

    The scheme is the longest run of scheme characters before "://" from its first letter
    (ASCII letters in any case, as the pattern under re.IGNORECASE). Linear: each character
    is looked at a bounded number of times.
    """
    folded = _folded(text)
    position = 0
    for found in _AFTER_SCHEME.finditer(text):
        if found.start() < position:
            continue  # inside the previous match (its userinfo holds no "/", so never)
        start = found.start()
        while start > position and folded[start - 1] in _SCHEME_CHARACTERS:
            start -= 1
        if any(character.isalpha() for character in folded[start : found.start()]):
            yield found.start(1), found.end(1)
            position = found.end()


def _without_url_userinfo(text: str) -> str:
    pieces = []
    done = 0
    for start, end in _url_userinfo(text):
        pieces.append(text[done:start])
        pieces.append(REDACTED)
        done = end
    return "".join(pieces) + text[done:] if pieces else text


def _shaped(text: str) -> bool:
    """Whether :func:`scrub` might find anything in ``text`` (never a false "no")."""
    # Each look for a word is a pass over the text (0.3 us per 500 characters, on every
    # failure): one word gates every pattern holding it, and "@" (one character, found by
    # memchr) the URL check. A SecretId's pattern starts with a word the engine skips to.
    folded = _folded(text)
    if "sign" in folded and (
        "q-signature%3d" in folded
        or "q-signature%253d" in folded
        or _SIGNATURE_GATE.search(folded)
        or _SIGN_KEY_GATE.search(folded)
    ):
        return True
    if "token" in folded and (_TOKEN_GATE.search(folded) or _TOKEN_CONDITION_GATE in folded):
        return True
    if "@" in text and "://" in text and next(_url_userinfo(text), None) is not None:
        return True
    return _SECRET_ID.search(text) is not None


class Redactor:
    """Removes one request's own secrets (exact values), then anything shaped like a secret.

    A known secret is removed in every form an output may hold it: as it is, ``repr()``- and
    JSON-escaped, percent-encoded once and twice, and cut short (any first eight characters
    or more of one of those forms; four or more just before a ``…`` that marks a cut). A
    secret shorter than eight characters is removed only where it stands whole between
    quotes, the way a parser's message or a sentence quotes a value: anywhere else it could
    be part of an unrelated word.

    Holds secrets, so it is never stored in a value object, logged or pickled: it lives for
    the duration of one diagnosis, or, for a client's own secrets, in this module's cache.
    """

    __slots__ = ("_ids", "_known", "_needles", "_patterns", "_secrets", "_short", "_table")

    def __init__(
        self,
        secrets: Iterable[str | None] = (),
        secret_ids: Iterable[str | None] = (),
        *,
        patterns: bool = True,
    ) -> None:
        """``secrets`` are removed outright; ``secret_ids`` are shown masked.

        ``patterns=False`` applies only the exact values, not :func:`scrub`.
        """
        self._patterns = patterns
        # form -> (characters that make a cut of it a secret, whether it is a SecretId); short
        # secrets' forms, as a dictionary for a stable order.
        self._table: dict[str, tuple[int, bool]] = {}
        # The values learnt as secrets, and as SecretIds.
        self._secrets: frozenset[str] = frozenset()
        self._ids: frozenset[str] = frozenset()
        self._learn(secrets, secret_ids, {})

    def extended(self, secrets: Iterable[str | None], secret_ids: Iterable[str | None]) -> Redactor:
        """This redactor plus more secrets: a request's own, on top of its client's.

        Only values this one does not know yet are encoded, so a redactor built once per
        client configuration makes each request's cheap.
        """
        more = Redactor.__new__(Redactor)
        more._patterns = self._patterns  # noqa: SLF001 - a copy being built
        more._table = dict(self._table)  # noqa: SLF001
        more._secrets, more._ids = self._secrets, self._ids  # noqa: SLF001
        more._learn(secrets, secret_ids, dict.fromkeys(self._short))  # noqa: SLF001
        return more

    def _learn(
        self,
        secrets: Iterable[str | None],
        secret_ids: Iterable[str | None],
        short: dict[str, None],
    ) -> None:
        known = self._table
        learnt_secrets, learnt_ids = set(self._secrets), set(self._ids)
        for is_secret_id, given in ((True, secret_ids), (False, secrets)):
            learnt = learnt_ids if is_secret_id else learnt_secrets
            for value in _parts(given):
                if value in learnt_secrets or value in learnt:
                    continue  # learnt already (a secret covers its use as a SecretId)
                learnt.add(value)
                if len(value) >= _MIN_SECRET_LENGTH:
                    for form, least in _forms(value):
                        # A value that is both a secret and a SecretId is removed, not masked.
                        if not is_secret_id or known.get(form, (0, True))[1]:
                            known[form] = (least, is_secret_id)
                elif not is_secret_id:
                    short.update(dict.fromkeys(form for form, _ in _forms(value)))
        self._secrets, self._ids = frozenset(learnt_secrets), frozenset(learnt_ids)
        # (spelling, its first characters that already make a secret, whether a SecretId)
        self._known = tuple((form, form[:least], is_id) for form, (least, is_id) in known.items())
        # Longest first: a short secret that contains a shorter one is removed whole.
        self._short = tuple(sorted(short, key=len, reverse=True))
        # What a text must hold for the exact values to change it: a head, a cut, a short form.
        heads = dict.fromkeys(head for _, head, _ in self._known)
        self._needles = (*heads, *((_CUT,) if heads else ()), *self._short)

    def __call__(self, text: str) -> str:
        """Return ``text`` without this request's secrets or anything shaped like one."""
        spans = self._spans(text)
        if spans:
            text = _replaced(text, spans)
        for form in self._short:
            if form in text:
                text = _without_quoted(text, form)
        return scrub(text) if self._patterns else text

    def _spans(self, text: str) -> list[tuple[int, int, str]]:
        """Where ``text`` holds a known secret or a cut of one, and what to show instead.

        Found in the original text for every spelling at once, then merged: replacing one
        spelling first could cut another apart (the JSON and repr() escapes of a character
        share their first backslash).
        """
        spans = []
        for form, head, is_secret_id in self._known:
            found = text.find(head)
            while found != -1:
                end = found + _common_length(text, found, form, len(head))
                if not is_secret_id:
                    shown = REDACTED
                elif end - found == len(form):
                    shown = mask_secret_id(form) or REDACTED
                else:
                    shown = f"{form[:4]}****"
                spans.append((found, end, shown))
                found = text.find(head, end)
        cut = text.find(_CUT)
        while cut != -1:
            # A cut can leave fewer than eight characters of a secret just before the mark;
            # a SecretId's first four are shown anyway.
            for form, _, is_secret_id in self._known:
                size = 0 if is_secret_id else _head_before(text, cut, form)
                if size:
                    spans.append((cut - size, cut, REDACTED))
            cut = text.find(_CUT, cut + 1)
        return spans

    def finds(self, text: str) -> bool:
        """Whether calling this redactor would change ``text``.

        One search over many strings joined is far cheaper than redacting each: almost every
        diagnosis holds no secret at all.
        """
        for needle in self._needles:
            if needle in text:
                return True
        return self._patterns and _shaped(text)

    def finds_extended(
        self, text: str, secrets: Iterable[str | None], secret_ids: Iterable[str | None]
    ) -> bool:
        """Whether ``self.extended(secrets, secret_ids)`` would change ``text``.

        Without building it (never a false "no"): a value this redactor knows already is
        covered by :meth:`finds`; each other one is looked for by its spellings' first characters.
        """
        if self.finds(text):
            return True
        cut = _CUT in text
        for is_secret_id, given in ((True, secret_ids), (False, secrets)):
            learnt = self._ids if is_secret_id else self._secrets
            for value in _parts(given):
                if value in self._secrets or value in learnt:
                    continue  # its spellings are among this redactor's own
                if len(value) < _MIN_SECRET_LENGTH:
                    if not is_secret_id and any(form in text for form, _ in _forms(value)):
                        return True
                elif cut or any(head in text for head in _heads(value)):
                    return True
        return False

    def __repr__(self) -> str:
        return f"<Redactor of {len(self._known) + len(self._short)} secrets>"

    def __reduce__(self) -> Any:
        raise TypeError("a Redactor holds secrets and is never pickled")


def _quote_twice(text: str) -> str:
    return quote(quote(text, safe=""), safe="")


def _quoted(text: str, encode: Callable[[str], str] = repr) -> tuple[str, str]:
    """How ``repr()`` (or ``ascii()``) spells ``text`` inside a '…' literal, and inside a "…" one.

    Which quote is escaped depends on the whole string the secret sits in (a message quoting
    it, a list of such messages), not on the secret: both spellings are looked for.
    """
    # A '"' appended makes Python pick '…' and escape every "'"; the '"' is cut off again.
    single = encode(text + '"')[1:-2]
    return single, single.replace("\\'", "'")


def _quoted_twice(text: str) -> tuple[str, ...]:
    """``text`` escaped by ``repr()`` twice (the SDK logs its failed attempts' words as a list)."""
    return tuple(outer for inner in _quoted(text) for outer in _quoted(inner))


# Every way an output may spell a secret: as sent, percent-encoded (once, as a path, twice, as
# a form), and escaped by repr() (urllib3 quotes what it cannot parse that way) or JSON. Each
# encoder gives its spellings in a fixed order, so a value's and its head's line up.
_ENCODERS: tuple[Callable[[str], tuple[str, ...]], ...] = (
    lambda text: (text,),
    lambda text: (quote(text, safe=""), quote(text, safe="/"), _quote_twice(text)),
    lambda text: (quote_plus(text),),
    _quoted,
    _quoted_twice,
    functools.partial(_quoted, encode=ascii),
    lambda text: (json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]),
)


def _forms(value: str) -> Iterator[tuple[str, int]]:
    """Each spelling of ``value`` (and of its percent-decoded meaning) with its cut length.

    A cut of a spelling is a secret from the spelling of the value's first eight characters
    on: eight characters of the secret itself, however many the encoding takes.
    """
    if _URL_SAFE.fullmatch(value):  # nothing to encode or escape (isalnum() is not ASCII)
        yield value, min(len(value), _MIN_SECRET_LENGTH)
        return
    for meaning in dict.fromkeys((value, unquote(value))):
        head = meaning[:_MIN_SECRET_LENGTH]
        for encode in _ENCODERS:
            for form, head_form in zip(encode(meaning), encode(head)):
                yield form, len(head_form)


def _parts(given: Iterable[str | None]) -> list[str]:
    """The values to learn, each as given and stripped, blank ones left out.

    A value pasted with its newline travels without it.
    """
    parts: list[str] = []
    for value in given:
        stripped = value.strip() if value else ""
        if value and stripped:
            parts.append(value)
            if stripped != value:
                parts.append(stripped)
    return parts


def _heads(value: str) -> tuple[str, ...]:
    """The first characters of each spelling of ``value`` that already make a secret."""
    if value.isascii() and value.isalnum():  # a signature, a sign key, a SecretId: one spelling
        return (value[:_MIN_SECRET_LENGTH],)
    return tuple({form[:least]: None for form, least in _forms(value)})


def _common_length(text: str, start: int, form: str, least: int) -> int:
    """How many first characters of ``form`` ``text`` holds at ``start`` (at least ``least``)."""
    low, high = least, min(len(form), len(text) - start)
    while low < high:  # a binary search: each probe is one C-speed comparison
        middle = (low + high + 1) // 2
        if text.startswith(form[:middle], start):
            low = middle
        else:
            high = middle - 1
    return low


def _head_before(text: str, cut: int, form: str) -> int:
    """How many of ``form``'s first characters (4 to 7) end right at ``cut``; 0 for none."""
    for size in range(_MIN_SECRET_LENGTH - 1, _LEAST_BEFORE_CUT - 1, -1):
        if size <= cut and text.startswith(form[:size], cut - size):
            return size
    return 0


def _replaced(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with each span replaced by what it shows; overlapping spans merge into one."""
    kept: list[str] = []
    position = 0
    ordered = sorted(spans)
    start, end, shown = ordered[0]
    for next_start, next_end, next_shown in ordered[1:]:
        if next_start < end:  # one span, redacted outright if any part of it is a secret
            end = max(end, next_end)
            shown = REDACTED if REDACTED in (shown, next_shown) else shown
            continue
        kept.extend((text[position:start], shown))
        position, (start, end, shown) = end, (next_start, next_end, next_shown)
    kept.extend((text[position:start], shown, text[end:]))
    return "".join(kept)


_QUOTES = "'\""


def _without_quoted(text: str, form: str) -> str:
    """``text`` with the short secret ``form`` removed where it stands whole in quotes.

    A quote may be escaped before the closing one (a backslash and a quote): a quoted message in a
    ``repr()`` of it, as the SDK logs its failed attempts.
    """
    kept: list[str] = []
    position = 0
    found = text.find(form)
    while found != -1:
        end = found + len(form)
        closing = end
        # At most three backslashes (repr() twice): a bound keeps a run of them linear.
        while closing < min(len(text), end + 3) and text[closing] == "\\":
            closing += 1
        quoted = found and text[found - 1] in _QUOTES
        if quoted and closing < len(text) and text[closing] in _QUOTES:
            kept.extend((text[position:found], REDACTED))
            position = end
        found = text.find(form, end)
    return "".join((*kept, text[position:])) if kept else text


#: The redactor for text that belongs to no request: patterns only.
PATTERNS_ONLY = Redactor()


def redactor_for(context: Any) -> Redactor:
    """The redactor of one request, from what its context observed.

    It knows the configured and sent SecretKey, session token, signature, sign key and SecretId.
    """
    secrets, secret_ids = _request_secrets(context)
    return client_redactor(context.secrets).extended(secrets, secret_ids)


def finds_for(context: Any, text: str) -> bool:
    """Whether ``redactor_for(context)`` would change ``text`` (never a false "no").

    Without building that redactor: its client's part is cached, and the request's own
    secrets (signature, sign key, token, SecretId) are looked for by their first characters.
    """
    secrets, secret_ids = _request_secrets(context)
    return client_redactor(context.secrets).finds_extended(text, secrets, secret_ids)


def _request_secrets(context: Any) -> tuple[list[str | None], list[str | None]]:
    """The secrets one request carried on top of its client's, and the SecretId it sent."""
    query = context.query
    secrets = [
        context.request_headers.get("x-cos-security-token"),
        query.get("x-cos-security-token"),
        query.get("q-token"),
    ]
    posted = getattr(context, "post_form", ())
    if posted:  # a POST Object form carries its own token and signature
        form = {name.lower(): value for name, value in posted}
        secrets += (form.get("x-cos-security-token"), form.get("q-signature"))
    signed = context.signed
    if signed is not None:
        secrets.append(signed.signature)
        secret_key = context.configured("secret_key")
        if secret_key:
            secrets.append(_sign_key()(secret_key, signed.key_time))
    return secrets, [context.secret_id_sent]


@functools.cache
def _sign_key() -> Callable[[str, str], str]:
    """``cos_doctor._signing.sign_key``, imported once, when a diagnosis first needs it.

    Not at the top: install() loads this module, and hashlib with that one. Not in the
    function that calls it either: an import statement cost 0.65 us of every failure.
    """
    from cos_doctor._signing import sign_key

    return sign_key


# Client redactors by the secrets they know: encoding a secret in its dozen spellings costs
# more than the rest of a redactor, and a client's secrets do not change between failures.
_CLIENT_REDACTORS: dict[tuple[Any, ...], Redactor] = {}
_CLIENT_REDACTORS_KEPT = 32


def client_redactor(secrets: Any) -> Redactor:
    """The redactor of a client's own secrets (SecretId, SecretKey, token, proxy credentials).

    For output about the client that no request made (``investigate()`` and ``cos-doctor
    check`` show configuration read with it, which may hold anything, its own keys
    included), and the base of each of its requests' redactors. ``secrets`` is what
    ``cos_doctor._sdk.live.client_secrets`` read from the client. Built once per set of
    secrets (the proxy variables of the environment included) and reused.
    """
    stored, decode = _stored_proxy_environment()
    key = (
        secrets.secret_id,
        secrets.secret_key,
        secrets.token,
        secrets.proxy_credentials,
        stored,
    )
    redactor = _CLIENT_REDACTORS.get(key)
    if redactor is None:
        environment = tuple(None if value is None else decode(value) for value in stored)
        redactor = Redactor(_client_secrets(secrets, environment), [secrets.secret_id])
        if len(_CLIENT_REDACTORS) >= _CLIENT_REDACTORS_KEPT:
            _CLIENT_REDACTORS.clear()  # many clients: start over rather than grow
        _CLIENT_REDACTORS[key] = redactor
    return redactor


_ENCODED_PROXY_VARIABLES: list[Any] = []  # os.environ's own spelling of the names, made once


def _stored_proxy_environment() -> tuple[tuple[Any, ...], Callable[[Any], str]]:
    """The proxy variables' values as ``os.environ`` stores them, and how it decodes one.

    Read from the mapping's own dictionary when it has one (CPython's): ``os.environ.get``
    encodes each name and decodes each value, about a microsecond for the six on every
    failure. The stored values key the cache; they are decoded only to build a redactor.
    """
    environ = os.environ
    data = getattr(environ, "_data", None)
    decode = getattr(environ, "decodevalue", None)
    if not isinstance(data, dict) or decode is None or not hasattr(environ, "encodekey"):
        return tuple(environ.get(name) for name in PROXY_VARIABLES), str
    if not _ENCODED_PROXY_VARIABLES:
        _ENCODED_PROXY_VARIABLES.extend(environ.encodekey(name) for name in PROXY_VARIABLES)
    return tuple(map(data.get, _ENCODED_PROXY_VARIABLES)), decode


def _client_secrets(secrets: Any, environment: tuple[str | None, ...]) -> list[str | None]:
    """A client's SecretKey, session token and proxy credentials (configured or from the env)."""
    return [
        secrets.secret_key,
        secrets.token,
        *_proxy_secrets(secrets.proxy_credentials, environment),
    ]


def _proxy_secrets(configured: tuple[str, ...], environment: tuple[str | None, ...]) -> list[str]:
    """Proxy credentials, configured or from the environment, and the pieces an error may quote.

    The credentials whole, the password alone, each percent-decoded. urllib3 takes a proxy
    URL's authority up to its first '/', '?', '#' or backslash and its host from the last '@'
    in that: a password holding one of them makes it quote ``'alice:pa55'`` or, after an '@'
    in the password, the password's middle, as a host it cannot parse.
    """
    found = list(configured)
    for url in environment:
        credentials = userinfo(url or "")
        if credentials:
            found.append(credentials)
    pieces: list[str] = []
    for credentials in found:
        password = credentials.partition(":")[2]
        pieces.extend((credentials, password, unquote(credentials), unquote(password)))
        authority = _URLLIB3_AUTHORITY_END.split(credentials, maxsplit=1)
        if len(authority) > 1:  # cut inside the credentials: urllib3 quotes what is left
            host_and_port = authority[0].rpartition("@")[2]
            # ... as its "host:port", or as the host alone when it parsed a port after a ':'.
            pieces.extend((host_and_port, host_and_port.rpartition(":")[0]))
    return pieces


def userinfo(url: str) -> str | None:
    """The ``user:password`` of ``scheme://user:password@host``, or None when there is none."""
    rest = url.partition("://")[2] or url  # the first: a password may hold "://" too
    credentials, at, _ = rest.rpartition("@")
    return credentials if at and credentials else None


def strip_userinfo(url: str) -> str:
    """``url`` without ``user:password@``: proxy credentials are never shown."""
    scheme, separator, rest = url.partition("://")
    host = (rest if separator else scheme).rpartition("@")[2]
    scheme = scheme if separator else ""
    return f"{scheme}{separator}{host}"
