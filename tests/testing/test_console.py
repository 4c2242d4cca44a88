"""The console's HTTP API, driven with plain urllib as a browser's requests would be."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import pytest
from _console_support import start_linear_deployment

from _support import GOLD_RULE, wait_for
from appflags import Flags
from appflags.testing import LocalAppConfig

if TYPE_CHECKING:
    from collections.abc import Iterator

EXAMPLES = Path(__file__).parents[2] / "examples"
XSS = "<img src=x onerror=alert(1)>"


class Page:
    """One answer: status, headers and text."""

    def __init__(self, status: int, headers: Any, text: str) -> None:
        self.status = status
        self.headers = headers
        self.text = text

    def json(self) -> Any:
        return json.loads(self.text)


class Browser:
    """Requests to one console as its own pages send them."""

    def __init__(self, server: LocalAppConfig) -> None:
        self.server = server
        self.base = server.endpoint_url

    def get(self, path: str, headers: dict[str, str] | None = None) -> Page:
        return self.send(path, None, headers or {})

    def post(
        self,
        fields: dict[str, str],
        *,
        token: str | None = "page",  # noqa: S107 - "the page's token"
        headers: dict[str, str] | None = None,
        path: str = "/ui/edit",
        method: str = "POST",
    ) -> Page:
        sent = {"Accept": "application/json", **(headers or {})}
        if token == "page":
            token = self.server.console.token
        if token is not None:
            sent["X-Appflags-Token"] = token
        return self.send(path, urlencode(fields).encode(), sent, method)

    def profile(self, name: str) -> dict[str, Any]:
        profiles = self.get("/ui/api/flags").json()["profiles"]
        found: dict[str, Any] = next(p for p in profiles if p["profile"] == name)
        return found

    def edit(self, profile: str, op: str, flag: str, **fields: str) -> Page:
        etag = fields.pop("etag", None) or self.profile(profile)["etag"]
        return self.post({"profile": profile, "op": op, "flag": flag, "etag": etag, **fields})

    def send(
        self, path: str, body: bytes | None, headers: dict[str, str], method: str | None = None
    ) -> Page:
        url = self.base + path  # always http://127.0.0.1:PORT
        request = urllib.request.Request(url, body, headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return Page(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            return Page(error.code, error.headers, error.read().decode())


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Copies of the example documents, one per format, and a YAML one."""
    copies = {}
    for name in ("flags.json", "flags-multivariant.json", "flags-powertools.json"):
        copies[Path(name).stem] = Path(shutil.copy(EXAMPLES / name, tmp_path / name))
    flagd = tmp_path / "flagd.json"
    flagd.write_text(
        json.dumps(
            {
                "flags": {
                    "color": {
                        "state": "ENABLED",
                        "variants": {"red": "#f00", "blue": "#00f"},
                        "defaultVariant": "red",
                    }
                }
            },
            indent=2,
        )
    )
    copies["flagd"] = flagd
    yaml = tmp_path / "settings.yaml"
    yaml.write_text("# kept comment\nbeta:\n  enabled: true\n")
    copies["settings"] = yaml
    return copies


@pytest.fixture
def console(files: dict[str, Path]) -> Iterator[LocalAppConfig]:
    """A server with the console on, serving every file of ``files``."""
    with LocalAppConfig(poll_interval=0.1) as server:
        for profile, path in files.items():
            server.console.add_file("local", "local", profile, path)
        server.console.enable()
        yield server


@pytest.fixture
def browser(console: LocalAppConfig) -> Browser:
    return Browser(console)


def test_the_flags_page_lists_every_profile_in_its_own_terms(browser: Browser) -> None:
    page = browser.get("/ui/")
    assert page.status == 200
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    for text in ("new-checkout", "ui_refresh", "premium_features", "color", "beta"):
        assert f'data-key="{text}"' in page.text
    assert "per variant" in page.text  # the multi-variant flag
    assert "on, default red" in page.text  # flagd
    assert "read-only" in page.text  # the YAML file
    assert browser.server.console.token in page.text


