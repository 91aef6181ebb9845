"""Resolve the spec's deployment sections (``kubernetes``, ``thanos``), checking Kubernetes names and labels the
way the API server would, so a bad value fails at ``make generate`` with its place in the spec, not at
``kubectl apply``."""

from __future__ import annotations

import re
from typing import Protocol

from .conventions import prometheus_rule_name
from .model import Kubernetes, Thanos
from .spec import Spec

__all__ = [
    "DNS_LABEL_RE",
    "DNS_SUBDOMAIN_RE",
    "label_key_problem",
    "label_value_problem",
    "resolve_kubernetes",
    "resolve_thanos",
]

Path = tuple[str | int, ...]

_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
DNS_SUBDOMAIN_RE = re.compile(rf"^{_DNS_LABEL}(?:\.{_DNS_LABEL})*$")
DNS_LABEL_RE = re.compile(rf"^{_DNS_LABEL}$")
# The name part of a label key, and a label value (which may also be empty).
_QUALIFIED_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_SUBDOMAIN_MAX = 253
_LABEL_MAX = 63
_DNS_HINT = "lower-case letters, digits and '-', starting and ending with a letter or digit"


class _Fails(Protocol):
    def fail(self, path: Path, message: str, *, key: bool = False) -> None:
        """Record one problem at ``path``."""


def _subdomain_problem(name: str) -> str | None:
    if len(name) > _SUBDOMAIN_MAX:
        return f"must be at most {_SUBDOMAIN_MAX} characters, got {len(name)}"
    if not DNS_SUBDOMAIN_RE.match(name):
        return f"{name!r} is not a DNS-1123 subdomain: use {_DNS_HINT}, in parts joined by '.'"
    return None


def label_key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid Kubernetes label key (``[prefix/]name``), or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or "/" in prefix):
        return f"invalid label key {key!r}: at most one '/', between a DNS subdomain prefix and a name"
    if slash and (len(prefix) > _SUBDOMAIN_MAX or not DNS_SUBDOMAIN_RE.match(prefix)):
        return f"invalid label key {key!r}: the prefix {prefix!r} must be a DNS-1123 subdomain ({_DNS_HINT})"
    if len(name) > _LABEL_MAX:
        return f"invalid label key {key!r}: the name part must be at most {_LABEL_MAX} characters"
    if not _QUALIFIED_NAME_RE.match(name):
        return (
            f"invalid label key {key!r}: use letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


def label_value_problem(value: str) -> str | None:
    """Why ``value`` is not a valid Kubernetes label value, or None (the empty value is valid)."""
    if len(value) > _LABEL_MAX:
        return f"label value {value!r} is longer than {_LABEL_MAX} characters"
    if value and not _QUALIFIED_NAME_RE.match(value):
        return (
            f"invalid label value {value!r}: use letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


def resolve_kubernetes(spec: Spec, check: _Fails) -> Kubernetes:
    """The PrometheusRule metadata: the spec's values, or a name derived from ``service.name``."""
    section = spec.kubernetes
    if section.name is not None:
        problem = _subdomain_problem(section.name)
        if problem:
            check.fail(("kubernetes", "name"), problem)
    namespace = section.namespace
    if len(namespace) > _LABEL_MAX:
        check.fail(("kubernetes", "namespace"), f"must be at most {_LABEL_MAX} characters, got {len(namespace)}")
    elif not DNS_LABEL_RE.match(namespace):
        check.fail(("kubernetes", "namespace"), f"{namespace!r} is not a DNS-1123 label: use {_DNS_HINT}")
    for key, value in section.labels.items():
        key_problem = label_key_problem(key)
        if key_problem:
            check.fail(("kubernetes", "labels", key), key_problem, key=True)
        value_problem = label_value_problem(value)
        if value_problem:
            check.fail(("kubernetes", "labels", key), value_problem)
    return Kubernetes(
        name=section.name if section.name is not None else prometheus_rule_name(spec.service.name),
        namespace=section.namespace,
        labels=tuple(sorted(section.labels.items())),
    )


def resolve_thanos(spec: Spec) -> Thanos:
    """Thanos Ruler settings, as written (pydantic already restricted the strategy to warn or abort)."""
    return Thanos(partial_response_strategy=spec.thanos.partial_response_strategy)
