"""A FastAPI app whose feature flags come from AWS AppConfig through appflags.

One ``Flags`` per process, built in the lifespan (so after any fork of a process
manager) and closed when the app shuts down. A dependency turns each request's headers
into the rule context. The flags are a Powertools-format document
(``examples/flags-powertools.json``) in a freeform AppConfig profile.

Run it::

    uvicorn --app-dir examples fastapi_app:app

Environment variables: ``APPFLAGS_APPLICATION``, ``APPFLAGS_ENVIRONMENT`` and
``APPFLAGS_PROFILE`` name the profile (default ``shop``/``prod``/``web-flags``);
``APPFLAGS_ENDPOINT_URL`` points boto3 elsewhere than AWS (``appflags serve`` locally,
``LocalAppConfig`` in the tests). Without it, boto3's usual region and credentials apply.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Header, Request

import appflags

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the process's flags at start-up; stop polling at shutdown."""
    # wait=0: the constructor returns at once; start-up then awaits the first
    # configuration for at most 2 s without blocking the event loop, and goes on with
    # defaults if it has not come (lookups answer them until it does).
    flags = appflags.Flags.from_appconfig(
        os.environ.get("APPFLAGS_APPLICATION", "shop"),
        os.environ.get("APPFLAGS_ENVIRONMENT", "prod"),
        os.environ.get("APPFLAGS_PROFILE", "web-flags"),
        endpoint_url=os.environ.get("APPFLAGS_ENDPOINT_URL"),
        format="powertools",
        wait=0,
    )
    await flags.wait_ready_async(2.0)
    app.state.flags = flags
    try:
        yield
    finally:
        flags.close()


app = FastAPI(lifespan=lifespan)


def get_flags(request: Request) -> appflags.Flags:
    """The process's flags (a dependency, so tests can override it)."""
    flags: appflags.Flags = request.app.state.flags
    return flags


def rule_context(
    x_user_id: Annotated[str, Header()] = "anonymous",
    x_tier: Annotated[str, Header()] = "free",
    x_user_email: Annotated[str, Header()] = "",
    cloudfront_viewer_country: Annotated[str, Header()] = "",
) -> dict[str, Any]:
    """The request, as the attributes the flags' rules test."""
    return {
        "user_id": x_user_id,
        "tier": x_tier,
        "email": x_user_email,
        "country": cloudfront_viewer_country,
    }


Flags = Annotated[appflags.Flags, Depends(get_flags)]
Context = Annotated[dict[str, Any], Depends(rule_context)]


@app.get("/checkout")
def checkout(flags: Flags, context: Context) -> dict[str, Any]:
    """What the checkout page would render for this user."""
    limits = flags.get_object("checkout_limits", {"max_items": 10}, context)
    return {
        "new_checkout": flags.is_enabled("new_checkout", context),
        "premium": flags.is_enabled("premium_features", context),
        "dark_mode": flags.is_enabled("dark_mode", context),
        "max_items": limits.get("max_items", 10),
        "enabled": flags.enabled_features(context),
    }


@app.get("/healthz")
def healthz(flags: Flags) -> dict[str, Any]:
    """Which flags this process serves: ``NOT_READY`` means defaults only."""
    return {"state": flags.state.value, "version": flags.version}
