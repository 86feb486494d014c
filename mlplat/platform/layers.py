"""Layer stacks: one environment as several stacks of the same project, and the contracts between them.

An environment is one stack (`layer: all`, the default) or layer stacks `<environment>-<layer>`:

    foundation           keys, network, artifact store, alarm topic (and the account's SageMaker job
                         log groups when `layers.sagemaker_job_logs_retention_days` is set)
    ml-services          feature store, model registry, experiment tracking, training pipelines
    ml-services-<team>   one team's model families (registry entries, deploy loops) and their pipelines:
                         kind `ml-services`, the same contract; the feature store and the tracking
                         server stay in the environment's one `ml-services` stack
    training             the training cluster
    serving-<team>       one team's endpoints, their alarms and drift loops (one stack per team); it reads
                         its families from one ml-services layer (`layers.ml_services`), and the
                         pipelines its drift loops retrain from it or from `layers.pipelines`

A layer reads what it needs from the layers below (`LAYER_DEPENDENCIES`) through
`pulumi.StackReference` only, and what crosses is a typed contract (`FoundationContract`,
`MlServicesContract`, `TrainingContract`, `ServingContract`): a pydantic model, versioned, each
field exported as a stack output of the same name next to `contract: {layer, version}`. The reader
validates the referenced stack's outputs inside the program's outputs (reading them is
asynchronous): a missing or malformed output, another layer or another version is a ConfigError
naming the stack, the output and the contract version. Secret outputs stay secret: each field is
its own Output, as secret as the referenced stack's output.

A contract's fields are its interface: renaming, removing or retyping one needs a new `VERSION`
(and both sides deployed in order); a version may only gain optional fields.
`tests/mlplat/contracts.lock.json` pins them.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Mapping, Optional, get_args

import pulumi
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlplat.components.references import (
    AlarmTopicReference,
    SageMakerJobLogsReference,
    ArtifactStoreReference,
    EncryptionReference,
    FamilyReference,
    NetworkReference,
    PipelineReference,
    RegistryReference,
    RepositoryReference,
)
from mlplat.components.serving_args import SERVING_REPOSITORY
from mlplat.components.training_pipeline_logs import PROCESSING_JOBS_LOG_GROUP, TRAINING_JOBS_LOG_GROUP
from mlplat.core.errors import ConfigError, Problem
from mlplat.core.naming import child
from mlplat.core.vocabulary import LAYER_ALL, LAYER_NAME, ML_SERVICES_LAYER, layer_kind, layer_of_stack

__all__ = [
    "CONTRACTS", "FamilyContract", "FoundationContract", "LAYER_DEPENDENCIES", "LayerContract", "MlServicesContract",
    "ServingContract", "TrainingContract", "Upstream", "check_layer_stack", "contract_problems", "layer_dependencies",
    "layer_kind", "layer_stack_name", "contract_changes", "contract_schema", "read_contract", "declares", "valid_layer", "ContractOutputs",
    "JOB_LOG_GROUPS",
]

# The account's SageMaker job log groups, which a foundation declares for every ml-services layer's pipelines.
JOB_LOG_GROUPS: tuple[str, ...] = (TRAINING_JOBS_LOG_GROUP, PROCESSING_JOBS_LOG_GROUP)

# A layer's kind -> the kinds it references (serving layers are `serving-<team>`, kind `serving`; team
# ml-services layers `ml-services-<team>`, kind `ml-services`).
LAYER_DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "foundation": (),
    "ml-services": ("foundation",),
    "training": ("foundation",),
    "serving": ("foundation", "ml-services"),
}


def layer_dependencies(layer: str, *, ml_services: Optional[str] = None,
                       pipelines: Optional[str] = None) -> tuple[str, ...]:
    """The layers `layer` references: base layers (`foundation`, `training`) and the ml-services layer whose
    families it reads (`ml_services`, `config_layers.registry_layer`): a serving layer's (omitted: ml-services),
    and an ml-services layer's whose pipelines register into another layer's registry (omitted: none); for a
    serving layer, also the layer whose pipelines its drift loops retrain when it is another
    (`pipelines`, `config_layers.pipelines_layer`)."""
    if layer == LAYER_ALL:
        return ()
    kind = layer_kind(layer)
    below = LAYER_DEPENDENCIES[kind]
    if kind == ML_SERVICES_LAYER:
        return below + ((ml_services,) if ml_services is not None else ())
    read = tuple((ml_services or ML_SERVICES_LAYER) if k == ML_SERVICES_LAYER else k for k in below)
    return read + ((pipelines,) if kind == "serving" and pipelines is not None and pipelines not in read else ())


def layer_stack_name(prefix: str, environment: str, layer: str) -> str:
    """The name a layer stack is referenced by: `<prefix><environment>-<layer>`."""
    return f"{prefix}{environment}-{layer}"


def check_layer_stack(layer: str, environment: str, stack: str) -> list[Problem]:
    """A layer stack must be named `<environment>-<layer>` (the workflows and `mlplat plan --env` find layers by name)."""
    if layer == LAYER_ALL:
        told = layer_of_stack(stack)
        if told is not None and told[0] == environment:
            return [Problem("platform.layer", f"is the single-stack layout, but the stack {stack!r} is named as the layer "
                                              f"{told[1]!r} of {environment}: set layer: {told[1]}", layer)]
        return []
    expected = f"{environment}-{layer}"
    if stack.rsplit("/", 1)[-1] != expected:
        return [Problem("platform.layer", f"is a layer of {environment}, whose stack must be named {expected!r} "
                                          f"(stacks/Pulumi.{expected}.yaml), not {stack!r}", layer)]
    return []


# --- contracts --------------------------------------------------------------------------------------


class LayerContract(BaseModel):
    """What a layer exports: one stack output per field, plus `contract: {layer, version}`."""

    # Outputs a newer producer adds are not this reader's concern; every field it reads must be there.
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)
    LAYER: ClassVar[str]
    VERSION: ClassVar[int]

    environment: str = Field(description="The environment the layer belongs to.")

    @classmethod
    def marker(cls) -> dict[str, Any]:
        return {"layer": cls.LAYER, "version": cls.VERSION}


class FoundationContract(LayerContract):
    """foundation: the network, the keys by domain, the buckets by role, the alarm topic."""

    LAYER: ClassVar[str] = "foundation"
    VERSION: ClassVar[int] = 1

    network_created: bool = Field(description="The foundation created the VPC (false: it adopted one).")
    vpc_id: str
    vpc_cidr_block: str
    private_subnet_ids: list[str]
    endpoint_security_group_id: Optional[str] = None
    route_table_ids: list[str]
    s3_prefix_list_id: Optional[str] = Field(default=None, description="The S3 gateway endpoint's prefix list "
                                             "(created network).")
    interface_endpoints: list[str] = Field(description="Services of the VPC's interface endpoints (created network).")
    key_arns: dict[str, str] = Field(description="KMS key ARN by domain.")
    bucket_names: dict[str, str] = Field(description="Bucket name by role.")
    bucket_arns: dict[str, str] = Field(description="Bucket ARN by role.")
    alarm_topic_arn: str
    sagemaker_job_log_groups: Optional[list[str]] = Field(
        default=None, description="The account's SageMaker job log groups the foundation declares "
        "(layers.sagemaker_job_logs_retention_days); absent: none, and no ml-services layer may run pipelines.")


class FamilyContract(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    group_name: str
    group_arn: str
    repository_arns: dict[str, str] = Field(description="ECR repository ARN by kind (training, serving).")
    repository_urls: dict[str, str] = Field(description="ECR repository URL by kind.")


class MlServicesContract(LayerContract):
    """ml-services: the model families (groups, repositories) and their training pipelines."""

    LAYER: ClassVar[str] = "ml-services"
    VERSION: ClassVar[int] = 1

    families: dict[str, FamilyContract]
    pipeline_arns: dict[str, str] = Field(description="Training pipeline ARN by family.")
    pipeline_names: dict[str, str] = Field(description="Training pipeline name by family.")
    feature_group_names: dict[str, str]
    tracking_server_url: Optional[str] = None


class TrainingContract(LayerContract):
    """training: the cluster (its kubeconfig is a secret output)."""

    LAYER: ClassVar[str] = "training"
    VERSION: ClassVar[int] = 1

    training_cluster_name: str
    kubeconfig: str = Field(description="Secret: the cluster's kubeconfig.")


class ServingContract(LayerContract):
    """serving-<team>: the team's endpoint names (nothing references a serving layer today)."""

    LAYER: ClassVar[str] = "serving"
    VERSION: ClassVar[int] = 1

    endpoint_names: dict[str, str]


