"""Loading pauses the cyclic garbage collector and leaves it as it found it."""

from __future__ import annotations

import gc
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appflags import Flags, SchemaError
from appflags.formats import FlagdFormat


def powertools(count: int) -> dict[str, Any]:
    rule = {
        "when_match": True,
        "conditions": [{"action": "IN", "key": "region", "value": ["eu-west-1", "eu-west-2"]}],
    }
    return {f"flag-{i}": {"default": False, "rules": {"eu": rule}} for i in range(count)}


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of every collection the cyclic collector starts."""
    seen: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was:
            gc.disable()


@pytest.mark.usefixtures("collector_on")
def test_a_load_walks_only_its_own_new_objects_once(tmp_path: Path, collections: list[int]) -> None:
    # 2,000 flags allocate far more than the collector's young threshold (700) times 10,
    # so a load with the collector on would also walk older generations.
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(powertools(2000)))
    doc = powertools(2000)
    collections.clear()
    flags = Flags.from_file(path, format="powertools")
    assert collections == [0]
    collections.clear()
    Flags.from_dict(doc, format="powertools")
    assert collections == [0]
    assert flags.is_enabled("flag-1", context={"region": "eu-west-2"}) is True
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_back_on_after_a_rejected_document(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps({"flag": {"default": "yes", "rules": {"r": {}}}}))
    with pytest.raises(SchemaError):
        Flags.from_file(path, format="powertools")
    with pytest.raises(SchemaError):
        Flags.from_dict({"flag": {"default": "yes", "rules": {"r": {}}}}, format="powertools")
    assert gc.isenabled()


def test_an_application_that_disabled_the_collector_keeps_it_disabled(
    tmp_path: Path, collections: list[int]
) -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        path = tmp_path / "flags.json"
        path.write_text(json.dumps(powertools(50)))
        assert Flags.from_file(path, format="powertools").is_enabled("flag-0") is False
        Flags.from_dict(powertools(50), format="powertools")
        assert not gc.isenabled()
        assert collections == []  # not even the young pass: the application said no
    finally:
        if was:
            gc.enable()


@pytest.mark.usefixtures("collector_on")
def test_loads_on_several_threads_leave_the_collector_on() -> None:
    start = threading.Barrier(4)
    answers: list[bool] = []

    def load() -> None:
        start.wait()
        for _ in range(5):
            flags = Flags.from_dict(powertools(200), format="powertools")
            answers.append(flags.is_enabled("flag-3", context={"region": "eu-west-1"}))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [True] * 20
    assert gc.isenabled()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_process_forked_while_another_thread_loads_has_the_collector_on() -> None:
    # A pre-forking server (gunicorn --preload) forks a worker whenever one dies, while
    # the master's poller may be loading a version: the load never ends in the child,
    # whose collector must still come back (and whose next load must not wait forever).
    entered, release = threading.Event(), threading.Event()

    class Slow(FlagdFormat):
        def compile(self, doc: Any, clock: Any) -> Any:
            entered.set()
            release.wait(10)
            return super().compile(doc, clock)

    doc = {"flags": {"a": {"state": "ENABLED", "variants": {"on": True}, "defaultVariant": "on"}}}
    loading = threading.Thread(target=Flags.from_dict, args=(doc,), kwargs={"format": Slow()})
    loading.start()
    try:
        assert entered.wait(10)
        assert not gc.isenabled()  # the load in progress paused it
        pid = os.fork()
        if pid == 0:  # the child: report through the exit code, never return into pytest
            code = 1
            try:
                if gc.isenabled():
                    code = 2
                    loaded = Flags.from_dict(doc)  # a load of the child's own
                    code = 0 if gc.isenabled() and loaded.is_enabled("a") else 3
            finally:
                os._exit(code)
    finally:
        release.set()
        loading.join(10)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert gc.isenabled()