def test_a_toggle_is_validated_written_back_and_served_as_a_new_version(
    browser: Browser, files: dict[str, Path]
) -> None:
    path = files["flags"]
    before = json.loads(path.read_text())
    with Flags.from_appconfig("local", "local", "flags", endpoint_url=browser.base) as flags:
        assert flags.is_enabled("dark-mode") is False
        answer = browser.edit("flags", "toggle", "dark-mode")
        assert answer.status == 200, answer.text
        assert answer.json()["ok"] is True
        assert wait_for(lambda: flags.is_enabled("dark-mode"))
    after = json.loads(path.read_text())
    assert list(after) == list(before)  # key order kept
    assert after["dark-mode"] == {"enabled": True}
    assert path.read_text().startswith('{\n  "new-checkout": {\n    "enabled": true,')
    row = next(f for f in browser.profile("flags")["flags"] if f["key"] == "dark-mode")
    assert row["enabled"] == "on"
    assert 'data-key="dark-mode"' in browser.get("/ui/").text


def test_each_format_toggles_in_its_own_terms(browser: Browser, files: dict[str, Path]) -> None:
    assert browser.edit("flags-powertools", "toggle", "dark_mode").status == 200
    assert json.loads(files["flags-powertools"].read_text())["dark_mode"]["default"] is True
    assert browser.edit("flagd", "toggle", "color").status == 200
    assert json.loads(files["flagd"].read_text())["flags"]["color"]["state"] == "DISABLED"
    answer = browser.edit("flagd", "default-variant", "color", variant="blue")
    assert answer.status == 200, answer.text
    assert json.loads(files["flagd"].read_text())["flags"]["color"]["defaultVariant"] == "blue"


def test_an_invalid_edit_is_refused_with_its_path_and_nothing_is_written(
    browser: Browser, files: dict[str, Path]
) -> None:
    path = files["flags-multivariant"]
    before = path.read_bytes()
    version = browser.profile("flags-multivariant")["version"]
    variants = json.loads(before)["values"]["ui_refresh"]["_variants"]
    variants[0]["rule"] = '(ends_with $email "x"'
    answer = browser.edit(
        "flags-multivariant", "variants", "ui_refresh", variants=json.dumps(variants)
    )
    assert answer.status == 400
    problem = answer.json()["problems"][0]
    assert problem["path"] == "$.values.ui_refresh._variants[0].rule"
    assert "column 1" in problem["message"]
    assert path.read_bytes() == before
    assert browser.profile("flags-multivariant")["version"] == version


def test_an_attribute_value_breaking_its_constraint_is_refused(
    browser: Browser, files: dict[str, Path]
) -> None:
    doc = json.loads(files["flags-multivariant"].read_text())
    doc["values"]["plain"] = {"enabled": True, "limit": 5}
    doc["flags"]["plain"] = {
        "name": "plain",
        "attributes": {"limit": {"constraints": {"type": "number", "maximum": 10}}},
    }
    files["flags-multivariant"].write_text(json.dumps(doc, indent=2))
    before = files["flags-multivariant"].read_bytes()
    answer = browser.edit("flags-multivariant", "attributes", "plain", **{"attr:limit": "50"})
    assert answer.status == 400
    assert any("limit" in p["path"] for p in answer.json()["problems"])
    assert files["flags-multivariant"].read_bytes() == before
    answer = browser.edit("flags-multivariant", "attributes", "plain", **{"attr:limit": "7"})
    assert answer.status == 200, answer.text
    assert json.loads(files["flags-multivariant"].read_text())["values"]["plain"]["limit"] == 7


def test_flags_are_added_edited_as_json_and_deleted(
    browser: Browser, files: dict[str, Path]
) -> None:
    assert browser.edit("flags-powertools", "add", "fresh").status == 200
    assert json.loads(files["flags-powertools"].read_text())["fresh"] == {"default": False}
    assert browser.edit("flags-powertools", "add", "fresh").status == 400  # exists already
    definition = json.dumps({"default": 3, "boolean_type": False})
    answer = browser.edit("flags-powertools", "definition", "fresh", definition=definition)
    assert answer.status == 200, answer.text
    assert json.loads(files["flags-powertools"].read_text())["fresh"]["default"] == 3
    assert browser.edit("flags-powertools", "delete", "fresh").status == 400  # unconfirmed
    assert browser.edit("flags-powertools", "delete", "fresh", confirm="yes").status == 200
    assert "fresh" not in json.loads(files["flags-powertools"].read_text())


