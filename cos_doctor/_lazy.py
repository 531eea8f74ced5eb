"""An attribute computed on first read and kept, with no lock: safe across ``os.fork()``.

The standard library's cached property (``functools``, before Python 3.12) computes under
one lock per attribute, shared by every instance of the class. A process forked while another
thread computes inherits that lock held by a thread it does not have, and its first read waits
forever. Here two threads may compute the same value at once; the first one stored is the one
every reader gets, as with the standard one since 3.12.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Lazy"]

T = TypeVar("T")


class Lazy(Generic[T]):
    """Decorate a method to make it an attribute computed once per instance.

    The value goes into the instance's ``__dict__`` (frozen dataclasses included), where the
    next read finds it without calling this descriptor again.
    """

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self._compute = compute
        self._name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Lazy[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> Lazy[T] | T:
        if instance is None:
            return self
        value = self._compute(instance)
        return instance.__dict__.setdefault(self._name, value)  # type: ignore[no-any-return]
