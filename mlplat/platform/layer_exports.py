"""What a layer stack exports: its contract's fields, under the contract's names (`mlplat.platform.layers`)."""

from __future__ import annotations

from typing import Any

import pulumi

from mlplat.components.model_registry import ModelRegistry

from .layers import CONTRACTS, Upstream, layer_kind
from .ml_platform import MLPlatform

__all__ = ["contract_exports"]


def contract_exports(platform: MLPlatform, upstream: Upstream | None = None) -> dict[str, Any]:
    """The stack outputs of a layer stack: every field of its layer's contract, `contract: {layer, version}`,
    and `upstream_contracts` (the checked contracts of the layers it references)."""
    config = platform.config
    kind = layer_kind(config.layer)
    exports: dict[str, Any] = {"environment": config.environment}
    if kind == "foundation":
        network = platform.network
        s3 = network.endpoints.get("s3")
        exports.update(
            network_created=config.network.existing is None,
            vpc_id=network.vpc_id,
            vpc_cidr_block=network.vpc_cidr_block,
            private_subnet_ids=network.private_subnet_ids,
            endpoint_security_group_id=network.endpoint_security_group_id,
            route_table_ids=network.route_table_ids,
            s3_prefix_list_id=s3.prefix_list_id if s3 is not None else None,
            interface_endpoints=sorted(service for service in network.endpoints if service != "s3"),
            key_arns=platform.encryption.key_arns,
            bucket_names=platform.artifacts.bucket_names,
            bucket_arns=platform.artifacts.bucket_arns,
            alarm_topic_arn=platform.alarm_topic.arn,
            sagemaker_job_log_groups=pulumi.Output.all(platform.job_logs.training.name, platform.job_logs.processing.name)
            if platform.job_logs is not None else None,
        )
    elif kind == "ml-services":
        # A pipelines stack reads its families from another layer's registry: it exports none of its own.
        families = platform.registry.families if isinstance(platform.registry, ModelRegistry) else {}
        exports.update(
            families={
                family: {
                    "group_name": handle.group_name,
                    "group_arn": handle.group_arn,
                    "repository_arns": {kind: r.arn for kind, r in handle.repositories.items()},
                    "repository_urls": {kind: r.repository_url for kind, r in handle.repositories.items()},
                }
                for family, handle in families.items()
            },
            pipeline_arns={family: p.arn for family, p in platform.pipelines.items()},
            pipeline_names={family: p.pipeline_name for family, p in platform.pipelines.items()},
            feature_group_names=dict(platform.features.feature_group_names) if platform.features is not None else {},
            tracking_server_url=platform.tracking.tracking_server_url if platform.tracking is not None else None,
        )
    elif kind == "training":
        if platform.training is not None:
            exports.update(training_cluster_name=platform.training.cluster_name,
                           kubeconfig=pulumi.Output.secret(platform.training.kubeconfig))
    else:
        exports.update(endpoint_names={name: e.endpoint_name for name, e in platform.endpoints.items()})
    exports["contract"] = CONTRACTS[kind].marker()
    if upstream is not None and upstream.contracts:
        exports["upstream_contracts"] = upstream.checks
    return exports