def test_two_tabs_editing_from_the_same_version_cannot_overwrite_each_other(
    browser: Browser, files: dict[str, Path]
) -> None:
    etag = browser.profile("flags")["etag"]
    assert browser.edit("flags", "toggle", "dark-mode", etag=etag).status == 200
    written = files["flags"].read_bytes()
    answer = browser.edit("flags", "toggle", "search-v2", etag=etag)
    assert answer.status == 409
    assert "changed since you loaded it" in answer.json()["error"]
    assert files["flags"].read_bytes() == written


def test_a_file_changed_on_disk_is_served_and_an_edit_from_before_is_refused(
    browser: Browser, files: dict[str, Path]
) -> None:
    etag = browser.profile("flags")["etag"]
    files["flags"].write_text(json.dumps({"only": {"enabled": True}}))
    answer = browser.edit("flags", "toggle", "dark-mode", etag=etag)
    assert answer.status == 409
    assert json.loads(files["flags"].read_text()) == {"only": {"enabled": True}}
    assert [f["key"] for f in browser.profile("flags")["flags"]] == ["only"]


def test_a_bad_save_on_disk_keeps_the_last_good_version_and_says_why(
    console: LocalAppConfig, browser: Browser, files: dict[str, Path]
) -> None:
    reports: list[tuple[str, bool]] = []
    console.console.report = lambda message, problem: reports.append((message, problem))
    version = browser.profile("flags")["version"]
    files["flags"].write_text('{"beta": {"enabled": "yes"}}')
    console.console.check_files()
    assert reports
    assert reports[-1][1] is True
    assert "$.beta.enabled" in reports[-1][0]
    assert f"still serving version {version}" in reports[-1][0]
    profile = browser.profile("flags")
    assert profile["version"] == version
    assert "$.beta.enabled" in profile["problem"]
    assert "Not served" in browser.get("/ui/").text
    with Flags.from_appconfig("local", "local", "flags", endpoint_url=browser.base) as flags:
        assert flags.is_enabled("new-checkout") is True  # the last good version


def test_yaml_files_are_read_only(browser: Browser, files: dict[str, Path]) -> None:
    answer = browser.edit("settings", "toggle", "beta")
    assert answer.status == 403
    assert "read-only" in answer.json()["error"]
    assert files["settings"].read_text().startswith("# kept comment")
    assert "read-only" in browser.get("/ui/flag?profile=settings&key=beta").text.lower()


def test_values_keys_and_rules_are_rendered_as_text(
    browser: Browser, files: dict[str, Path]
) -> None:
    doc = json.loads(files["flags"].read_text())
    doc["new-checkout"]["button_color"] = XSS
    files["flags"].write_text(json.dumps(doc))
    doc = json.loads(files["flags-powertools"].read_text())
    doc[XSS] = {"default": XSS, "boolean_type": False}  # Powertools takes any key
    files["flags-powertools"].write_text(json.dumps(doc))
    assert browser.profile("flags")["problem"] is None
    assert browser.profile("flags-powertools")["problem"] is None
    for path in (
        "/ui/",
        "/ui/flag?profile=flags&key=new-checkout",
        f"/ui/flag?profile=flags-powertools&key={quote(XSS)}",
        "/ui/evaluate",
        "/ui/evaluate?profile=flags-powertools&" + urlencode({"name": XSS, "value": XSS}),
    ):
        text = browser.get(path).text
        assert "<img" not in text, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in text, path


