"""Emit the Grafana dashboards (built with grafanalib) and the provisioning files that load them.

Output, relative to the output directory::

    grafana/dashboards/<uid>.json                      the LLM overview dashboard
    grafana/provisioning/dashboards/<service>.yaml     a file provider pointing Grafana at the JSON
    grafana/provisioning/datasources/prometheus.yaml   an example Prometheus data source
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import yaml

from ..headers import generated_header
from ..model import Bundle
from ..units import format_duration
from .grafana_build import build_dashboard
from .grafana_normalise import normalise
from .grafana_panels import overview_rows

__all__ = ["DASHBOARDS_DIR", "dashboard_uid", "emit", "render_dashboard"]

DASHBOARDS_DIR = "grafana/dashboards"
PROVISIONING_DIR = "grafana/provisioning"
UID_MAX = 40
UID_SUFFIX = "-llm-overview"
# Where the provisioning files expect things inside the Grafana container.
CONTAINER_PROVISIONING = "/etc/grafana/provisioning"
CONTAINER_DASHBOARDS = "/var/lib/grafana/dashboards"
EXAMPLE_PROMETHEUS_URL = "http://prometheus:9090"


def dashboard_uid(service_name: str) -> str:
    """A stable uid (<= 40 characters of ``[a-z0-9-]``) from the service name.

    >>> dashboard_uid("llm-gateway")
    'llm-gateway-llm-overview'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", service_name.lower()).strip("-") or "service"
    readable = slug + UID_SUFFIX
    if slug == service_name and len(readable) <= UID_MAX:
        return readable
    # Lossy or long names get a digest of the exact name, so two services never share a uid.
    digest = hashlib.sha256(service_name.encode("utf-8")).hexdigest()[:8]
    keep = UID_MAX - len(UID_SUFFIX) - len(digest) - 1
    return f"{slug[:keep].rstrip('-')}-{digest}{UID_SUFFIX}"


def _description(bundle: Bundle) -> str:
    """The dashboard description: what it shows and where it comes from."""
    return (
        f"LLM calls of {bundle.service.name} (team {bundle.service.team}): traffic, latency, tokens, cost, "
        f"queues, bundling and circuit breakers. Generated from {bundle.source} by the LLM monitoring bundle "
        "generator: do not edit; change the spec and run `make generate`."
    )


def render_dashboard(bundle: Bundle) -> dict[str, Any]:
    """The LLM overview dashboard as current Grafana JSON."""
    uid = dashboard_uid(bundle.service.name)
    dashboard = build_dashboard(
        bundle, uid, f"{bundle.service.name} / LLM overview", _description(bundle), overview_rows(bundle)
    )
    return normalise(dashboard)


def _json(data: dict[str, Any]) -> str:
    """Stable JSON text: sorted keys, two-space indent, UTF-8, trailing newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _yaml(bundle: Bundle, comment: str, data: dict[str, Any]) -> str:
    """A YAML file: the generated header, a comment, then the data."""
    lines = "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines())
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
    return generated_header(bundle.source) + "#\n" + lines + body


def _mounts(bundle: Bundle) -> str:
    """The docker mount flags that make Grafana load the bundle without clicks."""
    uid = dashboard_uid(bundle.service.name)
    return (
        "Load this bundle into Grafana without clicks: from the directory it was generated into\n"
        "(output/ by default), mount the provisioning directories and the dashboards, e.g.\n"
        "\n"
        "  docker run -p 3000:3000 \\\n"
        f"    -v \"$PWD/output/{PROVISIONING_DIR}/dashboards:{CONTAINER_PROVISIONING}/dashboards:ro\" \\\n"
        f"    -v \"$PWD/output/{PROVISIONING_DIR}/datasources:{CONTAINER_PROVISIONING}/datasources:ro\" \\\n"
        f"    -v \"$PWD/output/{DASHBOARDS_DIR}:{CONTAINER_DASHBOARDS}/{uid}:ro\" \\\n"
        "    grafana/grafana\n"
        "\n"
        f"Elsewhere (Helm, a VM): put this file under {CONTAINER_PROVISIONING}/ as above and the dashboard\n"
        "JSON files where `path` says.\n"
    )


def _dashboard_provider(bundle: Bundle) -> str:
    """A file provider for the bundle's dashboards; UI edits are not saved (change the spec instead)."""
    uid = dashboard_uid(bundle.service.name)
    data = {
        "apiVersion": 1,
        "providers": [{
            "name": uid,
            "orgId": 1,
            "folder": "LLM monitoring",
            "type": "file",
            "disableDeletion": True,
            "allowUiUpdates": False,
            "updateIntervalSeconds": 60,
            "options": {"path": f"{CONTAINER_DASHBOARDS}/{uid}", "foldersFromFilesStructure": False},
        }],
    }
    return _yaml(bundle, "Grafana dashboard provider for the LLM dashboards.\n\n" + _mounts(bundle), data)


def _datasource(bundle: Bundle) -> str:
    """An example Prometheus data source, made the default so the dashboards' variable picks it."""
    data = {
        "apiVersion": 1,
        "datasources": [{
            "name": "Prometheus",
            "type": "prometheus",
            "uid": "prometheus",
            "access": "proxy",
            "url": EXAMPLE_PROMETHEUS_URL,
            "isDefault": True,
            "jsonData": {"timeInterval": format_duration(bundle.service.scrape_interval)},
        }],
    }
    comment = (
        "Example Prometheus data source. To use another Prometheus, copy this file out of the output directory\n"
        "(it is regenerated) and change `url`; if Grafana already has a Prometheus data source, leave it out.\n"
        "The dashboards choose a data source with their `datasource` variable; this one is the default.\n"
        "`timeInterval` is the spec's scrape interval, which $__rate_interval is derived from.\n\n"
        + _mounts(bundle)
    )
    return _yaml(bundle, comment, data)


def emit(bundle: Bundle) -> dict[str, str]:
    """The dashboards and provisioning files, keyed by path under the output directory."""
    dashboard = render_dashboard(bundle)
    return {
        f"{DASHBOARDS_DIR}/{dashboard['uid']}.json": _json(dashboard),
        f"{PROVISIONING_DIR}/dashboards/{dashboard_uid(bundle.service.name)}.yaml": _dashboard_provider(bundle),
        f"{PROVISIONING_DIR}/datasources/prometheus.yaml": _datasource(bundle),
    }
