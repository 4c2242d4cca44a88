"""The console as a person uses it: a real headless Chromium driven by Playwright.

These tests use Debian's ``chromium`` (``apt-get install -y chromium``), never a browser
Playwright downloads. Without it they skip, saying how to install it; with
``APPFLAGS_REQUIRE_BROWSER=1`` (CI sets it) a missing browser fails them instead.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _console_support import start_linear_deployment

from _support import wait_for
from appflags import Flags
from appflags.testing import LocalAppConfig

playwright_api: Any
try:
    from playwright import sync_api as playwright_api
except ImportError:  # the dev extra is not installed: the tests skip (or fail in CI)
    playwright_api = None

if TYPE_CHECKING:
    from collections.abc import Iterator

CHROMIUM = os.environ.get("APPFLAGS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXAMPLES = Path(__file__).parents[2] / "examples"
XSS = "<img src=x onerror=alert(1)>"


def _unavailable(why: str) -> None:
    if os.environ.get("APPFLAGS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{why} (APPFLAGS_REQUIRE_BROWSER=1 makes this a failure)")
    pytest.skip(f"{why}: install Debian's browser with `apt-get install -y chromium`")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the module's tests."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM}")
    if playwright_api is None:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Copies of the example documents."""
    return {
        Path(name).stem: Path(shutil.copy(EXAMPLES / name, tmp_path / name))
        for name in ("flags.json", "flags-multivariant.json")
    }


@pytest.fixture
def server(files: dict[str, Path]) -> Iterator[LocalAppConfig]:
    """The console over the example files; sessions poll every second."""
    with LocalAppConfig(poll_interval=1) as local:
        for profile, path in files.items():
            local.console.add_file("local", "local", profile, path)
        local.console.enable()
        yield local


@pytest.fixture
def page(chromium: Any, server: LocalAppConfig) -> Iterator[Any]:
    """A fresh tab; any alert() an injected script would open fails the test."""
    context = chromium.new_context()
    tab = context.new_page()
    dialogs: list[str] = []

    def opened(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    tab.on("dialog", opened)
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
    assert dialogs == []


def test_toggling_a_flag_reaches_a_polling_client(page: Any, server: LocalAppConfig) -> None:
    with Flags.from_appconfig("local", "local", "flags", endpoint_url=server.endpoint_url) as flags:
        assert flags.is_enabled("dark-mode") is False
        page.goto(server.console.url)
        row = page.locator('tr[data-key="dark-mode"]')
        assert row.locator(".enabled").inner_text() == "off"
        page.get_by_role("button", name="Toggle dark-mode").click()
        playwright_api.expect(row.locator(".enabled")).to_have_text("on")  # the page reloaded
        assert row.locator(".changed").inner_text() == "yes"
        # The client's poll interval is the server's second: the new version arrives.
        assert wait_for(lambda: flags.is_enabled("dark-mode"), timeout=10)


def test_an_invalid_rule_shows_the_error_and_leaves_the_file_as_it_was(
    page: Any, server: LocalAppConfig, files: dict[str, Path]
) -> None:
    path = files["flags-multivariant"]
    before = path.read_bytes()
    page.goto(server.console.url)
    page.get_by_role("link", name="Edit ui_refresh").click()
    variants = json.loads(before)["values"]["ui_refresh"]["_variants"]
    variants[0]["rule"] = '(ends_with $email "qa"'
    page.get_by_label("Variants and rules").fill(json.dumps(variants, indent=2))
    page.get_by_role("button", name="Save variants").click()
    problems = page.locator("form:has(#variants) .problems")
    playwright_api.expect(problems).to_contain_text("column")
    text = problems.inner_text()
    assert "$.values.ui_refresh._variants[0].rule" in text
    assert "column 1" in text
    assert path.read_bytes() == before


def test_evaluating_a_context_shows_the_variant(page: Any, server: LocalAppConfig) -> None:
    page.goto(server.console.url)
    page.get_by_role("link", name="Evaluate").click()
    page.get_by_label("Profile").select_option("flags-multivariant")
    page.get_by_label("Attribute 1 name").fill("email")
    page.get_by_label("Attribute 1 value").fill("ana@qa-testers.mycompany.com")
    page.get_by_label("Explain flag").fill("ui_refresh")
    page.get_by_role("button", name="Evaluate").click()
    answer = page.locator('tr[data-answer="ui_refresh"]')
    assert answer.locator(".variant").inner_text() == "QA"
    assert "match" in page.locator("#explained + div").inner_text()


def test_a_value_that_looks_like_html_shows_as_text(
    page: Any, server: LocalAppConfig, files: dict[str, Path]
) -> None:
    doc = json.loads(files["flags"].read_text())
    doc["new-checkout"]["button_color"] = XSS
    files["flags"].write_text(json.dumps(doc))
    page.goto(f"{server.console.url}flag?profile=flags&key=new-checkout")
    assert page.get_by_label("button_color").input_value() == XSS
    assert XSS in page.get_by_label("Definition (JSON)").input_value()
    page.goto(f"{server.console.url}evaluate?profile=flags")
    cell = page.locator('tr[data-answer="new-checkout.button_color"] .value')
    assert cell.inner_text() == json.dumps(XSS)
    assert page.locator("img").count() == 0


def test_a_running_deployment_moves_on_without_a_reload(chromium: Any) -> None:
    now = [datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)]
    with LocalAppConfig(clock=lambda: now[0], time_scale=60) as server:
        server.console.enable()
        start_linear_deployment(server)
        context = chromium.new_context()
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{server.console.url}activity")
        row = page.locator('tr[data-deployment="1"]')
        playwright_api.expect(row.locator(".percent")).to_have_text("0.0%")
        now[0] += timedelta(seconds=12)  # 12 minutes at time_scale=60
        playwright_api.expect(row.locator(".percent")).to_have_text("40.0%")
        now[0] += timedelta(seconds=60)
        playwright_api.expect(row.locator(".state")).to_have_text("COMPLETE")
        context.close()


def test_an_edit_works_without_script(
    chromium: Any, server: LocalAppConfig, files: dict[str, Path]
) -> None:
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(server.console.url)
    with page.expect_navigation():  # the post is answered with a redirect back
        page.get_by_role("button", name="Toggle search-v2").click()
    assert page.url == server.console.url, page.content()
    assert page.locator('tr[data-key="search-v2"] .enabled').inner_text() == "on"
    assert json.loads(files["flags"].read_text())["search-v2"] == {"enabled": True}
    page.goto(f"{server.console.url}flag?profile=flags&key=search-v2")
    page.get_by_label("Definition (JSON)").fill("{")
    with page.expect_navigation():
        page.get_by_role("button", name="Save definition").click()
    assert "not valid JSON" in page.locator(".problem").inner_text()
    context.close()


@pytest.mark.parametrize("width", [320, 1280])
def test_the_search_box_filters_the_flags_at_any_width(
    chromium: Any, server: LocalAppConfig, width: int
) -> None:
    context = chromium.new_context(viewport={"width": width, "height": 800})
    tab = context.new_page()
    tab.goto(server.console.url)
    tab.get_by_label("Search flags").fill("beta")
    playwright_api.expect(tab.locator('tr[data-key="dark-mode"]')).to_be_hidden()
    playwright_api.expect(tab.locator('tr[data-key="beta-banner"]')).to_be_visible()
    context.close()
