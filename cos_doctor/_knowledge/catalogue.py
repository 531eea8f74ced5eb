"""Load the knowledge base (``knowledge/*.toml``) into immutable rules, once, on first use.

The files are data written by people; this module checks their shape strictly so that a
mistake fails the test suite, not a user's error path. The schema is documented in
``knowledge/README.md``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import string
from pathlib import Path
from typing import Any, Callable, TypeVar

from cos_doctor._knowledge.sources import COMPILED_FORMAT, PROSE_NAME, parse_toml, read_compiled
from cos_doctor._lazy import Lazy
from cos_doctor._locale import SUPPORTED_LOCALES
from cos_doctor._normalize import normalize_message
from cos_doctor._record import frozen

__all__ = [
    "CLIENT_FAILURE_KINDS",
    "Catalogue",
    "CauseRule",
    "Clause",
    "Condition",
    "KnowledgeError",
    "Rule",
    "RuleText",
    "catalogue",
    "catalogue_from_data",
    "core_data",
    "load_catalogue",
    "prose_data",
]

T = TypeVar("T")

KNOWLEDGE_DIR = Path(__file__).parent.parent / "knowledge"
_DATA_FILES = frozenset(
    {
        "closing.toml",
        "placeholders.toml",
        "evidence.toml",
        "evidence_client.toml",
        "regions.toml",
        "ui.toml",
    },
)

#: The kinds of client-side failure a ``client`` clause may name: every kind
#: ``_pipeline/client_context.classify()`` gives, and ``batch-errors`` (a batch call's per-key
#: errors, which arrive as data: ``_pipeline/parts.py``). A misspelt kind fails loading.
CLIENT_FAILURE_KINDS = (
    "proxy",
    "tls",
    "dns",
    "connect-timeout",
    "read-timeout",
    "body-interrupted",
    "connection-refused",
    "connection-reset",
    "parts-failed",
    "credentials-missing",
    "bucket-name-invalid",
    "region-invalid",
    "not-utf8",
    "header-value-type",
    "too-many-open-files",
    "proxy-scheme",
    "proxy-auth",
    "tls-plain-port",
    "tls-expired",
    "tls-hostname",
    "tls-untrusted",
    "body-not-rewindable",
    "file-missing",
    "file-is-directory",
    "file-permission",
    "file-read-only",
    "sdk-check",
    "unclassified",
    "batch-errors",
)

# Korean pages are the international pages' Korean edition, under the same page id.
_INTERNATIONAL_PAGE = re.compile(
    r"^https://(?:intl\.cloud\.tencent\.com|www\.tencentcloud\.com)/document/"
)
_KOREAN_PAGE = "https://www.tencentcloud.com/ko/document/"
_DIAGNOSIS_TOOL = "console.cloud.tencent.com/cos5/diagnose"

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
        "subresource",  # the bucket sub-resource (_pipeline/subresource.py)
        # Client-side failures and helpers (_pipeline/client_context.py, _pipeline/parts.py).
        "host",
        "parts_summary",
        "parts_counted",
        "upload_id",
        # The SDK's own checks: the value the check refused (_hook/checks.py).
        "given",
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


@frozen
class Clause:
    """One way a rule can match; every field that is set must hold."""

    status: int | None = None
    status_class: str | None = None
    code: str | None = None
    message: str | None = None
    message_pattern: str | None = None
    post_object: bool | None = None
    method: str | None = None
    key_pattern: str | None = None
    client: str | None = None  # the kind of client-side failure (CLIENT_FAILURE_KINDS)

    # Compiled on the first test of the clause, not at load: most clauses are never tested in
    # a process (matching looks at the clauses of the reply's Code only).
    @Lazy
    def message_regex(self) -> re.Pattern[str] | None:
        """``message_pattern`` compiled, case-insensitive (values quoted back keep their case)."""
        return _compiled(self.message_pattern, re.IGNORECASE)

    @Lazy
    def key_regex(self) -> re.Pattern[str] | None:
        """``key_pattern`` compiled, case-sensitive: object keys are case-sensitive in COS."""
        return _compiled(self.key_pattern, 0)

    @property
    def score(self) -> int:
        """How specific the clause is; the best-scoring match wins (README: Specificity)."""
        return (
            8 * (self.message is not None)
            + 4 * (self.client is not None)
            + 6 * (self.message_pattern is not None)
            + 6 * (self.key_pattern is not None)
            + 4 * (self.code is not None)
            + 2 * (self.post_object is not None)
            + 2 * (self.method is not None)
            + 1 * (self.status is not None)
        )


def _compiled(pattern: str | None, flags: int) -> re.Pattern[str] | None:
    return None if pattern is None else re.compile(pattern, flags)


@frozen
class RuleText:
    """A rule's prose in one locale.

    ``botocore_cause`` and ``botocore_steps`` word the same fix for a call that came through
    boto3 / botocore (COS's S3-compatible API), where the COS SDK's settings, calls and
    ``q-*`` signature fields do not exist; empty when the SDK's wording serves both.
    """

    title: str
    cause: str
    steps: tuple[str, ...]
    docs: tuple[str, ...]
    botocore_cause: str = ""
    botocore_steps: tuple[str, ...] = ()

    def worded_for(self, *, botocore: bool) -> tuple[str, tuple[str, ...]]:
        """The cause and steps for a call through the COS SDK, or through botocore."""
        if botocore:
            return self.botocore_cause or self.cause, self.botocore_steps or self.steps
        return self.cause, self.steps

    def prose(self) -> tuple[str, ...]:
        """Every sentence of this locale's prose, the botocore wording included (for checks)."""
        return (self.title, self.cause, *self.steps, self.botocore_cause, *self.botocore_steps)


@frozen
class Example:
    """An input a rule must win; used by the tests and by ``cos-doctor rules --examples``."""

    status: int | None
    code: str | None
    message: str | None
    post_object: bool
    method: str | None
    key: str | None = None  # the object key as the request sent it, for key_regex clauses
    client: str | None = None  # the kind of client-side failure, for client clauses


@frozen
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


@frozen
class CauseRule:
    """One documented cause of a rule's error, and the evidence that makes it likely."""

    id: str
    texts: dict[str, str]
    likely_when: tuple[Condition, ...] = ()
    ruled_out_when: tuple[Condition, ...] = ()


@frozen
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


@frozen
class Catalogue:
    """Every rule plus the shared wording tables, indexed for matching."""

    rules: tuple[Rule, ...]
    placeholders: dict[str, dict[str, str]]
    evidence_text: dict[str, dict[str, str]]
    labels: dict[str, dict[str, str]]
    regions: tuple[str, ...] = ()  # the COS regions of regions.toml, for the region evidence

    @Lazy
    def clauses_by_code(self) -> dict[str | None, tuple[tuple[Clause, Rule], ...]]:
        """Clauses grouped by the server Code they require (None: no Code required)."""
        index: dict[str | None, list[tuple[Clause, Rule]]] = {}
        for rule in self.rules:
            for clause in rule.clauses:
                index.setdefault(clause.code, []).append((clause, rule))
        return {code: tuple(pairs) for code, pairs in index.items()}


# Read from the compiled prose on first access (see catalogue_from_data): what only a worded
# Diagnosis, the command line and the tests need.
_PROSE_FIELDS = {
    Rule: ("source", "examples", "file"),
    RuleText: ("title", "cause", "steps", "botocore_cause", "botocore_steps"),
    CauseRule: ("texts",),
    Catalogue: ("labels",),
}


class _Later:
    """A field read from the compiled prose on first access, then stored like any other.

    A non-data descriptor: once the value sits in the instance dictionary (always, for an
    instance built from the TOML), attribute lookup never reaches it.
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __get__(self, instance: object, owner: type) -> Any:
        if instance is None:
            return self
        state = instance.__dict__
        later = state.get("_later")
        if later is not None:  # two threads may both read it: the same values
            state.update(later())
            state.pop("_later", None)
        try:
            return state[self._name]
        except KeyError:
            raise AttributeError(self._name) from None


for _class, _names in _PROSE_FIELDS.items():
    for _name in _names:
        setattr(_class, _name, _Later(_name))
del _class, _names, _name


@functools.cache
def catalogue() -> Catalogue:
    """The installed knowledge base; cached, so only the first failure pays for it.

    Read from the compiled copy, which was validated when it was written, so nothing is
    checked here (``tests/test_knowledge_sources.py`` keeps the copy in step with the TOML);
    its prose (``compiled_prose.json``) is read when first needed. Without a readable copy,
    the TOML itself is loaded and validated.
    """
    data = read_compiled(KNOWLEDGE_DIR)
    if data is None:
        return load_catalogue(KNOWLEDGE_DIR)
    directory = KNOWLEDGE_DIR
    return catalogue_from_data(data, lambda: _prose_of(directory))


def _prose_of(directory: Path) -> dict[str, Any]:
    """The compiled prose in ``directory``; without a readable one, the TOML's, validated."""
    return read_compiled(directory, PROSE_NAME) or prose_data(load_catalogue(directory))


def load_catalogue(directory: Path) -> Catalogue:
    """Load and validate every ``*.toml`` in ``directory``; KnowledgeError on any schema problem.

    The tests and the compile tool (``tools/compile_knowledge.py``) load the knowledge this
    way; a process reads the compiled copy (:func:`catalogue`).
    """
    sources = parse_toml(directory)
    closing = _closing_steps(_table(sources, "closing.toml"))
    rules: list[Rule] = []
    for name, data in sources.items():
        if name in _DATA_FILES:
            continue
        unknown = set(data) - {"rule"}
        if unknown:
            raise KnowledgeError(f"{name}: unknown top-level keys {sorted(unknown)}")
        rules.extend(_rule(name, raw, closing) for raw in data.get("rule", []))
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
        regions=_regions(_table(sources, "regions.toml")),
    )


