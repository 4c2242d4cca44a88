"""Import cost and cold start (interpreter start -> first answer), beside Powertools."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench._harness import Figure

POWERTOOLS_IMPORT = (
    "from aws_lambda_powertools.utilities.feature_flags import FeatureFlags, AppConfigStore"
)
DOC = {"new-checkout": {"enabled": True, "button_color": "green"}}
POWERTOOLS_DOC = {"new-checkout": {"default": True}}


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


def _import_seconds(statement: str, repeat: int) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    _warm(code)
    return min(float(_run(code)) for _ in range(repeat))


def _importtime_ms(statement: str, repeat: int = 3) -> float:
    """The -X importtime figure of the statement: its top-level imports' cumulative
    microseconds, less those of an interpreter that imports nothing (each the best of
    ``repeat`` runs: one run on a busy machine can be off by half)."""
    ours = min(_importtime_total(statement) for _ in range(repeat))
    return ours - min(_importtime_total("pass") for _ in range(repeat))


def _extra_importtime_ms(before: str, module: str, repeat: int = 3) -> float:
    """What importing ``module`` adds once ``before`` has run: the -X importtime
    cumulative figure of its own top-level line (the modules ``before`` loaded are not
    counted again), the best of ``repeat`` runs."""
    return min(_top_level_ms(f"{before}\nimport {module}", module) for _ in range(repeat))


def _top_level_ms(code: str, module: str) -> float:
    for cumulative_us, name in _importtime(code):
        if name == f" {module}":
            return cumulative_us / 1000
    return 0.0


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


def _walls(codes: list[str], repeat: int, env: dict[str, str] | None = None) -> list[float]:
    """The best wall time of each child, the children taking turns (round-robin), so
    that a change in the machine's load meanwhile falls on every side alike."""
    for code in codes:
        _warm(code, env)
    best = [float("inf")] * len(codes)
    for _ in range(repeat):
        for i, code in enumerate(codes):
            started = time.perf_counter()
            _run(code, env)
            best[i] = min(best[i], time.perf_counter() - started)
    return best


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
    """Import ratio to Powertools, -X importtime, cold start from LocalAppConfig and Agent."""
    repeat = 3 if quick else 9
    out: list[Figure] = []
    ours = _import_seconds("import appflags", repeat)
    try:
        theirs = _import_seconds(POWERTOOLS_IMPORT, repeat)
    except subprocess.CalledProcessError:
        return out
    out.append(
        Figure(
            "import appflags, x Powertools' feature_flags import",
            ours / theirs,
            "x",
            "<= 0.6",
            ours / theirs <= 0.6,
            note=f"{ours * 1e3:.0f} ms vs {theirs * 1e3:.0f} ms; -X importtime: "
            f"{_importtime_ms('import appflags'):.0f} ms vs "
            f"{_importtime_ms(POWERTOOLS_IMPORT):.0f} ms",
        )
    )
    out += _cold_starts(repeat)
    return out


def _cold_starts(repeat: int) -> list[Figure]:
    from appflags.testing import LocalAppConfig

    env = {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    with LocalAppConfig(poll_interval=60) as server:
        server.put("app", "env", "flags", DOC)
        server.put("app", "env", "pt", POWERTOOLS_DOC)
        url = server.endpoint_url
        appconfig = (
            "import appflags\n"
            f"f = appflags.Flags.from_appconfig('app', 'env', 'flags', endpoint_url={url!r},"
            " region_name='us-east-1')\n"
            "assert f.is_enabled('new-checkout')\nf.close()"
        )
        agent = (
            "import appflags\n"
            f"f = appflags.Flags.from_agent('app', 'env', 'flags', url={url!r})\n"
            "assert f.is_enabled('new-checkout')\nf.close()"
        )
        powertools = (
            "import boto3\n"
            f"{POWERTOOLS_IMPORT}\n"
            f"client = boto3.client('appconfigdata', endpoint_url={url!r},"
            " region_name='us-east-1')\n"
            "store = AppConfigStore(environment='env', application='app', name='pt', "
            "boto3_client=client)\n"
            "assert FeatureFlags(store=store).evaluate(name='new-checkout', default=False)"
        )
        bare, ours, via_agent, theirs = _walls(["pass", appconfig, agent, powertools], repeat, env)
        full = [_full_collections(code, env) for code in (appconfig, agent, powertools)]
    note = f"interpreter start alone {bare * 1e3:.0f} ms"

    def logging(before: str) -> str:
        extra = _extra_importtime_ms(before, "structlog")
        return (
            f"structlog's import at the first logged event (+{extra:.0f} ms -X importtime "
            "after what the run had loaded, with the asyncio it imports)"
        )

    return [
        Figure(
            "cold start to first answer: from_appconfig (LocalAppConfig)",
            ours * 1e3,
            "ms",
            f"<= Powertools ({theirs * 1e3:.0f} ms)",
            ours <= theirs,
            note=f"{note}; what limits it: botocore's import and client, as in Powertools' "
            "run (most of both runs: loading the service model and endpoints.json, "
            "registering botocore's handlers; appflags builds the client through botocore's "
            "session and skips boto3's own import, its resource layer, s3transfer and "
            f"multiprocessing), then {logging('import appflags, botocore.session')}, which "
            "Powertools' stdlib logging does not "
            f"pay; full garbage collections in the run: {full[0]} vs {full[2]} for Powertools",
        ),
        Figure(
            "cold start to first answer: from_agent (LocalAppConfig's Agent route)",
            via_agent * 1e3,
            "ms",
            f"<= 0.5x Powertools via AppConfigData ({theirs * 1e3:.0f} ms)",
            via_agent <= theirs * 0.5,
            note=f"{note}; no boto3 loaded; what limits it: "
            f"{logging('import appflags, http.client, urllib.request')}, and the standard "
            "library's dataclasses/inspect and http.client (email, ssl) that appflags and "
            f"urllib import; full garbage collections in the run: {full[1]}",
        ),
    ]
