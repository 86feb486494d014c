"""ModelRegistry: per model family a SageMaker model package group, ECR repositories and approval events.

For each family:

- a model package group `<name_prefix><family>`; when `consumer_accounts` are named (the staging
  and prod accounts that deploy from this registry), a resource policy lets exactly those
  accounts describe the group and describe and list its model packages (never "*");
- ECR repositories `<name_prefix><family>-<kind>` (serving and training images by default):
  immutable tags, scan on push, KMS encryption with the `models` key, a lifecycle policy that
  expires untagged images and keeps the last `keep_images` images; consumer accounts may pull;
- when a notification topic or a deployment pipeline is configured, an EventBridge rule on
  `SageMaker Model Package State Change` events of this group whose status is Approved, with a
  target per destination: the SNS topic (`approval_topic`; its topic policy must let
  `events.amazonaws.com` publish, and an encrypted topic's key must admit EventBridge:
  Encryption's `sns-alarm-publishers` key user), and the family's deployment pipeline
  (`deployment_pipeline_arn`), started through a role that may only start that pipeline.

Every taggable resource of a family carries `mlplat:model-family` and `mlplat:platform-version`.
Groups and repositories are protected unless `protect=False`; a repository holding images is
deleted only with `force_delete_repositories=True`; deleting a model package group fails while it
holds model packages.

    registry = ModelRegistry("registry", ModelRegistryArgs(
        encryption=keys, families=[{"name": "fraud", "deployment_pipeline_arn": arn}],
        consumer_accounts=["210987654321"], approval_topic=alerts_topic))
    registry.family("fraud").repositories["serving"].repository_url
    registry.grant_pull(serving_role, family="fraud", kinds=["serving"])
    registry.grant_read_packages(deployer_role, family="fraud")

Consumers in this account get what they need by intent: `grant_pull` (pull the family's images)
and `grant_read_packages` (describe the group and read its model packages), each one role policy
with exactly the actions its docstring lists.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Optional, Sequence

import pulumi
import pulumi_aws as aws
from pydantic import Field

from . import _iam
from ._grants import attach_grant, require_role
from ._lineage import check_lineage_name, family_tags
from ._wiring import lookup, require_args
from mlplat.core.naming import child
from .encryption import Encryption
from mlplat.core.errors import ConfigError, Problem
from mlplat.core.models import NestedArgs, ParentArgs, Spec, StrictBool, StrictInt

__all__ = [
    "Access",
    "account_principals",
    "APPROVAL_DETAIL_TYPE",
    "approval_event_pattern",
    "APPROVED",
    "AUTHORIZATION_TOKEN_ACTIONS",
    "CONSUMER_GROUP_ACTIONS",
    "CONSUMER_PACKAGE_ACTIONS",
    "CONSUMER_PULL_ACTIONS",
    "DEFAULT_REPOSITORIES",
    "DEPLOY_ACTIONS",
    "deploy_policy",
    "DEPLOY_TARGET_ID",
    "EVENTS_PRINCIPAL",
    "group_policy",
    "KEY_DOMAIN",
    "lifecycle_policy",
    "MAX_DESCRIPTION",
    "MAX_EXPIRATION_DAYS",
    "MAX_GROUP_NAME",
    "MAX_KEPT_IMAGES",
    "ModelFamilyArgs",
    "ModelFamilyHandle",
    "ModelFamilySpec",
    "ModelRegistry",
    "ModelRegistryArgs",
    "ModelRegistrySpec",
    "NOTIFY_TARGET_ID",
    "packages_arn",
    "pull_policy",
    "read_packages_policy",
    "repository_policy",
    "RESERVED_KINDS",
    "TYPE_TOKEN",
]

TYPE_TOKEN = "mlplat:model_registry:ModelRegistry"

KEY_DOMAIN = "models"
EVENTS_PRINCIPAL = "events.amazonaws.com"
APPROVAL_DETAIL_TYPE = "SageMaker Model Package State Change"
APPROVED = "Approved"
NOTIFY_TARGET_ID = "notify-approval"
DEPLOY_TARGET_ID = "start-deployment"
DEFAULT_REPOSITORIES: tuple[str, ...] = ("serving", "training")
# Child suffixes a repository kind must not collide with.
RESERVED_KINDS: tuple[str, ...] = ("group", "group-policy", "approved", "deploy-role")

CONSUMER_GROUP_ACTIONS: tuple[str, ...] = ("sagemaker:DescribeModelPackageGroup",)
CONSUMER_PACKAGE_ACTIONS: tuple[str, ...] = ("sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages")
CONSUMER_PULL_ACTIONS: tuple[str, ...] = (
    "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability",
)  # fmt: skip
DEPLOY_ACTIONS: tuple[str, ...] = ("sagemaker:StartPipelineExecution",)
# ecr:GetAuthorizationToken accepts no resource: a pull grant gives it on "*".
AUTHORIZATION_TOKEN_ACTIONS: tuple[str, ...] = ("ecr:GetAuthorizationToken",)

Access = Literal["pull", "read-packages"]

MAX_GROUP_NAME = 63
MAX_KEPT_IMAGES = 20_000  # ECR's quota of images per repository
MAX_EXPIRATION_DAYS = 36_500  # expirations beyond a century are typos (an extra zero), not policies
MAX_DESCRIPTION = 1024
_ACCOUNT = re.compile(r"^\d{12}$")
_NAME_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]*-$")
_KIND = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
_PIPELINE_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:pipeline/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$")
_PIPELINE_PARAMETER = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ModelFamilySpec(Spec):
    """One model family: what the registry declares for it (each of the stack config's `model_registry.families`)."""

    name: str = Field(
        description="Family name (lowercase letters, digits, '-'): children `<component>-<name>-...`, the "
        "`mlplat:model-family` tag and physical names `<name_prefix><name>...`."
    )
    description: Optional[str] = Field(
        default=None, description="Model package group description (at most 1024 characters). Omitted: none."
    )
    repositories: tuple[str, ...] = Field(
        default=DEFAULT_REPOSITORIES,
        description="ECR repository kinds, one repository `<name_prefix><family>-<kind>` each. "
        "Omitted: serving and training.",
    )
    deployment_pipeline_arn: Optional[str] = Field(
        default=None,
        description="A SageMaker pipeline started when a model package of this family is approved. "
        "Omitted: approvals start nothing.",
    )
    deployment_pipeline_parameters: dict[str, str] = Field(
        default_factory=dict,
        description="Pipeline parameters passed to the deployment pipeline, by name. Omitted: none "
        "(the pipeline's defaults apply).",
    )

    def problems_at(self, base: str) -> list[Problem]:
        problems = check_lineage_name(f"{base}.name", self.name, "model family")
        if self.description is not None and len(self.description) > MAX_DESCRIPTION:
            problems.append(
                Problem(f"{base}.description", f"is longer than {MAX_DESCRIPTION} characters (the API maximum)", self.description)
            )
        for kind in self.repositories:
            if not _KIND.match(kind) or len(kind) > 32:
                problems.append(
                    Problem(f"{base}.repositories", "is not a repository kind (lowercase letters, digits and '-', at most 32 characters)", kind)
                )
            elif kind in RESERVED_KINDS:
                problems.append(
                    Problem(f"{base}.repositories", f"is reserved for the family's other children ({', '.join(RESERVED_KINDS)})", kind)
                )
        if len(set(self.repositories)) != len(self.repositories):
            problems.append(Problem(f"{base}.repositories", "lists a kind twice", self.repositories))
        arn = self.deployment_pipeline_arn
        if arn is not None and not _PIPELINE_ARN.match(arn):
            problems.append(
                Problem(f"{base}.deployment_pipeline_arn", "is not a SageMaker pipeline ARN (arn:aws:sagemaker:<region>:<account>:pipeline/<name>)", arn)
            )
        if self.deployment_pipeline_parameters and arn is None:
            problems.append(
                Problem(f"{base}.deployment_pipeline_parameters", "needs deployment_pipeline_arn (there is no pipeline to pass them to)",
                        self.deployment_pipeline_parameters)
            )
        for key, value in self.deployment_pipeline_parameters.items():
            if not _PIPELINE_PARAMETER.match(key):
                problems.append(
                    Problem(f"{base}.deployment_pipeline_parameters", "is not a pipeline parameter name (letters, digits, '-', '_')", key)
                )
            if len(value) > 1024:
                problems.append(
                    Problem(f"{base}.deployment_pipeline_parameters.{key}", "is longer than 1024 characters (the EventBridge maximum)", value)
                )
        return problems


class ModelFamilyArgs(ModelFamilySpec, NestedArgs):
    """A ModelFamilySpec built on its own: bad values raise ConfigError naming `ModelFamilyArgs.<field>`."""


class ModelRegistrySpec(Spec):
    """The registry's settings (data only; the stack config's `model_registry`)."""

    families: tuple[ModelFamilySpec, ...] = Field(
        default=(), description="The model families (names unique). Omitted: none (ModelRegistryArgs need one at least)."
    )
    consumer_accounts: tuple[str, ...] = Field(
        default=(),
        description="AWS accounts (12 digits; the staging and prod accounts) allowed to read the model "
        "package groups and pull the images. Omitted: no resource policy, only this account has access.",
    )
    keep_images: StrictInt = Field(
        default=30, description=f"Each repository keeps this many most recent images (1 to {MAX_KEPT_IMAGES}). Omitted: 30."
    )
    untagged_image_expiration_days: StrictInt = Field(
        default=7, description="Untagged images expire this many days after push. Omitted: 7."
    )

    def problems_at(self, base: str, *, name_prefix: Optional[str] = None) -> list[Problem]:
        """The settings' problems; with `name_prefix`, also the physical names it makes."""
        problems: list[Problem] = []
        names = [f.name for f in self.families]
        for index, family in enumerate(self.families):
            problems.extend(family.problems_at(f"{base}.families.{index}"))
            if names.index(family.name) != index:
                problems.append(Problem(f"{base}.families.{index}.name", "is declared twice", family.name))
        for account in self.consumer_accounts:
            if not _ACCOUNT.match(account):
                problems.append(
                    Problem(f"{base}.consumer_accounts", "is not an AWS account id (12 digits; '*' and ARNs are refused)", account)
                )
        if len(set(self.consumer_accounts)) != len(self.consumer_accounts):
            problems.append(Problem(f"{base}.consumer_accounts", "lists an account twice", self.consumer_accounts))
        if self.keep_images < 1:
            problems.append(Problem(f"{base}.keep_images", "must be at least 1", self.keep_images))
        elif self.keep_images > MAX_KEPT_IMAGES:
            problems.append(Problem(f"{base}.keep_images", f"is more than a repository holds (ECR: {MAX_KEPT_IMAGES} images)",
                                    self.keep_images))
        if self.untagged_image_expiration_days < 1:
            problems.append(Problem(f"{base}.untagged_image_expiration_days", "must be at least 1 day", self.untagged_image_expiration_days))
        elif self.untagged_image_expiration_days > MAX_EXPIRATION_DAYS:
            problems.append(Problem(f"{base}.untagged_image_expiration_days", f"is more than {MAX_EXPIRATION_DAYS} days "
                                    "(100 years)", self.untagged_image_expiration_days))
        if name_prefix is not None:
            problems.extend(_prefix_problems(base, name_prefix, self.families, omitted=None))
        return problems


class ModelRegistryArgs(ModelRegistrySpec, ParentArgs):
    encryption: Encryption = Field(description="The Encryption component whose `models` key encrypts the ECR repositories.")
    name_prefix: Optional[str] = Field(
        default=None,
        description="Physical names start with it: groups `<name_prefix><family>`, repositories "
        "`<name_prefix><family>-<kind>`. Lowercase letters, digits and '-', ending with '-'. "
        "Omitted: `<component name>-`.",
    )
    approval_topic: Optional[aws.sns.Topic] = Field(
        default=None,
        description="SNS topic notified when a model package is approved. Omitted: no notification.",
    )
    force_delete_repositories: StrictBool = Field(
        default=False,
        description="Let `pulumi destroy` delete repositories that still hold images. Omitted: off.",
    )
    protect: StrictBool = Field(default=True, description="Protect groups and repositories from deletion. Omitted: protected.")

    def problems(self) -> list[Problem]:
        base = type(self).__name__
        problems: list[Problem] = []
        if KEY_DOMAIN not in self.encryption.keys:
            problems.append(
                Problem(
                    f"{base}.encryption",
                    f"has no {KEY_DOMAIN!r} key, which the ECR repositories need (Encryption {self.encryption._name!r} "
                    f"has: {', '.join(self.encryption.keys) or 'none'}); add {KEY_DOMAIN!r} to EncryptionArgs.domains",
                )
            )
        if not self.families:
            problems.append(Problem(f"{base}.families", "must list at least one model family", self.families))
        return problems + self.problems_at(base, name_prefix=self.name_prefix)


def _prefix_problems(base: str, prefix: str, families: tuple[ModelFamilySpec, ...], omitted: Optional[str]) -> list[Problem]:
    path = f"{base}.name_prefix"
    if not _NAME_PREFIX.match(prefix):
        if omitted is not None:
            return [
                Problem(path, f"is omitted and the component name {omitted!r} is not a usable prefix (lowercase "
                              "letters, digits and '-'); set name_prefix")
            ]
        return [Problem(path, "is not a name prefix (lowercase letters, digits and '-', ending with '-')", prefix)]
    problems = []
    for index, family in enumerate(families):
        physical = f"{prefix}{family.name}"
        if len(physical) > MAX_GROUP_NAME:
            problems.append(
                Problem(
                    f"{base}.families.{index}.name",
                    f"makes the model package group name {physical!r} longer than {MAX_GROUP_NAME} characters",
                    family.name,
                )
            )
    return problems


# --- documents (pure) ------------------------------------------------------------------------


def account_principals(accounts: tuple[str, ...]) -> dict[str, Any]:
    return {"AWS": [f"arn:aws:iam::{account}:root" for account in accounts]}


def group_policy(
    *, group_arn: pulumi.Input[str], group_name: str, region: pulumi.Input[str], account_id: pulumi.Input[str],
    consumer_accounts: tuple[str, ...],
) -> _iam.Document:
    """The model package group's resource policy: consumer accounts may read and deploy, nothing else.

    sagemaker:DescribeModelPackageGroup on the group; sagemaker:DescribeModelPackage and
    sagemaker:ListModelPackages on its model packages (`model-package/<group>/*`).
    """
    principals = account_principals(consumer_accounts)
    packages = packages_arn(region=region, account_id=account_id, group_name=group_name)
    return _iam.document(
        [
            _iam.statement(sid="ConsumerAccountsDescribeGroup", principals=principals,
                           actions=list(CONSUMER_GROUP_ACTIONS), resources=group_arn),
            _iam.statement(sid="ConsumerAccountsReadPackages", principals=principals,
                           actions=list(CONSUMER_PACKAGE_ACTIONS), resources=packages),
        ]
    )


def repository_policy(consumer_accounts: tuple[str, ...]) -> _iam.Document:
    """The repository policy: consumer accounts may pull images (no other principal, no push)."""
    return _iam.document(
        [_iam.statement(sid="ConsumerAccountsPull", principals=account_principals(consumer_accounts),
                        actions=list(CONSUMER_PULL_ACTIONS))]
    )


def pull_policy(repository_arns: Sequence[pulumi.Input[str]]) -> _iam.Document:
    """The role policy of `grant_pull` (pure): CONSUMER_PULL_ACTIONS on the repositories, and
    ecr:GetAuthorizationToken on "*" (it accepts no resource). No KMS action: ECR decrypts the
    layers of a KMS-encrypted repository through its own grant on the key."""
    return _iam.document(
        [
            _iam.statement(sid="PullImages", actions=list(CONSUMER_PULL_ACTIONS), resources=list(repository_arns)),
            _iam.statement(sid="GetEcrAuthorizationToken", actions=list(AUTHORIZATION_TOKEN_ACTIONS), resources="*"),
        ]
    )


def packages_arn(*, region: pulumi.Input[str], account_id: pulumi.Input[str], group_name: str) -> pulumi.Output[str]:
    """The ARN pattern of a group's model packages (`model-package/<group, lowercased>/*`)."""
    return pulumi.Output.concat("arn:aws:sagemaker:", region, ":", account_id, ":model-package/", group_name.lower(), "/*")


def read_packages_policy(*, group_arn: pulumi.Input[str], packages: pulumi.Input[str]) -> _iam.Document:
    """The role policy of `grant_read_packages` (pure): CONSUMER_GROUP_ACTIONS on the group and
    CONSUMER_PACKAGE_ACTIONS on its model packages (the same actions the group policy gives
    consumer accounts)."""
    return _iam.document(
        [
            _iam.statement(sid="DescribeModelPackageGroup", actions=list(CONSUMER_GROUP_ACTIONS), resources=group_arn),
            _iam.statement(sid="ReadModelPackages", actions=list(CONSUMER_PACKAGE_ACTIONS), resources=packages),
        ]
    )


def lifecycle_policy(keep_images: int, untagged_days: int) -> dict[str, Any]:
    """Expire untagged images after `untagged_days`, then keep the last `keep_images` images."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images {untagged_days} days after push",
                "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                              "countNumber": untagged_days},
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the last {keep_images} images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
                "action": {"type": "expire"},
            },
        ]
    }


def approval_event_pattern(group_name: str) -> dict[str, Any]:
    """EventBridge pattern: a model package of `group_name` reached ModelApprovalStatus Approved."""
    return {
        "source": ["aws.sagemaker"],
        "detail-type": [APPROVAL_DETAIL_TYPE],
        "detail": {"ModelPackageGroupName": [group_name], "ModelApprovalStatus": [APPROVED]},
    }


def deploy_policy(pipeline_arn: str) -> _iam.Document:
    """sagemaker:StartPipelineExecution on the one deployment pipeline."""
    return _iam.document([_iam.statement(sid="StartDeploymentPipeline", actions=list(DEPLOY_ACTIONS), resources=pipeline_arn)])


# --- the component ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ModelFamilyHandle:
    """What the registry declared for one family."""

    spec: ModelFamilySpec
    group: aws.sagemaker.ModelPackageGroup
    group_name: str
    repositories: dict[str, aws.ecr.Repository]
    approval_rule: Optional[aws.cloudwatch.EventRule]
    registry: "ModelRegistry" = field(repr=False)

    @property
    def group_arn(self) -> pulumi.Output[str]:
        return self.group.arn

    def repository(self, kind: str) -> aws.ecr.Repository:
        """The family's repository of this kind; WiringError naming the kinds otherwise."""
        return lookup(self.repositories, kind, where=f"ModelRegistry {self.registry._name!r}.family({self.spec.name!r}).repository",
                      argument="kind", noun="a repository kind of this family")

    def grant_pull(self, role: aws.iam.Role, kinds: Optional[Sequence[str]] = None) -> aws.iam.RolePolicy:
        """Let `role` pull this family's images: see `ModelRegistry.grant_pull` for the exact actions."""
        return self.registry.grant_pull(role, family=self.spec.name, kinds=kinds)

    def grant_read_packages(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Let `role` describe this family's group and read its packages: see `ModelRegistry.grant_read_packages`."""
        return self.registry.grant_read_packages(role, family=self.spec.name)


class ModelRegistry(pulumi.ComponentResource):
    """Model package groups, ECR repositories and approval events, per model family.

    Children (suffixes are stable), per family: `<name>-<family>-group`,
    `<name>-<family>-group-policy` (with consumer accounts), per repository kind
    `<name>-<family>-<kind>`, `-<kind>-lifecycle`, `-<kind>-policy` (with consumer accounts);
    with a topic or a pipeline `<name>-<family>-approved` (the rule); with a topic
    `<name>-<family>-approved-notify`; with a pipeline `<name>-<family>-deploy-role`,
    `<name>-<family>-deploy-role-policy` and `<name>-<family>-approved-deploy`. Grants add
    `<name>-<family>-<pull|read-packages>-<role name>` role policies.
    """

    families: dict[str, ModelFamilyHandle]

    def __init__(self, name: str, args: ModelRegistryArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        args = require_args("ModelRegistry", name, args, ModelRegistryArgs)
        prefix = args.name_prefix if args.name_prefix is not None else f"{name}-"
        if args.name_prefix is None:
            problems = _prefix_problems("ModelRegistryArgs", prefix, args.families, omitted=name)
            if problems:
                raise ConfigError(problems)
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._args = args
        self._account_id = _iam.caller_account_id()
        self._region = _iam.current_region()
        self._key = args.encryption.keys[KEY_DOMAIN]
        self._grants: set[str] = set()
        self.families = {spec.name: self._family(name, prefix, spec) for spec in args.families}
        self.model_package_group_arns: pulumi.Output[dict[str, str]] = pulumi.Output.all(
            **{f: h.group.arn for f, h in self.families.items()}
        )
        self.model_package_group_names: dict[str, str] = {f: h.group_name for f, h in self.families.items()}
        self.repository_urls: pulumi.Output[dict[str, Any]] = pulumi.Output.all(
            **{f: pulumi.Output.all(**{k: r.repository_url for k, r in h.repositories.items()}) for f, h in self.families.items()}
        )
        self.register_outputs(
            {
                "model_package_group_arns": self.model_package_group_arns,
                "model_package_group_names": self.model_package_group_names,
                "repository_urls": self.repository_urls,
            }
        )

    def family(self, family: str) -> ModelFamilyHandle:
        """The handle of a family; WiringError naming the families otherwise."""
        return self._family_named(family, "family")

    def _family_named(self, family: str, method: str) -> ModelFamilyHandle:
        return lookup(self.families, family, where=f"ModelRegistry {self._name!r}.{method}", argument="family",
                      noun="a model family of this registry")

    # --- grants ------------------------------------------------------------------------------

    def grant_pull(
        self, role: aws.iam.Role, *, family: str, kinds: Optional[Sequence[str]] = None,
    ) -> aws.iam.RolePolicy:
        """Let `role` pull `family`'s container images (all its repositories, or those of `kinds`).

        One role policy `<name>-<family>-pull-<role name>`. Exact actions: ecr:BatchGetImage,
        ecr:GetDownloadUrlForLayer, ecr:BatchCheckLayerAvailability on the repositories' ARNs;
        ecr:GetAuthorizationToken on "*" (the action accepts no resource). No push, and no KMS
        action (ECR decrypts the layers through its own grant on the `models` key).
        """
        method = "grant_pull"
        require_role(f"ModelRegistry {self._name!r}.{method}", role)
        handle = self._family_named(family, method)
        if kinds is None:
            chosen = list(handle.repositories)
        else:
            if isinstance(kinds, str) or not kinds:
                raise ConfigError(
                    [Problem(f"{method}.kinds", "is not a non-empty list of repository kinds (omit it for every kind "
                             f"of the family: {', '.join(handle.repositories)})", kinds)]
                )
            chosen = list(dict.fromkeys(kinds))
            for kind in chosen:
                lookup(handle.repositories, kind, where=f"ModelRegistry {self._name!r}.{method}", argument="kinds",
                       noun=f"a repository kind of family {handle.spec.name!r}")
        document = pull_policy([handle.repositories[kind].arn for kind in chosen])
        return self._attach("pull", role, handle, document)

    def grant_read_packages(self, role: aws.iam.Role, *, family: str) -> aws.iam.RolePolicy:
        """Let `role` describe `family`'s model package group and read its model packages.

        One role policy `<name>-<family>-read-packages-<role name>`. Exact actions:
        sagemaker:DescribeModelPackageGroup on the group's ARN; sagemaker:DescribeModelPackage,
        sagemaker:ListModelPackages on the group's packages
        (`arn:aws:sagemaker:<region>:<account>:model-package/<group>/*`). IAM has no condition on
        a package's approval status for these reads: a consumer lists approved packages with
        ListModelPackages(ModelApprovalStatus="Approved"). A package's images come with
        `grant_pull`, its model data with ArtifactStore's `grant_read` on the models bucket.
        """
        method = "grant_read_packages"
        require_role(f"ModelRegistry {self._name!r}.{method}", role)
        handle = self._family_named(family, method)
        document = read_packages_policy(
            group_arn=handle.group.arn,
            packages=packages_arn(region=self._region, account_id=self._account_id, group_name=handle.group_name),
        )
        return self._attach("read-packages", role, handle, document)

    def _attach(self, access: Access, role: aws.iam.Role, handle: ModelFamilyHandle, document: Any) -> aws.iam.RolePolicy:
        name = child(self._name, f"{handle.spec.name}-{access}-{role._name}")
        return attach_grant(
            self, self._grants, name, role, document,
            duplicate=f"ModelRegistry {self._name!r} already has a {access} grant on family {handle.spec.name!r} for "
            f"role {role._name!r} ({name}); grant once",
        )

    # --- children ----------------------------------------------------------------------------

    def _family(self, name: str, prefix: str, spec: ModelFamilySpec) -> ModelFamilyHandle:
        args = self._args
        base = child(name, spec.name)
        tags = family_tags(spec.name)
        group_name = f"{prefix}{spec.name}"
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        here = pulumi.ResourceOptions(parent=self)
        group = aws.sagemaker.ModelPackageGroup(
            child(base, "group"),
            model_package_group_name=group_name,
            model_package_group_description=spec.description,
            tags=tags,
            opts=stateful,
        )
        if args.consumer_accounts:
            aws.sagemaker.ModelPackageGroupPolicy(
                child(base, "group-policy"),
                model_package_group_name=group.model_package_group_name,
                resource_policy=_iam.to_json(
                    group_policy(group_arn=group.arn, group_name=group_name, region=self._region,
                                 account_id=self._account_id, consumer_accounts=args.consumer_accounts)
                ),
                opts=here,
            )
        repositories: dict[str, aws.ecr.Repository] = {}
        for kind in spec.repositories:
            repository = aws.ecr.Repository(
                child(base, kind),
                name=f"{group_name}-{kind}",
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=self._key.arn)
                ],
                force_delete=args.force_delete_repositories,
                tags=tags,
                opts=stateful,
            )
            aws.ecr.LifecyclePolicy(
                child(base, f"{kind}-lifecycle"),
                repository=repository.name,
                policy=json.dumps(lifecycle_policy(args.keep_images, args.untagged_image_expiration_days)),
                opts=here,
            )
            if args.consumer_accounts:
                aws.ecr.RepositoryPolicy(
                    child(base, f"{kind}-policy"),
                    repository=repository.name,
                    policy=json.dumps(repository_policy(args.consumer_accounts)),
                    opts=here,
                )
            repositories[kind] = repository
        rule = self._approval_events(base, group_name, spec, tags)
        return ModelFamilyHandle(spec=spec, group=group, group_name=group_name, repositories=repositories,
                                 approval_rule=rule, registry=self)

    def _approval_events(
        self, base: str, group_name: str, spec: ModelFamilySpec, tags: dict[str, str],
    ) -> Optional[aws.cloudwatch.EventRule]:
        topic = self._args.approval_topic
        pipeline = spec.deployment_pipeline_arn
        if topic is None and pipeline is None:
            return None
        here = pulumi.ResourceOptions(parent=self)
        rule = aws.cloudwatch.EventRule(
            child(base, "approved"),
            description=f"Model packages of {group_name} approved",
            event_pattern=json.dumps(approval_event_pattern(group_name)),
            tags=tags,
            opts=here,
        )
        if topic is not None:
            aws.cloudwatch.EventTarget(
                child(base, "approved-notify"),
                rule=rule.name,
                target_id=NOTIFY_TARGET_ID,
                arn=topic.arn,
                opts=here,
            )
        if pipeline is not None:
            role = aws.iam.Role(
                child(base, "deploy-role"),
                description=f"EventBridge starts the {spec.name} deployment pipeline",
                assume_role_policy=_iam.to_json(
                    _iam.assume_role_policy(EVENTS_PRINCIPAL, source_account=self._account_id, source_arn=rule.arn)
                ),
                tags=tags,
                opts=here,
            )
            policy = aws.iam.RolePolicy(
                child(base, "deploy-role-policy"),
                role=role.name,
                policy=json.dumps(deploy_policy(pipeline)),
                opts=here,
            )
            parameters = spec.deployment_pipeline_parameters
            aws.cloudwatch.EventTarget(
                child(base, "approved-deploy"),
                rule=rule.name,
                target_id=DEPLOY_TARGET_ID,
                arn=pipeline,
                role_arn=role.arn,
                sagemaker_pipeline_target=aws.cloudwatch.EventTargetSagemakerPipelineTargetArgs(
                    pipeline_parameter_lists=[
                        aws.cloudwatch.EventTargetSagemakerPipelineTargetPipelineParameterListArgs(name=k, value=v)
                        for k, v in parameters.items()
                    ]
                ) if parameters else None,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )
        return rule
