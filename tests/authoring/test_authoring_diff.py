"""The flag-level diff: flags added, removed and changed, and what changed in each."""

from __future__ import annotations

import copy
from typing import Any

from appflags.authoring import Change, diff_documents

STORED: dict[str, Any] = {
    "version": "1",
    "flags": {
        "checkout": {
            "name": "checkout",
            "attributes": {"color": {"constraints": {"type": "string"}}},
        },
        "banner": {"name": "banner"},
    },
    "values": {
        "checkout": {
            "enabled": True,
            "color": "blue",
            "_variants": [
                {"name": "gold", "rule": '(eq $tier "gold")', "enabled": True, "color": "gold"},
                {"name": "default", "enabled": False},
            ],
        },
        "banner": {"enabled": False},
    },
}


def changes_of(diff: Any, key: str) -> list[str]:
    return [str(c) for flag in diff.changed if flag.key == key for c in flag.changes]


def test_equal_documents_have_no_diff() -> None:
    diff = diff_documents(STORED, copy.deepcopy(STORED))
    assert not diff
    assert diff.summary() == "no changes"
    assert diff.lines() == []


def test_appconfig_flags_added_removed_and_changed_by_facet() -> None:
    after = copy.deepcopy(STORED)
    after["values"]["checkout"]["color"] = "purple"
    after["values"]["checkout"]["_variants"][0]["rule"] = '(eq $tier "platinum")'
    del after["flags"]["banner"], after["values"]["banner"]
    after["flags"]["dark-mode"] = {"name": "dark-mode"}
    after["values"]["dark-mode"] = {"enabled": True}
    diff = diff_documents(STORED, after)
    assert diff.added == ("dark-mode",)
    assert diff.removed == ("banner",)
    assert changes_of(diff, "checkout") == [
        'attribute color: "blue" -> "purple"',
        "variant gold changed: rule",
    ]
    assert diff.summary() == "3 flags: 1 added, 1 removed, 1 changed"
    assert diff.lines()[:2] == ["+ dark-mode", "- banner"]


def test_reordered_variants_are_a_change_added_ones_are_not_a_reordering() -> None:
    after = copy.deepcopy(STORED)
    after["values"]["checkout"]["_variants"].reverse()
    assert changes_of(diff_documents(STORED, after), "checkout") == [
        "variants reordered: gold, default -> default, gold"
    ]
    after = copy.deepcopy(STORED)
    after["values"]["checkout"]["_variants"].insert(0, {"name": "beta", "enabled": True})
    assert changes_of(diff_documents(STORED, after), "checkout") == [
        'variant beta added: {"enabled": true}'
    ]


def test_one_and_true_differ_as_they_do_to_a_lookup() -> None:
    after = copy.deepcopy(STORED)
    after["values"]["banner"]["enabled"] = 0
    assert changes_of(diff_documents(STORED, after), "banner") == ["enabled: false -> 0"]


def test_attribute_definitions_and_document_version_are_compared() -> None:
    after = copy.deepcopy(STORED)
    after["version"] = "2"
    after["flags"]["checkout"]["attributes"]["color"]["constraints"]["enum"] = ["blue"]
    diff = diff_documents(STORED, after)
    assert diff.document == (Change("version", "1", "2"),)
    assert changes_of(diff, "checkout") == ["attribute color (definition) changed"]


def test_nothing_deployed_makes_every_flag_added() -> None:
    diff = diff_documents(None, STORED)
    assert diff.added == ("checkout", "banner")
    assert diff.document == ()


def test_powertools_rules_by_name_and_order() -> None:
    before: dict[str, Any] = {
        "premium": {
            "default": False,
            "rules": {
                "gold": {
                    "when_match": True,
                    "conditions": [{"action": "EQUALS", "key": "tier", "value": "gold"}],
                },
                "beta": {
                    "when_match": True,
                    "conditions": [{"action": "EQUALS", "key": "beta", "value": True}],
                },
            },
        }
    }
    after = copy.deepcopy(before)
    after["premium"]["default"] = True
    after["premium"]["rules"] = dict(reversed(list(after["premium"]["rules"].items())))
    assert changes_of(diff_documents(before, after), "premium") == [
        "default: false -> true",
        "rules reordered: gold, beta -> beta, gold",
    ]


def test_flagd_variants_targeting_and_shared_evaluators() -> None:
    before: dict[str, Any] = {
        "flags": {
            "color": {
                "state": "ENABLED",
                "variants": {"red": "#f00", "blue": "#00f"},
                "defaultVariant": "red",
            }
        },
        "$evaluators": {"gold": {"==": [{"var": "tier"}, "gold"]}},
    }
    after = copy.deepcopy(before)
    after["flags"]["color"]["defaultVariant"] = "blue"
    after["flags"]["color"]["variants"]["blue"] = "#0000ff"
    after["flags"]["color"]["targeting"] = {"if": [{"$ref": "gold"}, "blue", None]}
    after["$evaluators"]["gold"] = {"==": [{"var": "tier"}, "platinum"]}
    diff = diff_documents(before, after)
    assert changes_of(diff, "color") == [
        'variant blue: "#00f" -> "#0000ff"',
        'defaultVariant: "red" -> "blue"',
        'targeting added: {"if": [{"$ref": "gold"}, "blue", null]}',
    ]
    assert [str(c) for c in diff.document] == ["$evaluators.gold changed"]


def test_plain_json_by_dotted_path_and_a_change_of_format() -> None:
    before = {"limits": {"rate": 10, "burst": {"size": 5}}, "name": "shop"}
    after = {"limits": {"rate": 20, "burst": {"size": 5}}, "name": "shop"}
    assert changes_of(diff_documents(before, after), "limits") == ["rate: 10 -> 20"]
    flagd = {
        "flags": {"limits": {"state": "ENABLED", "variants": {"on": True}, "defaultVariant": "on"}}
    }
    diff = diff_documents(before, flagd)
    assert diff.document[0] == Change("format", "json", "flagd")
    assert diff.removed == ("name",)
