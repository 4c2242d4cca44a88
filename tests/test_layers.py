"""The layers of ``src/appflags``: data flows one way, and imports follow it.

Every module is read with ``ast`` (nothing is imported), and each import of an appflags
module becomes an edge of the module graph: imports inside functions and under
``TYPE_CHECKING`` count as much as the others. ``from appflags import _clock`` imports
``appflags._clock``, not the package; ``from appflags import Flags`` imports the package.

A module may import modules of its own layer and of the layers below it, never above;
the read side, ``_bootstrap`` and ``rules/`` never import ``formats`` at all; and the
graph has no cycle. docs/concepts.md draws the same layers.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import NamedTuple

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "appflags"

# Lowest first: the layers of the design ("Layers"), with two places the code fixes: the
# rule compilers sit below the formats that call them (rules/ never imports formats), and
# the facades sit on top, the CLI above LocalAppConfig, which its `serve` command runs.
# A name is a module, or a subpackage with every module in it.
READ_SIDE = (  # immutable snapshots and pure lookups, and the counters lookups add to
    "appflags._snapshot",
    "appflags._lookups",
    "appflags._typed",
    "appflags._tracked",
    "appflags._overrides",
    "appflags._usage",
    "appflags._usage_report",
)
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "vocabulary",  # leaf modules: the words every other layer speaks
        (
            "appflags._model",
            "appflags._clock",
            "appflags._state",
            "appflags._errors",
            "appflags._evaluation",
        ),
    ),
    (
        "support",  # used on every floor: logging, the collector pause, parameter checks, extras
        (
            "appflags._log",
            "appflags._gc_pause",
            "appflags._resources",
            "appflags._checks",
            "appflags._extras",
            "appflags._version",
        ),
    ),
    ("sources", ("appflags.sources",)),
    ("poller", ("appflags._poller",)),
    ("rules", ("appflags.rules",)),
    ("formats", ("appflags.formats",)),
    ("read side", READ_SIDE),
    (
        "updates",
        (
            "appflags._bootstrap",
            "appflags._backup",
            "appflags._updates",
            "appflags._readiness",
            "appflags._variant_options",
        ),
    ),
    ("Flags", ("appflags._flags", "appflags")),
    ("testing", ("appflags.testing",)),
    ("authoring", ("appflags.authoring",)),  # deploy/diff/... over the control plane
    (
        "facades",
        (
            "appflags.openfeature",
            "appflags.compat",
            "appflags.otel",
            "appflags.cli",
            "appflags._refs",  # the references `appflags refs` finds
            "appflags.__main__",
        ),
    ),
]

# Modules that never import formats, whatever their layer.
NEVER_FORMATS = ("appflags.rules", *READ_SIDE, "appflags._bootstrap")

# Violations in files other changes own, (importer, imported): what is left to fix, each
# with its reason, removed as the fixes land. Each entry must still be a violation (a
# stale entry fails the test). None left today: the last one, rules/_powertools_actions
# reading Context from formats._base, went with the table-driven Powertools actions.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}

# Cycles in files other changes own, each as its sorted modules: to remove as they are
# broken (a stale entry fails the test).
KNOWN_CYCLES: dict[tuple[str, ...], str] = {}

# Imports under TYPE_CHECKING that go against the layers and cannot be avoided, each
# with its reason (none today).
TYPE_ONLY_ALLOWED: dict[tuple[str, str], str] = {}


class Import(NamedTuple):
    importer: str
    imported: str
    line: int
    type_only: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted((SRC / PACKAGE).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(
    source: str, importer: str, known: set[str], *, package: bool = False
) -> list[Import]:
    """The appflags modules ``source`` (module ``importer``) imports. ``known`` names every
    module, to tell ``from appflags import _clock`` (a module) from ``import Flags``."""
    found: list[Import] = []
    here = importer if package else importer.rpartition(".")[0]

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_only)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno, type_only)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the importer's package up
                anchor = here.split(".")[: len(here.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                add(submodule if submodule in known else base, node.lineno, type_only)
        for inner in ast.iter_child_nodes(node):
            visit(inner, type_only)

    def add(name: str, line: int, type_only: bool) -> None:
        if name == PACKAGE or name.startswith(PACKAGE + "."):
            found.append(Import(importer, name, line, type_only))

    visit(ast.parse(source), False)
    return found


def graph() -> list[Import]:
    found = modules()
    known = set(found)
    return [
        edge
        for name, path in found.items()
        for edge in imports_of(
            path.read_text(encoding="utf-8"), name, known, package=path.name == "__init__.py"
        )
    ]


def layer_of(module: str) -> int | None:
    """The index of ``module``'s layer: its own entry, else its nearest subpackage's."""
    by_name = {name: index for index, (_, names) in enumerate(LAYERS) for name in names}
    name = module
    while True:
        if name in by_name:
            return by_name[name]
        name = name.rpartition(".")[0]
        if name in ("", PACKAGE):  # the package itself is listed on its own only
            return None


def within(module: str, names: tuple[str, ...]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in names)


def violations(edges: list[Import]) -> dict[tuple[str, str], Import]:
    """Every import that goes up a layer, or from ``NEVER_FORMATS`` into formats."""
    out: dict[tuple[str, str], Import] = {}
    for edge in edges:
        low, high = layer_of(edge.importer), layer_of(edge.imported)
        upward = low is not None and high is not None and high > low
        into_formats = within(edge.importer, NEVER_FORMATS) and within(
            edge.imported, ("appflags.formats",)
        )
        if upward or into_formats:
            out.setdefault((edge.importer, edge.imported), edge)
    return out


def cycles(edges: list[Import]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), and modules
    that import themselves."""
    after: dict[str, set[str]] = {}
    for edge in edges:
        after.setdefault(edge.importer, set()).add(edge.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(after.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in after.get(node, ()):
                found.append(sorted(component))

    for node in sorted(after):
        if node not in index:
            connect(node)
    return found


def described(edge: Import) -> str:
    kind = " (under TYPE_CHECKING)" if edge.type_only else ""
    return f"{edge.importer}:{edge.line} imports {edge.imported}{kind}"


# ---------------------------------------------------------------------------- the code


def test_every_module_has_a_layer() -> None:
    unplaced = [name for name in modules() if layer_of(name) is None]
    assert not unplaced, f"add these modules to LAYERS in {__file__}: {unplaced}"


def test_no_module_imports_a_higher_layer_and_the_read_side_never_imports_formats() -> None:
    found = violations(graph())
    unexpected = [
        described(edge)
        for pair, edge in found.items()
        if pair not in KNOWN_VIOLATIONS and not (edge.type_only and pair in TYPE_ONLY_ALLOWED)
    ]
    assert not unexpected, "\n".join(unexpected)


def test_known_violations_and_allowed_imports_are_not_stale() -> None:
    found = violations(graph())
    stale = [pair for pair in KNOWN_VIOLATIONS if pair not in found]
    assert not stale, f"no longer violations, remove them from KNOWN_VIOLATIONS: {stale}"
    unused = [pair for pair in TYPE_ONLY_ALLOWED if pair not in found or not found[pair].type_only]
    assert not unused, f"remove from TYPE_ONLY_ALLOWED: {unused}"


def test_the_module_graph_has_no_cycle() -> None:
    found = [tuple(cycle) for cycle in cycles(graph())]
    assert [cycle for cycle in found if cycle not in KNOWN_CYCLES] == []
    stale = [cycle for cycle in KNOWN_CYCLES if cycle not in found]
    assert not stale, f"no longer cycles, remove them from KNOWN_CYCLES: {stale}"


# ------------------------------------------------------------------- the test's own tools

KNOWN = {"appflags", "appflags._clock", "appflags.formats", "appflags.formats._base"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from appflags import _clock", [("appflags._clock", False)]),
        ("from appflags import Flags", [("appflags", False)]),
        ("import appflags.formats._base as base", [("appflags.formats._base", False)]),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from appflags.formats import Rule\nelse:\n    import json",
            [("appflags.formats", True)],
        ),
        (
            "def later():\n    from appflags.formats import _base",
            [("appflags.formats._base", False)],
        ),
        ("from . import _base", [("appflags.formats._base", False)]),
        ("import json\nfrom structlog import get_logger", []),
    ],
)
def test_imports_are_read_as_modules(source: str, expected: list[tuple[str, bool]]) -> None:
    found = imports_of(source, "appflags.formats._x", KNOWN)
    assert [(edge.imported, edge.type_only) for edge in found] == expected


