"""Clear messages for the optional parts of appflags installed without their extra."""

from __future__ import annotations

import importlib.util


class MissingExtraError(ModuleNotFoundError):
    """An optional module of appflags imported without the extra that installs its needs.

    A ``ModuleNotFoundError`` (so an ``ImportError``), naming the ``pip install`` to run.
    """


def require_extra(module: str, extra: str) -> None:
    """Raise :class:`MissingExtraError` when ``module`` cannot be imported.

    ``extra`` is the appflags extra that installs it (``otel``, ``openfeature``).
    """
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package hidden, or a spec-less module
        found = False
    if not found:
        raise MissingExtraError(
            f"{module.partition('.')[0]} is not installed: appflags.{extra} needs it, "
            f"pip install 'appflags[{extra}]'",
            name=module,
        )
