"""The generated module under PROMETHEUS_MULTIPROC_DIR: real worker processes, merged by the parent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

from generator.emit.python_module import MODULE_PATH
from tests.module_loader import import_generated, samples

__all__: list[str] = []

# A worker process: imports the generated module with PROMETHEUS_MULTIPROC_DIR already in its
# environment, prints its pid, then runs one JSON command per stdin line and answers "ok".
WORKER = """\
import json, os, sys
sys.path.insert(0, sys.argv[1])
import llm_metrics

metrics = llm_metrics.get_metrics()
still_open = []
print(os.getpid(), flush=True)
for line in sys.stdin:
    op, *args = json.loads(line)
    if op == "call":
        provider, model, feature, prompt, completion = args
        with metrics.track_call(provider, model, "chat", feature=feature) as call:
            call.record_usage(prompt_tokens=prompt, completion_tokens=completion)
    elif op == "leave_open":
        provider, model = args
        call = metrics.track_call(provider, model, "chat", feature="chat")
        call.__enter__()
        still_open.append(call)
    elif op == "queue_depth":
        metrics.set_queue_depth(*args)
    elif op == "breaker":
        metrics.set_breaker_state(*args)
    elif op == "bundle":
        metrics.observe_bundle(*args)
    elif op == "waited":
        queue_type, enqueued_at, now = args
        with metrics.track_queue_item(queue_type, enqueued_at, now=now):
            pass
    else:
        raise SystemExit(f"unknown command {op!r}")
    print("ok", flush=True)
"""

Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class Worker:
    """One worker process driven over its stdin, one command at a time."""

    def __init__(self, script: Path, module_dir: Path, multiproc_dir: Path, log: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k.lower() != "prometheus_multiproc_dir"}
        env["PROMETHEUS_MULTIPROC_DIR"] = str(multiproc_dir)
        self._log = log
        self._stderr = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, str(script), str(module_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=env,
        )
        self.pid = int(self._reply())
        assert self.pid == self.process.pid

    def _reply(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line:
            self.process.wait(timeout=30)
            pytest.fail(f"worker died: {self._log.read_text(encoding='utf-8')}")
        return line

    def do(self, op: str, *args: object) -> None:
        """Run one command in the worker and wait until it is done."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps([op, *args]) + "\n")
        self.process.stdin.flush()
        assert self._reply() == "ok"

    def stop(self) -> None:
        """Close stdin and wait for a clean exit, as a worker shutting down would."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=30) == 0, self._log.read_text(encoding="utf-8")

    def close(self) -> None:
        """Kill the worker if it still runs; release its pipes and log."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        for stream in (self.process.stdin, self.process.stdout, self._stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def multiproc_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "prometheus_multiproc"
    path.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(path))
    return path


@pytest.fixture
def module(rendered: dict[str, str], tmp_path: Path) -> ModuleType:
    return import_generated(rendered, tmp_path)


@pytest.fixture
def workers(rendered: dict[str, str], tmp_path: Path, multiproc_dir: Path) -> Iterator[list[Worker]]:
    module_dir = tmp_path / "worker_module"
    module_dir.mkdir()
    (module_dir / "llm_metrics.py").write_text(rendered[MODULE_PATH], encoding="utf-8")
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    started = [Worker(script, module_dir, multiproc_dir, tmp_path / f"worker{i}.log") for i in range(2)]
    yield started
    for worker in started:
        worker.close()


