"""Frozen value classes that cost nothing to define: :func:`frozen`.

``@dataclass(frozen=True)`` writes six methods per class as source text and compiles them
while its module is imported: about 0.5 ms a class on Python 3.11, and some 25 classes sit on
the path of a process's first failure. :func:`frozen` gives the same class (a dataclass to
``dataclasses.fields``, ``replace`` and ``asdict``; built, compared, hashed, shown, pickled
and refused changes the same way) from methods written once, here: nothing is compiled.
"""

from __future__ import annotations

import dataclasses
import inspect
import operator
import reprlib
from typing import TYPE_CHECKING, Any, Callable, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_options: object) -> Callable[[T], T]:
        """Read by type checkers only (``typing_extensions``'s, while checking)."""
        return lambda function: function


__all__ = ["frozen"]

T = TypeVar("T")
_MISSING = dataclasses.MISSING


class _Factory:
    """How a field with a default factory shows in the signature, as dataclasses show it."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(cls: type[T]) -> type[T]:
    """Make ``cls`` a frozen dataclass, as ``@dataclass(frozen=True)`` would, without compiling.

    Supports defaults, ``field(default_factory=, repr=, compare=, hash=)``, ``InitVar`` and
    ``__post_init__``; not ``init=False`` fields, ``kw_only`` or ``slots``.
    """
    # The fields only (no init, repr or eq asked): dataclasses compiles nothing for these.
    dataclasses.dataclass(cls, init=False, repr=False, eq=False)
    every: dict[str, dataclasses.Field[Any]] = cls.__dataclass_fields__  # type: ignore[attr-defined]
    kept = [field for field in every.values() if _kind(field) is dataclasses._FIELD]  # type: ignore[attr-defined]  # noqa: SLF001
    passed = [field for field in every.values() if _kind(field) is not dataclasses._FIELD_CLASSVAR]  # type: ignore[attr-defined]  # noqa: SLF001
    if any(not field.init or getattr(field, "kw_only", False) is True for field in passed):
        message = f"{cls.__qualname__}: frozen() supports neither init=False nor kw_only fields"
        raise TypeError(message)
    _set(cls, "__init__", _initializer(cls, passed, kept))
    _set(cls, "__repr__", _representer([field.name for field in kept if field.repr]))
    compared = _key([field.name for field in kept if field.compare])
    _set(cls, "__eq__", _comparer(compared))
    written = cls.__dict__.get("__hash__", _MISSING)
    # As dataclasses decide: a class writing __eq__ alone got __hash__ = None from Python.
    if written is _MISSING or (written is None and "__eq__" in cls.__dict__):
        hashed = [f.name for f in kept if (f.compare if f.hash is None else f.hash)]
        cls.__hash__ = _hasher(_key(hashed))  # type: ignore[assignment,method-assign]
    for name in ("__setattr__", "__delattr__"):
        if name in cls.__dict__:
            message = f"Cannot overwrite attribute {name} in class {cls.__name__}"
            raise TypeError(message)
    cls.__setattr__ = _refuse_assignment(cls, frozenset(every))  # type: ignore[method-assign]
    cls.__delattr__ = _refuse_deletion(cls, frozenset(every))  # type: ignore[method-assign]
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    params.init = params.repr = params.eq = params.frozen = True
    cls.__signature__ = _Signature(passed)  # type: ignore[attr-defined]
    return cls


def _kind(field: dataclasses.Field[Any]) -> object:
    """A field, an InitVar or a ClassVar: dataclasses' own private mark of it."""
    return field._field_type  # type: ignore[attr-defined]  # noqa: SLF001


def _set(cls: type, name: str, method: Callable[..., Any]) -> None:
    """As dataclasses do: a method the class writes itself is kept."""
    if name not in cls.__dict__:
        method.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, method)


