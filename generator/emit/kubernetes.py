"""Emit a Prometheus Operator ``PrometheusRule`` holding every rule group of the bundle.

The groups are the very data of ``prometheus/rules/`` (see generator.rulegroups). When the spec sets
``thanos.partial_response_strategy`` they carry it too: the operator drops the field for Prometheus and keeps it
for ThanosRuler, so one object serves both.
"""

from __future__ import annotations

from typing import Any

from ..model import Bundle
from ..rulefiles import PROMETHEUS_RULE_PATH
from ..rulegroups import rule_groups, thanos_groups
from ..yamlout import dump

__all__ = ["API_VERSION", "emit", "prometheus_rule"]

API_VERSION = "monitoring.coreos.com/v1"


def prometheus_rule(bundle: Bundle) -> dict[str, Any]:
    """The PrometheusRule object as Python data; ``metadata.labels`` only when the spec sets some."""
    k8s = bundle.kubernetes
    metadata: dict[str, Any] = {"name": k8s.name, "namespace": k8s.namespace}
    if k8s.labels:
        metadata["labels"] = dict(k8s.labels)
    return {
        "apiVersion": API_VERSION,
        "kind": "PrometheusRule",
        "metadata": metadata,
        "spec": {"groups": thanos_groups(bundle, rule_groups(bundle))},
    }


def emit(bundle: Bundle) -> dict[str, str]:
    """``kubernetes/prometheusrule.yaml``: apply it with ``kubectl apply -f``."""
    return {PROMETHEUS_RULE_PATH: dump(prometheus_rule(bundle), bundle.source)}
