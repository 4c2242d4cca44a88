"""flagd's custom operations: ``sem_ver``, ``starts_with``, ``ends_with`` and ``fractional``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from appflags.rules._jsonlogic._base import Abort, Misuse, Node, OpBuilder, Site, constant
from appflags.rules._jsonlogic._fractional import VERSIONS, fractional_builder
from appflags.rules._jsonlogic._semver import build_sem_ver

if TYPE_CHECKING:
    from collections.abc import Callable


def _string_test(name: str, test: Callable[[str, str], bool]) -> OpBuilder:
    def build(nodes: list[Node], _raw: list[Any], site: Site) -> Node:
        if len(nodes) != 2:
            raise Misuse(site.path, f"{name} takes exactly 2 arguments")
        for index, node in enumerate(nodes):
            if node.constant and type(node.value) is not str:
                raise Misuse((*site.path, index), f"{name}'s arguments must be strings")
        get_text, get_affix = nodes[0].fn, nodes[1].fn
        if nodes[1].constant:
            affix = nodes[1].value

            def fixed(data: Any) -> bool:
                text = get_text(data)
                if type(text) is not str:
                    raise Abort
                return test(text, affix)

            return constant_if_possible(fixed, nodes)

        def string_test(data: Any) -> bool:
            text, affix = get_text(data), get_affix(data)
            if type(text) is not str or type(affix) is not str:
                raise Abort
            return test(text, affix)

        return constant_if_possible(string_test, nodes)

    return build


def constant_if_possible(fn: Callable[[Any], Any], nodes: list[Node]) -> Node:
    if all(node.constant for node in nodes):
        try:
            return constant(fn(None))
        except Abort:
            pass
    return Node(fn)


CUSTOM: dict[str, OpBuilder] = {
    "sem_ver": build_sem_ver,
    "starts_with": _string_test("starts_with", str.startswith),
    "ends_with": _string_test("ends_with", str.endswith),
}
CUSTOM_BY_VERSION = {
    version: {**CUSTOM, "fractional": fractional_builder(version)} for version in VERSIONS
}