# The compiled form: two JSON documents (``_knowledge/sources.py``), written by
# ``tools/compile_knowledge.py`` from a validated catalogue, read back unchecked.


def core_data(rules: Catalogue) -> dict[str, Any]:
    """What matching, the evidence and the event read (``compiled.json``), in catalogue order."""
    return {
        "format": COMPILED_FORMAT,
        "rules": [
            {
                "id": rule.id,
                "clauses": [_set_fields(clause) for clause in rule.clauses],
                "generic": rule.generic,
                "fallback": rule.fallback,
                "docs": {locale: list(text.docs) for locale, text in rule.texts.items()},
                "causes": [
                    {
                        "id": cause.id,
                        "likely_when": [_set_fields(c) for c in cause.likely_when],
                        "ruled_out_when": [_set_fields(c) for c in cause.ruled_out_when],
                    }
                    for cause in rule.causes
                ],
            }
            for rule in rules.rules
        ],
        "placeholders": rules.placeholders,
        "evidence_text": rules.evidence_text,
        "regions": list(rules.regions),
    }


def _set_fields(record: Clause | Condition) -> dict[str, Any]:
    """The fields that differ from their defaults (most of a clause's are unset)."""
    return {
        field.name: getattr(record, field.name)
        for field in dataclasses.fields(record)
        if getattr(record, field.name) != field.default
    }