def test_state_changing_requests_need_the_token(browser: Browser, files: dict[str, Path]) -> None:
    before = files["flags"].read_bytes()
    etag = browser.profile("flags")["etag"]
    fields = {"profile": "flags", "op": "toggle", "flag": "dark-mode", "etag": etag}
    for token in (None, "wrong"):
        answer = browser.post(fields, token=token)
        assert answer.status == 403
        assert "token" in answer.json()["error"]
    assert files["flags"].read_bytes() == before
    # Without script, the form's own field carries it.
    form = {**fields, "token": browser.server.console.token}
    assert browser.post(form, token=None).status == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example:80"},
        {"Host": "rebound.example.com:{port}"},  # DNS rebinding: right port, foreign name
        {"Origin": "http://evil.example"},
        {"Origin": "http://localhost:{port}"},  # another origin than the Host asked
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_requests_not_from_the_servers_own_pages_are_refused(
    browser: Browser, files: dict[str, Path], headers: dict[str, str]
) -> None:
    port = browser.base.rsplit(":", 1)[1]
    headers = {name: value.format(port=port) for name, value in headers.items()}
    assert browser.get("/ui/", headers).status == 403
    before = files["flags"].read_bytes()
    etag = browser.profile("flags")["etag"]
    fields = {"profile": "flags", "op": "toggle", "flag": "dark-mode", "etag": etag}
    assert browser.post(fields, headers=headers).status == 403
    assert files["flags"].read_bytes() == before


def test_the_servers_own_origin_and_localhost_are_accepted(browser: Browser) -> None:
    port = browser.base.rsplit(":", 1)[1]
    assert browser.get("/ui/", {"Origin": browser.base}).status == 200
    localhost = {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"}
    assert browser.get("/ui/", localhost).status == 200


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"profile": "flags", "op": "definition", "flag": "dark-mode", "definition": "{"}, 400,
         "not valid JSON"),
        ({"profile": "flags", "op": "explode", "flag": "dark-mode"}, 400, "no edit"),
        ({"profile": "nope", "op": "toggle", "flag": "x"}, 404, "no profile"),
        ({"profile": "flags", "op": "toggle", "flag": "missing"}, 400, "no flag"),
        ({"op": "toggle"}, 400, "no profile"),
    ],
)  # fmt: skip
def test_malformed_edits_get_a_4xx_with_a_message(
    browser: Browser, files: dict[str, Path], fields: dict[str, str], status: int, words: str
) -> None:
    before = files["flags"].read_bytes()
    if "profile" in fields and fields["profile"] == "flags":
        fields = {**fields, "etag": browser.profile("flags")["etag"]}
    answer = browser.post(fields)
    assert answer.status == status, answer.text
    assert words in answer.json()["error"]
    assert files["flags"].read_bytes() == before


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/ui/nothing-here", 404),
        ("GET", "/ui/diff?profile=flags&a=x&b=1", 400),
        ("GET", "/ui/diff?profile=flags&a=1&b=99", 404),
        ("GET", "/ui/flag?profile=flags&key=missing", 404),
        ("GET", "/ui/flag?profile=flags", 400),
        ("PUT", "/ui/edit", 405),
        ("DELETE", "/ui/", 405),
        ("POST", "/ui/", 405),
    ],
)
def test_malformed_requests_get_a_4xx_page_never_a_traceback(
    browser: Browser, method: str, path: str, status: int
) -> None:
    if method == "GET":
        answer = browser.get(path)
    else:
        answer = browser.post({}, path=path, method=method, headers={"Accept": "text/html"})
    assert answer.status == status, answer.text
    assert "Traceback" not in answer.text


def test_a_body_that_is_not_utf8_is_a_400(browser: Browser) -> None:
    headers = {"X-Appflags-Token": browser.server.console.token, "Accept": "application/json"}
    assert browser.send("/ui/edit", b"\xff\xfe", headers).status == 400


def test_the_console_stays_out_of_the_call_log(console: LocalAppConfig, browser: Browser) -> None:
    browser.get("/ui/")
    browser.get("/ui/nothing-here")
    browser.edit("flags", "toggle", "dark-mode")
    assert console.log == []


def test_the_console_is_off_until_enabled(files: dict[str, Path]) -> None:
    with LocalAppConfig() as server:
        server.console.add_file("local", "local", "flags", files["flags"])
        answer = Browser(server).get("/ui/")
        assert answer.status == 404
        assert "--ui" in answer.text


