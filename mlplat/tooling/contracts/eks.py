"""Training clusters: the EKS, EC2, ECR and IAM requests a TrainingCluster's resources imply.

- `aws:eks/cluster:Cluster` -> eks CreateCluster (the name against ClusterName's pattern and
  length; log types, authentication mode, IP family against their enums);
- `aws:eks/nodeGroup:NodeGroup` -> eks CreateNodegroup (AMI type, capacity type, taint effects,
  label lengths, scaling minimums) and ec2 DescribeInstanceTypes with the group's instance types,
  whose `InstanceTypes` members are botocore's ec2 `InstanceType` enum (CreateNodegroup itself
  takes free strings, and EKS fails the group asynchronously on an unknown type);
- `aws:eks/addon:Addon`, `aws:eks/accessEntry:AccessEntry`,
  `aws:eks/accessPolicyAssociation:AccessPolicyAssociation` -> CreateAddon, CreateAccessEntry,
  AssociateAccessPolicy;
- `aws:ec2/launchTemplate:LaunchTemplate` -> ec2 CreateLaunchTemplate (metadata options, block
  devices; the provider's string booleans become booleans);
- `aws:ecr/pullThroughCacheRule:PullThroughCacheRule` -> ecr CreatePullThroughCacheRule;
- `aws:iam/openIdConnectProvider:OpenIdConnectProvider` -> iam CreateOpenIDConnectProvider;
- `aws:iam/instanceProfile:InstanceProfile` -> iam CreateInstanceProfile and AddRoleToInstanceProfile
  (Karpenter's GPU nodes), `aws:ec2/tag:Tag` -> ec2 CreateTags (the discovery tags on the subnets
  and the cluster security group).

Provider-only properties (region, name prefixes, update flags) are dropped; any other property
without a member in the request raises MappingGap, so a new field cannot slip past unchecked.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping


from ..plan import UNKNOWN, Plan, PlannedResource, is_unknown
from ._core import MappingGap, Request, contract, input_shape, planned_name, tag_list, to_request

_PROVIDER_ONLY = ("region",)


def _tags(props: dict[str, Any]) -> dict[str, Any]:
    tags = props.pop("tags", None)
    props.pop("tagsAll", None)
    return dict(tags) if isinstance(tags, Mapping) and tags else {}


def _bool(value: Any) -> Any:
    """The provider's string booleans ("true") as the API's booleans; unknowns and others unchanged."""
    if isinstance(value, str) and not is_unknown(value) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


# --- EKS -------------------------------------------------------------------------------------


@contract("aws:eks/cluster:Cluster")
def cluster(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = dict(resource.inputs)  # to_request skips None values
    tags = _tags(props)
    props["name"] = planned_name(resource, "name", plan)
    log_types = props.pop("enabledClusterLogTypes", None)
    encryption = props.pop("encryptionConfig", None)
    params = to_request(
        props, input_shape("eks", "CreateCluster"), renames={"vpcConfig": "resourcesVpcConfig"},
        drop=(*_PROVIDER_ONLY, "defaultAddonsToRemoves", "forceUpdateVersion"),
    )
    if log_types is not None:
        params["logging"] = {"clusterLogging": [{"types": list(log_types), "enabled": True}]}
    if encryption is not None:
        configs = encryption if isinstance(encryption, list) else [encryption]
        member = input_shape("eks", "CreateCluster").members["encryptionConfig"]
        params["encryptionConfig"] = [to_request(c, member.member, path="encryptionConfig") for c in configs]
    if tags:
        params["tags"] = tags
    yield Request("eks", "CreateCluster", params)


@contract("aws:eks/nodeGroup:NodeGroup")
def node_group(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = dict(resource.inputs)  # to_request skips None values
    tags = _tags(props)
    props["nodeGroupName"] = planned_name(resource, "nodeGroupName", plan)
    params = to_request(
        props,
        input_shape("eks", "CreateNodegroup"),
        renames={
            "nodeGroupName": "nodegroupName",
            "subnetIds": "subnets",
            "nodeRoleArn": "nodeRole",
            "remoteAccess.sourceSecurityGroupIds": "sourceSecurityGroups",
        },
        drop=(*_PROVIDER_ONLY, "nodeGroupNamePrefix", "forceUpdateVersion"),
    )
    if tags:
        params["tags"] = tags
    yield Request("eks", "CreateNodegroup", params)
    instance_types = params.get("instanceTypes")
    if isinstance(instance_types, list) and instance_types:
        yield Request("ec2", "DescribeInstanceTypes", {"InstanceTypes": list(instance_types)})


@contract("aws:eks/addon:Addon")
def addon(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = dict(resource.inputs)  # to_request skips None values
    tags = _tags(props)
    params = to_request(
        props, input_shape("eks", "CreateAddon"), renames={"resolveConflictsOnCreate": "resolveConflicts"},
        drop=(*_PROVIDER_ONLY, "resolveConflictsOnUpdate", "preserve"),
    )
    if tags:
        params["tags"] = tags
    yield Request("eks", "CreateAddon", params)


@contract("aws:eks/accessEntry:AccessEntry")
def access_entry(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = dict(resource.inputs)  # to_request skips None values
    tags = _tags(props)
    params = to_request(props, input_shape("eks", "CreateAccessEntry"), renames={"userName": "username"}, drop=_PROVIDER_ONLY)
    if tags:
        params["tags"] = tags
    yield Request("eks", "CreateAccessEntry", params)


@contract("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
def access_policy_association(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = dict(resource.inputs)  # to_request skips None values
    yield Request("eks", "AssociateAccessPolicy", to_request(props, input_shape("eks", "AssociateAccessPolicy"), drop=_PROVIDER_ONLY))


# --- EC2 launch templates --------------------------------------------------------------------

_LAUNCH_TEMPLATE_ONLY = ("name", "namePrefix", "description", "updateDefaultVersion", "defaultVersion", "tags", "tagsAll")


@contract("aws:ec2/launchTemplate:LaunchTemplate")
def launch_template(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = dict(resource.inputs)  # to_request skips None values
    tags = _tags(props)
    data = {k: v for k, v in props.items() if k not in (*_PROVIDER_ONLY, *_LAUNCH_TEMPLATE_ONLY)}
    for i, mapping in enumerate(data.get("blockDeviceMappings") or []):
        ebs = mapping.get("ebs") if isinstance(mapping, Mapping) else None
        if isinstance(ebs, Mapping):
            data["blockDeviceMappings"][i] = {**mapping, "ebs": {k: _bool(v) for k, v in ebs.items()}}
    if "ebsOptimized" in data:
        data["ebsOptimized"] = _bool(data["ebsOptimized"])
    if "disableApiTermination" in data:
        data["disableApiTermination"] = _bool(data["disableApiTermination"])
    shape = input_shape("ec2", "CreateLaunchTemplate")
    params: dict[str, Any] = {
        "LaunchTemplateName": planned_name(resource, "name", plan),
        "LaunchTemplateData": to_request(
            data, shape.members["LaunchTemplateData"],
            renames={"vpcSecurityGroupIds": "SecurityGroupIds", "securityGroupNames": "SecurityGroups"},
        ),
    }
    if props.get("description") is not None:
        params["VersionDescription"] = props["description"]
    if tags:
        params["TagSpecifications"] = [{"ResourceType": "launch-template", "Tags": tag_list(tags)}]
    yield Request("ec2", "CreateLaunchTemplate", params)


# --- ECR and IAM -----------------------------------------------------------------------------


@contract("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")
def pull_through_cache_rule(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = dict(resource.inputs)  # to_request skips None values
    yield Request("ecr", "CreatePullThroughCacheRule",
                  to_request(props, input_shape("ecr", "CreatePullThroughCacheRule"), drop=_PROVIDER_ONLY))


@contract("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
def oidc_provider(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = dict(resource.inputs)  # to_request skips None values
    tags = _tags(props)
    params = to_request(
        props, input_shape("iam", "CreateOpenIDConnectProvider"),
        renames={"clientIdLists": "ClientIDList", "thumbprintLists": "ThumbprintList"},
    )
    if tags:
        params["Tags"] = tag_list(tags)
    yield Request("iam", "CreateOpenIDConnectProvider", params)


__all__ = ["MappingGap"]


# --- Karpenter's AWS side --------------------------------------------------------------------


@contract("aws:iam/instanceProfile:InstanceProfile")
def instance_profile(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = dict(resource.inputs)
    tags = _tags(props)
    extra = sorted(set(props) - {"name", "namePrefix", "path", "role", *_PROVIDER_ONLY})
    if extra:
        raise MappingGap(f"property {extra[0]!r} has no member in CreateInstanceProfile")
    name = planned_name(resource, "name", plan)
    params: dict[str, Any] = {"InstanceProfileName": name}
    if props.get("path") is not None:
        params["Path"] = props["path"]
    if tags:
        params["Tags"] = tag_list(tags)
    yield Request("iam", "CreateInstanceProfile", params)
    if props.get("role") is not None:
        yield Request("iam", "AddRoleToInstanceProfile", {"InstanceProfileName": name, "RoleName": props["role"]})


@contract("aws:ec2/tag:Tag")
def ec2_tag(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = dict(resource.inputs)
    extra = sorted(set(props) - {"resourceId", "key", "value", *_PROVIDER_ONLY})
    if extra:
        raise MappingGap(f"property {extra[0]!r} has no member in CreateTags")
    # A value only known after `pulumi up` (a subnet's id in a preview) is absent from the inputs.
    yield Request("ec2", "CreateTags", {"Resources": [props.get("resourceId", UNKNOWN)],
                                        "Tags": [{"Key": props.get("key", UNKNOWN), "Value": props.get("value", UNKNOWN)}]})