def prose_data(rules: Catalogue) -> dict[str, Any]:
    """The rules' prose and details (``compiled_prose.json``), by rule id in catalogue order."""
    return {
        "format": COMPILED_FORMAT,
        "rules": {
            rule.id: {
                "source": rule.source,
                "file": rule.file,
                "examples": [dataclasses.asdict(example) for example in rule.examples],
                "texts": {locale: _prose_text(text) for locale, text in rule.texts.items()},
                "causes": {cause.id: cause.texts for cause in rule.causes},
            }
            for rule in rules.rules
        },
        "labels": rules.labels,
    }


def _prose_text(text: RuleText) -> dict[str, Any]:
    """One locale's prose; the botocore wording only where a rule has one."""
    data: dict[str, Any] = {"title": text.title, "cause": text.cause, "steps": list(text.steps)}
    if text.botocore_cause:
        data["botocore_cause"] = text.botocore_cause
    if text.botocore_steps:
        data["botocore_steps"] = list(text.botocore_steps)
    return data


def catalogue_from_data(data: dict[str, Any], prose: Callable[[], dict[str, Any]]) -> Catalogue:
    """The catalogue from its compiled form, unchecked; ``prose`` read on first access of any.

    ``data`` is :func:`core_data`'s document, ``prose`` returns :func:`prose_data`'s.
    """
    later = _Prose(prose)
    return _deferred(
        Catalogue,
        later.labels,
        rules=tuple(_rule_from_data(rule, later) for rule in data["rules"]),
        placeholders=data["placeholders"],
        evidence_text=data["evidence_text"],
        regions=tuple(data["regions"]),
    )


class _Prose:
    """The compiled prose, read once on first use (no lock: a second reader reads the same)."""

    def __init__(self, read: Callable[[], dict[str, Any]]) -> None:
        self._read = read

    @Lazy
    def data(self) -> dict[str, Any]:
        """The whole document."""
        return self._read()

    def labels(self) -> dict[str, Any]:
        return {"labels": self.data["labels"]}

    def rule(self, rule_id: str) -> dict[str, Any]:
        found = self.data["rules"][rule_id]
        return {
            "source": found["source"],
            "examples": tuple(Example(**example) for example in found["examples"]),
            "file": found["file"],
        }

    def text(self, rule_id: str, locale: str) -> dict[str, Any]:
        found = self.data["rules"][rule_id]["texts"][locale]
        return {
            "title": found["title"],
            "cause": found["cause"],
            "steps": tuple(found["steps"]),
            "botocore_cause": found.get("botocore_cause", ""),
            "botocore_steps": tuple(found.get("botocore_steps", ())),
        }

    def cause(self, rule_id: str, cause_id: str) -> dict[str, Any]:
        return {"texts": self.data["rules"][rule_id]["causes"][cause_id]}


