"""Load the knowledge base (``knowledge/*.toml``) into immutable rules, once, on first use.

The files are data written by people; this module checks their shape strictly so that a
mistake fails the test suite, not a user's error path. The schema is documented in
``knowledge/README.md``.
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cos_doctor._knowledge.sources import read_sources
from cos_doctor._lazy import Lazy
from cos_doctor._locale import SUPPORTED_LOCALES
from cos_doctor._normalize import normalize_message

__all__ = [
    "Catalogue",
    "CauseRule",
    "Clause",
    "Condition",
    "KnowledgeError",
    "Rule",
    "RuleText",
    "catalogue",
]

KNOWLEDGE_DIR = Path(__file__).parent.parent / "knowledge"
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
        # Client-side failures and helpers (_pipeline/client_context.py, _pipeline/parts.py).
        "host",
        "parts_summary",
        "parts_counted",
        "upload_id",
    },
)

#: Names an evidence sentence (``evidence.toml``) may use: the fact itself and the words the
#: detectors pass to ``Facts.say``. Anything else is a typo that would crash a diagnosis.
EVIDENCE_WORDS = frozenset(
    {
        "action",
        "bucket",
        "bucket_region",
        "call",
        "chain",
        "client_region",
        "decided_by",
        "domains",
        "entry",
        "excerpt",
        "expected",
        "field",
        "groups",
        "headers",
        "host",
        "human",
        "length",
        "limit",
        "listed",
        "message",
        "method",
        "methods",
        "name",
        "origin",
        "origins",
        "principal",
        "principals",
        "proxies",
        "referer",
        "region",
        "resource",
        "restore",
        "retry",
        "rule",
        "rule_id",
        "seen",
        "setting",
        "signed",
        "statement",
        "storage_class",
        "total",
        "value",
        "when",
    },
)

_CLAUSE_FIELDS = frozenset(
    {
        "status",
        "status_class",
        "code",
        "message",
        "message_regex",
        "key_regex",
        "post_object",
        "method",
        "client",
    },
)
_TEXT_FIELDS = frozenset({"title", "cause", "steps", "docs"})
_CAUSE_FIELDS = frozenset({"id", "likely_when", "ruled_out_when", *SUPPORTED_LOCALES})
_CONDITION_FIELDS = frozenset({"evidence", "value", "values", "prefixes", "below"})
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
    key_regex: re.Pattern[str] | None = None
    client: str | None = None  # the kind of client-side failure (_pipeline/client_context.py)

    @property
    def score(self) -> int:
        """How specific the clause is; the best-scoring match wins (README: Specificity)."""
        return (
            8 * (self.message is not None)
            + 4 * (self.client is not None)
            + 6 * (self.message_regex is not None)
            + 6 * (self.key_regex is not None)
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
    key: str | None = None  # the object key as the request sent it, for key_regex clauses
    client: str | None = None  # the kind of client-side failure, for client clauses


@dataclass(frozen=True)
class Condition:
    """Evidence that makes a cause likely: the key was observed, with the value given.

    When set, the value must be one of ``values``, start with one of ``prefixes`` (for a list
    of names: one of them does), or be a number below ``below``; with none set, observing the
    key is enough.
    """

    evidence: str
    values: tuple[Any, ...] = ()
    prefixes: tuple[str, ...] = ()
    below: float | None = None

    def holds(self, observed: dict[str, Any]) -> bool:
        """Whether the evidence observed for this request satisfies the condition."""
        if self.evidence not in observed:
            return False
        value = observed[self.evidence]
        if self.below is not None:
            return isinstance(value, (int, float)) and value < self.below
        if self.prefixes:
            # A list of names (e.g. the SSE headers sent) holds when any name has the prefix.
            names = value if isinstance(value, (tuple, list)) else (value,)
            return any(isinstance(name, str) and name.startswith(self.prefixes) for name in names)
        return not self.values or value in self.values


@dataclass(frozen=True)
class CauseRule:
    """One documented cause of a rule's error, and the evidence that makes it likely."""

    id: str
    texts: dict[str, str]
    likely_when: tuple[Condition, ...] = ()
    ruled_out_when: tuple[Condition, ...] = ()


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
    causes: tuple[CauseRule, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """Every rule plus the shared wording tables, indexed for matching."""

    rules: tuple[Rule, ...]
    placeholders: dict[str, dict[str, str]]
    evidence_text: dict[str, dict[str, str]]
    labels: dict[str, dict[str, str]]

    @Lazy
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


def load_catalogue(directory: Path, *, compiled: bool = True) -> Catalogue:
    """Load every ``*.toml`` in ``directory``; raise KnowledgeError on any schema problem.

    The data comes from the compiled copy while it matches the TOML files exactly (unless
    ``compiled`` is false), else from the TOML itself; either way it is validated here.
    """
    sources = read_sources(directory, compiled=compiled)
    rules: list[Rule] = []
    for name, data in sources.items():
        if name in _DATA_FILES:
            continue
        unknown = set(data) - {"rule"}
        if unknown:
            raise KnowledgeError(f"{name}: unknown top-level keys {sorted(unknown)}")
        rules.extend(_rule(name, raw) for raw in data.get("rule", []))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise KnowledgeError(f"rule id {rule.id!r} is defined twice")
        seen.add(rule.id)
    rules.sort(key=lambda rule: rule.generic)  # specific rules first, fallbacks last; stable
    evidence_text = {
        **_evidence_table("evidence.toml", _table(sources, "evidence.toml")),
        **_evidence_table("evidence_client.toml", _table(sources, "evidence_client.toml")),
    }
    for rule in rules:
        for cause in rule.causes:
            for condition in (*cause.likely_when, *cause.ruled_out_when):
                if condition.evidence not in evidence_text:
                    raise KnowledgeError(
                        f"rule {rule.id!r} cause {cause.id!r}: unknown evidence key "
                        f"{condition.evidence!r} (not in evidence.toml)",
                    )
    return Catalogue(
        rules=tuple(rules),
        placeholders=_locale_table("placeholders.toml", _table(sources, "placeholders.toml")),
        evidence_text=evidence_text,
        labels=_locale_table("ui.toml", _table(sources, "ui.toml")),
    )


def _table(sources: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    if name not in sources:
        raise KnowledgeError(f"{name} is missing from the knowledge base")
    return sources[name]


def _locale_table(name: str, table: dict[str, Any]) -> dict[str, dict[str, str]]:
    """A table per locale (``ui.toml``, ``placeholders.toml``); every locale has every name."""
    missing = [locale for locale in SUPPORTED_LOCALES if locale not in table]
    if missing:
        raise KnowledgeError(f"{name}: no table for locale(s) {missing}")
    names = set(table[SUPPORTED_LOCALES[0]])
    for locale in SUPPORTED_LOCALES:
        if set(table[locale]) != names:
            difference = sorted(set(table[locale]) ^ names)
            raise KnowledgeError(f"{name} [{locale}]: names differ from en: {difference}")
    return table


def _evidence_table(name: str, table: dict[str, Any]) -> dict[str, Any]:
    """``evidence.toml``: per key (and variant), one sentence per locale, same placeholders."""
    for key, entry in table.items():
        if not isinstance(entry, dict):
            raise KnowledgeError(f"{name}: {key!r} must be a table")
        if any(isinstance(value, dict) for value in entry.values()):
            for variant, texts in entry.items():
                _evidence_texts(f"{name}: {key}.{variant}", texts)
        else:
            _evidence_texts(f"{name}: {key}", entry)
    return table


def _evidence_texts(where: str, texts: Any) -> None:
    if not isinstance(texts, dict) or set(texts) != set(SUPPORTED_LOCALES):
        found = sorted(texts) if isinstance(texts, dict) else texts
        raise KnowledgeError(f"{where}: needs exactly the locales {SUPPORTED_LOCALES}, has {found}")
    _same_placeholders(where, texts, EVIDENCE_WORDS)


def _same_placeholders(where: str, texts: dict[str, str], allowed: frozenset[str]) -> None:
    """Every locale of one text uses the same known placeholders (a typo fails here)."""
    expected: set[str] | None = None
    for locale, text in texts.items():
        names = set(placeholder_names(text))
        unknown = names - allowed
        if unknown:
            raise KnowledgeError(f"{where} [{locale}]: unknown placeholder(s) {sorted(unknown)}")
        if expected is None:
            expected = names
        elif names != expected:
            difference = sorted(names ^ expected)
            raise KnowledgeError(
                f"{where} [{locale}]: placeholders differ between locales: {difference}",
            )


def _rule(file: str, raw: dict[str, Any]) -> Rule:
    rule_id = raw.get("id", "")
    where = f"{file}: rule {rule_id!r}"
    if not _RULE_ID.match(rule_id):
        raise KnowledgeError(f"{where}: id must be a lowercase slug")
    allowed = {
        "id",
        "source",
        "match",
        "example",
        "generic",
        "fallback",
        "cause",
        *SUPPORTED_LOCALES,
    }
    unknown = set(raw) - allowed
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
    _same_shape(where, texts, REQUEST_PLACEHOLDERS | group_names)
    causes = tuple(
        _cause(where, entry, REQUEST_PLACEHOLDERS | group_names) for entry in raw.get("cause", [])
    )
    if len({cause.id for cause in causes}) != len(causes):
        raise KnowledgeError(f"{where}: two causes share an id")
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
        causes=causes,
    )


def _same_shape(where: str, texts: dict[str, RuleText], allowed: frozenset[str]) -> None:
    """Every locale says the same thing: as many steps, the same placeholders in each part."""
    counts = {locale: len(text.steps) for locale, text in texts.items()}
    if len(set(counts.values())) > 1:
        raise KnowledgeError(f"{where}: locales have different numbers of steps {counts}")
    _same_placeholders(f"{where} title", {k: t.title for k, t in texts.items()}, allowed)
    _same_placeholders(f"{where} cause", {k: t.cause for k, t in texts.items()}, allowed)
    for number in range(len(next(iter(texts.values())).steps)):
        _same_placeholders(
            f"{where} step {number + 1}",
            {locale: text.steps[number] for locale, text in texts.items()},
            allowed,
        )


def _cause(where: str, raw: dict[str, Any], allowed: frozenset[str]) -> CauseRule:
    cause_id = raw.get("id", "")
    where = f"{where} cause {cause_id!r}"
    if not _RULE_ID.match(cause_id):
        raise KnowledgeError(f"{where}: id must be a lowercase slug")
    unknown = set(raw) - _CAUSE_FIELDS
    if unknown:
        raise KnowledgeError(f"{where}: unknown keys {sorted(unknown)}")
    texts = {locale: raw.get(locale) for locale in SUPPORTED_LOCALES}
    if not all(isinstance(text, str) and text for text in texts.values()):
        raise KnowledgeError(f"{where}: needs a non-empty text for each of {SUPPORTED_LOCALES}")
    _same_placeholders(where, texts, allowed)  # type: ignore[arg-type]  # checked just above
    likely = tuple(_condition(where, entry) for entry in raw.get("likely_when", []))
    ruled_out = tuple(_condition(where, entry) for entry in raw.get("ruled_out_when", []))
    return CauseRule(
        id=cause_id,
        texts=texts,  # type: ignore[arg-type]  # checked above: every locale is a string
        likely_when=likely,
        ruled_out_when=ruled_out,
    )


def _condition(where: str, condition: dict[str, Any]) -> Condition:
    extra = set(condition) - _CONDITION_FIELDS
    tests = set(condition) & {"value", "values", "prefixes", "below"}
    if extra or "evidence" not in condition or len(tests) > 1:
        raise KnowledgeError(
            f"{where}: a condition is {{evidence = KEY}} with at most one of value = V, "
            f"values = [V, …], prefixes = [P, …] or below = N; got {condition!r}",
        )
    values = condition.get("values", [condition["value"]] if "value" in condition else [])
    return Condition(
        evidence=condition["evidence"],
        values=tuple(values),
        prefixes=tuple(condition.get("prefixes", ())),
        below=condition.get("below"),
    )


def _clause(where: str, raw: dict[str, Any]) -> Clause:
    unknown = set(raw) - _CLAUSE_FIELDS
    if unknown:
        raise KnowledgeError(f"{where}: unknown match fields {sorted(unknown)}")
    # Case-insensitive, against the message with its case kept: values quoted back to the
    # user (bucket names, SecretIds) are case-sensitive.
    compiled = _regex(where, "message_regex", raw.get("message_regex"), re.IGNORECASE)
    # Object keys are case-sensitive in COS, so their patterns are too.
    key_regex = _regex(where, "key_regex", raw.get("key_regex"), 0)
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
        key_regex=key_regex,
        client=raw.get("client"),
    )


def _regex(where: str, name: str, pattern: str | None, flags: int) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern, flags)
    except re.error as error:
        raise KnowledgeError(f"{where}: bad {name} {pattern!r}: {error}") from error


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
    unknown = set(raw) - {"status", "code", "message", "post_object", "method", "key", "client"}
    if unknown:
        raise KnowledgeError(f"{where}: unknown example fields {sorted(unknown)}")
    return Example(
        status=raw.get("status"),
        code=raw.get("code"),
        message=raw.get("message"),
        post_object=bool(raw.get("post_object", False)),
        method=raw.get("method"),
        key=raw.get("key"),
        client=raw.get("client"),
    )


def placeholder_names(text: str) -> list[str]:
    """Return the ``{name}`` placeholders in ``text`` (``{{`` and ``}}`` are literal braces)."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