CONTRACTS: dict[str, type[LayerContract]] = {
    c.LAYER: c for c in (FoundationContract, MlServicesContract, TrainingContract, ServingContract)
}


def contract_schema(contract: type[BaseModel]) -> dict[str, Any]:
    """A contract's fields as pinned by the contract lock: dotted path (`families.*.group_name` inside a
    mapping of models) -> its type and whether it is required."""
    fields: dict[str, Any] = {}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            annotation = info.annotation
            nested = [a for a in (annotation, *get_args(annotation)) if isinstance(a, type) and issubclass(a, BaseModel)]
            fields[f"{prefix}{name}"] = {"type": _type_text(annotation), "required": info.is_required()}
            for inner in nested:
                walk(inner, f"{prefix}{name}{'' if inner is annotation else '.*'}.")

    walk(contract, "")
    version = getattr(contract, "VERSION", None)
    return {"version": version, "fields": fields}


def _type_text(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) if get_args(annotation) == () and isinstance(annotation, type) else str(
        annotation).replace("typing.", "").replace("mlplat.platform.layers.", "")


def contract_changes(locked: Mapping[str, Any], contract: type[LayerContract]) -> list[str]:
    """What changed in `contract` against its lock that readers of the same version would break on: a field
    removed or renamed, retyped, or newly required. Nothing when the version was bumped (then the lock is
    regenerated: readers check the version first)."""
    if locked.get("version") != contract.VERSION:
        return []
    now = contract_schema(contract)["fields"]
    changes = []
    for name, spec in locked.get("fields", {}).items():
        field = now.get(name)
        if field is None:
            changes.append(f"{contract.LAYER} v{contract.VERSION}: field {name!r} was removed or renamed")
        elif field["type"] != spec["type"]:
            changes.append(f"{contract.LAYER} v{contract.VERSION}: field {name!r} changed type from {spec['type']} to "
                           f"{field['type']}")
        elif field["required"] and not spec["required"]:
            changes.append(f"{contract.LAYER} v{contract.VERSION}: field {name!r} became required")
    for name, field in now.items():
        if name not in locked.get("fields", {}) and field["required"]:
            changes.append(f"{contract.LAYER} v{contract.VERSION}: new field {name!r} is required (a version may only "
                           "gain optional fields: producers deployed before it do not export it)")
    return changes


