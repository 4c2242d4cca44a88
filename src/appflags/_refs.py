"""Code references: which flag keys Python sources look up, found with ``ast``.

Only lookups whose key is a string literal are found: ``flags.is_enabled("beta")``,
``flags.get_str("beta.color", "blue")``, Powertools' ``evaluate(name="beta", ...)`` and
OpenFeature's ``client.get_boolean_value("beta", False)``. A key built at run time
(``f"beta-{n}"``, a variable) cannot be known without running the code and is skipped.
The receiver is not checked (the scan cannot know types), so any object with a method of
one of these names counts; :data:`LOOKUP_METHODS` lists them.
"""

from __future__ import annotations

import ast
import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from appflags._snapshot import Snapshot

_APPFLAGS = ("is_enabled", "get_bool", "get_str", "get_int", "get_float", "get_object")
_OPENFEATURE = tuple(
    f"get_{kind}_{what}{suffix}"
    for kind in ("boolean", "string", "integer", "float", "object")
    for what in ("value", "details")
    for suffix in ("", "_async")
)
LOOKUP_METHODS = frozenset((*_APPFLAGS, "evaluate", *_OPENFEATURE))
"""Method names whose first argument (or ``key``/``name``/``flag_key`` keyword) is a key."""

_KEY_KEYWORDS = ("key", "name", "flag_key")
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "venv"})


@dataclass(frozen=True, slots=True)
class Reference:
    """One lookup of ``key`` with a literal key, at ``file``:``line``."""

    key: str
    file: str
    line: int
    method: str


def python_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """The ``.py`` files named or under the directories named, in a stable order.

    Hidden directories (``.venv``, ``.git``...), ``venv``, ``site-packages`` and
    ``__pycache__`` are skipped: they hold other projects' code, not yours.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(
                    d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS
                )
                for name in sorted(files):
                    if name.endswith(".py"):
                        yield Path(root) / name
        else:
            yield path


class UnreadableSource(Exception):  # noqa: N818 - reads as "skipped: unreadable source"
    """A file the scan skips: it cannot be read or parsed as Python (the message says why)."""


def references_in_file(path: Path) -> list[Reference]:
    """The lookups with literal keys in the Python file at ``path``.

    The file is read as Python reads it: its bytes, decoded as its PEP 263 coding line (or
    BOM) says, UTF-8 otherwise. Raises :class:`UnreadableSource` for a file that cannot be
    read or parsed, a file nested too deeply for the parser included.
    """
    try:
        return references_in(path.read_bytes(), str(path))
    except OSError as exc:
        raise UnreadableSource(exc.strerror or str(exc)) from None
    except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
        raise UnreadableSource(str(exc)) from None
    except (RecursionError, MemoryError):
        raise UnreadableSource("nested too deeply for the Python parser") from None


def references_in(source: str | bytes, file: str) -> list[Reference]:
    """The lookups with literal keys in one module's source (raises ``SyntaxError``).

    ``source`` as bytes is decoded as Python does (PEP 263 coding line, BOM, else UTF-8).
    """
    if sys.version_info < (3, 11):
        _refuse_too_deep(source, file)
    found: list[Reference] = []
    for node in ast.walk(ast.parse(source, filename=file)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method = node.func.attr
        if method not in LOOKUP_METHODS:
            continue
        key = _literal_key(node)
        if key is not None:
            found.append(Reference(key, file, node.lineno, method))
    found.sort(key=lambda ref: (ref.line, ref.key))
    return found


def _refuse_too_deep(source: str | bytes, file: str) -> None:
    """Raise ``RecursionError`` for a source nested too deeply, before ``ast.parse`` sees it.

    Python 3.10's ``ast.parse`` has no depth check: a statement a few hundred thousand
    levels deep (``x = 1+1+1...``) crashes the interpreter. Its compiler does check, at
    about the depth where 3.11+ ``ast.parse`` raises ``RecursionError``. Other compile
    errors are left to ``ast.parse``, which accepts some of them (``return`` at top level).
    """
    with contextlib.suppress(SyntaxError, ValueError):
        compile(source, file, "exec", dont_inherit=True)  # never run: the code object is dropped


def _literal_key(call: ast.Call) -> str | None:
    candidates = [kw.value for kw in call.keywords if kw.arg in _KEY_KEYWORDS]
    if call.args:
        candidates.insert(0, call.args[0])
    for node in candidates[:1]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
    return None


def known(snapshot: Snapshot, key: str) -> bool:
    """Whether a lookup of ``key`` finds something in the document (not the default)."""
    if key in snapshot.static or key in snapshot.rules:
        return True
    flag, dot, _ = key.rpartition(".")
    return bool(dot) and flag in snapshot.disabled


def document_flags(snapshot: Snapshot) -> list[str]:
    """The flags a document defines: its features, or top-level keys for plain JSON."""
    if snapshot.format == "json":
        return [k for k in snapshot.static if "." not in k]
    return list(snapshot.features)


def flag_of(key: str, flags: Iterable[str]) -> str | None:
    """The document flag a key belongs to (``beta`` for ``beta.color``), if any."""
    names = set(flags)
    while True:
        if key in names:
            return key
        key, dot, _ = key.rpartition(".")
        if not dot:
            return None
