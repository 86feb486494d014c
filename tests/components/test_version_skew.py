"""The version-skew check: the pinned add-ons' documented Kubernetes versions against the cluster's."""

from __future__ import annotations

import pytest

from mlplat.components.training_args import (
    DCGM_EXPORTER_CHART,
    DEVICE_PLUGIN_CHART,
    EFA_DEVICE_PLUGIN_CHART,
    KARPENTER_VERSION,
    KUEUE_VERSION,
)
from mlplat.components.version_skew import SUPPORTED_KUBERNETES, KubernetesRange, version_skew
from mlplat.core.vocabulary import SUPPORTED_KUBERNETES_VERSIONS

PINNED = {
    "karpenter": KARPENTER_VERSION,
    "kueue": KUEUE_VERSION,
    "nvidia-device-plugin": DEVICE_PLUGIN_CHART.version,
    "dcgm-exporter": DCGM_EXPORTER_CHART.version,
    "aws-efa-k8s-device-plugin": EFA_DEVICE_PLUGIN_CHART.version,
}


def test_every_pinned_add_on_has_an_entry_with_its_source() -> None:
    for add_on, version in PINNED.items():
        entry = SUPPORTED_KUBERNETES[(add_on, version)]
        assert entry.source, (add_on, version)


@pytest.mark.parametrize("cluster_version", SUPPORTED_KUBERNETES_VERSIONS)
def test_the_pinned_versions_support_every_kubernetes_version_the_platform_allows(cluster_version: str) -> None:
    assert version_skew(cluster_version, PINNED) == []


def test_a_cluster_newer_than_an_add_on_documents_is_a_warning_and_older_a_problem() -> None:
    # Karpenter 1.14.1 is recorded for 1.25 to 1.35; Kueue 0.19.2 from 1.29 with no upper bound.
    newer = version_skew("1.36", PINNED)
    assert [(s.add_on, s.severity) for s in newer] == [("karpenter", "warning")]
    assert newer[0].message.startswith("karpenter 1.14.1 is documented for Kubernetes up to 1.35; the cluster runs 1.36")
    older = version_skew("1.28", PINNED)
    assert [(s.add_on, s.severity) for s in older] == [("kueue", "problem")]
    assert older[0].message.startswith("kueue 0.19.2 needs Kubernetes 1.29 or newer; the cluster runs 1.28")
    assert {s.add_on for s in version_skew("1.9", PINNED)} == {"karpenter", "kueue", "nvidia-device-plugin", "dcgm-exporter"}


def test_minor_versions_compare_as_numbers_and_unknown_versions_are_unchecked_warnings() -> None:
    table = {("x", "1.0.0"): KubernetesRange("1.9", "1.10", "test")}
    assert version_skew("1.10", {"x": "1.0.0"}, table) == []  # 1.10 > 1.9 as numbers, not as text
    assert [s.severity for s in version_skew("1.11", {"x": "1.0.0"}, table)] == ["warning"]
    (unknown,) = version_skew("1.34", {"x": "2.0.0"}, table)
    assert (unknown.severity, unknown.message) == (
        "warning", "x 2.0.0 has no entry in the version-skew table: whether it supports Kubernetes 1.34 is not checked")