def contract_problems(stack: str, contract: type[LayerContract], outputs: Mapping[str, Any]) -> list[Problem]:
    """What is wrong with a referenced stack's outputs for `contract` (paths `<stack>.<output>`)."""
    marker = outputs.get("contract")
    expected = f"{contract.LAYER} v{contract.VERSION}"
    if not isinstance(marker, Mapping):
        return [Problem(f"{stack}.contract", f"is missing: the stack exports no layer contract (it is not a "
                        f"{contract.LAYER} layer stack, or was not deployed since it became one: deploy it first); "
                        f"this program reads contract {expected}")]
    if marker.get("layer") != contract.LAYER:
        return [Problem(f"{stack}.contract.layer", f"is not the layer this program reads (contract {expected})",
                        marker.get("layer"))]
    version = marker.get("version")
    if isinstance(version, float) and version.is_integer():  # outputs cross the engine as JSON numbers
        version = int(version)
    if version != contract.VERSION:
        return [Problem(f"{stack}.contract.version", f"is not the version this program reads (contract {expected}): "
                        "deploy the layers in dependency order, the referenced one first", version)]
    values = {k: v for k, v in outputs.items() if v is not None and k != "contract"}
    try:
        contract.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            if error["type"] == "missing":
                problems.append(Problem(f"{stack}.{where}", f"is missing (contract {expected} requires it)"))
            else:
                problems.append(Problem(f"{stack}.{where}", f"{error['msg'].lower()} (contract {expected})",
                                        error.get("input")))
        return problems
    return []


class ContractOutputs:
    """A referenced layer's contract: one Output per field, each checked with the whole contract first."""

    def __init__(self, stack: str, contract: type[LayerContract], reference: pulumi.StackReference) -> None:
        self.stack = stack
        self.contract = contract
        raw = {name: reference.get_output(name) for name in ("contract", *contract.model_fields)}

        def check(values: dict[str, Any]) -> dict[str, Any]:
            problems = contract_problems(stack, contract, values)
            if problems:
                raise ConfigError(problems, f"stack reference {stack!r}")
            return {"stack": stack, **contract.marker()}

        # The check's result carries no value of the stack: it need not be as secret as the outputs it read.
        self.checked: pulumi.Output[dict[str, Any]] = pulumi.Output.unsecret(pulumi.Output.all(**raw).apply(check))
        self._fields = {name: pulumi.Output.all(self.checked, out).apply(lambda pair: pair[1]) for name, out in raw.items()}

    def __getitem__(self, field: str) -> pulumi.Output[Any]:
        return self._fields[field]

    def at(self, field: str, *keys: str) -> pulumi.Output[Any]:
        """`field[key][key]...`; a missing key is a contract error naming the stack and the path."""
        stack, expected = self.stack, f"{self.contract.LAYER} v{self.contract.VERSION}"

        def pick(value: Any) -> Any:
            path = field
            for key in keys:
                if not isinstance(value, Mapping) or key not in value:
                    known = ", ".join(sorted(value)) if isinstance(value, Mapping) else "nothing"
                    raise ConfigError([Problem(f"{stack}.{path}", f"has no {key!r} (it has: {known or 'nothing'}); "
                                               f"this stack's config expects it (contract {expected})")],
                                      f"stack reference {stack!r}")
                value, path = value[key], f"{path}.{key}"
            return value

        return self._fields[field].apply(pick)


