"""References: what a component declared in another stack, as the components here consume it.

A layer stack (see `mlplat.platform.layers`) reads the network, keys, buckets, alarm topic, model
families and pipelines of the layers below through `pulumi.StackReference`. The components take
those as component objects (`Network`, `Encryption`, `ArtifactStore`, `AlarmTopic`, `aws.kms.Key`,
...); the classes here are those types with the same attributes, built from the referenced stack's
outputs (`pulumi.Output`s), and no resource of their own: declaring a reference creates nothing.

What a reference cannot carry is refused by name: reading an attribute a reference does not hold
raises a WiringError naming it (a resource's URN, a VPC's subnets as resources, ...). Grants on a
referenced artifact store are declared by the consuming stack (the same role policy, name and
document as the store would declare, parented by `owner`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

from mlplat.core.errors import ConfigError, WiringError
from mlplat.core.naming import child

from . import _iam
from ._grants import require_role
from ._wiring import lookup
from .artifact_store import ACCESS_LOGS, KEY_DOMAIN, TYPE_TOKEN as ARTIFACT_STORE_TYPE, ArtifactStore, GovernedBucket, check_grant_prefix, grant_policy
from .encryption import Encryption
from .model_registry import ModelFamilyHandle, ModelFamilySpec
from .monitoring import AlarmTopic
from .network import Network
from .training_pipeline import TrainingPipeline
from .training_pipeline_logs import SageMakerJobLogs

__all__ = [
    "AlarmTopicReference", "ArtifactStoreReference", "BucketReference", "EncryptionReference", "FamilyReference",
    "KeyReference", "ModelPackageGroupReference", "NetworkReference", "PipelineReference", "RegistryReference", "RepositoryReference",
    "SageMakerJobLogsReference", "TopicReference", "VpcEndpointReference", "VpcReference",
]


class _Reference:
    """Attributes set from outputs; a missing one is a WiringError, not a half-built resource."""

    _what = "a reference"

    def _set(self, **attributes: Any) -> None:
        # Resource classes read their output properties from the instance dict (`pulumi.get`).
        self.__dict__.update(attributes)

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        raise WiringError(f"{self._what} carries no {attribute!r}: it is declared in another stack, and only the "
                          "attributes its layer contract exports cross the stack reference")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._what}>"


def _arn_tail(arn: pulumi.Output[str]) -> pulumi.Output[str]:
    return arn.apply(lambda value: value.rsplit("/", 1)[-1] if isinstance(value, str) else value)


class KeyReference(_Reference, aws.kms.Key):
    """A KMS key of another stack: `arn`, `key_id`, `id`."""

    def __init__(self, domain: str, arn: pulumi.Output[str]) -> None:  # noqa: D107 - no resource is declared
        self._set(_what=f"the {domain!r} key reference", arn=arn, key_id=_arn_tail(arn), id=_arn_tail(arn))


class TopicReference(_Reference, aws.sns.Topic):
    """An SNS topic of another stack: `arn`."""

    def __init__(self, arn: pulumi.Output[str]) -> None:
        self._set(_what="the alarm topic reference", arn=arn)


class BucketReference(_Reference, aws.s3.Bucket):
    """An S3 bucket of another stack: `arn`, `bucket`, `id`."""

    def __init__(self, role: str, arn: pulumi.Output[str], name: pulumi.Output[str]) -> None:
        self._set(_what=f"the {role!r} bucket reference", arn=arn, bucket=name, id=name)


class RepositoryReference(_Reference, aws.ecr.Repository):
    """An ECR repository of another stack: `arn`, `repository_url`, `name`."""

    def __init__(self, label: str, arn: pulumi.Output[str], url: pulumi.Output[str]) -> None:
        self._set(_what=f"the {label} repository reference", arn=arn, repository_url=url, name=_arn_tail(arn))


class VpcReference(_Reference, aws.ec2.Vpc):
    """The created VPC of another stack (its presence tells consumers the network is not adopted)."""

    def __init__(self, vpc_id: pulumi.Output[str], cidr_block: pulumi.Output[str]) -> None:
        self._set(_what="the VPC reference", id=vpc_id, cidr_block=cidr_block)


class VpcEndpointReference(_Reference, aws.ec2.VpcEndpoint):
    """A VPC endpoint of another stack: `prefix_list_id` (gateway endpoints)."""

    def __init__(self, service: str, prefix_list_id: Optional[pulumi.Output[str]] = None) -> None:
        self._set(_what=f"the {service!r} VPC endpoint reference", prefix_list_id=prefix_list_id)


class NetworkReference(_Reference, Network):
    """The platform Network of another stack.

    `created`: the other stack created the VPC (its `vpc` is then a VpcReference and `endpoints`
    holds the services given) or adopted one (`vpc` None, no endpoints), as consumers decide their
    own resources from it before any output is known.
    """

    def __init__(self, name: str, *, created: bool, vpc_id: pulumi.Output[str], vpc_cidr_block: pulumi.Output[str],
                 private_subnet_ids: pulumi.Output[list[str]], endpoint_security_group_id: pulumi.Output[Optional[str]],
                 route_table_ids: pulumi.Output[list[str]], s3_prefix_list_id: Optional[pulumi.Output[str]],
                 interface_endpoints: Sequence[str]) -> None:
        endpoints: dict[str, aws.ec2.VpcEndpoint] = {}
        if created:
            endpoints = {"s3": VpcEndpointReference("s3", s3_prefix_list_id)}
            endpoints.update({service: VpcEndpointReference(service) for service in interface_endpoints})
        self._set(
            _what=f"Network reference {name!r}", _name=name, vpc=VpcReference(vpc_id, vpc_cidr_block) if created else None,
            subnets=[], endpoints=endpoints, flow_log_group=None, vpc_id=vpc_id, vpc_cidr_block=vpc_cidr_block,
            private_subnet_ids=private_subnet_ids, endpoint_security_group_id=endpoint_security_group_id,
            route_table_ids=route_table_ids,
        )


class EncryptionReference(_Reference, Encryption):
    """The platform's keys of another stack, by domain (`keys`, `key(domain)`, `key_arns`)."""

    def __init__(self, name: str, key_arns: Mapping[str, pulumi.Output[str]], *,
                 s3_log_source_bucket_prefixes: tuple[str, ...] = ()) -> None:
        keys = {domain: KeyReference(domain, arn) for domain, arn in key_arns.items()}
        self._set(_what=f"Encryption reference {name!r}", _name=name, keys=keys, aliases={},
                  key_arns=pulumi.Output.all(**{d: k.arn for d, k in keys.items()}),
                  s3_log_source_bucket_prefixes=s3_log_source_bucket_prefixes)


