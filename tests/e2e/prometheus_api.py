"""Typed read-only client for Prometheus's HTTP API (urllib only): queries, rules, alerts, targets."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "Alert",
    "PrometheusAPI",
    "PrometheusAPIError",
    "Rule",
    "RuleGroup",
    "Sample",
    "Series",
    "Target",
]

Labels = dict[str, str]


class PrometheusAPIError(RuntimeError):
    """An API call that Prometheus answered with an error, or did not answer."""


@dataclass(frozen=True)
class Sample:
    """One element of an instant vector (or a scalar, with no labels)."""

    labels: Labels
    timestamp: float
    value: float


@dataclass(frozen=True)
class Series:
    """One series of a range query or a range-vector selector: (timestamp, value) points."""

    labels: Labels
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Rule:
    """One rule as /api/v1/rules reports it."""

    name: str
    type: str  # "recording" or "alerting"
    query: str
    health: str
    last_error: str
    labels: Labels
    duration: float  # `for` of an alerting rule, seconds
    state: str  # alerting rules: inactive, pending or firing


@dataclass(frozen=True)
class RuleGroup:
    """A rule group with its file and rules."""

    name: str
    file: str
    interval: float
    last_evaluation: float  # seconds since the epoch; 0 before the first evaluation
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Alert:
    """An active (pending or firing) alert."""

    name: str
    state: str
    labels: Labels
    value: float


@dataclass(frozen=True)
class Target:
    """A scrape target and its health."""

    labels: Labels
    health: str
    last_error: str
    scrape_url: str


def _float(text: str) -> float:
    """A sample value: Prometheus writes NaN, +Inf and -Inf the way float() reads them."""
    return float(text)


class PrometheusAPI:
    """Calls to one Prometheus server.

    >>> api = PrometheusAPI("http://127.0.0.1:9090")  # doctest: +SKIP
    >>> [s.value for s in api.query("vector(1)")]  # doctest: +SKIP
    [1.0]
    """

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _get(self, path: str, params: dict[str, str] | list[tuple[str, str]] | None = None) -> Any:
        """GET an /api/v1 endpoint and return its ``data``; raise PrometheusAPIError on any failure."""
        url = f"{self.base_url}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:
            try:
                body = json.load(error)
            except ValueError:
                raise PrometheusAPIError(f"GET {url}: HTTP {error.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise PrometheusAPIError(f"GET {url}: {error}") from None
        if body.get("status") != "success":
            raise PrometheusAPIError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def ready(self) -> bool:
        """True once the server answers /-/ready with 200."""
        try:
            with urllib.request.urlopen(f"{self.base_url}/-/ready", timeout=2.0) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def query(self, expr: str, at: float | None = None) -> list[Sample]:
        """An instant query; a scalar result comes back as one sample without labels."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self._get("/api/v1/query", params)
        kind, result = data["resultType"], data["result"]
        if kind == "vector":
            return [Sample(r["metric"], float(r["value"][0]), _float(r["value"][1])) for r in result]
        if kind == "scalar":
            return [Sample({}, float(result[0]), _float(result[1]))]
        if kind == "matrix":
            raise PrometheusAPIError(f"{expr!r} is a range vector: use query_series()")
        raise PrometheusAPIError(f"{expr!r}: unexpected result type {kind}")

    def query_series(self, expr: str, at: float | None = None) -> list[Series]:
        """An instant query of a range-vector selector (``metric[1m]``): the raw samples with their timestamps."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self._get("/api/v1/query", params)
        if data["resultType"] != "matrix":
            raise PrometheusAPIError(f"{expr!r}: expected a range vector, got {data['resultType']}")
        return [_series(r) for r in data["result"]]

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        """A range query, as Grafana runs for time series panels."""
        params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        data = self._get("/api/v1/query_range", params)
        return [_series(r) for r in data["result"]]

    def label_values(self, label: str, match: str) -> list[str]:
        """Values of ``label`` on series matching ``match`` (Grafana's ``label_values(match, label)``)."""
        return list(self._get(f"/api/v1/label/{urllib.parse.quote(label)}/values", [("match[]", match)]))

    def rule_groups(self) -> list[RuleGroup]:
        """Every loaded rule group with the health of each rule."""
        groups = self._get("/api/v1/rules")["groups"]
        return [
            RuleGroup(g["name"], g["file"], float(g["interval"]), _epoch(g.get("lastEvaluation", "")),
                      tuple(_rule(r) for r in g["rules"]))
            for g in groups
        ]

    def alerts(self) -> list[Alert]:
        """Active alerts, pending and firing."""
        return [
            Alert(a["labels"]["alertname"], a["state"], a["labels"], _float(a["value"]))
            for a in self._get("/api/v1/alerts")["alerts"]
        ]

    def targets(self) -> list[Target]:
        """Active scrape targets."""
        return [
            Target(t["labels"], t["health"], t.get("lastError", ""), t["scrapeUrl"])
            for t in self._get("/api/v1/targets", {"state": "active"})["activeTargets"]
        ]


_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _epoch(text: str) -> float:
    """Seconds since the epoch from Go's RFC 3339 text (nanoseconds, any offset); 0 for Go's zero time."""
    match = _RFC3339.match(text)
    if match is None or text.startswith("0001-"):
        return 0.0
    whole, fraction, offset = match.groups()
    moment = datetime.fromisoformat(whole + ("+00:00" if offset == "Z" else offset))
    return moment.timestamp() + float(fraction or 0.0)


def _series(raw: dict[str, Any]) -> Series:
    """A matrix element."""
    return Series(raw["metric"], tuple((float(t), _float(v)) for t, v in raw["values"]))


def _rule(raw: dict[str, Any]) -> Rule:
    """A rule of /api/v1/rules."""
    return Rule(
        name=raw["name"],
        type=raw["type"],
        query=raw["query"],
        health=raw["health"],
        last_error=raw.get("lastError", ""),
        labels=raw.get("labels") or {},
        duration=float(raw.get("duration", 0)),
        state=raw.get("state", ""),
    )