def test_evaluate_answers_every_flag_for_a_context_and_explains_one(browser: Browser) -> None:
    query = urlencode(
        [
            ("profile", "flags-multivariant"),
            ("name", "email"),
            ("value", "jane@example.org"),
            ("context", '{"opted_in_to_beta": true}'),
            ("explain", "ui_refresh"),
        ]
    )
    text = browser.get(f"/ui/evaluate?{query}").text
    row = re.search(r'data-answer="ui_refresh">.*?</tr>', text)
    assert row is not None
    assert "Beta Testers" in row.group(0)
    assert "TARGETING_MATCH" in row.group(0)
    assert "(exists key::&quot;opted_in_to_beta&quot;)" in text  # the explain trace
    assert "<td>QA</td>" in text
    assert "<td>no match</td>" in text  # QA's rule
    assert "<td>match</td>" in text  # Beta Testers'


def test_evaluate_refuses_a_context_that_is_not_an_object(browser: Browser) -> None:
    page = browser.get("/ui/evaluate?" + urlencode({"context": "[1, 2]"}))
    assert page.status == 200
    assert "the context is a JSON object" in page.text


def test_sessions_and_versions_are_shown_with_a_diff(
    console: LocalAppConfig, browser: Browser
) -> None:
    with Flags.from_appconfig("local", "local", "flags", endpoint_url=browser.base) as flags:
        assert flags.is_enabled("new-checkout")
    assert browser.edit("flags", "toggle", "dark-mode").status == 200
    live = browser.get("/ui/activity/live").text
    assert "local/local/flags" in live
    page = browser.get("/ui/activity").text
    assert "Versions of flags" in page
    assert "the console" in page
    diff = browser.get("/ui/diff?profile=flags&a=1&b=2").text
    assert "-  &quot;dark-mode&quot;: {&quot;enabled&quot;: false}," in diff
    assert "+  &quot;dark-mode&quot;: {" in diff


def test_agent_requests_are_shown_with_their_context(
    console: LocalAppConfig, browser: Browser
) -> None:
    path = "/applications/local/environments/local/configurations/flags"
    assert browser.send(path, None, {"Context": "tier=gold"}).status == 200
    assert "tier=gold" in browser.get("/ui/activity/live").text


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def test_running_deployments_are_shown_with_their_percentage() -> None:
    clock = Clock()
    with LocalAppConfig(clock=clock, time_scale=60) as server:
        server.console.enable()
        browser = Browser(server)
        assert "No deployment yet" in browser.get("/ui/activity/live").text
        start_linear_deployment(server)
        clock.now += timedelta(seconds=12)  # 12 minutes at time_scale=60: 40%
        live = browser.get("/ui/activity/live").text
        row = re.search(r'<tr data-deployment="1".*?</tr>', live)
        assert row is not None
        assert "shop/prod" in live
        assert "settings" in row.group(0)
        assert "DEPLOYING" in row.group(0)
        assert "40.0%" in row.group(0)
        clock.now += timedelta(seconds=60)
        row = re.search(r'<tr data-deployment="1".*?</tr>', browser.get("/ui/activity/live").text)
        assert row is not None
        assert "COMPLETE" in row.group(0)
        assert "100.0%" in row.group(0)


def test_profiles_deployed_through_the_control_plane_are_shown_and_evaluated(
    console: LocalAppConfig, browser: Browser
) -> None:
    flags = {"beta": {"default": False, "rules": {"gold": GOLD_RULE}}}
    start_linear_deployment(console, flags, strategy="AppConfig.AllAtOnce")
    page = browser.get("/ui/").text
    assert "Profile shop/prod/settings" in page
    assert "deploying a new version" in page
    profile = browser.profile("shop/prod/settings")
    assert profile["editable"] is False
    assert [f["key"] for f in profile["flags"]] == ["beta"]
    query = urlencode({"profile": "shop/prod/settings", "name": "tier", "value": "gold"})
    row = re.search(r'data-answer="beta">.*?</tr>', browser.get(f"/ui/evaluate?{query}").text)
    assert row is not None
    assert "TARGETING_MATCH" in row.group(0)
    answer = browser.edit("shop/prod/settings", "toggle", "beta", etag="any")
    assert answer.status == 403
    assert "deploying a new version" in answer.json()["error"]


