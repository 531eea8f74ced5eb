"""Find every regex cos_doctor compiles and measure how its cost grows on hostile text.

Used by ``tests/test_linear_time.py`` (small sizes, a few seconds) and by
``benchmarks/regex_scaling.py`` (the 1 KB to 1 MB sweep, by hand).

* :func:`all_patterns`: module-level ``re.Pattern`` objects of every cos_doctor module (the
  emulator included), also inside module-level tuples, lists, sets and dicts; every literal
  pattern handed to a ``re`` function anywhere in the source (inline ``re.search(r"…")``);
  and the knowledge base's ``message_regex`` / ``key_regex``.
* :func:`shapes`: the classic pathological inputs for one pattern, read from its parse tree:
  a long run of each character its repeats accept, and every literal run, and each chain of
  the literal runs of one sequence, repeated (``Header part () from `` for
  ``Header part \\(.*\\) from .*``), each with and without a character that fails at the end.
* :func:`growth`: how much longer a search takes on 4x the text; escalates to larger sizes
  only while the growth looks superlinear.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # the parser moved in 3.11; importing sre_parse there warns
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_parse  # type: ignore[no-redef]

import cos_doctor

_RE_FUNCTIONS = frozenset(
    {"compile", "search", "match", "fullmatch", "sub", "subn", "findall", "finditer", "split"},
)
# Characters tried against every repeated character class, after the pattern's own literals.
_ALPHABET = "aZ0_-. \t\n/:@'\"<>()[]{};,=%&\\!#é中“：（\x00"
_MAX_CHARS = 8  # distinct run characters per pattern
_MAX_CHAINS = 12  # literal pieces and chains per pattern
_SUFFIXES = ("", "\x00")  # the run as it is, and followed by a character few patterns accept
LINEAR = 6.0  # 4x the text in under 6x the time: linear (quadratic reads 16, cubic 64)
# At the largest size tried, a ratio above this fails. Quadratic patterns read 10-35 here for
# 4x the text (1 KB to 4 KB: not yet the asymptotic 16), linear code 3-5.
SUPERLINEAR = 8.0
_FLOOR = 2e-6  # seconds; smaller timings are the timer's noise


@dataclass(frozen=True)
class Found:
    """One pattern and where it was found."""

    where: str
    pattern: re.Pattern[str]


def all_patterns() -> list[Found]:
    """Every distinct pattern cos_doctor compiles, from its modules and its knowledge base."""
    seen: dict[tuple[str, int], Found] = {}
    for found in (*_module_patterns(), *_inline_patterns(), *_knowledge_patterns()):
        seen.setdefault((found.pattern.pattern, found.pattern.flags), found)
    return list(seen.values())


def _modules() -> Iterator[Any]:
    yield cos_doctor
    for info in pkgutil.walk_packages(cos_doctor.__path__, "cos_doctor."):
        if info.name.rsplit(".", 1)[-1] != "__main__":  # running it would start the CLI
            yield importlib.import_module(info.name)


def _module_patterns() -> Iterator[Found]:
    for module in _modules():
        for name, value in vars(module).items():
            for pattern in _patterns_in(value, depth=5):
                yield Found(f"{module.__name__}.{name}", pattern)


def _patterns_in(value: Any, depth: int) -> Iterator[re.Pattern[str]]:
    if isinstance(value, re.Pattern):
        if isinstance(value.pattern, str):
            yield value
        return
    owner = getattr(value, "__self__", None)  # a pattern's bound search method
    if isinstance(owner, re.Pattern):
        yield from _patterns_in(owner, depth)
        return
    if depth == 0 or isinstance(value, (str, bytes)):
        return
    if isinstance(value, dict):
        items: Any = [*value.keys(), *value.values()]
    elif isinstance(value, (tuple, list, set, frozenset)):
        items = value
    else:
        return
    for item in items:
        yield from _patterns_in(item, depth - 1)


def _inline_patterns() -> Iterator[Found]:
    """Literal patterns passed to ``re`` functions anywhere, module level or not."""
    root = Path(cos_doctor.__file__).parent
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.func.attr in _RE_FUNCTIONS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                continue
            flags = next((k.value for k in node.keywords if k.arg == "flags"), None)
            if flags is None and node.func.attr == "compile" and len(node.args) > 1:
                flags = node.args[1]
            where = f"{path.relative_to(root.parent)}:{node.lineno}"
            yield Found(where, re.compile(node.args[0].value, _flags(flags)))


def _flags(node: ast.expr | None) -> int:
    """``re.I | re.DOTALL`` and the like, read from the source (0 when absent)."""
    if node is None:
        return 0
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "re"
    ):
        return int(getattr(re, node.attr))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _flags(node.left) | _flags(node.right)
    raise AssertionError(f"flags the audit cannot read: {ast.dump(node)}")


def _knowledge_patterns() -> Iterator[Found]:
    from cos_doctor._knowledge.catalogue import catalogue

    for rule in catalogue().rules:
        for clause in rule.clauses:
            for name in ("message_regex", "key_regex"):
                pattern = getattr(clause, name)
                if pattern is not None:
                    yield Found(f"knowledge {rule.id} {name}", pattern)


# --------------------------------------------------------------------------------- shapes


def shapes(pattern: re.Pattern[str]) -> list[str]:
    """Units whose repetition is the classic pathological input for ``pattern``."""
    parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    chars: list[str] = []
    chains: list[str] = []
    _walk(list(parsed), pattern.flags, chars, chains, repeated=False)
    own = [c for c in dict.fromkeys("".join(chains)) if c in chars]
    picked = list(dict.fromkeys([*own, *chars]))[:_MAX_CHARS]
    units = [*picked, *list(dict.fromkeys(chains))[:_MAX_CHAINS]]
    return [unit + suffix for unit in units for suffix in _SUFFIXES]


def _walk(
    items: list[Any], flags: int, chars: list[str], chains: list[str], *, repeated: bool
) -> None:
    """Collect literal runs (and their chains) and the characters repeats accept."""
    runs: list[str] = []
    current = ""
    for op, value in items:
        name = op.name
        if name == "LITERAL":
            current += chr(value)
            continue
        if current:
            runs.append(current)
            current = ""
        if name in ("IN", "ANY", "NOT_LITERAL"):
            if repeated:
                chars.extend(
                    c for c in _ALPHABET if _accepts(name, value, c, flags) and c not in chars
                )
            continue
        inner_repeated = repeated or name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
        for inner in _inner(name, value):
            _walk(list(inner), flags, chars, chains, repeated=inner_repeated)
    if current:
        runs.append(current)
    chains.extend(runs)
    chains.extend("".join(runs[:count]) for count in range(2, len(runs) + 1))


_CHILDREN = {
    "MAX_REPEAT": lambda value: [value[2]],
    "MIN_REPEAT": lambda value: [value[2]],
    "POSSESSIVE_REPEAT": lambda value: [value[2]],
    "SUBPATTERN": lambda value: [value[-1]],
    "BRANCH": lambda value: list(value[1]),
    "ASSERT": lambda value: [value[1]],
    "ASSERT_NOT": lambda value: [value[1]],
    "ATOMIC_GROUP": lambda value: [value],
    "GROUPREF_EXISTS": lambda value: [branch for branch in value[1:] if branch is not None],
}


def _inner(name: str, value: Any) -> list[Any]:
    """The sub-sequences of one node of the parse tree."""
    children = _CHILDREN.get(name)
    return children(value) if children is not None else []


def _accepts(op: str, value: Any, char: str, flags: int) -> bool:
    """Whether one character-consuming node of the parse tree accepts ``char``."""
    if op == "ANY":
        return char != "\n" or bool(flags & re.DOTALL)
    if op == "NOT_LITERAL":
        return not _same(char, chr(value), flags)
    negate = False
    hit = False
    for kind, argument in value:
        kind_name = kind.name
        if kind_name == "NEGATE":
            negate = True
        elif kind_name == "LITERAL":
            hit = hit or _same(char, chr(argument), flags)
        elif kind_name == "RANGE":
            low, high = argument
            hit = hit or any(low <= ord(c) <= high for c in _cases(char, flags))
        elif kind_name == "CATEGORY":
            hit = hit or _in_category(argument.name, char)
    return hit != negate


def _cases(char: str, flags: int) -> set[str]:
    return {char, char.lower(), char.upper()} if flags & re.IGNORECASE else {char}


def _same(char: str, other: str, flags: int) -> bool:
    return other in _cases(char, flags)


def _in_category(category: str, char: str) -> bool:
    base = category.replace("CATEGORY_", "").replace("UNI_", "").replace("LOC_", "")
    negated = base.startswith("NOT_")
    base = base.removeprefix("NOT_")
    tests = {
        "DIGIT": char.isdecimal(),
        "SPACE": char.isspace(),
        "WORD": char.isalnum() or char == "_",
        "LINEBREAK": char == "\n",
    }
    return tests.get(base, False) != negated


# --------------------------------------------------------------------------------- growth


def searcher(pattern: re.Pattern[str]) -> Callable[[str], object]:
    """Every search of ``pattern`` along a text: its worst case, whatever the caller uses."""

    def run(text: str) -> object:
        return deque(pattern.finditer(text), maxlen=0)

    return run


def seconds(run: Callable[[str], object], text: str, repeats: int) -> float:
    """The fastest of ``repeats`` runs over ``text`` (anything else on the host only adds)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run(text)
        best = min(best, time.perf_counter() - start)
    return best


