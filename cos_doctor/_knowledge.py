"""Load the knowledge base (``knowledge/*.toml``) into immutable rules, once, on first use.

The files are data written by people; this module checks their shape strictly so that a
mistake fails the test suite, not a user's error path. The schema is documented in
``knowledge/README.md``.
"""

from __future__ import annotations

import functools
import re
import string
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cos_doctor._locale import SUPPORTED_LOCALES
from cos_doctor._normalize import normalize_message

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - depends on the interpreter
    import tomli as tomllib

__all__ = ["Catalogue", "Clause", "KnowledgeError", "Rule", "RuleText", "catalogue"]

KNOWLEDGE_DIR = Path(__file__).with_name("knowledge")
_DATA_FILES = frozenset(
    {"placeholders.toml", "evidence.toml", "evidence_client.toml", "regions.toml", "ui.toml"},
)

#: Placeholders every step may use; regex group names of the matching clause add to these.
REQUEST_PLACEHOLDERS = frozenset(
    {
        "bucket",
        "key",
        "region",
        "endpoint",
        "origin",
        "referer",
        "operation",
        "secret_id_masked",
        "request_id",
        # Client-side failures and helpers (cos_doctor/_client_context.py, _parts.py).
        "host",
        "parts_summary",
        "parts_counted",
        "upload_id",
    },
)

_CLAUSE_FIELDS = frozenset(
    {
        "status",
        "status_class",
        "code",
        "message",
        "message_regex",
        "post_object",
        "method",
        "client",
    },
)
_TEXT_FIELDS = frozenset({"title", "cause", "steps", "docs"})
_RULE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class KnowledgeError(ValueError):
    """A knowledge-base file does not follow the schema in ``knowledge/README.md``."""


@dataclass(frozen=True)
class Clause:
    """One way a rule can match; every field that is set must hold."""

    status: int | None = None
    status_class: str | None = None
    code: str | None = None
    message: str | None = None
    message_regex: re.Pattern[str] | None = None
    post_object: bool | None = None
    method: str | None = None
    client: str | None = None  # the kind of client-side failure (cos_doctor/_client_context.py)

    @property
    def score(self) -> int:
        """How specific the clause is; the best-scoring match wins (README: Specificity)."""
        return (
            8 * (self.message is not None)
            + 4 * (self.client is not None)
            + 6 * (self.message_regex is not None)
            + 4 * (self.code is not None)
            + 2 * (self.post_object is not None)
            + 2 * (self.method is not None)
            + 1 * (self.status is not None)
        )


@dataclass(frozen=True)
class RuleText:
    """A rule's prose in one locale."""

    title: str
    cause: str
    steps: tuple[str, ...]
    docs: tuple[str, ...]


@dataclass(frozen=True)
class Example:
    """An input a rule must win; used by the tests and by ``cos-doctor rules --examples``."""

    status: int | None
    code: str | None
    message: str | None
    post_object: bool
    method: str | None
    client: str | None = None


@dataclass(frozen=True)
class Rule:
    """One diagnosis the knowledge base can give."""

    id: str
    source: str
    clauses: tuple[Clause, ...]
    texts: dict[str, RuleText]
    examples: tuple[Example, ...]
    generic: bool = False
    fallback: bool = False
    file: str = ""


@dataclass(frozen=True)
class Catalogue:
    """Every rule plus the shared wording tables, indexed for matching."""

    rules: tuple[Rule, ...]
    placeholders: dict[str, dict[str, str]]
    evidence_text: dict[str, dict[str, str]]
    labels: dict[str, dict[str, str]]

    @functools.cached_property
    def clauses_by_code(self) -> dict[str | None, tuple[tuple[Clause, Rule], ...]]:
        """Clauses grouped by the server Code they require (None: no Code required)."""
        index: dict[str | None, list[tuple[Clause, Rule]]] = {}
        for rule in self.rules:
            for clause in rule.clauses:
                index.setdefault(clause.code, []).append((clause, rule))
        return {code: tuple(pairs) for code, pairs in index.items()}


@functools.cache
def catalogue() -> Catalogue:
    """Load and validate the knowledge base; cached, so only the first failure pays for it."""
    return load_catalogue(KNOWLEDGE_DIR)


def load_catalogue(directory: Path) -> Catalogue:
    """Load every ``*.toml`` in ``directory``; raise KnowledgeError on any schema problem."""
    rules: list[Rule] = []
    for path in sorted(directory.glob("*.toml")):
        if path.name in _DATA_FILES:
            continue
        data = _read(path)
        unknown = set(data) - {"rule"}
        if unknown:
            raise KnowledgeError(f"{path.name}: unknown top-level keys {sorted(unknown)}")
        rules.extend(_rule(path.name, raw) for raw in data.get("rule", []))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise KnowledgeError(f"rule id {rule.id!r} is defined twice")
        seen.add(rule.id)
    rules.sort(key=lambda rule: rule.generic)  # specific rules first, fallbacks last; stable
    return Catalogue(
        rules=tuple(rules),
        placeholders=_locale_table(directory / "placeholders.toml"),
        evidence_text={
            **_read(directory / "evidence.toml"),
            **_read(directory / "evidence_client.toml"),
        },
        labels=_locale_table(directory / "ui.toml"),
    )


