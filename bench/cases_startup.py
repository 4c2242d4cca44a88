"""Import cost and cold start (interpreter start -> first answer), beside Powertools.

Every figure here is a whole process, or an import in a fresh one, timed side by side
with what it is compared to: the children take turns (round-robin), and each side's
figure is the median of its runs, so that the machine's load falls on every side alike.
The targets are ratios (issue 26): the absolute times move with the load, the ratios
much less.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from bench._harness import Figure

POWERTOOLS_IMPORT = (
    "from aws_lambda_powertools.utilities.feature_flags import FeatureFlags, AppConfigStore"
)
# One flag, in Powertools' schema: both sides read the same document from the same
# server (appflags detects its format), as a service moving from Powertools would.
POWERTOOLS_DOC = {"new-checkout": {"default": True}}
ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def _child_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every timed child, on both sides alike.

    Bytecode caches may be written: an installed package (Powertools, boto3, appflags
    from a wheel) comes with its ``.pyc`` files, but an editable checkout under
    ``PYTHONDONTWRITEBYTECODE`` would recompile its sources in every child, a cost no
    installed library pays. Each child also runs once untimed first (see :func:`_warm`).
    """
    out = {**os.environ, **(env or {})}
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


def _run(code: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=_child_env(env),
    )
    return done.stdout.strip()


def _warm(code: str, env: dict[str, str] | None = None) -> None:
    """One untimed run: writes the bytecode caches and reads the files into the page
    cache, so that every side is timed in the same (installed, warm) state."""
    _run(code, env)


def _in_turn(codes: list[str], repeat: int, timed: Callable[[str], float]) -> list[float]:
    """The median of ``repeat`` figures of each code, the codes taking turns
    (round-robin), so that a change in the machine's load meanwhile falls on every side
    alike; a median, not a best, so that one lucky run decides nothing."""
    for code in codes:
        timed(code)  # untimed: see _warm
    runs: list[list[float]] = [[] for _ in codes]
    for _ in range(repeat):
        for i, code in enumerate(codes):
            runs[i].append(timed(code))
    return [statistics.median(r) for r in runs]