def _deferred(cls: type[T], later: Callable[[], dict[str, Any]], **known: Any) -> T:
    """An instance of ``cls`` holding ``known``; its prose fields come from ``later()``."""
    instance = object.__new__(cls)
    object.__setattr__(instance, "__dict__", {**known, "_later": later})
    return instance


def _rule_from_data(data: dict[str, Any], later: _Prose) -> Rule:
    rule_id = data["id"]
    return _deferred(
        Rule,
        functools.partial(later.rule, rule_id),
        id=rule_id,
        clauses=tuple(Clause(**clause) for clause in data["clauses"]),
        texts={
            locale: _deferred(
                RuleText, functools.partial(later.text, rule_id, locale), docs=tuple(docs)
            )
            for locale, docs in data["docs"].items()
        },
        generic=data["generic"],
        fallback=data["fallback"],
        causes=tuple(
            _deferred(
                CauseRule,
                functools.partial(later.cause, rule_id, cause["id"]),
                id=cause["id"],
                likely_when=tuple(_condition_from_data(c) for c in cause["likely_when"]),
                ruled_out_when=tuple(_condition_from_data(c) for c in cause["ruled_out_when"]),
            )
            for cause in data["causes"]
        ),
    )


def _condition_from_data(data: dict[str, Any]) -> Condition:
    return Condition(
        evidence=data["evidence"],
        values=tuple(data.get("values", ())),
        prefixes=tuple(data.get("prefixes", ())),
        below=data.get("below"),
    )


def _regions(table: dict[str, Any]) -> tuple[str, ...]:
    regions = table.get("regions")
    if not isinstance(regions, list) or not all(isinstance(name, str) for name in regions):
        raise KnowledgeError("regions.toml: regions must be a list of region names")
    return tuple(regions)


def _closing_steps(table: dict[str, Any]) -> dict[str, str]:
    """``closing.toml``: the last step of a rule of a COS reply, one sentence per locale."""
    texts = table.get("step")
    if not isinstance(texts, dict) or set(texts) != set(SUPPORTED_LOCALES):
        raise KnowledgeError(f"closing.toml: needs a [step] table with {SUPPORTED_LOCALES}")
    _same_placeholders("closing.toml: step", texts, frozenset({"request_id"}))
    return texts


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


def _rule(file: str, raw: dict[str, Any], closing: dict[str, str]) -> Rule:
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
        "closing_step",
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
        # Korean docs are derived from the English ones (the same page ids), never written.
        locale: _text(f"{where} [{locale}]", raw.get(locale), group_names, has_docs=locale != "ko")
        for locale in SUPPORTED_LOCALES
    }
    # A rule of a COS reply ends by sending the user to the Diagnosis Tool with the RequestId,
    # then to support (closing.toml), unless it writes its own last step (closing_step = false).
    # Client-side failures never reached COS: they have no RequestId to look up.
    answers_a_reply = not all(clause.client for clause in clauses)
    if raw.get("closing_step", answers_a_reply):
        for locale, text in texts.items():
            if any(_DIAGNOSIS_TOOL in step for step in (*text.steps, *text.botocore_steps)):
                raise KnowledgeError(
                    f"{where} [{locale}]: a step names the Diagnosis Tool, and the closing step "
                    "(closing.toml) says it again: set closing_step = false or drop the step",
                )
        texts = {locale: _closed(text, closing[locale]) for locale, text in texts.items()}
    texts["ko"] = dataclasses.replace(
        texts["ko"],
        docs=tuple(_INTERNATIONAL_PAGE.sub(_KOREAN_PAGE, link) for link in texts["en"].docs),
    )
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


def _closed(text: RuleText, closing: str) -> RuleText:
    """``text`` with the closing step after its steps, and after its botocore steps if any."""
    botocore = (*text.botocore_steps, closing) if text.botocore_steps else ()
    return dataclasses.replace(text, steps=(*text.steps, closing), botocore_steps=botocore)