class ArtifactStoreReference(_Reference, ArtifactStore):
    """The governed buckets of another stack. Grants are role policies of this stack, with the names and
    documents the store itself would give them, under a component of the store's type and name (a child
    of `owner`, declared with the first grant): the same URN as in a stack that declares the store."""

    def __init__(self, name: str, *, owner: pulumi.Resource, encryption: Encryption,
                 buckets: Mapping[str, tuple[pulumi.Output[str], pulumi.Output[str]]]) -> None:
        """`buckets`: role -> (arn, name); each bucket's key is its role's domain key of `encryption`."""
        handles: dict[str, GovernedBucket] = {}
        for role, (arn, bucket_name) in buckets.items():
            handles[role] = GovernedBucket(role=role, bucket=BucketReference(role, arn, bucket_name),
                                           key=encryption.keys[KEY_DOMAIN[role]], arn=arn, name=bucket_name, store=self)
        self._set(
            _what=f"ArtifactStore reference {name!r}", _name=name, _owner=owner, _grant_parent=None, _grants=set(), _buckets=handles,
            _region=_iam.current_region(), _account_id=_iam.caller_account_id(),
            datasets=handles.get("datasets"), models=handles.get("models"), captures=handles.get("captures"),
            access_logs=handles.get(ACCESS_LOGS), experiments=handles.get("experiments"),
            bucket_names=pulumi.Output.all(**{r: h.name for r, h in handles.items()}),
            bucket_arns=pulumi.Output.all(**{r: h.arn for r, h in handles.items()}),
        )

    def _grant(self, access, role: aws.iam.Role, bucket_role: str, prefix: Optional[str]) -> aws.iam.RolePolicy:
        method = f"grant_{access.replace('-', '_')}"
        require_role(f"ArtifactStore {self._name!r}.{method}", role)
        handle = self._bucket_named(bucket_role, method, "bucket")
        if access != "read" and handle.role == ACCESS_LOGS:
            raise WiringError(f"ArtifactStore {self._name!r}.{method}: the {ACCESS_LOGS} bucket is written only by S3 "
                              "log delivery; grant read on it instead")
        problems = check_grant_prefix(prefix, method)
        if problems:
            raise ConfigError(problems)
        name = child(self._name, f"{handle.role}-{access}-{role._name}")
        document = grant_policy(access, bucket_arn=handle.arn, key_arn=handle.key.arn, region=self._region, prefix=prefix)
        if name in self._grants:
            raise WiringError(f"ArtifactStore {self._name!r} already has a {access} grant on {handle.role} for role "
                              f"{role._name!r} ({name}); declare one grant per bucket, access and role")
        self._grants.add(name)
        # `pulumi state move` puts a resource whose parent it does not move at the stack's root: the alias finds it.
        at_root = [pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]
        if self._grant_parent is None:
            self._set(_grant_parent=pulumi.ComponentResource(
                ARTIFACT_STORE_TYPE, self._name, None, pulumi.ResourceOptions(parent=self._owner, aliases=at_root)))
        return aws.iam.RolePolicy(name, role=role.name, policy=_iam.to_json(document),
                                  opts=pulumi.ResourceOptions(parent=self._grant_parent, aliases=at_root))

    def _bucket_named(self, role: str, method: str, argument: str) -> GovernedBucket:
        return lookup(self._buckets, role, where=f"ArtifactStore {self._name!r}.{method}", argument=argument,
                      noun="a bucket of the referenced store")


