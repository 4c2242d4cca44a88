"""gunicorn settings for ``examples/flask_app.py``, with ``preload_app`` and appflags.

Run from the repository root::

    gunicorn -c examples/gunicorn.conf.py

Why ``preload_app = True`` is safe with appflags
-----------------------------------------------
With ``preload_app`` the master imports the app once, so the module-level
``Flags.from_appconfig(...)`` in ``flask_app.py`` runs in the master: it starts a poller
thread and waits (at most ``wait`` seconds) for the first flags. gunicorn then
``fork()``s the workers. A forked child inherits memory but not threads, and a boto3
client's connection pool must not be shared by two processes. appflags registers an
``os.register_at_fork`` hook, so in each worker, right after the fork:

- the inherited snapshot keeps answering at once: a worker never starts without flags
  the master already had;
- the master's session token and the boto3 client appflags built are dropped (a token is
  single-use, and sockets are not shared across processes), and the worker starts its own
  poller thread, which opens its own session;
- the worker then polls on its own: a new version reaches every worker within about one
  poll interval.

The master keeps polling too, so a worker that gunicorn restarts later is forked with
recent flags. Each process polls once per interval: N workers + 1 master sessions.
See docs/cost-and-scale.md for when to let the AppConfig Agent do the polling instead.

Do not pass your own ``client=`` to ``Flags.from_appconfig`` in a preloaded app: appflags
cannot replace a client it did not build, and a client shared across a fork shares its
sockets. Pass ``region_name=``/``endpoint_url=`` and let appflags build the client.

Environment variables: ``GUNICORN_BIND`` (default ``127.0.0.1:8000``),
``GUNICORN_WORKERS`` (default 2), and the ``APPFLAGS_*`` variables that
``flask_app.py`` reads.
"""

from __future__ import annotations

import os

wsgi_app = "flask_app:app"
pythonpath = os.path.dirname(os.path.abspath(__file__))  # noqa: PTH120, PTH100 - a path string is what gunicorn takes
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
preload_app = True
