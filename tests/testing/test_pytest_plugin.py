"""The pytest plugin: fixtures a project's own test suite gets by installing appflags."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from appflags import Flags
from appflags.testing.pytest_plugin import LocalProfile, OverrideFlags

TESTS = Path(__file__).resolve().parents[1]

PROFILE_TESTS = """
import pytest
from _support import wait_for

@pytest.mark.appflags_document({"beta": {"enabled": True, "color": "red"}})
def test_profile_is_deployed_and_flags_poll_it(appflags_profile):
    flags = appflags_profile.flags()
    assert flags.state.value == "READY"
    assert flags.is_enabled("beta")
    assert flags.get_str("beta.color", "blue") == "red"
    assert appflags_profile.deploy({"beta": {"enabled": False}}, version_label="v2") == 2
    assert wait_for(lambda: flags.version == "v2")
    assert wait_for(lambda: flags.is_enabled("beta") is False)

def test_without_marker_the_profile_is_empty(appflags_profile):
    flags = appflags_profile.agent_flags()
    assert flags.state.value == "READY"
    assert flags.enabled_features() == []
    assert appflags_profile.endpoint_url.startswith("http://127.0.0.1:")

def test_profiles_are_unique_per_test(appflags_profile, appflags_server):
    assert appflags_profile.server is appflags_server
    assert appflags_profile.profile.startswith("flags-")
"""

OVERRIDE_TESTS = """
import appflags
flags = appflags.Flags.from_dict({"beta": {"enabled": False}})

def test_1_override_for_this_test(appflags_override):
    active = appflags_override(flags, {"beta": True, "beta.color": "red"})
    assert flags.is_enabled("beta")
    assert flags.evaluate("beta", False).variant == "override"
    assert dict(active.values) == {"beta": True, "beta.color": "red"}

def test_2_the_override_ended_with_the_test():
    assert not flags.is_enabled("beta")
    assert dict(flags.overrides) == {}
"""


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    (plugin,) = [ep for ep in entry_points(group="pytest11") if ep.name == "appflags"]
    assert plugin.value == "appflags.testing.pytest_plugin"


def test_profile_fixture_serves_the_marker_document(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert(TESTS)  # _support, as in this suite
    pytester.makepyfile(test_app=PROFILE_TESTS)
    result = pytester.runpytest_inprocess("--strict-markers", "-q")
    result.assert_outcomes(passed=3)


def test_override_fixture_lasts_one_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app=OVERRIDE_TESTS)
    result = pytester.runpytest_inprocess("-q")
    result.assert_outcomes(passed=2)


def test_a_document_marker_without_a_document_is_a_usage_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_app="""
import pytest

@pytest.mark.appflags_document()
def test_no_document(appflags_profile):
    pass

@pytest.mark.appflags_document(version_label="v1")
def test_keywords_only(appflags_profile):
    pass

@pytest.mark.appflags_document({"beta": {"enabled": True}}, version="v1")
def test_unknown_keyword(appflags_profile):
    pass
"""
    )
    result = pytester.runpytest_inprocess("-q")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.appflags_document takes the document the appflags_profile fixture "
            "deploys (a dict, str or bytes)*missing 1 required positional argument: 'document'",
            "*unexpected keyword argument 'version'",
        ]
    )
    assert "KeyError" not in result.stdout.str()
    assert "During handling" not in result.stdout.str()  # the message alone


ENVIRONMENT_CONFTEST = """
import appflags
import pytest

BUILT_AT_IMPORT = appflags.Flags.from_dict({"beta": {"enabled": False}})

@pytest.fixture
def built_in_conftest():
    return BUILT_AT_IMPORT
"""

ENVIRONMENT_TESTS = """
import os
import appflags

built_at_import = appflags.Flags.from_dict({"beta": {"enabled": False}})

def test_flags_built_at_import_ignore_the_developer_s_overrides(built_in_conftest):
    assert built_in_conftest.is_enabled("beta") is False
    assert built_at_import.is_enabled("beta") is False

def test_flags_built_in_a_test_ignore_them_too():
    assert appflags.Flags.from_dict({"beta": {"enabled": False}}).is_enabled("beta") is False
    assert "APPFLAGS_OVERRIDES" not in os.environ

def test_a_test_may_set_its_own(monkeypatch):
    monkeypatch.setenv("APPFLAGS_OVERRIDES", '{"beta": "own"}')
    assert appflags.Flags.from_dict({"beta": {"enabled": False}}).get_str("beta", "") == "own"
"""


def test_the_developer_s_environment_overrides_do_not_reach_tests(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPFLAGS_OVERRIDES", '{"beta": true}')
    pytester.makeconftest(ENVIRONMENT_CONFTEST)
    pytester.makepyfile(test_app=ENVIRONMENT_TESTS)
    result = pytester.runpytest_inprocess("-q")
    result.assert_outcomes(passed=3)
    assert os.environ["APPFLAGS_OVERRIDES"] == '{"beta": true}'  # the run put it back


def test_an_ini_option_keeps_the_developer_s_environment_overrides(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPFLAGS_OVERRIDES", '{"beta": true}')
    pytester.makeini("[pytest]\nappflags_use_environment_overrides = true\n")
    pytester.makepyfile(
        test_app="""
import os
import appflags

def test_the_developer_s_overrides_answer():
    assert os.environ["APPFLAGS_OVERRIDES"] == '{"beta": true}'
    assert appflags.Flags.from_dict({"beta": {"enabled": False}}).is_enabled("beta") is True
"""
    )
    result = pytester.runpytest_inprocess("-q")
    result.assert_outcomes(passed=1)


def test_the_plugin_can_be_turned_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app="def test_x(appflags_override):\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:appflags")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'appflags_override' not found*"])


def test_importing_appflags_does_not_import_pytest() -> None:
    code = (
        "import sys, appflags, appflags.testing; "
        "print('pytest' in sys.modules, 'appflags.testing.pytest_plugin' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


def test_loading_the_plugin_does_not_import_boto3() -> None:
    # pytest loads it in every suite of a project with appflags installed, used or not.
    code = (
        "import sys, appflags.testing.pytest_plugin; "
        "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_fixtures_work_here_too(
    appflags_profile: LocalProfile, appflags_override: OverrideFlags
) -> None:
    assert isinstance(appflags_profile, LocalProfile)
    flags = appflags_profile.flags()
    assert isinstance(flags, Flags)
    assert callable(appflags_override)


def test_the_testing_page_runs_as_a_test_module(pytester: pytest.Pytester) -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)
    pytester.makepyfile(test_documented=blocks[0])
    result = pytester.runpytest_inprocess("--strict-markers", "-q")
    result.assert_outcomes(passed=4)
