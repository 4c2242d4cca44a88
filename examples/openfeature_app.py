"""OpenFeature over AWS AppConfig with appflags: flagd-format flags, evaluated in-process.

This runs offline: :class:`appflags.testing.LocalAppConfig` plays AppConfig on 127.0.0.1.
Against the real service, drop the server and the ``client=`` argument::

    api.set_provider_and_wait(AppFlagsProvider.from_appconfig("shop", "prod", "flags"))

Run it with ``python examples/openfeature_app.py`` (needs ``appflags[openfeature]``).
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import EventDetails, ProviderEvent

from appflags.openfeature import AppFlagsProvider
from appflags.testing import LocalAppConfig

APP = ("shop", "prod", "checkout-flags")

FLAGS: dict[str, Any] = {
    "metadata": {"flagSetId": "checkout"},
    "flags": {
        "new-checkout": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            # Staff always, and a stable 25% of everyone else, bucketed by user id.
            "targeting": {
                "if": [
                    {"ends_with": [{"var": "email"}, "@example.com"]},
                    "on",
                    {"fractional": [["on", 25], ["off", 75]]},
                ]
            },
        },
        "button-color": {
            "state": "ENABLED",
            "variants": {"blue": "#0050ff", "green": "#00a050"},
            "defaultVariant": "blue",
            "metadata": {"owner": "design"},
        },
        "max-items": {
            "state": "ENABLED",
            "variants": {"few": 10, "many": 100},
            "defaultVariant": "few",
            "targeting": {
                "if": [{"sem_ver": [{"var": "app_version"}, ">=", "2.0.0"]}, "many", None]
            },
        },
    },
}


def main() -> int:
    """Deploy flags, evaluate them through OpenFeature, deploy a change, see it arrive."""
    with LocalAppConfig(poll_interval=1) as server:
        server.put(*APP, FLAGS, version_label="v1")
        provider = AppFlagsProvider.from_appconfig(*APP, client=server.client())

        changed = threading.Event()

        def on_change(details: EventDetails) -> None:
            print(f"configuration changed: {details.flags_changed}")
            changed.set()

        api.add_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, on_change)
        api.set_provider_and_wait(provider)  # waits (bounded) for the first configuration
        client = api.get_client()

        for user, email in (
            ("u-1", "ann@example.com"),
            ("u-2", "bob@mail.test"),
            ("u-3", "cy@mail.test"),
        ):
            context = EvaluationContext(targeting_key=user, attributes={"email": email})
            details = client.get_boolean_details("new-checkout", False, context)
            how = f"{details.reason}, variant {details.variant}"
            print(f"new-checkout for {user}: {details.value} ({how})")

        mobile = EvaluationContext(targeting_key="u-4", attributes={"app_version": "2.3.1"})
        print("max-items on app 2.3.1:", client.get_integer_value("max-items", 0, mobile))
        color = client.get_string_details("button-color", "#000000")
        # flag_metadata: the document's metadata plus the version label that answered.
        print(f"button-color: {color.value} metadata={color.flag_metadata}")

        recolored = copy.deepcopy(FLAGS)
        recolored["flags"]["button-color"]["defaultVariant"] = "green"
        server.put(*APP, recolored)
        if not changed.wait(10):
            print("the new version did not arrive")
            return 1
        print("button-color now:", client.get_string_value("button-color", "#000000"))
        api.shutdown()  # closes the flags the provider built
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