def _named(series: Series, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {labels: v for (n, labels), v in series.items() if n == name}


def _nonzero(series: Series, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Series of ``name`` with a value: helpers create zero-valued children for every outcome up front."""
    return {labels: v for labels, v in _named(series, name).items() if v}


def _live_gauges(series: Series) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    names = ("llm_provider_requests_in_flight", "llm_queue_depth", "circuit_breaker_state")
    return {name: _named(series, name) for name in names}


def _buckets(series: Series, name: str, bounds: tuple[str, ...], **labels: str) -> list[float]:
    return [series[(f"{name}_bucket", tuple(sorted({**labels, "le": le}.items())))] for le in bounds]


CHAT = (("feature", "chat"), ("model", "gpt-4o"), ("provider", "openai"))
SEARCH = (("feature", "search"), ("model", "claude-sonnet-4"), ("provider", "anthropic"))
SUCCESS = (("error_type", "none"), ("outcome", "success"))
QUEUE = (("queue_type", "comparison"),)
OPENAI, ANTHROPIC = (("provider", "openai"),), (("provider", "anthropic"),)
OPENAI_CIRCUIT = (("circuit_name", "openai_circuit"), ("service", "llm_provider"))
ANTHROPIC_CIRCUIT = (("circuit_name", "anthropic_circuit"), ("service", "llm_provider"))
BUNDLE = "llm_serial_bundle_items_per_call"


def _drive(a: Worker, b: Worker) -> None:
    """The same known work in every test; worker ``a`` and ``b`` alive at the same time, steps in order."""
    # Prices per 1M tokens: gpt-4o 2.50/10.00, claude-sonnet-4 3.00/15.00; these counts cost whole amounts.
    a.do("call", "openai", "gpt-4o", "chat", 200_000, 50_000)  # 1.0
    a.do("call", "openai", "gpt-4o", "chat", 200_000, 50_000)  # 1.0
    b.do("call", "openai", "gpt-4o", "chat", 400_000, 100_000)  # 2.0
    b.do("call", "anthropic", "claude-sonnet-4", "search", 250_000, 50_000)  # 1.5
    a.do("leave_open", "openai", "gpt-4o")
    a.do("leave_open", "anthropic", "claude-sonnet-4")
    b.do("leave_open", "openai", "gpt-4o")
    b.do("leave_open", "openai", "gpt-4o")
    a.do("queue_depth", "comparison", 7)
    b.do("queue_depth", "comparison", 4)
    a.do("breaker", "openai_circuit", "open")
    b.do("breaker", "anthropic_circuit", "closed")
    b.do("breaker", "openai_circuit", "half_open")  # later than a's: wins
    a.do("breaker", "anthropic_circuit", "open")  # later than b's: wins
    a.do("bundle", 3)
    b.do("bundle", 5)
    a.do("waited", "comparison", 100.0, 102.5)
    b.do("waited", "comparison", 100.0, 100.25)


def test_workers_write_their_own_files(workers: list[Worker], multiproc_dir: Path) -> None:
    _drive(*workers)
    assert sorted(p.name for p in multiproc_dir.iterdir()) == sorted(
        f"{kind}_{w.pid}.db"
        for w in workers
        for kind in ("counter", "gauge_livemostrecent", "gauge_livesum", "histogram")
    )


def test_counters_and_histograms_are_summed_over_workers(workers: list[Worker], module: ModuleType) -> None:
    _drive(*workers)
    registry = module.exposition_registry()
    assert registry is not REGISTRY
    merged = samples(registry)

    assert _nonzero(merged, "llm_provider_cost_dollars_total") == {CHAT: 4.0, SEARCH: 1.5}
    assert _nonzero(merged, "llm_provider_tokens_total") == {
        (*CHAT, ("token_type", "prompt")): 800_000,
        (*CHAT, ("token_type", "completion")): 200_000,
        (*SEARCH, ("token_type", "prompt")): 250_000,
        (*SEARCH, ("token_type", "completion")): 50_000,
    }
    assert _nonzero(merged, "llm_provider_requests_total") == {
        (SUCCESS[0], *CHAT[:2], SUCCESS[1], CHAT[2]): 3,
        (SUCCESS[0], *SEARCH[:2], SUCCESS[1], SEARCH[2]): 1,
    }
    duration = "llm_provider_response_duration_seconds"
    assert merged[(f"{duration}_count", CHAT)] == 3
    assert merged[(f"{duration}_bucket", (CHAT[0], ("le", "+Inf"), *CHAT[1:]))] == 3
    assert merged[(f"{duration}_count", SEARCH)] == 1

    bundle_bounds = ("1.0", "2.0", "4.0", "8.0", "16.0", "32.0", "64.0", "+Inf")
    assert _buckets(merged, BUNDLE, bundle_bounds) == [0, 0, 1, 2, 2, 2, 2, 2]
    assert (merged[(f"{BUNDLE}_sum", ())], merged[(f"{BUNDLE}_count", ())]) == (8.0, 2)
    wait = "llm_queue_wait_time_seconds"
    wait_bounds = ("0.1", "0.5", "1.0", "5.0", "10.0", "30.0", "60.0", "120.0", "300.0", "600.0", "+Inf")
    assert _buckets(merged, wait, wait_bounds, queue_type="comparison") == [0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]
    assert (merged[(f"{wait}_sum", QUEUE)], merged[(f"{wait}_count", QUEUE)]) == (2.75, 2)


def test_live_gauges_merge_over_live_workers_only(workers: list[Worker], module: ModuleType) -> None:
    a, b = workers
    _drive(a, b)
    assert _live_gauges(samples(module.exposition_registry())) == {
        "llm_provider_requests_in_flight": {OPENAI: 3, ANTHROPIC: 1},
        "llm_queue_depth": {QUEUE: 11},
        "circuit_breaker_state": {OPENAI_CIRCUIT: 2, ANTHROPIC_CIRCUIT: 1},  # the most recent set wins
    }

    # Worker a exits with two calls still in flight; until it is marked dead its gauges still count.
    a.stop()
    in_flight = _live_gauges(samples(module.exposition_registry()))["llm_provider_requests_in_flight"]
    assert in_flight == {OPENAI: 3, ANTHROPIC: 1}
    multiprocess.mark_process_dead(a.pid)
    after = samples(module.exposition_registry())
    assert _live_gauges(after) == {
        "llm_provider_requests_in_flight": {OPENAI: 2, ANTHROPIC: 0},  # b touched anthropic: 0 left
        "llm_queue_depth": {QUEUE: 4},
        "circuit_breaker_state": {OPENAI_CIRCUIT: 2, ANTHROPIC_CIRCUIT: 0},  # b's values, the only live ones
    }
    # Counters and histograms of a dead worker stay in the totals: they never go backwards.
    assert _nonzero(after, "llm_provider_cost_dollars_total") == {CHAT: 4.0, SEARCH: 1.5}
    assert after[(f"{BUNDLE}_count", ())] == 2


def test_exposition_registry_is_the_default_one_outside_multiprocess_mode(
    module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.delenv("prometheus_multiproc_dir", raising=False)
    assert module.exposition_registry() is REGISTRY


def test_exposition_registry_is_fresh_per_scrape(module: ModuleType, multiproc_dir: Path) -> None:
    first, second = module.exposition_registry(), module.exposition_registry()
    assert isinstance(first, CollectorRegistry)
    assert first is not second
    assert samples(first) == {}


def test_exposition_registry_merges_under_the_deprecated_lower_case_variable(
    module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # prometheus_client still writes per-process files when only the old name is set; serving
    # REGISTRY then would show one worker's values as if they were the service's.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "restored by monkeypatch")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    monkeypatch.setenv("prometheus_multiproc_dir", str(tmp_path))
    with pytest.warns(DeprecationWarning, match="PROMETHEUS_MULTIPROC_DIR"):
        registry = module.exposition_registry()
    assert registry is not REGISTRY
    assert samples(registry) == {}