def test_an_upward_import_an_import_of_formats_and_a_cycle_are_found() -> None:
    def edge(importer: str, imported: str) -> Import:
        return Import(importer, imported, 1, type_only=False)

    edges = [
        edge("appflags.sources.agent", "appflags._flags"),  # sources -> Flags: up
        edge("appflags._lookups", "appflags.formats"),  # read side -> formats
        edge("appflags._flags", "appflags.formats"),  # Flags -> formats: down, fine
        edge("appflags.rules._a", "appflags.rules._b"),
        edge("appflags.rules._b", "appflags.rules._a"),
    ]
    assert set(violations(edges)) == {
        ("appflags.sources.agent", "appflags._flags"),
        ("appflags._lookups", "appflags.formats"),
    }
    assert cycles(edges) == [["appflags.rules._a", "appflags.rules._b"]]


def test_the_map_in_concepts_names_every_layer_and_its_modules() -> None:
    text = (SRC.parent / "docs" / "concepts.md").read_text(encoding="utf-8")
    drawn = text.split("```\n", 2)[1]  # the first code block: the map
    rows = {line.split()[0] for line in drawn.splitlines() if line[:1].strip()}
    for layer, names in LAYERS:
        assert layer.split()[0] in rows, layer
        for name in names:
            short = "appflags" if name == PACKAGE else name.removeprefix(f"{PACKAGE}.")
            assert short in drawn, f"{name} ({layer}) is missing from the map"


MAX_MODULE_LINES = 650
"""Split a module that grows past this along the seams its own comments mark."""

# Modules over the limit in files other changes own: to split, removed as they are (a
# stale entry fails the test).
KNOWN_GIANTS: dict[str, str] = {}


def test_no_module_is_a_giant() -> None:
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items()
    }
    giants = {name: lines for name, lines in sizes.items() if lines > MAX_MODULE_LINES}
    unknown = {name: lines for name, lines in giants.items() if name not in KNOWN_GIANTS}
    assert not unknown, f"over {MAX_MODULE_LINES} lines: {unknown}"
    stale = sorted(set(KNOWN_GIANTS) - set(giants))
    assert not stale, f"no longer over {MAX_MODULE_LINES} lines, remove from KNOWN_GIANTS: {stale}"
