"""An AWS Lambda function that reads feature flags from AWS AppConfig with appflags.

The ``Flags`` object is built at module level, so Lambda builds it once per execution
environment, during the init phase; every invocation after that reads flags from memory
(no AppConfig call, no lock, well under a microsecond per lookup).

Two ways to reach AppConfig, chosen with the ``APPFLAGS_SOURCE`` environment variable:

- unset or ``appconfig``: appflags calls the AppConfigData API itself through boto3
  (``Flags.from_appconfig``). The function's role needs
  ``appconfig:StartConfigurationSession`` and ``appconfig:GetLatestConfiguration``.
- ``agent``: the AWS AppConfig Agent Lambda extension, added to the function as a layer,
  polls AppConfig and serves the flags on ``http://localhost:2772``
  (``Flags.from_agent``). The role needs the same permissions, used by the extension.

Other settings (environment variables): ``APPFLAGS_APPLICATION``,
``APPFLAGS_ENVIRONMENT``, ``APPFLAGS_PROFILE`` name the configuration profile;
``APPFLAGS_ENDPOINT_URL`` points boto3 elsewhere than AWS (the tests use
``appflags.testing.LocalAppConfig``); ``APPFLAGS_AGENT_URL`` overrides the extension's
address, which otherwise follows ``AWS_APPCONFIG_EXTENSION_HTTP_PORT``.

Try it locally with ``python examples/lambda_handler.py`` next to ``appflags serve``::

    appflags serve examples/flags.json --application shop --environment prod \\
        --profile flags --poll-interval 15 &
    APPFLAGS_ENDPOINT_URL=http://127.0.0.1:2773 AWS_DEFAULT_REGION=us-east-1 \\
        AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x python examples/lambda_handler.py
"""

from __future__ import annotations

import json
import os
from typing import Any

import appflags

APPLICATION = os.environ.get("APPFLAGS_APPLICATION", "shop")
ENVIRONMENT = os.environ.get("APPFLAGS_ENVIRONMENT", "prod")
PROFILE = os.environ.get("APPFLAGS_PROFILE", "flags")


def build_flags() -> appflags.Flags:
    """The flags for this execution environment, from AppConfig or its Lambda extension."""
    if os.environ.get("APPFLAGS_SOURCE", "appconfig") == "agent":
        port = os.environ.get("AWS_APPCONFIG_EXTENSION_HTTP_PORT", "2772")
        url = os.environ.get("APPFLAGS_AGENT_URL", f"http://localhost:{port}")
        # The extension is a local cache: asking it every few seconds costs nothing.
        return appflags.Flags.from_agent(APPLICATION, ENVIRONMENT, PROFILE, url=url, wait=2.0)
    return appflags.Flags.from_appconfig(
        APPLICATION,
        ENVIRONMENT,
        PROFILE,
        endpoint_url=os.environ.get("APPFLAGS_ENDPOINT_URL"),  # None: the real AppConfig
        wait=2.0,  # a cold start waits at most 2 s for flags, then answers defaults
    )


flags = build_flags()


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:  # noqa: ARG001 - Lambda's signature
    """Answer one invocation: the event's user becomes the flags' rule context."""
    user = {
        "user_id": str(event.get("user_id", "anonymous")),
        "tier": str(event.get("tier", "free")),
    }
    new_checkout = flags.is_enabled("new-checkout", user)
    body = {
        "checkout": "new" if new_checkout else "classic",
        "button_color": flags.get_str("new-checkout.button_color", "blue", user),
        "max_items": flags.get_int("new-checkout.max_items", 10, user),
        "banner": (
            flags.get_str("beta-banner.message", "", user)
            if flags.is_enabled("beta-banner", user)
            else None
        ),
        "flags_version": flags.version,
        "flags_state": flags.state.value,
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }


if __name__ == "__main__":
    print(handler({"user_id": "u-42", "tier": "gold"}, None)["body"])