def _import_seconds(statement: str) -> float:
    """How long ``statement`` takes in a fresh interpreter, timed inside it."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    return float(_run(code))


def _first_answer_seconds(code: str, env: dict[str, str]) -> float:
    """From starting a child (interpreter start included) to the end of ``code`` in it:
    the child prints its ``time.perf_counter()`` there, a clock shared by the processes of
    one machine (CLOCK_MONOTONIC), so that the interpreter's shutdown, which a Lambda
    function never waits for, is not counted."""
    started = time.perf_counter()
    out = _run(f"{code}\nimport time\nprint(time.perf_counter())", env)
    return float(out.splitlines()[-1]) - started


def _importtime_ms(statement: str, repeat: int = 3) -> float:
    """The -X importtime figure of the statement: its top-level imports' cumulative
    microseconds, less those of an interpreter that imports nothing (each the best of
    ``repeat`` runs: one run on a busy machine can be off by half)."""
    ours = min(_importtime_total(statement) for _ in range(repeat))
    return ours - min(_importtime_total("pass") for _ in range(repeat))


def _importtime_total(statement: str) -> float:
    return (
        sum(
            cumulative_us
            for cumulative_us, name in _importtime(statement)
            if name.startswith(" ") and not name.startswith("  ")  # a top-level import
        )
        / 1000
    )


def _importtime(code: str) -> list[tuple[int, str]]:
    """``code`` run warm under ``-X importtime``: each module's cumulative microseconds
    and its name as printed (indented one space per level of nesting)."""
    _warm(code)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=_child_env(),
    )
    lines = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            lines.append((int(parts[1]), parts[-1]))
    return lines


def _stdlib_loaded_by(statement: str) -> list[str]:
    """The standard-library packages ``statement`` loads that a bare interpreter has not."""
    code = (
        "import sys\nbefore = set(sys.modules)\n"
        f"{statement}\n"
        "names = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(' '.join(sorted(n for n in names if n in sys.stdlib_module_names"
        " and not n.startswith('_'))))"
    )
    return _run(code).split()


_COUNT_FULL_GC = (
    "import gc\n"
    "_full = []\n"
    "gc.callbacks.append(lambda phase, info: phase == 'stop' and info['generation'] == 2"
    " and _full.append(1))\n"
)


def _full_collections(code: str, env: dict[str, str]) -> int:
    """How many full (generation 2) garbage collections the child runs."""
    out = _run(f"{_COUNT_FULL_GC}{code}\nprint(len(_full))", env)
    return int(out.splitlines()[-1])


def figures(*, quick: bool) -> list[Figure]:
    """Import ratio to Powertools, then cold starts from LocalAppConfig and its Agent route."""
    repeat = 3 if quick else 9
    try:
        _warm(POWERTOOLS_IMPORT)
    except subprocess.CalledProcessError:  # Powertools not installed: nothing to compare
        return []
    return [_import_figure(repeat), *_cold_starts(repeat)]


def _import_figure(repeat: int) -> Figure:
    ours, theirs = _in_turn(["import appflags", POWERTOOLS_IMPORT], repeat, _import_seconds)
    # The floor: the standard library appflags needs, imported alone.
    stdlib = _stdlib_loaded_by("import appflags")
    floor = statistics.median(_import_seconds("import " + ", ".join(stdlib)) for _ in range(repeat))
    return Figure(
        "import appflags, x Powertools' feature_flags import",
        ours / theirs,
        "x",
        "<= 0.25",
        ours / theirs <= 0.25,
        note=f"{ours * 1e3:.0f} ms vs {theirs * 1e3:.0f} ms (medians, in turn); -X importtime: "
        f"{_importtime_ms('import appflags'):.0f} ms vs {_importtime_ms(POWERTOOLS_IMPORT):.0f} ms;"
        f" what limits it: the standard library it needs ({', '.join(stdlib)}) takes "
        f"{floor * 1e3:.0f} ms imported alone",
    )


def _cold_starts(repeat: int) -> list[Figure]:
    from appflags.testing import LocalAppConfig

    with LocalAppConfig(poll_interval=60) as server:
        server.put("app", "env", "pt", POWERTOOLS_DOC)
        url = server.endpoint_url
        agent_url = f"{url}/applications/app/environments/env/configurations/pt"
        answer = "assert f.is_enabled('new-checkout')"
        codes = {
            "bare": "pass",
            "appconfig": "import appflags\n"
            f"f = appflags.Flags.from_appconfig('app', 'env', 'pt', endpoint_url={url!r})\n"
            f"{answer}",
            "agent": "import appflags\n"
            f"f = appflags.Flags.from_agent('app', 'env', 'pt', url={url!r})\n{answer}",
            "powertools": "import boto3\n"
            f"{POWERTOOLS_IMPORT}\n"
            f"client = boto3.client('appconfigdata', endpoint_url={url!r})\n"
            "store = AppConfigStore(environment='env', application='app', name='pt', "
            "boto3_client=client)\n"
            "assert FeatureFlags(store=store).evaluate(name='new-checkout', default=False)",
            # The floors: botocore's own import and client (no request), and the Agent's
            # document read with nothing but the standard library.
            "botocore": "import botocore.session\n"
            f"botocore.session.Session().create_client('appconfigdata', endpoint_url={url!r})",
            "urllib": "import json, urllib.request\n"
            f"with urllib.request.urlopen({agent_url!r}) as r:\n"
            "    assert json.loads(r.read())['new-checkout']['default']",
        }
        walls = dict(
            zip(
                codes,
                _in_turn(
                    list(codes.values()), repeat, lambda code: _first_answer_seconds(code, ENV)
                ),
                strict=True,
            )
        )
        full = {k: _full_collections(codes[k], ENV) for k in ("appconfig", "agent", "powertools")}
    ms = {k: v * 1e3 for k, v in walls.items()}
    theirs = ms["powertools"]
    common = f"medians of {repeat} runs each, in turn; interpreter start alone {ms['bare']:.0f} ms"

    def gc(key: str) -> str:
        return f"full garbage collections: {full[key]} ({full['powertools']} for Powertools)"

    appconfig, agent = ms["appconfig"] / theirs, ms["agent"] / theirs
    floor = ms["agent"] / ms["urllib"]
    return [
        Figure(
            "cold start to first answer: from_appconfig, x Powertools (same server, same document)",
            appconfig,
            "x",
            "<= 0.85",
            appconfig <= 0.85,
            note=f"{ms['appconfig']:.0f} ms vs {theirs:.0f} ms for Powertools' AppConfigStore + "
            f"FeatureFlags.evaluate (boto3 client given); {common}; what limits it: botocore's "
            f"own import and create_client (no request) take {ms['botocore']:.0f} ms, "
            f"{ms['botocore'] / theirs:.2f}x Powertools' whole cold start (appflags' client "
            "skips botocore's listing of every service it ships, and adds its import, two "
            "requests, the validator and the document); "
            f"{gc('appconfig')}",
        ),
        Figure(
            "cold start to first answer: from_agent, x Powertools via AppConfigData",
            agent,
            "x",
            "<= 0.5",
            agent <= 0.5,
            note=f"{ms['agent']:.0f} ms vs {theirs:.0f} ms; {common}; no botocore loaded; "
            f"{gc('agent')}",
        ),
        Figure(
            "cold start to first answer: from_agent, x a bare urllib + json.loads of the Agent URL",
            floor,
            "x",
            "<= 2.5",
            floor <= 2.5,
            note=f"{ms['agent']:.0f} ms vs {ms['urllib']:.0f} ms; {common}; what limits it: "
            "the floor is the interpreter, urllib.request's imports (http.client, email, ssl) "
            "and one GET; appflags adds its import, the document's format and validator, and "
            "the poller thread",
        ),
    ]
