"""EKS: the cluster and its managed node groups ACTIVE."""

from __future__ import annotations

from typing import Iterable

from ._core import Context, Finding, checks, read

__all__ = ["cluster", "node_group"]


@checks("aws:eks/cluster:Cluster")
def cluster(context: Context) -> Iterable[Finding]:
    name = context.value("name") or context.resource.id
    live = read(context, f"cluster {name}", lambda: context.clients.client("eks").describe_cluster(name=name),
                missing_codes=("ResourceNotFoundException",))["cluster"]
    status = live.get("status")
    return [] if status == "ACTIVE" else [context.finding("cluster status", "unhealthy", "ACTIVE", status)]


@checks("aws:eks/nodeGroup:NodeGroup")
def node_group(context: Context) -> Iterable[Finding]:
    cluster_name, name = context.value("clusterName"), context.value("nodeGroupName")
    live = read(context, f"node group {name}", lambda: context.clients.client("eks").describe_nodegroup(
        clusterName=cluster_name, nodegroupName=name), missing_codes=("ResourceNotFoundException",))["nodegroup"]
    status = live.get("status")
    return [] if status == "ACTIVE" else [context.finding("node group status", "unhealthy", "ACTIVE", status)]
