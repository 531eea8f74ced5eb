"""Run a callback each time a module is executed: at its first import and at every reload.

wrapt's post-import hooks fire once per name and are then forgotten, so a module reloaded with
``importlib.reload`` (a fresh class, unpatched) would go unseen. This finder sits on
``sys.meta_path``, lets the real finders locate the module, and chains the real loader so that
the callback runs right after the module's code. It costs nothing for any other import.
"""

from __future__ import annotations

import sys
import threading
from importlib.abc import Loader, MetaPathFinder
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

__all__ = ["watch_module"]


class _ChainedLoader(Loader):
    """The real loader, then the callback."""

    def __init__(self, loader: Any, callback: Callable[[ModuleType], None]) -> None:
        self._loader = loader
        self._callback = callback

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        """Let the real loader create the module."""
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        """Run the module's code, then the callback."""
        self._loader.exec_module(module)
        self._callback(module)


class _Watcher(MetaPathFinder):
    def __init__(self, name: str, callback: Callable[[ModuleType], None]) -> None:
        self._name = name
        self._callback = callback
        self._busy = threading.local()

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        """Find the watched module with the other finders and chain its loader."""
        if fullname != self._name or getattr(self._busy, "active", False):
            return None
        self._busy.active = True
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                        spec.loader = _ChainedLoader(spec.loader, self._callback)
                    return spec
            return None
        finally:
            self._busy.active = False


def watch_module(name: str, callback: Callable[[ModuleType], None]) -> None:
    """Call ``callback(module)`` after every execution of module ``name`` from now on."""
    sys.meta_path.insert(0, _Watcher(name, callback))
