"""The composition root of a platform project: stack config -> PlatformConfig -> MLPlatform -> outputs.

A project's `__main__.py` is `build_platform()`: it reads the stack's `ml-platform:platform` (with the
project's account map, `ml-platform:accounts`, when Pulumi.yaml sets one), registers the stack-wide
tags, declares the platform and exports its outputs. A layer stack (`layer:` other than `all`) reads
the layers below through stack references (their contracts, `mlplat.platform.layers`) and exports its
own contract instead of the single stack's outputs.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import pulumi

from mlplat.components import platform_tags, register_stack_tags
from mlplat.core.errors import ConfigError
from .accounts import ACCOUNTS_KEY, load_account_map, parse_account_map, registry_readers
from .config import CONFIG_KEY, CONFIG_NAMESPACE, PlatformConfig, parse_platform_config, stack_file_label
from .config_layers import pipelines_layer, registry_layer
from .layer_exports import contract_exports
from .layers import Upstream, check_layer_stack
from .ml_platform import MLPlatform

__all__ = ["StackAccounts", "build_platform", "declare_platform", "load_accounts", "load_platform_config"]


def load_platform_config() -> PlatformConfig:
    """Validate the stack's `ml-platform:platform` (with the project's account map, which tells a registry stack in
    shared services); ConfigError names the stack file on failure."""
    raw = pulumi.Config(CONFIG_NAMESPACE).get_object(CONFIG_KEY)
    aws_region = pulumi.Config("aws").get("region")
    source = stack_file_label(pulumi.get_stack())
    accounts = parse_account_map(pulumi.Config(CONFIG_NAMESPACE).get_object(ACCOUNTS_KEY), source=source)
    config = parse_platform_config(raw, source=source, aws_region=aws_region, accounts=accounts,
                                   stack=pulumi.get_stack())
    problems = check_layer_stack(config.layer, config.environment, pulumi.get_stack())
    if problems:
        raise ConfigError(problems, source)
    return config


class StackAccounts(NamedTuple):
    """What the account map says of this stack (`load_accounts`)."""

    readers: Optional[tuple[str, ...]]  # the accounts its registry, models key and bucket grant read access
    registry_account: Optional[str]  # the account of the registry it reads families from, when another
    registry_apart: bool  # a registry stack in shared services over a foundation in another account
    registering_accounts: tuple[str, ...]  # the accounts whose pipelines register into its registry


def load_accounts(config: PlatformConfig) -> StackAccounts:
    """The account map's view of this stack (no readers, no other account, not apart without a map); ConfigError
    when the stack file's aws:allowedAccountIds / aws:assumeRoles disagree with the map, or a consumer account is
    not in it."""
    stack = pulumi.get_stack()
    source = stack_file_label(stack)
    values = {
        f"{CONFIG_NAMESPACE}:{ACCOUNTS_KEY}": pulumi.Config(CONFIG_NAMESPACE).get_object(ACCOUNTS_KEY),
        "aws:allowedAccountIds": pulumi.Config("aws").get_object("allowedAccountIds"),
        "aws:assumeRoles": pulumi.Config("aws").get_object("assumeRoles"),
    }
    accounts = load_account_map(values, stack=stack, environment=config.environment, source=source)
    if accounts is None:
        return StackAccounts(None, None, False, ())
    readers = registry_readers(accounts, stack=stack, environment=config.environment,
                               explicit=config.model_registry.consumer_accounts, source=source)
    return StackAccounts(
        readers=readers,
        registry_account=accounts.registry_account(stack, config.environment,
                                                   registry_layer=registry_layer(config.layer, config.layers)),
        registry_apart=accounts.registry_apart(stack, config.environment, config.layer),
        registering_accounts=accounts.registering_accounts(stack, config.environment, config.layer),
    )


def declare_platform(config: PlatformConfig, upstream: Upstream | None = None) -> MLPlatform:
    """The stack-wide tags, then the platform (the transform tags only resources registered after it)."""
    tags = config.tags
    register_stack_tags(
        platform_tags(
            owner=tags.owner, cost_center=tags.cost_center, project=tags.project,
            environment=config.environment, data_classification=tags.data_classification, extra=tags.extra,
        )
    )
    accounts = load_accounts(config)
    return MLPlatform("platform", config, upstream=upstream, cross_account_readers=accounts.readers,
                      registry_account=accounts.registry_account, registry_apart=accounts.registry_apart,
                      registering_accounts=accounts.registering_accounts)


def build_platform() -> MLPlatform:
    """The stack's platform, declared and exported (what a project's `__main__.py` runs)."""
    config = load_platform_config()
    if config.layer != "all":
        upstream = Upstream(layer=config.layer, environment=config.environment, stack_prefix=config.layers.stack_prefix,
                            ml_services=registry_layer(config.layer, config.layers),
                            pipelines=pipelines_layer(config.layer, config.layers))
        platform = declare_platform(config, upstream)
        for name, value in contract_exports(platform, upstream).items():
            pulumi.export(name, value)
        return platform
    platform = declare_platform(config)
    pulumi.export("environment", config.environment)
    pulumi.export("vpc_id", platform.network.vpc_id)
    pulumi.export("private_subnet_ids", platform.network.private_subnet_ids)
    pulumi.export("key_arns", platform.encryption.key_arns)
    pulumi.export("bucket_names", platform.artifacts.bucket_names)
    pulumi.export("alarm_topic_arn", platform.alarm_topic.arn)
    pulumi.export("endpoint_names", {name: e.endpoint_name for name, e in platform.endpoints.items()})
    if platform.training is not None:
        pulumi.export("training_cluster_name", platform.training.cluster_name)
        pulumi.export("kubeconfig", pulumi.Output.secret(platform.training.kubeconfig))
    if platform.features is not None:
        pulumi.export("feature_group_names", platform.features.feature_group_names)
    if platform.registry is not None:
        pulumi.export("repository_urls", platform.registry.repository_urls)
    if platform.tracking is not None:
        pulumi.export("tracking_server_url", platform.tracking.tracking_server_url)
    if platform.pipelines:
        pulumi.export("pipeline_names", {family: p.pipeline_name for family, p in platform.pipelines.items()})
    return platform
