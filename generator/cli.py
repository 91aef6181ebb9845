"""Command line: parse arguments, call the library, print the result. Exit codes are documented in --help."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import SpecInvalid
from .json_schema import SCHEMA_PATH, schema_drift, write_schema
from .pipeline import render_spec_file
from .writer import OutputConflict, diff_against, write_files

__all__ = ["main"]

EXIT_OK = 0
EXIT_INVALID = 1  # the spec is invalid, or `check` found drift
EXIT_USAGE = 2  # wrong command-line arguments (argparse's own code)
EXIT_IO = 3  # output could not be written
EXIT_INTERNAL = 4  # a bug in the generator; nothing was written

EPILOG = """\
examples:
  python -m generator generate                      # specs/llm.yaml -> output/
  python -m generator validate --spec my-spec.yaml  # check a spec, write nothing
  python -m generator check                         # fail if output/ (or schema/) is stale or hand-edited
  python -m generator schema                        # write the spec's JSON Schema for editors

exit codes:
  0  success
  1  the spec is invalid (every problem printed as FILE:LINE:COL: field.path: message),
     or `check` found output/ (or the JSON Schema) out of date
  2  bad command-line arguments
  3  output/ (or the JSON Schema) could not be written (nothing was changed)
  4  internal error in the generator (nothing was changed; please report it)
"""


def _program_name() -> str:
    """``llm-monitoring`` when run as the console script, else ``python -m generator``."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return name if name and name != "__main__.py" and not name.endswith(".py") else "python -m generator"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_program_name(),
        description="Generate a monitoring bundle (Python metrics module, Prometheus rules and tests, "
        "Grafana dashboards) from one spec.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, text in (
        ("generate", "render the bundle and write it to the output directory"),
        ("validate", "check the spec only; write nothing"),
        ("check", "fail with a diff if the output directory differs from what the spec generates"),
    ):
        sub = commands.add_parser(
            name, help=text, description=text, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        sub.add_argument("--traceback", action="store_true", help="show the full traceback of an internal error")
        sub.add_argument("--spec", type=Path, default=Path("specs/llm.yaml"), help="spec file (default: %(default)s)")
        if name != "validate":
            sub.add_argument("--out", type=Path, default=Path("output"), help="output directory (default: %(default)s)")
        if name == "check":
            sub.add_argument(
                "--schema", type=Path, help=f"JSON Schema to check too (default: {SCHEMA_PATH}, if present)"
            )
    text = "write the spec's JSON Schema (for editors: yaml-language-server) to a file"
    sub = commands.add_parser(
        "schema", help=text, description=text, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub.add_argument("--traceback", action="store_true", help="show the full traceback of an internal error")
    sub.add_argument("--out", type=Path, default=SCHEMA_PATH, help="schema file (default: %(default)s)")
    return parser


def _write_schema(path: Path) -> int:
    try:
        changed = write_schema(path)
    except OSError as exc:
        print(f"{path}: cannot write: {exc.strerror or exc}; nothing was changed.", file=sys.stderr)
        return EXIT_IO
    print(f"{path}: {'written' if changed else 'unchanged'}")
    return EXIT_OK


def _schema_is_stale(path: Path | None) -> bool:
    drift = schema_drift(path or SCHEMA_PATH, missing_ok=path is None)
    if drift:
        sys.stdout.write(drift)
        print(f"{path or SCHEMA_PATH} is out of date: run `make generate` and commit the result.", file=sys.stderr)
    return bool(drift)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    args = _parser().parse_args(argv)
    try:
        return _write_schema(args.out) if args.command == "schema" else _run(args)
    except Exception as exc:  # a bug of ours: say so plainly; the spec and output/ are untouched
        if args.traceback:
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc}; nothing was written (rerun with --traceback for details)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _run(args: argparse.Namespace) -> int:
    try:
        rendered = render_spec_file(args.spec)
    except SpecInvalid as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        count = len(exc.errors)
        print(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.", file=sys.stderr)
        return EXIT_INVALID
    bundle = rendered.bundle
    for warning in bundle.warnings:
        print(warning, file=sys.stderr)
    if args.command == "validate":
        print(f"{bundle.source}: valid ({len(bundle.all_metrics)} metrics, ~{bundle.series_estimate:,} series)")
        return EXIT_OK
    if args.command == "check":
        drift = diff_against(rendered.files, args.out)
        stale_schema = _schema_is_stale(args.schema)
        if not drift:
            print(f"{args.out}/ is up to date with {bundle.source}")
            return EXIT_INVALID if stale_schema else EXIT_OK
        for diff in drift.changed.values():
            sys.stdout.write(diff)
        for rel in drift.missing:
            print(f"missing: {args.out}/{rel}")
        for rel in drift.extra:
            print(f"no longer generated: {args.out}/{rel}")
        for rel in drift.unexpected:
            print(f"not generated (remove it or move it out of a generated folder): {args.out}/{rel}")
        print(
            f"{args.out}/ is out of date with {bundle.source}: run `make generate` and commit the result.",
            file=sys.stderr,
        )
        return EXIT_INVALID
    try:
        result = write_files(rendered.files, args.out)
    except OSError as exc:
        print(f"{args.out}: cannot write: {exc.strerror or exc}; nothing was changed.", file=sys.stderr)
        return EXIT_IO
    except OutputConflict as exc:
        print(f"{exc}; nothing was changed.", file=sys.stderr)
        return EXIT_IO
    print(
        f"{bundle.source} -> {args.out}/: {len(rendered.files)} files "
        f"({len(result.written)} written, {len(result.unchanged)} unchanged, {len(result.removed)} removed), "
        f"{len(bundle.all_metrics)} metrics, ~{bundle.series_estimate:,} time series at most"
    )
    return EXIT_OK
