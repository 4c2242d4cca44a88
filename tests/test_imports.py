"""What ``import appflags`` loads: a pinned list, so that a heavy import cannot creep in.

botocore loads when an AppConfigData source is built (boto3 never: only a caller's own
client brings it), the schema validator when a document is validated, never structlog
(unless the application imported it), the formats and their rule compilers when the
first document is compiled. Each check runs in a fresh interpreter.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from appflags.testing import LocalAppConfig

if TYPE_CHECKING:
    from collections.abc import Iterator

# Every appflags module `import appflags` may load. Adding one here is a decision: check
# what it imports with `python -X importtime -c "import appflags"` first.
ALLOWED_APPFLAGS = {
    "appflags",
    "appflags._bootstrap",
    "appflags._checks",
    "appflags._clock",
    "appflags._errors",
    "appflags._evaluation",
    "appflags._gc_pause",
    "appflags._flags",
    "appflags._log",
    "appflags._lookups",
    "appflags._typed",
    "appflags._model",
    "appflags._overrides",
    "appflags._poller",
    "appflags._readiness",
    "appflags._resources",
    "appflags._snapshot",
    "appflags._state",
    "appflags._updates",
    "appflags._usage",
    "appflags._variant_options",
    "appflags._version",
    "appflags.formats",
    "appflags.formats._base",
    "appflags.formats._schemas",
    "appflags.sources",
    "appflags.sources._base",
    "appflags.sources.agent",
    "appflags.sources.appconfigdata",
    "appflags.sources.file",
}
# Packages outside the standard library `import appflags` may load (tiny ones only).
ALLOWED_THIRD_PARTY: set[str] = set()  # cachetools loads with from_agent
# Standard-library packages that cost milliseconds and are only needed later.
HEAVY_STDLIB = {
    "asyncio",
    "base64",
    "concurrent",
    "difflib",
    "email",
    "hashlib",
    "http",
    "logging",
    "pathlib",
    "shutil",
    "ssl",
    "subprocess",
    "tempfile",
    "urllib",
    "zipfile",
}
LATER = ("boto3", "botocore", "jsonschema", "jsonschema_rs", "structlog", "dateutil", "yaml")
ROOT = Path(__file__).resolve().parents[1]


def loaded_by(code: str) -> dict[str, list[str]]:
    """Modules loaded by ``import appflags`` then ``code``, in a fresh interpreter.

    ``"import"``: those ``import appflags`` loaded; ``"after"``: all of them at the end;
    ``code`` may call ``mark(name)`` to record the modules loaded so far under ``name``.
    """
    script = textwrap.dedent(
        f"""
        import json, sys
        before = set(sys.modules)
        marks = {{}}
        def mark(name):
            marks[name] = sorted(set(sys.modules) - before)
        import appflags
        mark("import")
        {code}
        mark("after")
        print(json.dumps(marks))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded: dict[str, list[str]] = json.loads(run.stdout.splitlines()[-1])
    return loaded


