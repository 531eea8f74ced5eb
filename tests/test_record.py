"""A ``@frozen`` class behaves as the same class under ``@dataclass(frozen=True)``."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from dataclasses import InitVar, dataclass, field
from typing import Any, Callable

import pytest

from cos_doctor._record import frozen


def _make(name: str, decorate: Callable[[type], type]) -> Any:
    """The same class body under ``decorate``: defaults, a factory, hidden fields, an InitVar."""

    class Thing:
        """Under test."""

        name: str
        size: int = 0
        tags: tuple[str, ...] = ()
        extra: dict[str, str] = field(default_factory=dict, compare=False)
        secret: str | None = field(default=None, repr=False)
        scale: InitVar[int] = 1

        def __post_init__(self, scale: int) -> None:
            object.__setattr__(self, "size", self.size * scale)

    Thing.__name__ = Thing.__qualname__ = name  # a module-level name: pickle finds it
    return decorate(Thing)


Record = _make("Record", frozen)
Reference = _make("Reference", dataclass(frozen=True))
CALLS = [
    ((), {"name": "a"}),
    (("a",), {}),
    (("a", 2, ("x",)), {"secret": "s", "scale": 3}),
    (("a",), {"extra": {"k": "v"}, "size": 5}),
]
BAD_CALLS = [
    ((), {}),
    ((), {"name": "a", "colour": "red"}),
    (("a",), {"name": "b"}),
    (("a", 1, (), {}, None, 2, "too many"), {}),
]


def _both(args: tuple[object, ...], kwargs: dict[str, object]) -> tuple[Any, Any]:
    return Record(*args, **kwargs), Reference(*args, **kwargs)


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_built_shown_and_stored_alike(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    """The same arguments give the same fields, the same repr and the same instance dictionary."""
    record, reference = _both(args, kwargs)
    assert repr(record) == repr(reference).replace("Reference(", "Record(")
    assert list(vars(record).items()) == list(vars(reference).items())


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_compared_and_hashed_alike(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    """Equality ignores compare=False fields, other classes are not equal, hashes agree."""
    record, reference = _both(args, kwargs)
    twin = Record(*args, **{**kwargs, "extra": {"other": "value"}})
    assert record == twin
    assert hash(record) == hash(twin) == hash(reference)
    assert record != reference  # another class
    assert record != Record("another")


@pytest.mark.parametrize(("args", "kwargs"), BAD_CALLS)
def test_bad_calls_refused_alike(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    """Missing, unknown, repeated or surplus arguments raise TypeError, as a dataclass does."""
    with pytest.raises(TypeError):
        Reference(*args, **kwargs)
    with pytest.raises(TypeError):
        Record(*args, **kwargs)


def test_frozen_alike() -> None:
    """Assigning or deleting a field (or any attribute) raises FrozenInstanceError."""
    record = Record("a")
    for change in (
        lambda: setattr(record, "name", "b"),
        lambda: setattr(record, "new", 1),
        lambda: delattr(record, "name"),
    ):
        with pytest.raises(dataclasses.FrozenInstanceError):
            change()
    assert record.name == "a"


def test_dataclass_functions_alike() -> None:
    """fields(), replace(), asdict(), is_dataclass(), params and __match_args__ hold."""
    record, reference = _both(("a", 2), {"extra": {"k": "v"}})
    assert [f.name for f in dataclasses.fields(record)] == [
        f.name for f in dataclasses.fields(reference)
    ]
    assert dataclasses.is_dataclass(record)
    assert dataclasses.asdict(record) == dataclasses.asdict(reference)
    replaced = dataclasses.replace(record, name="b", scale=2)
    assert vars(replaced) == vars(dataclasses.replace(reference, name="b", scale=2))
    assert (replaced.name, replaced.size) == ("b", 4)
    assert getattr(Record, "__match_args__", None) == getattr(Reference, "__match_args__", None)
    params = Record.__dataclass_params__
    assert (params.init, params.repr, params.eq, params.frozen) == (True, True, True, True)


def test_signature_alike() -> None:
    """inspect and help() show the dataclass's signature."""
    assert str(inspect.signature(Record)) == str(inspect.signature(Reference))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickled_and_copied_alike(protocol: int) -> None:
    """Pickles (every protocol) and copies come back equal, frozen, with every field."""
    record = Record("a", 2, ("x",), extra={"k": "v"}, secret="s")
    for again in (
        pickle.loads(pickle.dumps(record, protocol)),
        copy.copy(record),
        copy.deepcopy(record),
    ):
        assert again == record
        assert vars(again) == vars(record)
        with pytest.raises(dataclasses.FrozenInstanceError):
            again.name = "b"


def _written(decorate: Callable[[type], type]) -> Any:
    class Written:  # noqa: PLW1641 - the decorator gives it its __hash__
        """Writes __repr__ and __eq__ itself."""

        name: str

        def __repr__(self) -> str:
            return "Written(…)"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Written) and other.name.lower() == self.name.lower()

    return decorate(Written)


def test_methods_the_class_writes_are_kept() -> None:
    """A class's own __repr__ and __eq__ stay, and its hash follows dataclasses' rule."""
    record, reference = _written(frozen)("A"), _written(dataclass(frozen=True))("A")
    assert repr(record) == repr(reference) == "Written(…)"
    assert record == type(record)("a")
    assert hash(record) == hash(("A",)) == hash(reference)
