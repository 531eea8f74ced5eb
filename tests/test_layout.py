"""The package's layout contract: no import cycles, layers import only downwards, live objects
stay out of the pipeline, and pickles never name a private module.

The layer order is the one written in ``cos_doctor/__init__.py``. Every import counts: the
deferred ones inside functions (they run on the failure path just the same) and the ones under
``if TYPE_CHECKING:`` (a type named upwards is a dependency upwards all the same).
"""

from __future__ import annotations

import ast
import io
import pickle
from pathlib import Path

import grimp
import pytest

import cos_doctor

PACKAGE = Path(cos_doctor.__file__).parent

# Top to bottom. Names in one tuple are independent of each other: neither imports the other.
LAYERS = (
    ("__main__",),
    ("cli", "testing", "sentry"),
    ("_cli",),
    ("emulator", "_hook"),
    ("_access",),
    ("_readers", "errors"),
    ("post_object",),
    ("_log",),
    ("_sdk",),
    ("_pipeline",),
    ("_post",),
    ("_knowledge",),
    ("diagnosis",),
    ("_redact",),
    ("_locale", "_signing"),
    ("_config", "_lazy", "_normalize", "_record"),
)
# What a diagnosis is computed from must be plain records: the pipeline reads no live SDK
# object, no pasted text, and never reaches the hook, the command line or the emulator.
PIPELINE_NEVER_IMPORTS = ("_sdk", "_hook", "_readers", "_cli", "emulator")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("cos_doctor", exclude_type_checking_imports=False, cache_dir=None)


def _cycles(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    """Every direct import that lies on a cycle: its imported module leads back to the importer."""
    return sorted(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.chain_exists(importer=imported, imported=importer)
    )


def test_no_import_cycles(graph: grimp.ImportGraph) -> None:
    """No module imports, directly or through others, a module that imports it back."""
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle(graph: grimp.ImportGraph) -> None:
    """The cycle check is live: one import added back upwards is reported as a cycle."""
    graph.add_import(
        importer="cos_doctor._knowledge.catalogue",
        imported="cos_doctor._pipeline.diagnose",
        line_number=1,
        line_contents="from cos_doctor._pipeline.diagnose import diagnose_context",
    )
    try:
        cycles = _cycles(graph)
    finally:
        graph.remove_import(
            importer="cos_doctor._knowledge.catalogue", imported="cos_doctor._pipeline.diagnose"
        )
    assert ("cos_doctor._knowledge.catalogue", "cos_doctor._pipeline.diagnose") in cycles


def test_every_module_sits_in_a_layer() -> None:
    """Each top-level module and sub-package of cos_doctor has its place in the layer order."""
    named = {name for layer in LAYERS for name in layer}
    present = {
        path.stem if path.suffix == ".py" else path.name
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }
    assert present == named


def test_layers_import_only_downwards(graph: grimp.ImportGraph) -> None:
    """No layer imports a layer above it, nor a sibling it was declared independent of."""
    layers = [
        grimp.Layer(*(f"cos_doctor.{name}" for name in layer), independent=True) for layer in LAYERS
    ]
    illegal = graph.find_illegal_dependencies_for_layers(layers=layers)
    assert (
        sorted(
            f"{dependency.importer} -> {dependency.imported}: "
            + "; ".join(
                " -> ".join([*sorted(route.heads), *route.middle, *sorted(route.tails)])
                for route in dependency.routes
            )
            for dependency in illegal
        )
        == []
    )


@pytest.mark.parametrize("forbidden", PIPELINE_NEVER_IMPORTS)
def test_the_pipeline_reads_plain_records_only(graph: grimp.ImportGraph, forbidden: str) -> None:
    """Nothing in _pipeline imports, even indirectly, the SDK adapter, hook, readers, CLI or emulator."""
    chain = graph.find_shortest_chain(
        importer="cos_doctor._pipeline", imported=f"cos_doctor.{forbidden}", as_packages=True
    )
    assert chain is None


def test_frames_are_read_only_in_the_sdk_adapter() -> None:
    """Only cos_doctor/_sdk/ reads frame locals: the SDK's private state has one reader."""
    readers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "_sdk" not in path.relative_to(PACKAGE).parts
        and any(
            isinstance(node, ast.Attribute) and node.attr == "f_locals"
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        )
    )
    assert readers == []


class _RecordingUnpickler(pickle.Unpickler):
    """Unpickles while noting every (module, name) the pickle asks for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        self.found: set[tuple[str, str]] = set()

    def find_class(self, module: str, name: str) -> object:
        self.found.add((module, name))
        return super().find_class(module, name)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickles_name_only_public_modules(protocol: int) -> None:
    """A pickled diagnosed error names cos_doctor's classes by public paths, so moving private modules never breaks old pickles."""
    from qcloud_cos.cos_exception import CosClientError, CosServiceError

    from cos_doctor.errors import diagnosed_copy

    body = "<Error><Code>AccessDenied</Code><Message>Access Denied.</Message></Error>"
    service = CosServiceError("GET", body, 403)
    client = CosClientError(
        "HTTPSConnectionPool(host='b', port=443): Read timed out. (read timeout=1)"
    )
    named: set[tuple[str, str]] = set()
    for error in (service, client):
        diagnosed = diagnosed_copy(error, cos_doctor.diagnose(error))
        unpickler = _RecordingUnpickler(pickle.dumps(diagnosed, protocol=protocol))
        assert unpickler.load().diagnosis == diagnosed.diagnosis
        named |= unpickler.found
    ours = {module for module, _ in named if module.split(".")[0] == "cos_doctor"}
    assert ours == {"cos_doctor", "cos_doctor.diagnosis"}