def top(modules: list[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_import_appflags_loads_only_the_pinned_modules() -> None:
    loaded = loaded_by("pass")["import"]
    ours = {m for m in loaded if m.split(".")[0] == "appflags"}
    assert ours <= ALLOWED_APPFLAGS, f"new at import: {sorted(ours - ALLOWED_APPFLAGS)}"
    others = top(loaded) - {"appflags"} - set(sys.stdlib_module_names)
    assert others <= ALLOWED_THIRD_PARTY, f"third-party at import: {sorted(others)}"
    assert not top(loaded) & HEAVY_STDLIB
    assert not top(loaded) & set(LATER)


def test_from_dict_and_from_file_never_load_boto3_or_structlog() -> None:
    loaded = loaded_by(
        """
        flags = appflags.Flags.from_dict({"beta": {"enabled": True}})
        assert flags.is_enabled("beta")
        flags = appflags.Flags.from_file("examples/flags.json")
        assert flags.is_enabled("new-checkout")
        """
    )
    after = top(loaded["after"])
    assert not after & {"boto3", "botocore", "structlog", "s3transfer", "urllib3"}
    # The document was validated: the compiled validator loaded (the reference only
    # where it is not installed).
    assert after & {"jsonschema_rs", "jsonschema"}


def test_the_usage_report_classes_are_defined_on_first_use() -> None:
    # A cold start that never asks for a usage report does not define its three frozen
    # dataclasses (~1 ms each); naming them or calling usage() does, and they are the
    # classes usage() returns.
    loaded = loaded_by(
        """
        flags = appflags.Flags.from_dict({"beta": {"enabled": True}})
        assert not flags.is_enabled("gamma")
        assert "appflags._usage_report" not in sys.modules
        report = flags.usage()
        assert type(report) is appflags.Usage
        assert [type(m) for m in report.missing] == [appflags.MissingKey]
        from appflags import EvaluationCount
        assert EvaluationCount.__name__ == "EvaluationCount"
        """
    )
    assert "appflags._usage_report" not in loaded["import"]
    assert "appflags._usage_report" in loaded["after"]


def test_botocore_loads_when_an_appconfigdata_source_is_built_and_boto3_never() -> None:
    # The client is built through botocore's own session: boto3's import (its resource
    # layer, s3transfer, multiprocessing: ~30 ms of a cold start) buys a client nothing.
    loaded = loaded_by(
        """
        assert "botocore" not in sys.modules
        from appflags.sources import AppConfigDataSource
        AppConfigDataSource("app", "env", "profile", region_name="us-east-1")
        """
    )
    after = top(loaded["after"])
    assert "botocore" in after
    assert not after & {"boto3", "s3transfer", "multiprocessing"}, sorted(after)


FORMAT_MODULES = {
    "appflags.formats._flagd",
    "appflags.formats._powertools",
    "appflags.formats._json",
    "appflags.rules._jsonlogic",
    "appflags.rules._powertools_actions",
}
RULE_LANGUAGE = {"appflags.rules._appconfig_parser", "appflags.rules._appconfig_compiler", "re2"}


def test_an_appconfig_document_of_basic_flags_loads_neither_other_formats_nor_rules() -> None:
    # A cold start reading basic flags (auto-detected or named) pays for its own format
    # only: not flagd's JsonLogic, not Powertools' actions, not the variant rule language.
    loaded = loaded_by(
        """
        flags = appflags.Flags.from_dict({"beta": {"enabled": True, "color": "green"}})
        assert flags.is_enabled("beta") and flags.get_str("beta.color", "") == "green"
        named = appflags.Flags.from_dict({"beta": {"enabled": False}}, format="appconfig")
        assert not named.is_enabled("beta", True)
        """
    )
    after = set(loaded["after"])
    assert "appflags.formats._appconfig" in after
    assert not after & FORMAT_MODULES, sorted(after & FORMAT_MODULES)
    assert not after & RULE_LANGUAGE, sorted(after & RULE_LANGUAGE)
    assert "dateutil" not in top(loaded["after"])
    # The project's schema is read from the package's directory (or the repository's
    # copy), not through importlib.resources with its tempfile, shutil and zipfile.
    assert not top(loaded["after"]) & {"tempfile", "shutil", "zipfile"}
    assert "importlib.resources" not in after


def test_each_format_and_the_rule_language_load_when_a_document_needs_them() -> None:
    loaded = loaded_by(
        """
        doc = json.loads(open("examples/flags-multivariant.json").read())
        flags = appflags.Flags.from_dict(doc)
        qa = {"email": "ann@qa-testers.mycompany.com"}
        assert flags.evaluate("ui_refresh", False, qa).variant == "QA"
        flagd = appflags.Flags.from_dict(
            {"flags": {"f": {"state": "ENABLED", "variants": {"on": True, "off": False},
                             "defaultVariant": "on"}}}
        )
        assert flagd.is_enabled("f")
        powertools = appflags.Flags.from_dict({"p": {"default": True}}, format="powertools")
        assert powertools.is_enabled("p")
        """
    )
    after = set(loaded["after"])
    assert after >= RULE_LANGUAGE
    assert {"appflags.formats._flagd", "appflags.formats._powertools"} <= after


def test_a_powertools_document_loads_its_rule_actions_only_for_a_flag_with_rules() -> None:
    # A Powertools document of plain switches (most of them) is answered without the
    # condition actions, dateutil or any rule language; rules bring their own actions,
    # never AppConfig's rule language or RE2 (the rules package loads its parts lazily).
    loaded = loaded_by(
        """
        plain = appflags.Flags.from_dict({"p": {"default": True}})
        assert plain.is_enabled("p")
        mark("plain")
        ruled = appflags.Flags.from_dict(
            {"p": {"default": False, "rules": {"gold": {"when_match": True, "conditions": [
                {"action": "EQUALS", "key": "tier", "value": "gold"}]}}}}
        )
        assert ruled.is_enabled("p", {"tier": "gold"})
        """
    )
    plain = set(loaded["plain"])
    assert "appflags.formats._powertools" in plain
    assert not {m for m in plain if m.startswith("appflags.rules")}, sorted(plain)
    assert not top(loaded["plain"]) & {"dateutil", "re2"}
    after = set(loaded["after"])
    assert "appflags.rules._powertools_actions" in after
    assert not after & RULE_LANGUAGE, sorted(after & RULE_LANGUAGE)


def test_a_flagd_document_loads_jsonlogic_and_not_the_appconfig_rule_language() -> None:
    loaded = loaded_by(
        """
        flagd = appflags.Flags.from_dict(
            {"flags": {"f": {"state": "ENABLED", "variants": {"on": True, "off": False},
                             "defaultVariant": "off",
                             "targeting": {"if": [{"==": [{"var": "tier"}, "gold"]}, "on"]}}}}
        )
        assert flagd.is_enabled("f", {"tier": "gold"})
        """
    )
    after = set(loaded["after"])
    assert "appflags.rules._jsonlogic" in after
    assert not after & RULE_LANGUAGE, sorted(after & RULE_LANGUAGE)


def test_formats_lists_every_format_in_order_and_hands_out_the_instances_in_use() -> None:
    loaded = loaded_by(
        """
        from appflags import formats
        first = formats.detect({"beta": {"enabled": True}})
        assert list(formats.FORMATS) == ["flagd", "appconfig", "powertools", "json"]
        assert sorted(formats.FORMATS) == sorted(formats.FORMAT_NAMES)
        assert formats.FORMATS["appconfig"] is first
        assert formats.detect({"beta": {"enabled": True}}) is first
        for name, fmt in formats.FORMATS.items():
            assert fmt.name == name
        """
    )
    assert "appflags.formats._flagd" in loaded["after"]


def test_the_first_event_imports_no_structlog_and_prints_nothing() -> None:
    # Events go to the stdlib logger "appflags" (a NullHandler on it): a process that
    # never imported structlog cannot have configured it, so it is never imported, and
    # an application that configured no logging sees nothing.
    script = textwrap.dedent(
        """
        import sys
        import appflags
        from appflags.sources import FileSource
        flags = appflags.Flags(source=FileSource("examples/flags.json", interval=60))
        assert flags.is_enabled("new-checkout")
        flags.close()
        assert "structlog" not in sys.modules, "structlog imported"
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert (run.stdout, run.stderr) == ("", "")


# What each constructor adds to `import appflags` on a cold start reading one plain flag
# (the bench's cold-start document, in Powertools' schema): appflags' own modules, and
# the packages from outside the standard library. Adding to one is a decision: measure
# the cold start first (`python -m bench --only startup`, docs/performance.md).
ONE_FLAG = {"new-checkout": {"default": True}}
READ = {"appflags.formats._detect", "appflags.formats._powertools"}
# A document from a source keeps what its next version's compile starts from, and has its
# keys checked for duplicates (refused in a local file, warned about in a fetched one).
FROM_A_SOURCE = {
    "appflags.formats._incremental",
    "appflags.formats._incremental._compare",
    "appflags.formats._incremental._patch",
    "appflags.formats._incremental._split",
    "appflags.formats._json",
}
ADDED_APPFLAGS = {
    "from_dict": READ,
    "from_file": READ | FROM_A_SOURCE,
    # The Agent answers multi-variant flags per context: its variant cache comes along.
    "from_agent": READ
    | FROM_A_SOURCE
    | {"appflags.sources._agent_variants", "appflags.sources._variant_rules"},
    "from_appconfig": READ | FROM_A_SOURCE,
}
ADDED_THIRD_PARTY = {
    "from_dict": set(),
    "from_file": set(),
    "from_agent": {"cachetools"},
    # botocore and the packages its own client loads (see BOTOCORE_CLIENT): never boto3.
    "from_appconfig": set(),
}
# The validator of the project's schemas, or the reference where its wheel is missing.
VALIDATOR = (
    {"jsonschema_rs"}
    if importlib.util.find_spec("jsonschema_rs")
    else {"jsonschema", "attrs", "referencing", "rpds", "jsonschema_specifications"}
)
BOTOCORE_CLIENT = """
        import botocore.session
        botocore.session.Session().create_client("appconfigdata", endpoint_url={url!r})
        """


@pytest.fixture(scope="module")
def one_flag() -> Iterator[str]:
    """The URL of a LocalAppConfig serving ONE_FLAG as app/env/flags."""
    with LocalAppConfig(poll_interval=60) as local:
        local.put("app", "env", "flags", ONE_FLAG)
        yield local.endpoint_url


def constructed(constructor: str, url: str, path: Path) -> str:
    return {
        "from_dict": f"appflags.Flags.from_dict({ONE_FLAG!r})",
        "from_file": f"appflags.Flags.from_file({str(path)!r})",
        "from_agent": f"appflags.Flags.from_agent('app', 'env', 'flags', url={url!r})",
        "from_appconfig": "appflags.Flags.from_appconfig("
        f"'app', 'env', 'flags', endpoint_url={url!r})",
    }[constructor]


def third_party(modules: list[str]) -> set[str]:
    return {m for m in top(modules) if m not in sys.stdlib_module_names} - {"appflags"}


@pytest.mark.parametrize("constructor", sorted(ADDED_APPFLAGS))
def test_each_constructor_adds_only_the_pinned_modules(
    constructor: str, one_flag: str, tmp_path: Path
) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(ONE_FLAG), encoding="utf-8")
    loaded = loaded_by(
        f"""
        flags = {constructed(constructor, one_flag, path)}
        assert flags.is_enabled("new-checkout")
        """
    )
    added = set(loaded["after"]) - set(loaded["import"])
    ours = {m for m in added if m.startswith("appflags.")}
    assert ours == ADDED_APPFLAGS[constructor], (
        f"new: {sorted(ours - ADDED_APPFLAGS[constructor])}, "
        f"gone: {sorted(ADDED_APPFLAGS[constructor] - ours)}"
    )
    allowed = ADDED_THIRD_PARTY[constructor] | VALIDATOR
    if constructor == "from_appconfig":
        allowed |= third_party(loaded_by(BOTOCORE_CLIENT.format(url=one_flag))["after"])
    assert third_party(sorted(added)) <= allowed, sorted(third_party(sorted(added)) - allowed)
    assert not top(sorted(added)) & {"boto3", "s3transfer", "structlog", "asyncio"}
    if constructor != "from_appconfig":  # botocore's own: see BOTOCORE_CLIENT
        assert not top(sorted(added)) & {"botocore", "urllib3", "concurrent", "subprocess"}