def _read(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _locale_table(path: Path) -> dict[str, dict[str, str]]:
    table = _read(path)
    missing = [locale for locale in SUPPORTED_LOCALES if locale not in table]
    if missing:
        raise KnowledgeError(f"{path.name}: no table for locale(s) {missing}")
    return table


def _rule(file: str, raw: dict[str, Any]) -> Rule:
    rule_id = raw.get("id", "")
    where = f"{file}: rule {rule_id!r}"
    if not _RULE_ID.match(rule_id):
        raise KnowledgeError(f"{where}: id must be a lowercase slug")
    allowed = {"id", "source", "match", "example", "generic", "fallback", *SUPPORTED_LOCALES}
    unknown = set(raw) - allowed - {"zh"}
    if unknown:
        raise KnowledgeError(f"{where}: unknown keys {sorted(unknown)}")
    clauses = tuple(_clause(where, entry) for entry in raw.get("match", []))
    if not clauses:
        raise KnowledgeError(f"{where}: needs at least one [[rule.match]] clause")
    group_names = {
        name
        for clause in clauses
        if clause.message_regex is not None
        for name in clause.message_regex.groupindex
    }
    texts = {
        locale: _text(f"{where} [{locale}]", raw.get(locale), group_names)
        for locale in SUPPORTED_LOCALES
    }
    examples = tuple(_example(where, entry) for entry in raw.get("example", []))
    if not examples and not raw.get("fallback", False):
        raise KnowledgeError(f"{where}: needs at least one [[rule.example]]")
    return Rule(
        id=rule_id,
        source=str(raw.get("source", "")),
        clauses=clauses,
        texts=texts,
        examples=examples,
        generic=bool(raw.get("generic", False)),
        fallback=bool(raw.get("fallback", False)),
        file=file,
    )


def _clause(where: str, raw: dict[str, Any]) -> Clause:
    unknown = set(raw) - _CLAUSE_FIELDS
    if unknown:
        raise KnowledgeError(f"{where}: unknown match fields {sorted(unknown)}")
    regex = raw.get("message_regex")
    try:
        # Case-insensitive, against the message with its case kept: values quoted back to
        # the user (bucket names, SecretIds) are case-sensitive.
        compiled = re.compile(regex, re.IGNORECASE) if regex is not None else None
    except re.error as error:
        raise KnowledgeError(f"{where}: bad message_regex {regex!r}: {error}") from error
    status_class = raw.get("status_class")
    if status_class is not None and status_class not in {"3xx", "4xx", "5xx"}:
        raise KnowledgeError(f"{where}: status_class must be 3xx, 4xx or 5xx")
    message = raw.get("message")
    method = raw.get("method")
    return Clause(
        status=raw.get("status"),
        status_class=status_class,
        code=raw.get("code"),
        message=normalize_message(message) if message is not None else None,
        message_regex=compiled,
        post_object=raw.get("post_object"),
        method=method.upper() if method else None,
        client=raw.get("client"),
    )


def _text(where: str, raw: dict[str, Any] | None, group_names: set[str]) -> RuleText:
    if raw is None:
        raise KnowledgeError(f"{where}: locale missing")
    if set(raw) != _TEXT_FIELDS:
        raise KnowledgeError(f"{where}: needs exactly {sorted(_TEXT_FIELDS)}, has {sorted(raw)}")
    steps = tuple(raw["steps"])
    docs = tuple(raw["docs"])
    if not raw["title"] or not raw["cause"] or not steps:
        raise KnowledgeError(f"{where}: title, cause and steps must not be empty")
    allowed = REQUEST_PLACEHOLDERS | group_names
    for text in (raw["title"], raw["cause"], *steps):
        for name in placeholder_names(text):
            if name not in allowed:
                raise KnowledgeError(f"{where}: unknown placeholder {{{name}}} in {text!r}")
    return RuleText(title=raw["title"], cause=raw["cause"], steps=steps, docs=docs)


def _example(where: str, raw: dict[str, Any]) -> Example:
    unknown = set(raw) - {"status", "code", "message", "post_object", "method", "client"}
    if unknown:
        raise KnowledgeError(f"{where}: unknown example fields {sorted(unknown)}")
    return Example(
        status=raw.get("status"),
        code=raw.get("code"),
        message=raw.get("message"),
        post_object=bool(raw.get("post_object", False)),
        method=raw.get("method"),
        client=raw.get("client"),
    )


def placeholder_names(text: str) -> list[str]:
    """Return the ``{name}`` placeholders in ``text`` (``{{`` and ``}}`` are literal braces)."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
