"""A Flask app whose feature flags come from AWS AppConfig through appflags.

One ``Flags`` per process, built when the module is imported; each request turns its
headers into the rule context and asks the flags, which never blocks and never calls
AppConfig. The flags are a Powertools-format document (``examples/flags-powertools.json``)
in a freeform AppConfig profile, so rules on ``tier``, ``email`` and ``country`` apply.

Run it::

    flask --app examples/flask_app.py run
    gunicorn -c examples/gunicorn.conf.py   # several workers, preload_app: see that file

Environment variables: ``APPFLAGS_APPLICATION``, ``APPFLAGS_ENVIRONMENT`` and
``APPFLAGS_PROFILE`` name the profile (default ``shop``/``prod``/``web-flags``);
``APPFLAGS_ENDPOINT_URL`` points boto3 elsewhere than AWS (``appflags serve`` locally,
``LocalAppConfig`` in the tests). Without it, boto3's usual region and credentials apply.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from flask import Flask, g, jsonify, request

import appflags

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

# Built at import: under gunicorn with preload_app the master builds it once and every
# forked worker starts its own poller, keeping the flags it inherited (see gunicorn.conf.py).
flags = appflags.Flags.from_appconfig(
    os.environ.get("APPFLAGS_APPLICATION", "shop"),
    os.environ.get("APPFLAGS_ENVIRONMENT", "prod"),
    os.environ.get("APPFLAGS_PROFILE", "web-flags"),
    endpoint_url=os.environ.get("APPFLAGS_ENDPOINT_URL"),
    format="powertools",  # an unexpected document is rejected, not read as another format
    wait=2.0,
)

app = Flask(__name__)


@app.before_request
def rule_context() -> None:
    """The request, as the attributes the flags' rules test, computed once per request."""
    g.flag_context = {
        "user_id": request.headers.get("X-User-Id", "anonymous"),
        "tier": request.headers.get("X-Tier", "free"),
        "email": request.headers.get("X-User-Email", ""),
        "country": request.headers.get("CloudFront-Viewer-Country", ""),
    }


@app.get("/checkout")
def checkout() -> ResponseReturnValue:
    """What the checkout page would render for this user."""
    context: dict[str, Any] = g.flag_context
    limits = flags.get_object("checkout_limits", {"max_items": 10}, context)
    return jsonify(
        new_checkout=flags.is_enabled("new_checkout", context),
        premium=flags.is_enabled("premium_features", context),
        dark_mode=flags.is_enabled("dark_mode", context),
        max_items=limits.get("max_items", 10),
        enabled=flags.enabled_features(context),
        pid=os.getpid(),
    )


@app.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Which flags this process serves: ``NOT_READY`` means defaults only."""
    return jsonify(state=flags.state.value, version=flags.version, pid=os.getpid())
