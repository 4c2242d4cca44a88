"""Screenshots of the local console for docs/console.md, made in Debian's headless Chromium.

Run from the repository root after ``pip install -e '.[dev]'`` and
``apt-get install -y chromium``::

    python tools/console_screenshots.py

It serves copies of the example documents in a temporary folder (the examples are never
edited), drives the console as a person would, and writes the PNGs under docs/console/.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect, sync_playwright

from appflags import Flags
from appflags.testing import LocalAppConfig

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "console"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXAMPLES = ("flags.json", "flags-multivariant.json", "flags-powertools.json")


def _shoot(page: Any, name: str) -> None:
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    sys.stdout.write(f"wrote {path.relative_to(ROOT)}\n")


def _deploy(server: LocalAppConfig) -> None:
    """A gradual deployment through the control plane, as ``appflags deploy`` makes one."""
    ac = server.client("appconfig")
    app = ac.create_application(Name="shop")["Id"]
    env = ac.create_environment(ApplicationId=app, Name="prod")["Id"]
    profile = ac.create_configuration_profile(
        ApplicationId=app, Name="checkout", LocationUri="hosted"
    )["Id"]
    ac.create_hosted_configuration_version(
        ApplicationId=app,
        ConfigurationProfileId=profile,
        Content=json.dumps({"max_items": {"default": 20, "boolean_type": False}}).encode(),
        ContentType="application/json",
    )
    ac.start_deployment(
        ApplicationId=app,
        EnvironmentId=env,
        ConfigurationProfileId=profile,
        ConfigurationVersion="1",
        DeploymentStrategyId="AppConfig.Linear20PercentEvery6Minutes",
    )


def main() -> int:
    """Write the screenshots; 1 when Chromium is missing."""
    if not Path(CHROMIUM).exists():
        sys.stderr.write(f"no Chromium at {CHROMIUM}: apt-get install -y chromium\n")
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    # Ten minutes of a deployment pass in a second: the activity page shows one under way.
    with (
        tempfile.TemporaryDirectory() as folder,
        LocalAppConfig(poll_interval=1, time_scale=600) as server,
    ):
        for name in EXAMPLES:
            path = Path(shutil.copy(ROOT / "examples" / name, Path(folder) / name))
            server.console.add_file("local", "local", path.stem, path)
        server.console.enable()
        url = server.console.url
        with (
            Flags.from_appconfig("local", "local", "flags", endpoint_url=server.endpoint_url),
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 700})
            page.goto(url)
            page.get_by_role("button", name="Toggle dark-mode").click()
            expect(page.locator('tr[data-key="dark-mode"] .enabled')).to_have_text("on")
            _shoot(page, "flags")

            page.goto(f"{url}flag?profile=flags-multivariant&key=ui_refresh")
            variants = json.loads(page.get_by_label("Variants and rules").input_value())
            variants[0]["rule"] = '(ends_with $email "qa-testers.mycompany.com"'
            page.get_by_label("Variants and rules").fill(json.dumps(variants, indent=2))
            page.get_by_role("button", name="Save variants").click()
            expect(page.locator("form:has(#variants) .problems")).to_contain_text("column")
            _shoot(page, "edit-refused")

            page.goto(f"{url}evaluate")
            page.get_by_label("Profile").select_option("flags-multivariant")
            page.get_by_label("Attribute 1 name").fill("email")
            page.get_by_label("Attribute 1 value").fill("jane@example.org")
            page.get_by_label("Attribute 2 name").fill("opted_in_to_beta")
            page.get_by_label("Attribute 2 value").fill("true")
            page.get_by_label("Explain flag").fill("ui_refresh")
            page.get_by_role("button", name="Evaluate").click()
            page.locator('tr[data-answer="ui_refresh"]').wait_for()
            _shoot(page, "evaluate")

            _deploy(server)
            time.sleep(1.5)  # the client polls once more; the deployment reaches 40%
            page.goto(f"{url}activity")
            _shoot(page, "activity")

            narrow = browser.new_page(viewport={"width": 320, "height": 640})
            narrow.goto(url)
            _shoot(narrow, "flags-320px")
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