class AlarmTopicReference(_Reference, AlarmTopic):
    """The platform's alarm topic of another stack: `arn`, `topic`."""

    def __init__(self, name: str, arn: pulumi.Output[str]) -> None:
        self._set(_what=f"AlarmTopic reference {name!r}", _name=name, arn=arn, topic=TopicReference(arn), subscriptions={})


class PipelineReference(_Reference, TrainingPipeline):
    """A family's training pipeline of another stack: `arn` (what a drift loop starts)."""

    def __init__(self, family: str, arn: pulumi.Output[str]) -> None:
        self._set(_what=f"the {family!r} pipeline reference", arn=arn, family=family)


class SageMakerJobLogsReference(_Reference, SageMakerJobLogs):
    """The account's SageMaker job log groups (`/aws/sagemaker/TrainingJobs`, `/aws/sagemaker/ProcessingJobs`),
    declared by another stack (a layered environment's foundation): a pipeline writes to them by name and has
    nothing here to depend on (`declared` is False; the groups' stack deploys first)."""

    declared = False

    def __init__(self, name: str) -> None:
        self._set(_what=f"SageMakerJobLogs reference {name!r}", _name=name)


class ModelPackageGroupReference(_Reference, aws.sagemaker.ModelPackageGroup):
    """A model package group of another stack: `arn`, `model_package_group_name`."""

    def __init__(self, family: str, arn: pulumi.Output[str], group_name: str) -> None:
        self._set(_what=f"the {family!r} model package group reference", arn=arn, model_package_group_name=group_name)


class FamilyReference(_Reference, ModelFamilyHandle):
    """A model family of another stack's registry, as a ModelFamilyHandle: `group_name`, `group_arn` (its
    `group`'s), `repositories` (the kinds this stack reads), `repository(kind)`, and `account` (the group's
    account when it is not this stack's, e.g. a registry in the shared-services account). Grants on it are
    refused: the registry's stack grants its own account's roles, and other accounts through its policies."""

    def __init__(self, *, name: str, group_name: str, group_arn: pulumi.Output[str],
                 repositories: dict[str, RepositoryReference], account: Optional[str] = None) -> None:
        self._set(_what=f"the {name!r} family reference", name=name,
                  spec=ModelFamilySpec(name=name, repositories=tuple(repositories)),
                  group=ModelPackageGroupReference(name, group_arn, group_name), group_name=group_name,
                  repositories=repositories, approval_rule=None, registry=None, account=account)

    def repository(self, kind: str) -> aws.ecr.Repository:
        return lookup(self.repositories, kind, where=f"the {self.name!r} family reference.repository", argument="kind",
                      noun="a repository kind of this family that this stack reads")

    def grant_pull(self, role: aws.iam.Role, kinds: Optional[Sequence[str]] = None) -> aws.iam.RolePolicy:
        raise self._no_grant("grant_pull")

    def grant_read_packages(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        raise self._no_grant("grant_read_packages")

    def _no_grant(self, method: str) -> WiringError:
        return WiringError(f"{self._what}.{method}: its registry is declared in another stack; grant there (its own "
                           "account's roles), or through the registry's policies (other accounts)")


@dataclass
class RegistryReference:
    """The model families of another stack's registry (`families`, `family(name)`)."""

    name: str
    families: dict[str, FamilyReference]

    def family(self, family: str) -> FamilyReference:
        return lookup(self.families, family, where=f"ModelRegistry reference {self.name!r}.family", argument="family",
                      noun="a model family of the referenced registry")