@pytest.mark.parametrize(
    ("required", "outcome", "words"),
    [("", "skipped", "apt-get install -y chromium"), ("1", "error", "APPFLAGS_REQUIRE_BROWSER=1")],
)
def test_browser_tests_without_a_browser_skip_saying_how_to_install_it_unless_required(
    required: str, outcome: str, words: str
) -> None:
    root = Path(__file__).parents[2]
    environment = {
        **os.environ,
        "APPFLAGS_CHROMIUM": "/nonexistent/chromium",
        "APPFLAGS_REQUIRE_BROWSER": required,
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rsf", "-q",
         "tests/testing/test_console_browser.py::test_evaluating_a_context_shows_the_variant"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )  # fmt: skip
    assert f"1 {outcome}" in result.stdout, result.stdout
    assert words in result.stdout


LONG_NUMBER = "1" * 5000  # past Python's 4,300 digits: int() refuses it


@pytest.mark.parametrize(
    ("op", "flag", "fields"),
    [
        ("definition", "dark-mode", {"definition": '{"enabled": true, "n": ' + LONG_NUMBER + "}"}),
        ("attributes", "new-checkout", {"attr:max_items": LONG_NUMBER}),
    ],
)
def test_a_number_too_long_to_read_is_a_400_not_a_500(
    browser: Browser, files: dict[str, Path], op: str, flag: str, fields: dict[str, str]
) -> None:
    before = files["flags"].read_bytes()
    answer = browser.edit("flags", op, flag, **fields)
    assert answer.status == 400, answer.text
    assert answer.json()["error"]
    assert files["flags"].read_bytes() == before


def test_evaluate_with_a_number_too_long_to_read_says_so(browser: Browser) -> None:
    for context in (LONG_NUMBER, '{"n": ' + LONG_NUMBER + "}"):
        page = browser.get("/ui/evaluate?" + urlencode({"profile": "flags", "context": context}))
        assert page.status == 200, page.text
        assert 'class="problem"' in page.text


def test_a_definition_that_repeats_a_key_is_refused_not_half_kept(
    browser: Browser, files: dict[str, Path]
) -> None:
    before = files["flags"].read_bytes()
    definition = '{"enabled": true, "enabled": false}'
    answer = browser.edit("flags", "definition", "dark-mode", definition=definition)
    assert answer.status == 400, answer.text
    assert "definition.enabled: defined more than once" in answer.json()["error"]
    assert files["flags"].read_bytes() == before


@pytest.mark.parametrize(
    ("length", "status"),
    [("abc", 400), ("-5", 400), (str(10**12), 413)],
)
def test_a_body_length_that_is_not_a_number_or_too_large_is_a_4xx(
    browser: Browser, length: str, status: int
) -> None:
    host = browser.base.removeprefix("http://")
    connection = http.client.HTTPConnection(host, timeout=10)
    connection.putrequest("POST", "/ui/edit")
    connection.putheader("X-Appflags-Token", browser.server.console.token)
    connection.putheader("Content-Length", length)
    connection.endheaders()  # no body: a server reading 10**12 bytes would wait for ever
    answer = connection.getresponse()
    assert answer.status == status
    assert "Traceback" not in answer.read().decode()
    connection.close()


def test_an_edit_that_cannot_be_written_is_not_served_either(tmp_path: Path) -> None:
    # A name of 255 characters: the file's temporary sibling, a longer name, cannot be made.
    path = Path(shutil.copy(EXAMPLES / "flags.json", tmp_path / ("f" * 250 + ".json")))
    before = path.read_bytes()
    with LocalAppConfig(poll_interval=0.1) as server:
        server.console.add_file("local", "local", "flags", path)
        server.console.enable()
        browser = Browser(server)
        answer = browser.edit("flags", "toggle", "dark-mode")
        assert answer.status == 409, answer.text
        assert "cannot write" in answer.json()["error"]
        assert browser.profile("flags")["version"] == 1  # the clients keep the file's version
    assert path.read_bytes() == before