def read_contract(stack: str, layer: str, *, opts: Optional[pulumi.ResourceOptions] = None) -> ContractOutputs:
    """The contract of the layer stack `stack` (a `pulumi.StackReference` named after it)."""
    return ContractOutputs(stack, CONTRACTS[layer_kind(layer)], pulumi.StackReference(stack, opts=opts))


# --- the layers below, as the components consume them -----------------------------------------------


class Upstream:
    """The contracts of the layers a layer stack references, and references built from them.

    Structure (which keys, buckets, endpoints, families a consumer expects) comes from this stack's
    own config, never from an output: the contract checks, inside the outputs, that the layer below
    has them."""

    def __init__(self, *, layer: str, environment: str, stack_prefix: str, ml_services: Optional[str] = None,
                 pipelines: Optional[str] = None,
                 read: Callable[[str, str], ContractOutputs] = lambda stack, layer: read_contract(stack, layer)) -> None:
        """`ml_services`: the ml-services layer whose families the stack reads (`config_layers.registry_layer`: a
        serving layer's `layers.ml_services`, omitted ml-services; an ml-services layer's when it sets one).
        `pipelines`: the ml-services layer whose pipelines a serving layer's drift loops retrain when it is another
        (`config_layers.pipelines_layer`)."""
        self.layer = layer
        self.ml_services_layer = ml_services or ML_SERVICES_LAYER
        self.pipelines_layer = pipelines or self.ml_services_layer
        self.contracts: dict[str, ContractOutputs] = {
            below: read(layer_stack_name(stack_prefix, environment, below), below)
            for below in layer_dependencies(layer, ml_services=ml_services, pipelines=pipelines)
        }

    @property
    def checks(self) -> dict[str, pulumi.Output[Any]]:
        """Export these (`upstream_contracts`): the engine then waits for every check, used or not."""
        return {layer: contract.checked for layer, contract in self.contracts.items()}

    def foundation(self, name: str, owner: pulumi.Resource, *, key_domains: tuple[str, ...], bucket_roles: tuple[str, ...],
                   network_created: bool, interface_endpoints: tuple[str, ...]):
        """Encryption, Network, ArtifactStore and AlarmTopic references named as MLPlatform names its children."""
        contract = self.contracts["foundation"]
        encryption = EncryptionReference(child(name, "encryption"),
                                         {domain: contract.at("key_arns", domain) for domain in key_domains})
        network = NetworkReference(
            child(name, "network"), created=network_created, vpc_id=contract["vpc_id"],
            vpc_cidr_block=contract["vpc_cidr_block"], private_subnet_ids=contract["private_subnet_ids"],
            endpoint_security_group_id=contract["endpoint_security_group_id"], route_table_ids=contract["route_table_ids"],
            s3_prefix_list_id=contract["s3_prefix_list_id"], interface_endpoints=interface_endpoints,
        )
        if network_created and interface_endpoints:
            self._require_endpoints(contract, interface_endpoints)
        artifacts = ArtifactStoreReference(
            child(name, "artifacts"), owner=owner, encryption=encryption,
            buckets={role: (contract.at("bucket_arns", role), contract.at("bucket_names", role)) for role in bucket_roles},
        )
        alarm_topic = AlarmTopicReference(child(name, "alarms"), contract["alarm_topic_arn"])
        return encryption, network, artifacts, alarm_topic

    @staticmethod
    def _require_endpoints(contract: ContractOutputs, services: tuple[str, ...]) -> None:
        stack, expected = contract.stack, f"{contract.contract.LAYER} v{contract.contract.VERSION}"

        def check(declared: Any) -> Any:
            missing = [s for s in services if s not in (declared or [])]
            if missing:
                raise ConfigError([Problem(f"{stack}.interface_endpoints", f"lacks {', '.join(missing)}, which this "
                                           f"layer needs (contract {expected}); list the cluster in the foundation's "
                                           "layers.training_clusters", declared)], f"stack reference {stack!r}")
            return declared

        contract.checked = pulumi.Output.all(contract.checked, contract["interface_endpoints"].apply(check)).apply(
            lambda pair: pair[0])

    def job_logs(self, name: str) -> SageMakerJobLogsReference:
        """The account's SageMaker job log groups, which the foundation declares (an ml-services layer's
        pipelines write to them); the contract check names the foundation setting when it does not."""
        contract = self.contracts["foundation"]
        stack, expected = contract.stack, f"{contract.contract.LAYER} v{contract.contract.VERSION}"

        def check(declared: Any) -> Any:
            missing = [group for group in JOB_LOG_GROUPS if group not in (declared or [])]
            if missing:
                fix = (f"which this layer's training pipelines write to (contract {expected}); set the foundation's "
                       "layers.sagemaker_job_logs_retention_days (a CloudWatch Logs retention period) to declare them")
                problem = (Problem(f"{stack}.sagemaker_job_log_groups", f"is absent: the foundation declares no "
                                   f"SageMaker job log groups ({', '.join(missing)}), {fix}") if declared is None
                           else Problem(f"{stack}.sagemaker_job_log_groups", f"lacks {', '.join(missing)}, {fix}",
                                        declared))
                raise ConfigError([problem], f"stack reference {stack!r}")
            return declared

        contract.checked = pulumi.Output.all(contract.checked, contract["sagemaker_job_log_groups"].apply(check)).apply(
            lambda pair: pair[0])
        return SageMakerJobLogsReference(child(name, "sagemaker-job-logs"))

    def ml_services(self, name: str, families: tuple[str, ...] | Mapping[str, tuple[str, ...]], pipelines: tuple[str, ...],
                    *, group_prefix: str, group_arn: Optional[Callable[[str], str]] = None,
                    registry_account: Optional[str] = None):
        """A registry reference holding `families` (groups `<group_prefix><family>`, as the registry names them;
        a mapping names each family's repository kinds, else its serving repository, what an endpoint pulls),
        and pipeline references of `pipelines` (family names). `group_arn` (group name -> ARN): the ARN this
        stack derives for a group of another account (the account map's registry account, `registry_account`);
        the contract's `group_arn` must be it."""
        contract = self.contracts[self.ml_services_layer]
        kinds = dict(families) if isinstance(families, Mapping) else {family: (SERVING_REPOSITORY,) for family in families}
        references = {}
        for family, family_kinds in kinds.items():
            group_name = f"{group_prefix}{family}"
            self._require_equal(contract, ("families", family, "group_name"), group_name)
            if group_arn is not None:
                self._require_equal(contract, ("families", family, "group_arn"), group_arn(group_name))
            repositories = {
                kind: RepositoryReference(f"{family} {kind}", contract.at("families", family, "repository_arns", kind),
                                          contract.at("families", family, "repository_urls", kind))
                for kind in family_kinds
            }
            references[family] = FamilyReference(name=family, group_name=group_name,
                                                 group_arn=contract.at("families", family, "group_arn"),
                                                 repositories=repositories, account=registry_account)
        registry = RegistryReference(child(name, "registry"), references)
        trained_by = self.contracts[self.pipelines_layer]
        return registry, {family: PipelineReference(family, trained_by.at("pipeline_arns", family)) for family in pipelines}

    @staticmethod
    def _require_equal(contract: ContractOutputs, path: tuple[str, ...], expected_value: Any) -> None:
        stack, expected = contract.stack, f"{contract.contract.LAYER} v{contract.contract.VERSION}"

        def check(value: Any) -> Any:
            if value != expected_value:
                raise ConfigError([Problem(f"{stack}.{'.'.join(path)}", f"is not {expected_value!r}, which this stack "
                                           f"derives from its own config (contract {expected})", value)],
                                  f"stack reference {stack!r}")
            return value

        contract.checked = pulumi.Output.all(contract.checked, contract.at(*path).apply(check)).apply(lambda pair: pair[0])


def declares(layer: str, part: str) -> bool:
    """Whether a stack of `layer` declares `part` (a base layer or `serving`)."""
    return layer == LAYER_ALL or layer_kind(layer) == part


def valid_layer(layer: str) -> bool:
    return layer == LAYER_ALL or bool(LAYER_NAME.fullmatch(layer))