def text_of(unit: str, size: int) -> str:
    """``unit`` repeated to about ``size`` characters (a final NUL kept once, at the end)."""
    body, last = (unit[:-1], unit[-1]) if unit.endswith("\x00") and len(unit) > 1 else (unit, "")
    return body * max(1, size // len(body)) + last


def growth(
    run: Callable[[str], object],
    unit: str,
    *,
    start: int = 1024,
    largest: int = 64 * 1024,
    budget: float = 0.2,
) -> tuple[float, int]:
    """The time ratio for 4x the text, and the larger size it was read at.

    Starts at ``start`` characters and multiplies by four while the ratio looks superlinear,
    up to ``largest`` or until one run takes ``budget`` seconds. A quick reading per size
    first (the faster of two); a superlinear one is confirmed with the best of five before
    escalating.
    """
    size = start
    # Two runs each, the faster kept: one run stretched by a busy host can read as linear
    # growth (a stretched small run) as easily as superlinear (a stretched large one).
    small = seconds(run, text_of(unit, size), 2)
    while True:
        large = seconds(run, text_of(unit, 4 * size), 2)
        ratio = large / max(small, _FLOOR)
        if ratio < LINEAR:
            return ratio, 4 * size
        repeats = 5 if large < budget / 10 else 2
        small = seconds(run, text_of(unit, size), repeats)
        large = seconds(run, text_of(unit, 4 * size), repeats)
        ratio = large / max(small, _FLOOR)
        if ratio < LINEAR or 4 * size >= largest or large > budget:
            return ratio, 4 * size
        size *= 4
        small = large


def superlinear(
    run: Callable[[str], object], units: list[str], **sizes: int
) -> list[tuple[str, float, int]]:
    """The units on which ``run`` grows faster than linearly: (unit, ratio, size)."""
    found = []
    for unit in units:
        ratio, size = growth(run, unit, **sizes)
        if ratio >= SUPERLINEAR:
            # Measured again from the start before it counts: a busy host can stretch one
            # reading (a linear scanner read 10 once at a load average of 4), while a
            # superlinear pattern reads high every time.
            ratio = min(ratio, growth(run, unit, **sizes)[0])
        if ratio >= SUPERLINEAR:
            found.append((unit, ratio, size))
    return found


def sweep(run: Callable[[str], object], unit: str, sizes: tuple[int, ...]) -> list[float]:
    """Seconds per size (best of three): the by-hand 1 KB to 1 MB view."""
    return [seconds(run, text_of(unit, size), 3) for size in sizes]