def _same_shape(where: str, texts: dict[str, RuleText], allowed: frozenset[str]) -> None:
    """Every locale says the same thing: as many steps, the same placeholders in each part.

    The botocore wording too: every locale has it or none, with as many steps.
    """
    _same_placeholders(f"{where} title", {k: t.title for k, t in texts.items()}, allowed)
    _same_wording(
        f"{where}",
        {locale: (text.cause, text.steps) for locale, text in texts.items()},
        allowed,
    )
    _same_wording(
        f"{where} botocore",
        {locale: (text.botocore_cause, text.botocore_steps) for locale, text in texts.items()},
        allowed,
    )


def _same_wording(
    where: str, wordings: dict[str, tuple[str, tuple[str, ...]]], allowed: frozenset[str]
) -> None:
    """One cause and its steps in every locale: all given or none, with the same shape."""
    causes = {locale: cause for locale, (cause, _) in wordings.items()}
    if len({bool(cause) for cause in causes.values()}) > 1:
        raise KnowledgeError(f"{where} cause given in some locales only")
    _same_placeholders(f"{where} cause", causes, allowed)
    counts = {locale: len(steps) for locale, (_, steps) in wordings.items()}
    if len(set(counts.values())) > 1:
        raise KnowledgeError(f"{where}: locales have different numbers of steps {counts}")
    for number in range(min(counts.values())):
        _same_placeholders(
            f"{where} step {number + 1}",
            {locale: steps[number] for locale, (_, steps) in wordings.items()},
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
    message_pattern = _regex(where, "message_regex", raw.get("message_regex"))
    key_pattern = _regex(where, "key_regex", raw.get("key_regex"))
    client = _client_kind(where, raw.get("client"))
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
        message_pattern=message_pattern,
        post_object=raw.get("post_object"),
        method=method.upper() if method else None,
        key_pattern=key_pattern,
        client=client,
    )


def _regex(where: str, name: str, pattern: str | None) -> str | None:
    """``pattern`` after checking that it compiles (the clause compiles it again on first use)."""
    if pattern is None:
        return None
    try:
        re.compile(pattern)
    except re.error as error:
        raise KnowledgeError(f"{where}: bad {name} {pattern!r}: {error}") from error
    return pattern


def _client_kind(where: str, kind: str | None) -> str | None:
    if kind is not None and kind not in CLIENT_FAILURE_KINDS:
        raise KnowledgeError(
            f"{where}: unknown client kind {kind!r} (one of {', '.join(CLIENT_FAILURE_KINDS)})",
        )
    return kind


def _text(
    where: str, raw: dict[str, Any] | None, group_names: set[str], *, has_docs: bool
) -> RuleText:
    if raw is None:
        raise KnowledgeError(f"{where}: locale missing")
    fields = _TEXT_FIELDS if has_docs else _TEXT_FIELDS - {"docs"}
    if set(raw) - {"botocore"} != fields:
        raise KnowledgeError(f"{where}: needs exactly {sorted(fields)}, has {sorted(raw)}")
    steps = tuple(raw["steps"])
    docs = tuple(raw.get("docs", ()))
    if not raw["title"] or not raw["cause"] or not steps:
        raise KnowledgeError(f"{where}: title, cause and steps must not be empty")
    botocore = raw.get("botocore", {})
    if "botocore" in raw and not _botocore_wording(botocore):
        raise KnowledgeError(f"{where}: [botocore] takes a non-empty cause, steps or both")
    botocore_cause = botocore.get("cause", "")
    botocore_steps = tuple(botocore.get("steps", ()))
    allowed = REQUEST_PLACEHOLDERS | group_names
    for text in (raw["title"], raw["cause"], *steps, botocore_cause, *botocore_steps):
        for name in placeholder_names(text):
            if name not in allowed:
                raise KnowledgeError(f"{where}: unknown placeholder {{{name}}} in {text!r}")
    return RuleText(
        title=raw["title"],
        cause=raw["cause"],
        steps=steps,
        docs=docs,
        botocore_cause=botocore_cause,
        botocore_steps=botocore_steps,
    )


def _botocore_wording(raw: Any) -> bool:
    """Whether ``raw`` is a ``[rule.<locale>.botocore]`` table: a cause, steps or both."""
    if not isinstance(raw, dict) or not raw or set(raw) - {"cause", "steps"}:
        return False
    steps = raw.get("steps", ["-"])
    cause = raw.get("cause", "-")
    return (
        isinstance(cause, str)
        and bool(cause)
        and isinstance(steps, list)
        and bool(steps)
        and all(isinstance(step, str) and step for step in steps)
    )


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
        client=_client_kind(where, raw.get("client")),
    )


def placeholder_names(text: str) -> list[str]:
    """Return the ``{name}`` placeholders in ``text`` (``{{`` and ``}}`` are literal braces)."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
