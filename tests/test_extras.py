"""Importing an optional module without its extra names the ``pip install`` to run."""

from __future__ import annotations

import importlib
import sys

import pytest


@pytest.mark.parametrize(
    ("module", "needs", "extra"),
    [
        ("appflags.otel", "opentelemetry", "otel"),
        ("appflags.openfeature", "openfeature", "openfeature"),
    ],
)
def test_missing_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, module: str, needs: str, extra: str
) -> None:
    # As if the extra were not installed: None in sys.modules makes every import fail.
    for name in [n for n in sys.modules if n == needs or n.startswith(needs + ".")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, needs, None)
    monkeypatch.delitem(sys.modules, module, raising=False)

    with pytest.raises(ModuleNotFoundError) as raised:
        importlib.import_module(module)

    assert f"pip install 'appflags[{extra}]'" in str(raised.value)
    assert (raised.value.name or "").split(".")[0] == needs


@pytest.mark.parametrize("module", ["appflags.otel", "appflags.openfeature"])
def test_installed_extra_imports(module: str) -> None:
    assert importlib.import_module(module).__name__ == module
