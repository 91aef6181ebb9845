"""The one way the project runs promtool: find it, run it, and turn its output into typed results and errors
that name the file and the rule or test that failed.

>>> tool = find_promtool()                                    # doctest: +SKIP
>>> tool.check_rules([Path("output/prometheus/rules/cost.yaml")])   # doctest: +SKIP
(CheckedFile(file='output/prometheus/rules/cost.yaml', rules=12),)
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "INSTALL_HINT",
    "CheckedFile",
    "Failure",
    "MetricProblem",
    "PassedFile",
    "Promtool",
    "PromtoolError",
    "PromtoolFailed",
    "PromtoolNotFound",
    "Version",
    "find_promtool",
]

INSTALL_HINT = "apt-get install --no-install-recommends prometheus"
_SECTION = re.compile(r"^(?:Checking|Unit Testing:)\s+(.+?)\s*$")
_RULE_COUNT = re.compile(r"SUCCESS: (\d+) rules found")
# What a failure names: a rule (check rules), a duplicate's metric (lint), a test, alert or expression (test rules).
_NAMES = re.compile(
    r'rule \d+, "([^"]+)"|^Metric: (\S+)|^\s*name: (.+),$|alertname: ([^,\s]+)|expr: "((?:[^"\\]|\\.)*)"', re.M
)
_VERSION = re.compile(r"version (\d+)\.(\d+)\.(\d+)")


class PromtoolError(Exception):
    """Anything that stops promtool from giving an answer."""


class PromtoolNotFound(PromtoolError):
    """No promtool binary where we looked."""

    def __init__(self, looked_for: str) -> None:
        super().__init__(f"promtool not found ({looked_for}); install it with: {INSTALL_HINT}")


@dataclass(frozen=True)
class Failure:
    """What promtool reported about one file: the rules, alerts or test expressions it names, and its words."""

    file: str
    names: tuple[str, ...]
    detail: str

    def __str__(self) -> str:
        named = f" [{', '.join(self.names)}]" if self.names else ""
        return f"{self.file or '(promtool)'}{named}:\n    " + self.detail.replace("\n", "\n    ")


@dataclass(frozen=True)
class MetricProblem:
    """One finding of ``promtool check metrics``."""

    metric: str
    problem: str


class PromtoolFailed(PromtoolError):
    """promtool ran and rejected its input; ``failures`` (or ``problems``) say where and why."""

    def __init__(self, command: Sequence[str], failures: Sequence[Failure] = (),
                 problems: Sequence[MetricProblem] = (), output: str = "") -> None:
        self.command = tuple(command)
        self.failures = tuple(failures)
        self.problems = tuple(problems)
        self.output = output
        lines = [str(f) for f in self.failures] + [f"{p.metric}: {p.problem}" for p in self.problems]
        super().__init__(f"promtool {' '.join(self.command[1:3])} failed:\n" + "\n".join(lines or [output.strip()]))


@dataclass(frozen=True, order=True)
class Version:
    """promtool's version, comparable: ``Version(2, 42, 0) < Version(3, 0, 0)``."""

    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True)
class CheckedFile:
    """A rule file ``check rules`` accepted, with the number of rules it found."""

    file: str
    rules: int


@dataclass(frozen=True)
class PassedFile:
    """A test file whose every test passed."""

    file: str


def _sections(output: str) -> list[tuple[str, str]]:
    """Split promtool's combined output into (file, text) per ``Checking``/``Unit Testing`` header."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    for line in output.splitlines():
        header = _SECTION.match(line)
        if header:
            sections.append((header.group(1), []))
        else:
            sections[-1][1].append(line)
    return [(file, "\n".join(lines).strip()) for file, lines in sections if file or "\n".join(lines).strip()]


def _failure(file: str, text: str) -> Failure:
    names = tuple(dict.fromkeys(next(g for g in m.groups() if g is not None) for m in _NAMES.finditer(text)))
    return Failure(file, names, text.removeprefix("FAILED:").strip())


@dataclass(frozen=True)
class Promtool:
    """A promtool binary; every method raises PromtoolFailed with readable failures when promtool says no."""

    path: str
    timeout: float = 120.0

    def _run(self, *args: str, stdin: str | None = None) -> tuple[list[str], int, str]:
        command = [self.path, *args]
        try:
            done = subprocess.run(command, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, timeout=self.timeout, check=False)
        except FileNotFoundError:
            raise PromtoolNotFound(self.path) from None
        except subprocess.TimeoutExpired:
            raise PromtoolError(f"{' '.join(command)} took longer than {self.timeout:g}s") from None
        return command, done.returncode, done.stdout

    def version(self) -> Version:
        """The version ``promtool --version`` reports."""
        command, code, out = self._run("--version")
        found = _VERSION.search(out)
        if code != 0 or found is None:
            raise PromtoolFailed(command, output=out)
        return Version(*(int(g) for g in found.groups()))

    def check_rules(self, files: Sequence[Path]) -> tuple[CheckedFile, ...]:
        """``check rules --lint-fatal`` (duplicate rules are errors) on every file at once."""
        command, code, out = self._run("check", "rules", "--lint-fatal", *map(str, files))
        sections = _sections(out)
        failed = [_failure(f, t) for f, t in sections if not f or "FAILED" in t or not _RULE_COUNT.search(t)]
        if code != 0 or failed:
            raise PromtoolFailed(command, failed or [Failure("", (), out.strip())], output=out)
        return tuple(CheckedFile(f, int(_RULE_COUNT.findall(t)[0])) for f, t in sections)

    def test_rules(self, files: Sequence[Path]) -> tuple[PassedFile, ...]:
        """``test rules`` on every test file at once."""
        command, code, out = self._run("test", "rules", *map(str, files))
        sections = _sections(out)
        failed = [_failure(f, t) for f, t in sections if not f or t != "SUCCESS"]
        if code != 0 or failed:
            raise PromtoolFailed(command, failed or [Failure("", (), out.strip())], output=out)
        return tuple(PassedFile(f) for f, _ in sections)

    def check_metrics(self, exposition: str, *, fatal: bool = True) -> tuple[MetricProblem, ...]:
        """``check metrics`` on an exposition (text format, via stdin): its lint findings, raised if ``fatal``."""
        command, code, out = self._run("check", "metrics", stdin=exposition)
        lines = [line for line in out.splitlines() if line.strip()]
        if code not in (0, 3):  # 3: lint findings; anything else: promtool could not read the input
            raise PromtoolFailed(command, [Failure("(stdin)", (), out.strip())], output=out)
        problems = tuple(MetricProblem(*line.split(" ", 1)) if " " in line else MetricProblem("", line)
                         for line in lines)
        if problems and fatal:
            raise PromtoolFailed(command, problems=problems, output=out)
        return problems


def find_promtool(path: str | None = None) -> Promtool:
    """The promtool at ``path``, or the first on PATH; PromtoolNotFound (with the install hint) otherwise."""
    found = shutil.which(path or "promtool")
    if found is None:
        raise PromtoolNotFound(path or "not on PATH")
    return Promtool(found)
