"""`make demo`: the e2e stack live for about a minute, a table of key values, then a dashboard preview in PNG.

Usage: ``python -m tests.e2e.demo [--seconds 60] [--out demo-out] [--save-preview [PATH]]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.e2e.demo_table import header, read_key_values
from tests.e2e.preview import render_dashboard, render_panels, save_small
from tests.e2e.preview_data import fetch_panels
from tests.e2e.scenario import FOR_OVERRIDES, OPENED_CIRCUIT, SPEND_CALLS
from tests.e2e.stack import Stack, running_stack

__all__ = ["PHASES", "main"]

PREVIEW = Path("docs/dashboard-preview.png")
PREVIEW_MAX_BYTES = 400_000
Action = Callable[[Stack], object]


def _breaker(state: str) -> Action:
    """An action setting the demo breaker to ``state``."""
    return lambda s: s.workload.send("breaker", circuit=OPENED_CIRCUIT, state=state)


# (name, share of the run, what starts it): the e2e scenario's phases, stretched over the demo.
PHASES: tuple[tuple[str, float, tuple[Action, ...]], ...] = (
    ("steady", 0.30, (lambda s: s.workload.send("start"),)),
    ("queue backlog", 0.15, (lambda s: s.workload.send("mode", mode="backlog"),)),
    ("queue drain", 0.10, (lambda s: s.workload.send("mode", mode="drain"),)),
    ("breaker open", 0.15, (lambda s: s.workload.send("mode", mode="steady"), _breaker("open"))),
    ("breaker closed", 0.10, (_breaker("half_open"), _breaker("closed"))),
    ("spend burst", 0.20, (lambda s: s.workload.send("spend", calls=SPEND_CALLS),)),
)


def say(text: str) -> None:
    """Progress for the person watching."""
    print(text, flush=True)


def live(stack: Stack, seconds: float, refresh: float) -> float:
    """Run every phase for its share of ``seconds``, printing the table; return when the run started."""
    started = time.time()
    say(header())
    for name, share, actions in PHASES:
        for action in actions:
            action(stack)
        until = time.monotonic() + share * seconds
        while True:
            values = read_key_values(stack.api, stack.prepared.bundle)
            say(values.line(time.time() - started, name, stack.prepared.bundle.currency))
            time.sleep(max(0.0, min(refresh, until - time.monotonic())))
            if time.monotonic() >= until:
                break
    stack.workload.send("pause")
    return started


def preview(stack: Stack, started: float, out: Path, save_preview: Path | None) -> None:
    """Render the overview dashboard from Prometheus's data: one PNG laid out like it, and one per panel."""
    path, dashboard = next(iter(stack.prepared.dashboards.items()))
    data = fetch_panels(stack.api, dashboard, started, time.time())
    subtitle = f"rendered from Prometheus data by `make demo`: {len(data)} panels, last {time.time() - started:.0f} s"
    full = render_dashboard(dashboard, data, out / f"{dashboard['uid']}.png", subtitle)
    panels = render_panels(data, out / "panels")
    say(f"dashboard preview of {path}: {full} and {len(panels)} panel images in {out / 'panels'}/")
    if save_preview is not None:
        small = save_small(full, save_preview, PREVIEW_MAX_BYTES)
        say(f"saved {small} ({small.stat().st_size // 1000} kB)")


def main(argv: list[str] | None = None) -> int:
    """Run the demo."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the live part runs (default 60)")
    parser.add_argument("--out", type=Path, default=Path("demo-out"), help="where the PNGs go (default demo-out/)")
    parser.add_argument("--save-preview", nargs="?", type=Path, const=PREVIEW, default=None, metavar="PATH",
                        help=f"also save the dashboard preview, < {PREVIEW_MAX_BYTES // 1000} kB (default {PREVIEW})")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="llm-demo-") as workdir:
        say("rendering the bundle from a sped-up copy of specs/llm.yaml, starting the workload and Prometheus...")
        with running_stack(Path(workdir), FOR_OVERRIDES) as stack:
            say(f"Prometheus: {stack.prometheus.url} (open it while the demo runs); workload: {stack.workload.target}")
            started = live(stack, args.seconds, refresh=max(2.0, args.seconds / 20))
            say("rendering the dashboard preview...")
            preview(stack, started, args.out, args.save_preview)
        say("stopped Prometheus and the workload.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
