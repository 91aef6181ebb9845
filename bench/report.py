"""Plain-text tables of the benchmark results."""

from __future__ import annotations

from typing import Any

__all__ = ["tables"]


def _row(cells: list[str], widths: list[int]) -> str:
    """One table row: first cell left-aligned, the rest right-aligned."""
    return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def _table(title: str, header: list[str], rows: list[list[str]]) -> str:
    """A titled table with a header rule."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [title, _row(header, widths), _row(["-" * w for w in widths], widths)]
    return "\n".join([*lines, *(_row(r, widths) for r in rows)])


def _num(value: float | None, digits: int = 0) -> str:
    """A number with thousands separators, or ``null``."""
    return "null" if value is None else f"{value:,.{digits}f}"


def _hot_path(hot: dict[str, Any]) -> str:
    """The hot-path table."""
    rows = [
        [
            name,
            _num(case["generated_ns"]),
            _num(case["seed_style_ns"]),
            _num(case["floor_ns"]),
            f"{case['ratio_vs_seed']:.2f}",
            f"{case['ratio_vs_floor']:.2f}",
            f"{case['floor_vs_seed']:.2f}",
            "met" if case["targets_met"] else "NOT met",
        ]
        for name, case in hot.items()
        if isinstance(case, dict) and "generated_ns" in case
    ]
    targets = hot["targets"]
    title = (
        f"Hot path, ns per operation (median of interleaved rounds); targets: generated <= "
        f"{targets['ratio_vs_seed_max']}x seed style and <= {targets['ratio_vs_floor_max']}x floor"
    )
    header = ["case", "generated", "seed style", "floor", "gen/seed", "gen/floor", "floor/seed", "targets"]
    note = (
        "Ratios are paired: the median over rounds of each round's ratio. floor/seed is the best any helper "
        f"could reach; loop overhead {hot['loop_overhead_ns']} ns per iteration is in every number."
    )
    return "\n".join([_table(title, header, rows), note])


def _generation(gen: dict[str, Any]) -> str:
    """The generation table and the growth fits."""
    shipped, cli, promtool = gen["shipped_in_process"], gen["shipped_cli_process"], gen["promtool_test_rules"]
    rows = [["shipped spec, in process", _num(shipped["seconds"], 3), shipped.get("error", "")]]
    for step, seconds in (shipped.get("breakdown_seconds") or {}).items():
        rows.append([f"  {step}", _num(seconds, 3), ""])
    rows.append(["shipped spec, `python -m generator generate`", _num(cli["seconds"], 3), cli.get("error", "")])
    rows.append(["  of which interpreter start + imports", _num(cli["import_seconds"], 3), ""])
    rows += [
        [f"synthetic: {r['models']} models x {r['queues']} queue types", _num(r["seconds"], 3), r.get("error", "")]
        for r in gen["rows"]
    ]
    rows.append(["promtool test rules", _num(promtool["seconds"], 3), promtool.get("reason", "")])
    table = _table("Generation, seconds (wall)", ["what", "seconds", "note"], rows)
    growth = gen["growth"]
    fits = [
        f"  {axis} ({key}): exponent {fit['exponent']}, "
        + ", ".join(f"{k} {v}" for k, v in fit.items() if k != "exponent")
        for axis in ("models", "queues")
        for key, fit in growth[axis].items()
    ]
    return "\n".join([table, "Growth (fitted y = a*x^k; k <= 1 is at most linear):", *fits])


def _memory(mem: dict[str, Any]) -> str:
    """The memory table and generation peak RSS."""
    rows = []
    for mode in ("series", "series_multiprocess"):
        for kind, cost in mem[mode].items():
            label = f"{kind}{' (multiprocess)' if mode != 'series' else ''}"
            if "error" in cost:
                rows.append([label, "error", "", "", cost["error"][-80:]])
                continue
            mmap = cost.get("mmap_file_bytes_per_series")
            rows.append(
                [
                    label,
                    _num(cost["series_per_child"], 1),
                    _num(cost["bytes_per_series_tracemalloc"]),
                    _num(cost["bytes_per_series_rss"]),
                    "" if mmap is None else f"{mmap:,} B/series in mmap files",
                ]
            )
    table = _table("Memory per time series", ["children of", "series each", "B (tracemalloc)", "B (RSS)", "note"], rows)
    peaks = [
        f"  {name}: peak RSS {gen.get('peak_rss_mb', 'error')} MiB (after imports {gen.get('import_peak_rss_mb')} MiB)"
        for name, gen in mem.items()
        if name.startswith("generation")
    ]
    return "\n".join([table, "Generation peak RSS (fresh process):", *peaks])


def tables(results: dict[str, Any]) -> str:
    """Every table, separated by blank lines."""
    return "\n\n".join([_hot_path(results["hot_path"]), _generation(results["generation"]), _memory(results["memory"])])
