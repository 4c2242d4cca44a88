"""The facades (OpenFeature, OTel, the Powertools drop-in, the CLI), and ``rules.explain``,
which is handed a ``Flags``, read a ``Flags`` through its public API only: ``status()`` and
the other public methods, never its private state.

A plain ``ast`` scan, not a type checker: in each facade module it finds the names that
hold a ``Flags`` (annotated ``Flags``, or named ``flags``/``self._flags``/``x.flags``, or a
loop variable over such a collection) and fails on ``<flags>._anything`` and
``getattr(<flags>, "_anything")``. Dunders (``__class__``) are allowed.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "appflags"


def facade_modules() -> list[Path]:
    found = [SRC / "openfeature.py", SRC / "otel.py", *sorted((SRC / "compat").glob("*.py"))]
    cli = SRC / "cli"
    found += sorted(cli.glob("**/*.py")) if cli.is_dir() else [SRC / "cli.py"]
    # Not a facade, but handed a Flags by its callers: it asks flags.explain().
    return [*found, SRC / "rules" / "_explain.py"]


def _names_flags(node: ast.expr) -> bool:
    """Whether ``node`` reads as a ``Flags``: ``flags``, ``self._flags``, ``provider.flags``."""
    if isinstance(node, ast.Name):
        return node.id == "flags"
    if isinstance(node, ast.Attribute):
        return node.attr in ("flags", "_flags")
    return False


def _mentions(annotation: ast.expr | None) -> bool:
    """Whether an annotation names ``Flags`` (``Flags``, ``Flags | None``, ``"Flags"``)."""
    if annotation is None:
        return False
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        annotation = ast.parse(annotation.value, mode="eval").body
    return any(
        (isinstance(n, ast.Name) and n.id == "Flags")
        or (isinstance(n, ast.Attribute) and n.attr == "Flags")
        for n in ast.walk(annotation)
    )


def private_reads(source: str) -> list[str]:
    """``line: code`` for each private attribute of a ``Flags`` that ``source`` reads."""
    tree = ast.parse(source)
    typed: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and _mentions(node.annotation):
            typed.add(node.arg)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if _mentions(node.annotation):
                typed.add(node.target.id)
        elif (
            isinstance(node, (ast.For, ast.comprehension))
            and isinstance(node.target, ast.Name)
            and any(_names_flags(n) for n in ast.walk(node.iter) if isinstance(n, ast.expr))
        ):
            typed.add(node.target.id)

    def is_flags(node: ast.expr) -> bool:
        if isinstance(node, ast.Call):  # Flags.from_file(...)._private
            func = node.func
            return isinstance(func, ast.Attribute) and ast.unparse(func.value) == "Flags"
        return _names_flags(node) or (isinstance(node, ast.Name) and node.id in typed)

    def private(name: str) -> bool:
        return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))

    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Attribute, ast.Call)):
            continue
        attribute = isinstance(node, ast.Attribute) and private(node.attr) and is_flags(node.value)
        if attribute or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr")
            and len(node.args) >= 2
            and is_flags(node.args[0])
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and private(node.args[1].value)
        ):
            found.append((node.lineno, ast.unparse(node)))
    return [f"{line}: {code}" for line, code in sorted(found)]


def test_the_scan_finds_each_way_of_reading_private_state() -> None:
    bad = textwrap.dedent(
        """
        def a(flags):
            return flags._snapshot
        def b(target: Flags):
            return getattr(target, "_last_error", None)
        class P:
            def c(self):
                return self._flags._document
        def d(self):
            return [f._source_name for f in list(self.flags)]
        def e(provider):
            return provider.flags._closed
        def g(feature_flags: FeatureFlags, flags: Flags | None):
            return feature_flags._document, flags._state
        def f(path):
            return Flags.from_file(path)._document.format
        """
    )
    assert [line.split(": ")[1] for line in private_reads(bad)] == [
        "flags._snapshot",
        "getattr(target, '_last_error', None)",
        "self._flags._document",
        "f._source_name",
        "provider.flags._closed",
        "flags._state",
        "Flags.from_file(path)._document",
    ]
    good = textwrap.dedent(
        """
        def a(flags: Flags):
            status = flags.status()
            return status.state, flags.__class__, self._flags, other._private
        """
    )
    assert private_reads(good) == []


def test_no_facade_reads_private_state_of_flags() -> None:
    modules = facade_modules()
    assert len(modules) >= 4
    offences = {
        str(path.relative_to(SRC)): found
        for path in modules
        if (found := private_reads(path.read_text(encoding="utf-8")))
    }
    assert offences == {}
