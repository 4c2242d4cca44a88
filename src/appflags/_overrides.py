"""Local overrides: keys answered from a mapping instead of the document.

Overrides never cost a lookup anything: they are laid over the document once, when
they change or a new document arrives, into the snapshot every lookup already reads.
A lookup cannot tell an overridden key from a static one, except that ``evaluate``
reports the variant ``"override"``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from appflags._evaluation import Reason
from appflags._log import logger
from appflags._model import Resolved

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from appflags._snapshot import Snapshot

OVERRIDE_VARIANT = "override"
"""The variant ``evaluate`` reports for an overridden key."""

ENVIRONMENT_VARIABLE = "APPFLAGS_OVERRIDES"
"""A JSON object, or the path of a file holding one, laid over every ``Flags``."""


def plain_overrides(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` as plain JSON data the caller cannot change afterwards.

    Raises ``TypeError`` for a key that is not a string, ``ValueError`` for a value that
    is not JSON data.
    """
    if not hasattr(values, "items"):
        raise TypeError(f"overrides must be a mapping of keys to values, got {values!r}")
    for key in values:
        if not isinstance(key, str) or not key:
            raise TypeError(f"override keys are lookup keys (non-empty str), got {key!r}")
    try:
        plain: dict[str, Any] = json.loads(json.dumps(dict(values), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"override values must be JSON data: {exc}") from None
    return plain


def from_environment() -> dict[str, Any] | None:
    """The overrides ``APPFLAGS_OVERRIDES`` names (``None`` when unset or empty).

    Raises ``ValueError`` (or ``OSError`` for an unreadable file) when it is set but
    unusable: the caller decides how loudly to say so.
    """
    raw = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not raw:
        return None
    text = _json_or_none(raw)
    if text is None:
        # A path; quoted in the shell, "~/ov.json" reaches us unexpanded.
        from pathlib import Path  # noqa: PLC0415 - pathlib: see _resources

        path = Path(raw).expanduser()
        if path.exists() and not path.is_file():
            # A directory, or a named pipe or device, whose read would wait for a writer.
            raise ValueError(f"{ENVIRONMENT_VARIABLE}: {raw} is not a regular file")
        text = path.read_text(encoding="utf-8")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{ENVIRONMENT_VARIABLE}: not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise ValueError(  # noqa: TRY004 - a setting with a bad value, not a caller error
            f"{ENVIRONMENT_VARIABLE}: not a JSON object (got a JSON {_json_kind(doc)}); "
            "expected an object of keys to values, or the path of a file holding one"
        )
    return plain_overrides(doc)


def _json_or_none(raw: str) -> str | None:
    """``raw`` when it is JSON text rather than a path: an object, array or string, or a
    bare JSON literal (``true``, ``3``) that names no existing file."""
    if raw[0] in '{["':
        return raw
    try:
        json.loads(raw)
    except ValueError:
        return None
    from pathlib import Path  # noqa: PLC0415 - pathlib: see _resources

    return None if Path(raw).expanduser().exists() else raw


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "boolean" if isinstance(value, bool) else "number"


def overlay(document: Snapshot, overrides: Mapping[str, Any]) -> Snapshot:
    """The snapshot answering ``overrides`` first and ``document`` for every other key.

    Keys are lookup keys exactly: overriding ``beta`` leaves ``beta.color`` to the
    document. An overridden key answers before any rule, disabled flag or missing key.
    """
    if not overrides:
        return document
    static = dict(document.static)
    for key, value in overrides.items():
        static[key] = Resolved(value, OVERRIDE_VARIANT, Reason.STATIC)
    known = set(document.features)
    added = tuple(
        key
        for key, value in overrides.items()
        if type(value) is bool and "." not in key and key not in known
    )
    return dataclasses.replace(
        document,
        static=static,
        bools={k: r.value for k, r in static.items() if type(r.value) is bool},
        features=document.features + added,
    )


class Override:
    """Overrides made by :meth:`Flags.override`: a context manager that ends them.

    Without ``with`` they last until :meth:`end` or :meth:`Flags.clear_overrides`.
    """

    __slots__ = ("_end", "values")

    def __init__(self, values: Mapping[str, Any], end: Callable[[Override], object]) -> None:
        self._end = end
        self.values: Mapping[str, Any] = MappingProxyType(dict(values))
        """The keys this override answers, and their values."""

    def end(self) -> None:
        """Stop answering these keys from the override. Idempotent."""
        self._end(self)

    def __enter__(self) -> Override:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.end()

    def __repr__(self) -> str:
        return f"<Override keys={sorted(self.values)}>"


class Layers:
    """The overrides of one ``Flags``: ``APPFLAGS_OVERRIDES`` first, then each
    :class:`Override` in the order made (a later one wins a key). Not thread-safe: its
    owner calls it under its own lock."""

    __slots__ = ("_environment", "_layers", "merged")

    def __init__(self) -> None:
        self._environment = environment_overrides()
        self._layers: list[Override] = []
        self.merged: dict[str, Any] = {}
        """The keys answered by overrides now, and their values."""

    def add(self, layer: Override) -> None:
        self._layers.append(layer)

    def remove(self, layer: Override) -> bool:
        """Take ``layer`` away; whether it was there."""
        if layer not in self._layers:
            return False
        self._layers.remove(layer)
        return True

    def clear(self) -> None:
        """Forget every override, ``APPFLAGS_OVERRIDES`` included."""
        self._layers.clear()
        self._environment = {}

    def lay_over(self, document: Snapshot, source: str | None) -> Snapshot:
        """Merge the layers again, and return ``document`` with them laid over it."""
        merged: dict[str, Any] = dict(self._environment)
        for layer in self._layers:
            merged.update(layer.values)
        if merged and not self.merged:
            logger.warning(
                "appflags.overrides_active",
                source=source,
                keys=sorted(merged),
                from_environment=sorted(self._environment),
            )
        self.merged = merged
        return overlay(document, merged)


def environment_overrides() -> dict[str, Any]:
    """``APPFLAGS_OVERRIDES``' overrides; an unusable setting is logged and ignored."""
    try:
        return from_environment() or {}
    except (OSError, ValueError, TypeError, RecursionError) as exc:
        # A developer setting: say so loudly, but never fail to build the flags for it
        # (TypeError: an empty key; RecursionError: JSON nested too deep to read).
        logger.error("appflags.overrides_ignored", variable=ENVIRONMENT_VARIABLE, error=str(exc))
        return {}
