"""The public surface: exactly what __all__ promises, sorted."""

from __future__ import annotations

from types import ModuleType

import cos_doctor

# Submodules that are part of the public API (the others are implementation).
PUBLIC_SUBMODULES = {"post_object"}


def test_all_is_sorted_and_matches_the_public_names() -> None:
    """__all__ lists every public name the package exports, and nothing else."""
    public = {
        name
        for name in dir(cos_doctor)
        if not name.startswith("_") and not isinstance(getattr(cos_doctor, name), ModuleType)
    }
    assert sorted(cos_doctor.__all__) == cos_doctor.__all__
    assert set(cos_doctor.__all__) == public | {"__version__"} | PUBLIC_SUBMODULES


def test_public_submodules_are_modules_with_their_own_all() -> None:
    """cos_doctor.post_object resolves lazily to a module whose __all__ names real objects."""
    for name in PUBLIC_SUBMODULES:
        module = getattr(cos_doctor, name)
        assert isinstance(module, ModuleType)
        assert len(set(module.__all__)) == len(module.__all__)  # ruff RUF022 keeps it sorted
        assert all(getattr(module, item) is not None for item in module.__all__)


def test_every_public_name_resolves() -> None:
    """Lazy names (CosDiagnosedError, diagnose) load on first access."""
    for name in cos_doctor.__all__:
        assert getattr(cos_doctor, name) is not None


def test_value_objects_are_frozen() -> None:
    """Diagnosis and Evidence cannot be changed after they are built."""
    evidence = cos_doctor.Evidence(key="k", value=1, text="one")
    try:
        evidence.value = 2  # type: ignore[misc]
    except AttributeError:
        return
    raise AssertionError("Evidence is mutable")
