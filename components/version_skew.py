"""Which Kubernetes versions each pinned add-on version supports, and what a cluster version outside them means.

`SUPPORTED_KUBERNETES` is the table: per (add-on, version), the oldest and newest Kubernetes minor its project
documents (None: the project documents no bound on that side), with the source read. `version_skew` compares a
cluster's Kubernetes version with the add-ons it runs:

- below an add-on's oldest version is a problem (the add-on uses APIs the cluster does not serve: its install or
  its objects fail), raised with the cluster's other problems;
- above its newest documented version is a warning in the plan: the add-on usually keeps working, nobody has
  said it does, and an upgrade passes through that state on purpose (the control plane first, then the add-ons:
  README, Upgrading the training cluster). Blocking it would make the documented order impossible;
- a version the table does not know is a warning (unchecked), so a user's override is never refused for lack of
  an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

__all__ = ["KubernetesRange", "SUPPORTED_KUBERNETES", "Skew", "version_skew"]


@dataclass(frozen=True)
class KubernetesRange:
    oldest: Optional[str]  # Kubernetes minor, e.g. "1.29"; None: no documented lower bound
    newest: Optional[str]  # None: no documented upper bound
    source: str


SUPPORTED_KUBERNETES: dict[tuple[str, str], KubernetesRange] = {
    # Karpenter's compatibility matrix (karpenter.sh/docs/upgrading/compatibility) names, per Kubernetes minor, the
    # oldest Karpenter that supports it (v1.6's: 1.31 >= 1.0.5, 1.32 >= 1.2, 1.33 >= 1.5); v1 needs Kubernetes 1.25 or
    # newer (v1 migration guide). 1.34 and 1.35 are recorded as supported by 1.14.1 from its release being newer than
    # both Kubernetes releases; re-read the matrix of the version you pin when bumping either.
    ("karpenter", "1.14.1"): KubernetesRange("1.25", "1.35", "karpenter.sh/docs/upgrading/compatibility"),
    # Kueue's README, Installation: "Requires Kubernetes 1.29 or newer"; no upper bound is documented.
    ("kueue", "0.19.2"): KubernetesRange("1.29", None, "github.com/kubernetes-sigs/kueue README"),
    # NVIDIA k8s-device-plugin README, Prerequisites: "Kubernetes version >= 1.10"; no upper bound is documented.
    ("nvidia-device-plugin", "0.17.4"): KubernetesRange("1.10", None, "github.com/NVIDIA/k8s-device-plugin README"),
    # The dcgm-exporter chart's Chart.yaml: kubeVersion ">= 1.19.0-0"; no upper bound.
    ("dcgm-exporter", "4.1.3"): KubernetesRange("1.19", None, "github.com/NVIDIA/dcgm-exporter deployment/Chart.yaml"),
    # EKS user guide, Manage EFA devices: the EFA device plugin supports "All EKS-supported Kubernetes versions".
    ("aws-efa-k8s-device-plugin", "0.5.20"): KubernetesRange(
        None, None, "docs.aws.amazon.com/eks/latest/userguide/device-management-efa.html"),
}


@dataclass(frozen=True)
class Skew:
    add_on: str
    version: str
    severity: str  # "problem" or "warning"
    message: str


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def version_skew(cluster_version: str, add_ons: Mapping[str, str],
                 table: Mapping[tuple[str, str], KubernetesRange] = SUPPORTED_KUBERNETES) -> list[Skew]:
    """One Skew per add-on (chart name -> version) whose documented range does not hold `cluster_version`."""
    found: list[Skew] = []
    cluster = _minor(cluster_version)
    for add_on, version in add_ons.items():
        supported = table.get((add_on, version))
        if supported is None:
            found.append(Skew(add_on, version, "warning",
                              f"{add_on} {version} has no entry in the version-skew table: whether it supports Kubernetes "
                              f"{cluster_version} is not checked"))
            continue
        span = f"{supported.oldest or 'any'} to {supported.newest or 'any'} ({supported.source})"
        if supported.oldest is not None and cluster < _minor(supported.oldest):
            found.append(Skew(add_on, version, "problem",
                              f"{add_on} {version} needs Kubernetes {supported.oldest} or newer; the cluster runs "
                              f"{cluster_version} (supported: {span})"))
        elif supported.newest is not None and cluster > _minor(supported.newest):
            found.append(Skew(add_on, version, "warning",
                              f"{add_on} {version} is documented for Kubernetes up to {supported.newest}; the cluster runs "
                              f"{cluster_version} (supported: {span}): upgrade the add-on next"))
    return found