def _initializer(  # noqa: C901 - the checks of one __init__, inlined: it runs per instance
    cls: type, passed: list[dataclasses.Field[Any]], kept: list[dataclasses.Field[Any]]
) -> Callable[..., None]:
    names = tuple(field.name for field in passed)
    # Every argument in declaration order, with its default or a marker: a copy updated with
    # the arguments is the instance's dictionary, in the order a dataclass' __init__ fills it.
    template: dict[str, Any] = {field.name: _marker(field) for field in passed}
    required = tuple(name for name, value in template.items() if value is _MISSING)
    factories: tuple[tuple[str, Callable[[], Any]], ...] = tuple(
        (field.name, field.default_factory)  # type: ignore[misc]  # has one: marked _FACTORY
        for field in passed
        if template[field.name] is _FACTORY
    )
    stored = {field.name for field in kept}
    extras = tuple(name for name in names if name not in stored)  # InitVars, for __post_init__
    post_init = getattr(cls, "__post_init__", None)
    size = len(names)
    set_state = object.__setattr__

    def __init__(self: Any, /, *args: Any, **kwargs: Any) -> None:  # noqa: N807, C901
        if args:
            if len(args) > size or not kwargs.keys().isdisjoint(names[: len(args)]):
                _refuse_call(cls, args, kwargs)
            state = template.copy()
            state.update(zip(names, args))
            state.update(kwargs)
        else:  # keywords only, as records are nearly always built: one merge
            state = {**template, **kwargs}
        if len(state) != size:  # a keyword that names no field
            _refuse_call(cls, args, kwargs)
        if len(args) + len(kwargs) < size:  # else every field was given: none left to check
            for name in required:
                if state[name] is _MISSING:
                    _refuse_call(cls, args, kwargs)
            for name, factory in factories:
                if state[name] is _FACTORY:
                    state[name] = factory()
        if extras:
            values = tuple(map(state.pop, extras))
            set_state(self, "__dict__", state)
            if post_init is not None:
                post_init(self, *values)
            return
        set_state(self, "__dict__", state)
        if post_init is not None:
            post_init(self)

    return __init__


def _marker(field: dataclasses.Field[Any]) -> Any:
    """A field's default; else whether it has a factory or is required."""
    if field.default_factory is not _MISSING:
        return _FACTORY
    return field.default


def _refuse_call(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Raise the TypeError the call's arguments deserve (binding them says which)."""
    inspect.signature(cls).bind(*args, **kwargs)
    message = f"{cls.__qualname__}() got arguments it cannot take"  # pragma: no cover
    raise TypeError(message)  # pragma: no cover - binding has raised already


class _Signature:
    """The signature ``inspect`` and ``help()`` show, a dataclass's: built when first read."""

    def __init__(self, passed: list[dataclasses.Field[Any]]) -> None:
        self._passed = passed
        self._built: inspect.Signature | None = None

    def __get__(self, instance: object, owner: type) -> inspect.Signature:
        if self._built is None:
            self._built = inspect.Signature(
                [
                    inspect.Parameter(
                        field.name,
                        inspect.Parameter.POSITIONAL_OR_KEYWORD,
                        default=_default(field),
                        annotation=field.type,
                    )
                    for field in self._passed
                ],
                return_annotation=None,
            )
        return self._built


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default_factory is not _MISSING:
        return _FACTORY
    return inspect.Parameter.empty if field.default is _MISSING else field.default


def _key(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of ``names``' values, as dataclasses compare and hash them."""
    if not names:
        return lambda _: ()
    getter = operator.attrgetter(*names)
    if len(names) == 1:
        return lambda instance: (getter(instance),)
    return getter


def _representer(names: list[str]) -> Callable[[Any], str]:
    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:  # noqa: N807
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({shown})"

    return __repr__


def _comparer(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, object], Any]:
    def __eq__(self: Any, other: object) -> Any:  # noqa: N807
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _hasher(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:  # noqa: N807
        return hash(key(self))

    return __hash__


def _refuse_assignment(cls: type[Any], names: frozenset[str]) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: Any, name: str, value: Any) -> None:  # noqa: N807
        if type(self) is cls or name in names:
            message = f"cannot assign to field {name!r}"
            raise dataclasses.FrozenInstanceError(message)
        super(cls, self).__setattr__(name, value)

    return __setattr__


def _refuse_deletion(cls: type[Any], names: frozenset[str]) -> Callable[[Any, str], None]:
    def __delattr__(self: Any, name: str) -> None:  # noqa: N807
        if type(self) is cls or name in names:
            message = f"cannot delete field {name!r}"
            raise dataclasses.FrozenInstanceError(message)
        super(cls, self).__delattr__(name)

    return __delattr__
