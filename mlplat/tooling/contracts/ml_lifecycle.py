"""ML lifecycle: feature groups, model package groups, ECR repositories, MLflow, the Glue catalog.

Each mapper rebuilds the request the provider sends from the planned inputs, with explicit
renames and drops where the provider's names or shapes differ from the API:

- every type: `region` is provider routing, not a request member (dropped); `tags` is a map in
  the provider and a `[{Key, Value}]` list in SageMaker and ECR requests (converted, sorted by key);
- ECR: `name` is `repositoryName`; `encryptionConfigurations` is a one-item list in the provider
  and the single `encryptionConfiguration` structure in the API; `forceDelete` is provider-only
  (it empties the repository before DeleteRepository);
- ECR settings: `repository` is `repositoryName`, `policy` is `lifecyclePolicyText` or `policyText`;
- Glue: the database's fields go into `DatabaseInput`; `catalogId` and `tags` stay top-level.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..plan import Plan, PlannedResource, is_unknown
from ._core import MappingGap, Request, contract, operation_model, tag_list, to_request

__all__ = [
    "ecr_lifecycle_policy",
    "ecr_repository",
    "ecr_repository_policy",
    "feature_group",
    "glue_database",
    "mlflow_tracking_server",
    "model_package_group",
    "model_package_group_policy",
]


def _split_tags(resource: PlannedResource) -> tuple[dict[str, Any], Any]:
    props = {k: v for k, v in resource.inputs.items() if k not in ("tags", "tagsAll")}
    return props, resource.inputs.get("tags")


def _request(service: str, operation: str, props: Mapping[str, Any], *, tags: Any = None, tags_member: str = "Tags",
             renames: Mapping[str, str] | None = None, drop: Iterable[str] = ()) -> Request:
    shape = operation_model(service, operation).input_shape
    params = to_request(props, shape, renames=renames, drop={"region", *drop})
    if tags:
        params[tags_member] = tag_list(tags)
    return Request(service, operation, params)


@contract("aws:sagemaker/featureGroup:FeatureGroup")
def feature_group(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props, tags = _split_tags(resource)
    yield _request("sagemaker", "CreateFeatureGroup", props, tags=tags)


@contract("aws:sagemaker/modelPackageGroup:ModelPackageGroup")
def model_package_group(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props, tags = _split_tags(resource)
    yield _request("sagemaker", "CreateModelPackageGroup", props, tags=tags)


@contract("aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy")
def model_package_group_policy(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    yield _request("sagemaker", "PutModelPackageGroupPolicy", resource.inputs)


@contract("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer")
def mlflow_tracking_server(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props, tags = _split_tags(resource)
    yield _request("sagemaker", "CreateMlflowTrackingServer", props, tags=tags)


@contract("aws:ecr/repository:Repository")
def ecr_repository(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props, tags = _split_tags(resource)
    encryption = props.get("encryptionConfigurations")
    if isinstance(encryption, list):
        if len(encryption) > 1:
            raise MappingGap("property 'encryptionConfigurations' has more than one item; the API takes one encryptionConfiguration")
        props["encryptionConfigurations"] = encryption[0] if encryption else None
    yield _request(
        "ecr", "CreateRepository", props, tags=tags, tags_member="tags",
        renames={"name": "repositoryName", "encryptionConfigurations": "encryptionConfiguration"},
        drop={"forceDelete"},
    )


@contract("aws:ecr/lifecyclePolicy:LifecyclePolicy")
def ecr_lifecycle_policy(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    yield _request("ecr", "PutLifecyclePolicy", resource.inputs,
                   renames={"repository": "repositoryName", "policy": "lifecyclePolicyText"})


@contract("aws:ecr/repositoryPolicy:RepositoryPolicy")
def ecr_repository_policy(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    yield _request("ecr", "SetRepositoryPolicy", resource.inputs,
                   renames={"repository": "repositoryName", "policy": "policyText"})


_GLUE_DATABASE_INPUT = {"name": "Name", "description": "Description", "locationUri": "LocationUri", "parameters": "Parameters"}


@contract("aws:glue/catalogDatabase:CatalogDatabase")
def glue_database(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props, tags = _split_tags(resource)
    database: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for key, value in props.items():
        if value is None or key == "region":
            continue
        if key in _GLUE_DATABASE_INPUT:
            database[_GLUE_DATABASE_INPUT[key]] = value
        elif key == "catalogId":
            params["CatalogId"] = value
        else:
            raise MappingGap(f"property {key!r} of a Glue database has no mapping in glue:CreateDatabase (add one here)")
    params["DatabaseInput"] = database
    if tags and not is_unknown(tags):
        params["Tags"] = dict(tags)
    yield Request("glue", "CreateDatabase", params)
