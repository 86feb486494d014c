"""Layer stacks over accounts: each stack targets the account the map gives it and reads the layers below.

The composition is the reference one (stack config -> PlatformConfig -> MLPlatform): the account map
(`ml-platform:accounts` in Pulumi.yaml) checks the stack file's aws:allowedAccountIds / aws:assumeRoles,
names the accounts the registry grants read access, and tells a serving layer that its registry is in the
shared-services account (`latest-approved` then reads the group there, by ARN).
"""

import pulumi

from mlplat.components import platform_tags, register_stack_tags
from mlplat.core.errors import ConfigError, Problem
from mlplat.platform import MLPlatform, parse_platform_config
from mlplat.platform.accounts import ACCOUNTS_KEY, load_account_map, parse_account_map, registry_readers
from mlplat.platform.config import CONFIG_KEY, CONFIG_NAMESPACE, stack_file_label
from mlplat.platform.layer_exports import contract_exports
from mlplat.platform.layers import Upstream, check_layer_stack, declares

stack = pulumi.get_stack()
source = stack_file_label(stack)
aws = pulumi.Config("aws")
# The map first: it tells a registry stack in shared services (its own keys and alarm topic, no pipelines).
account_map = parse_account_map(pulumi.Config(CONFIG_NAMESPACE).get_object(ACCOUNTS_KEY), source=source)
config = parse_platform_config(pulumi.Config(CONFIG_NAMESPACE).get_object(CONFIG_KEY), source=source,
                               aws_region=aws.get("region"), accounts=account_map, stack=stack)
problems = check_layer_stack(config.layer, config.environment, stack)
if config.layer == "all":
    problems.append(Problem("platform.layer", "is the single-stack layout; this example declares layer stacks only "
                                              "(foundation, ml-services, serving-<team>)", config.layer))
if problems:
    raise ConfigError(problems, source)

accounts = load_account_map({
    f"{CONFIG_NAMESPACE}:{ACCOUNTS_KEY}": pulumi.Config(CONFIG_NAMESPACE).get_object(ACCOUNTS_KEY),
    "aws:allowedAccountIds": aws.get_object("allowedAccountIds"),
    "aws:assumeRoles": aws.get_object("assumeRoles"),
}, stack=stack, environment=config.environment, source=source)
assert accounts is not None, "Pulumi.yaml declares ml-platform:accounts"

tags = config.tags
register_stack_tags(platform_tags(owner=tags.owner, cost_center=tags.cost_center, project=tags.project,
                                  environment=config.environment, data_classification=tags.data_classification,
                                  extra=tags.extra))
upstream = Upstream(layer=config.layer, environment=config.environment, stack_prefix=config.layers.stack_prefix,
                    ml_services=config.layers.ml_services)
platform = MLPlatform(
    "platform", config, upstream=upstream,
    cross_account_readers=registry_readers(accounts, stack=stack, environment=config.environment,
                                           explicit=config.model_registry.consumer_accounts, source=source),
    registry_account=accounts.registry_account(stack, config.environment, serving_layer=declares(config.layer, "serving"),
                                               ml_services_layer=config.layers.ml_services),
    registry_apart=accounts.registry_apart(stack, config.environment, config.layer),
)
for name, value in contract_exports(platform, upstream).items():
    pulumi.export(name, value)
