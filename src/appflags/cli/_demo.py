"""``appflags demo``: watch flags change live through a local AppConfigData server."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appflags._flags import Change, Flags
from appflags._resources import read_text
from appflags.cli._command import EXIT_INVALID, EXIT_OK

if TYPE_CHECKING:
    import argparse

    from appflags.cli._command import Commands

DEMO_NAMES = ("demo", "local", "flags")


def register(commands: Commands) -> None:
    """Add ``demo``."""
    demo = commands.add_parser(
        "demo", help="watch flags change live through a local AppConfigData server"
    )
    demo.set_defaults(run=_demo)


def _demo(_args: argparse.Namespace) -> int:
    from appflags.testing import LocalAppConfig  # noqa: PLC0415 - only this command needs it

    workdir = Path(tempfile.mkdtemp(prefix="appflags-demo-"))
    flags_file = workdir / "flags.json"
    flags_file.write_text(read_text("_data/flags.json", "examples/flags.json"), encoding="utf-8")
    context = {"user_id": "u-42", "tier": "gold"}
    # AWS polls every 60 s by default, 15 s at the least; the demo asks the local server for
    # 1 s explicitly to keep the tour short.
    with LocalAppConfig(poll_interval=1) as server:
        server.watch_file(*DEMO_NAMES, flags_file)
        print(f"1. Local AppConfigData server at {server.endpoint_url}, serving {flags_file}")
        arrived = threading.Event()
        with Flags.from_appconfig(*DEMO_NAMES, client=server.client(), wait=5) as flags:
            print(
                f"2. Flags.from_appconfig{DEMO_NAMES}: state={flags.state.value}, "
                f"version={flags.version}"
            )
            _show(flags, context)

            def changed(change: Change) -> None:
                if change.changed_keys:
                    print(
                        f"   on_change: version {change.version}, "
                        f"changed keys {sorted(change.changed_keys)}"
                    )
                    arrived.set()

            flags.on_change(changed)
            doc = json.loads(flags_file.read_text(encoding="utf-8"))
            doc["dark-mode"] = {"enabled": True, "theme": "midnight"}
            doc["new-checkout"]["button_color"] = "purple"
            flags_file.write_text(json.dumps(doc, indent=2), encoding="utf-8")
            print(
                "3. Edited the file (dark-mode on, button_color purple); waiting for the next poll"
            )
            started = time.monotonic()
            if not arrived.wait(30):
                print("   the change did not arrive within 30 s")
                return EXIT_INVALID
            print(
                f"4. Arrived after {time.monotonic() - started:.1f} s, without restarting anything:"
            )
            _show(flags, context)
            calls = server.calls("GetLatestConfiguration")
            print(f"5. GetLatestConfiguration calls so far: {calls}; lookups made none.")
    shutil.rmtree(workdir, ignore_errors=True)
    print("Done. Next: `appflags serve FILE` to point your own app at a local file.")
    return EXIT_OK


def _show(flags: Flags, context: dict[str, Any]) -> None:
    checkout = flags.is_enabled("new-checkout", context)
    color = flags.get_str("new-checkout.button_color", "blue", context)
    dark = flags.evaluate("dark-mode", False, context)
    print(f"   is_enabled('new-checkout') = {checkout}")
    print(f"   get_str('new-checkout.button_color', 'blue') = {color!r}")
    print(f"   evaluate('dark-mode', False) = {dark.value} (reason {dark.reason.value})")
    print(f"   enabled_features() = {flags.enabled_features(context)}")
