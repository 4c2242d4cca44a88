"""flagd's ``sem_ver`` operation: ``{"sem_ver": [{"var": "version"}, ">=", "1.2.0"]}``.

Versions follow Semantic Versioning 2.0.0 as flagd reads them (Go's ``x/mod/semver``
plus flagd's leniencies, per flagd-testbed's ``@semver`` scenarios):

- an optional ``v`` or ``V`` prefix;
- partial versions ``1`` and ``1.2`` mean ``1.0.0`` and ``1.2.0`` (without a pre-release
  or build part);
- a number in the context (``1``, ``1.5``) reads as its decimal text;
- build metadata (``+build.7``) is ignored when comparing; pre-releases order before their
  release and among themselves by the SemVer rules.

Operators: ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``^`` (same major version) and ``~``
(same major and minor). A value that is not a version, or an unknown operator, makes the
operation fail: the targeting then answers the flag's default variant (see
:class:`~appflags.rules._jsonlogic._base.Abort`).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from appflags.rules._jsonlogic._base import Abort, Misuse, Node, Site
from appflags.rules._jsonlogic._values import number_string

_NUMERIC = r"0|[1-9]\d*"
_IDENTIFIER = r"0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*"
_VERSION = re.compile(
    rf"[vV]?(?P<major>{_NUMERIC})"
    rf"(?:\.(?P<minor>{_NUMERIC})"
    rf"(?:\.(?P<patch>{_NUMERIC})"
    rf"(?:-(?P<pre>(?:{_IDENTIFIER})(?:\.(?:{_IDENTIFIER}))*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r")?)?",
    re.ASCII,
)

Version = tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]
"""A comparison key: major, minor, patch, 1 for a release (0 for a pre-release), and the
pre-release identifiers (numeric ones order before alphanumeric ones)."""

OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "^", "~")
"""The comparisons ``sem_ver`` accepts, in flagd's schema order."""


@functools.lru_cache(maxsize=1024)
def parse_version(text: str) -> Version | None:
    """The comparison key of ``text``, or ``None`` when it is not a version.

    Cached (bounded): a fleet reports a handful of distinct app versions, and a version
    string from the context is parsed once rather than on every evaluation.
    """
    match = _VERSION.fullmatch(text)
    if match is None:
        return None
    major, minor, patch, pre = match.group("major", "minor", "patch", "pre")
    identifiers: tuple[tuple[int, int | str], ...] = ()
    try:
        if pre is not None:
            identifiers = tuple(
                (0, int(part)) if part.isdigit() else (1, part) for part in pre.split(".")
            )
        return (int(major), int(minor or 0), int(patch or 0), 0 if pre else 1, identifiers)
    except ValueError:  # more digits than int() converts: not a version anyone deploys
        return None


def _version_of(value: Any) -> Version:
    kind = type(value)
    if kind is str:
        text = value
    elif kind is int:
        text = str(value)
    elif kind is float:
        text = number_string(value)
    else:
        raise Abort
    version = parse_version(text)
    if version is None:
        raise Abort
    return version


def _compare(left: Version, operator: Any, right: Version) -> bool:  # noqa: PLR0911 - one per operator
    if operator == "=":
        return left == right
    if operator == "!=":
        return left != right
    if operator == "<":
        return left < right
    if operator == "<=":
        return left <= right
    if operator == ">":
        return left > right
    if operator == ">=":
        return left >= right
    if operator == "^":
        return left[0] == right[0]
    if operator == "~":
        return left[:2] == right[:2]
    raise Abort


def build_sem_ver(nodes: list[Node], _raw: list[Any], site: Site) -> Node:
    """Compile ``sem_ver``; literal versions and operators are checked and parsed here."""
    if len(nodes) != 3:
        raise Misuse(site.path, "sem_ver takes exactly 3 arguments: version, operator, version")
    left_node, operator_node, right_node = nodes
    if operator_node.constant and operator_node.value not in OPERATORS:
        raise Misuse((*site.path, 1), f"sem_ver's operator must be one of {' '.join(OPERATORS)}")
    for index in (0, 2):
        node = nodes[index]
        if node.constant:
            try:
                _version_of(node.value)
            except Abort:
                raise Misuse((*site.path, index), "not a semantic version") from None

    get_left, get_operator, get_right = left_node.fn, operator_node.fn, right_node.fn
    if operator_node.constant and right_node.constant:
        # The usual shape: a context value against a fixed version.
        operator, target = operator_node.value, _version_of(right_node.value)

        def sem_ver_fixed(data: Any) -> bool:
            return _compare(_version_of(get_left(data)), operator, target)

        return Node(sem_ver_fixed)

    def sem_ver(data: Any) -> bool:
        left = _version_of(get_left(data))
        operator = get_operator(data)
        return _compare(left, operator, _version_of(get_right(data)))

    return Node(sem_ver)
