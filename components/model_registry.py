"""ModelRegistry: per model family a SageMaker model package group, ECR repositories and approval events.

For each family:

- a model package group `<name_prefix><family>`; when `consumer_accounts` are named (the staging
  and prod accounts that deploy from this registry), a resource policy lets exactly those
  accounts describe the group and describe and list its model packages (never "*");
- ECR repositories `<name_prefix><family>-<kind>` (serving and training images by default):
  immutable tags, scan on push, KMS encryption with the `models` key, a lifecycle policy that
  expires untagged images and keeps the last `keep_images` images; consumer accounts may pull;
- when a notification topic or a deployment is configured, an EventBridge rule on
  `SageMaker Model Package State Change` events of this group whose status is Approved, with a
  target per destination: the SNS topic (`approval_topic`; its topic policy must let
  `events.amazonaws.com` publish, and an encrypted topic's key must admit EventBridge:
  Encryption's `sns-alarm-publishers` key user), and the deployment (`deployment.github`): an
  EventBridge API destination that sends GitHub a `repository_dispatch` (POST
  `<api_url>/repos/<owner>/<name>/dispatches`, body `{"event_type", "client_payload"}` built by an
  input transformer) through a connection whose API key is the `Authorization: Bearer <token>`
  header (`deployment_token`, a secret Output: EventBridge keeps it in a Secrets Manager secret it
  manages, the plan and the state only ever hold it encrypted). The target retries and then
  dead-letters to an SQS queue encrypted with `dead_letter_key` (whose policy must admit
  EventBridge: the `sns-alarm-publishers` key user again), which only this rule may send to; a
  message in it raises an alarm on the approval topic. EventBridge invokes the destination through
  a role that may only `events:InvokeApiDestination` on it.

Every taggable resource of a family carries `mlplat:model-family` and `mlplat:platform-version`.
Groups and repositories are protected unless `protect=False`; a repository holding images is
deleted only with `force_delete_repositories=True`; deleting a model package group fails while it
holds model packages.

    registry = ModelRegistry("registry", ModelRegistryArgs(
        encryption=keys, families=[{"name": "fraud"}], consumer_accounts=["210987654321"],
        approval_topic=alerts_topic, environment="staging",
        deployment={"github": {"repository": "acme/ml-stacks", "event_type": "mlplat-model-approved"}},
        deployment_token=pulumi.Config("ml-platform").require_secret("github_deploy_token"),
        dead_letter_key=keys.keys["alerts"]))
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
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from . import _iam
from ._grants import attach_grant, require_role
from ._lineage import check_lineage_name, family_tags
from ._wiring import lookup, require_args
from mlplat.core.naming import child
from .encryption import Encryption
from mlplat.core.errors import ConfigError, Problem
from mlplat.core.models import NestedArgs, ParentArgs, Spec, StrictBool, StrictInt
from mlplat.core.vocabulary import FAMILY_TAG

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
    "CLIENT_PAYLOAD_PATHS",
    "DEAD_LETTER_RETENTION_SECONDS",
    "DEFAULT_EVENT_TYPE",
    "DEFAULT_GITHUB_API_URL",
    "DEFAULT_REPOSITORIES",
    "DEPLOY_ACTIONS",
    "deploy_policy",
    "DEPLOY_RATE_LIMIT_PER_SECOND",
    "DEPLOY_RETRY_ATTEMPTS",
    "DEPLOY_RETRY_MAX_AGE_SECONDS",
    "DEPLOY_TARGET_ID",
    "dead_letter_queue_policy",
    "DeploymentSpec",
    "dispatch_input_template",
    "dispatch_url",
    "GITHUB_HEADERS",
    "GitHubDispatchSpec",
    "EVENTS_PRINCIPAL",
    "group_policy",
    "KEY_DOMAIN",
    "lifecycle_policy",
    "MAX_CLIENT_PAYLOAD_KEYS",
    "MAX_DESCRIPTION",
    "MAX_EVENT_TYPE",
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
    "PENDING_MANUAL_APPROVAL",
    "REGISTER_ACTIONS",
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
RESERVED_KINDS: tuple[str, ...] = (
    "group", "group-policy", "approved", "approved-notify", "approved-deploy", "deploy-role", "deploy-connection",
    "deploy-destination", "deploy-dlq", "deploy-dlq-alarm",
)

CONSUMER_GROUP_ACTIONS: tuple[str, ...] = ("sagemaker:DescribeModelPackageGroup",)
CONSUMER_PACKAGE_ACTIONS: tuple[str, ...] = ("sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages")
CONSUMER_PULL_ACTIONS: tuple[str, ...] = (
    "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability",
)  # fmt: skip
DEPLOY_ACTIONS: tuple[str, ...] = ("events:InvokeApiDestination",)
REGISTER_ACTIONS: tuple[str, ...] = ("sagemaker:CreateModelPackage",)
PENDING_MANUAL_APPROVAL = "PendingManualApproval"
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

# GitHub's repository_dispatch (docs.github.com, REST "Create a repository dispatch event"): an
# event_type of at most 100 characters, a client_payload of at most 10 top-level properties; the
# token needs the repository's Contents: write permission (fine-grained) or the `repo` scope.
DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_EVENT_TYPE = "mlplat-model-approved"
MAX_EVENT_TYPE = 100
MAX_CLIENT_PAYLOAD_KEYS = 10
GITHUB_HEADERS: dict[str, str] = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
# client_payload keys filled from the approval event, and the event's JSON paths (the detail of
# "SageMaker Model Package State Change" is the DescribeModelPackage response).
CLIENT_PAYLOAD_PATHS: dict[str, str] = {
    "model_package_arn": "$.detail.ModelPackageArn",
    "model_package_group": "$.detail.ModelPackageGroupName",
    "model_package_version": "$.detail.ModelPackageVersion",
    "approved_at": "$.time",
    "event_id": "$.id",
    "account": "$.account",
    "region": "$.region",
}
_NUMERIC_PAYLOAD_KEYS = frozenset({"model_package_version"})  # numbers in the event: unquoted in the template
# Approvals are rare; a low rate keeps a burst of approvals under GitHub's secondary rate limits.
DEPLOY_RATE_LIMIT_PER_SECOND = 1
# A deployment started more than an hour after the approval would surprise: give up then, and
# dead-letter (the queue's alarm tells the team to redeploy by hand).
DEPLOY_RETRY_MAX_AGE_SECONDS = 3600
DEPLOY_RETRY_ATTEMPTS = 20
DEAD_LETTER_RETENTION_SECONDS = 1_209_600  # 14 days, SQS's maximum
MAX_DESTINATION_NAME = 64  # connection and API destination names
DEPLOY_NAME_SUFFIX = "-deploy"
# GitHub: an owner is 1-39 alphanumerics or single hyphens, not at either end; a repository name
# is 1-100 of letters, digits, '.', '-', '_' and not '.' or '..'.
_GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_GITHUB_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~/-]*)?$")
_EVENT_TYPE = re.compile(r"^[^\x00-\x1f\x7f]+$")
_REMOVED_FAMILY_KEYS = {
    "deployment_pipeline_arn": "approvals start a deployment through `model_registry.deployment: {github: "
    "{repository: <owner>/<name>, event_type: ...}}` (a GitHub repository_dispatch that runs the deploy workflow), "
    "or `model_registry.deployment: none`; a SageMaker pipeline cannot run `pulumi up` (see the README, "
    "\"Migrating from deployment_pipeline_arn\")",
    "deployment_pipeline_parameters": "the repository_dispatch's client_payload carries the family, the model "
    "package and the environment (see `model_registry.deployment`)",
}


class GitHubDispatchSpec(Spec):
    """Where an approval sends its GitHub `repository_dispatch`."""

    repository: str = Field(
        description="The repository whose deploy workflow runs, `<owner>/<name>` (GitHub's rules: owner 1-39 "
        "letters, digits or single inner hyphens; name 1-100 of letters, digits, '.', '-', '_')."
    )
    event_type: str = Field(
        default=DEFAULT_EVENT_TYPE,
        description=f"The dispatch's `event_type`, which the workflow's `on.repository_dispatch.types` lists (at most "
        f"{MAX_EVENT_TYPE} characters). Omitted: {DEFAULT_EVENT_TYPE}.",
    )
    api_url: str = Field(
        default=DEFAULT_GITHUB_API_URL,
        description="GitHub's REST API root (https; GitHub Enterprise Server: `https://<host>/api/v3`). "
        f"Omitted: {DEFAULT_GITHUB_API_URL}.",
    )

    def problems_at(self, base: str) -> list[Problem]:
        problems: list[Problem] = []
        owner, _, name = self.repository.partition("/")
        if not (_GITHUB_OWNER.match(owner) and _GITHUB_NAME.match(name) and name not in (".", "..")):
            problems.append(
                Problem(f"{base}.repository", "is not a GitHub repository `<owner>/<name>` (owner: 1-39 letters, "
                        "digits or single inner hyphens; name: 1-100 letters, digits, '.', '-', '_')", self.repository)
            )
        if not self.event_type or len(self.event_type) > MAX_EVENT_TYPE:
            problems.append(
                Problem(f"{base}.event_type", f"must be 1 to {MAX_EVENT_TYPE} characters (GitHub's limit)", self.event_type)
            )
        elif not _EVENT_TYPE.match(self.event_type):
            problems.append(Problem(f"{base}.event_type", "holds a control character", self.event_type))
        if not _HTTPS_URL.match(self.api_url):
            problems.append(Problem(f"{base}.api_url", "is not an https URL (https://<host>[/path])", self.api_url))
        return problems


def _none_allowed(schema: dict[str, Any]) -> None:
    """The stack-file schema of `deployment`: the mapping, or the string `none`."""
    options = schema.get("anyOf")
    if isinstance(options, list):
        schema["anyOf"] = [{"const": "none"} if option == {"type": "null"} else option for option in options]


class DeploymentSpec(Spec):
    """How an approval starts a deployment."""

    github: GitHubDispatchSpec = Field(
        description="Send a GitHub `repository_dispatch` to the repository whose deploy workflow runs `pulumi up`."
    )

    def problems_at(self, base: str) -> list[Problem]:
        return self.github.problems_at(f"{base}.github")


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
    # Removed in 0.2.0: still parsed, so a stack file that has them hears what replaces them.
    deployment_pipeline_arn: Optional[Any] = Field(
        default=None,
        description="Removed in 0.2.0 (a configuration error): use `model_registry.deployment` "
        "(`{github: {repository, event_type}}` or `none`).",
    )
    deployment_pipeline_parameters: Optional[Any] = Field(
        default=None,
        description="Removed in 0.2.0 (a configuration error): the repository_dispatch's client_payload carries the "
        "family, the model package and the environment.",
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
        for key, replacement in _REMOVED_FAMILY_KEYS.items():
            if key in self.model_fields_set:
                problems.append(Problem(f"{base}.{key}", f"was removed in 0.2.0: {replacement}"))
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
    deployment: Optional[DeploymentSpec] = Field(
        default=None,
        json_schema_extra=_none_allowed,
        description="What an approved model package starts: `{github: {repository, event_type}}` sends the "
        "repository a `repository_dispatch` (its deploy workflow runs `pulumi up`; the token is the config secret "
        "`ml-platform:github_deploy_token`), `none` starts nothing (teams that deploy by hand). Omitted: none.",
    )

    @field_validator("deployment", mode="before")
    @classmethod
    def _none_means_no_deployment(cls, value: Any) -> Any:
        # `none` is the explicit "approvals deploy nothing"; `deployment` stays in model_fields_set.
        if value == "none":
            return None
        if isinstance(value, str):
            raise PydanticCustomError("deployment_choice", "neither `none` nor a mapping {github: {repository, event_type}}")
        return value

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
        if isinstance(self.deployment, DeploymentSpec):
            problems.extend(self.deployment.problems_at(f"{base}.deployment"))
        if name_prefix is not None:
            problems.extend(_prefix_problems(base, name_prefix, self.families, omitted=None,
                                             deploys=isinstance(self.deployment, DeploymentSpec)))
        return problems

    @property
    def github(self) -> Optional[GitHubDispatchSpec]:
        """The GitHub dispatch approvals send, if any."""
        return self.deployment.github if isinstance(self.deployment, DeploymentSpec) else None


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
    environment: Optional[str] = Field(
        default=None,
        description="The environment the dispatch's client_payload names (the deploy workflow deploys that "
        "environment's stacks); in dev, `registering_accounts` may register packages Approved. Required with "
        "`deployment.github`.",
    )
    deployment_token: Optional[Any] = Field(
        default=None,
        description="The GitHub token of `deployment.github`, a secret Output (`pulumi.Config(...).require_secret`): "
        "a fine-grained token with the repository's Contents: write permission. Required with `deployment.github`; "
        "a plain string is refused (it would sit in the state in clear).",
    )
    dead_letter_key: Optional[aws.kms.Key] = Field(
        default=None,
        description="KMS key of the deployment's dead-letter queues; its policy must let events.amazonaws.com "
        "GenerateDataKey and Decrypt (Encryption's `sns-alarm-publishers` key user). Omitted: the Encryption's "
        "`alerts` key; required with `deployment.github`.",
    )
    registering_accounts: tuple[str, ...] = Field(
        default=(),
        description="AWS accounts (12 digits) whose training pipelines register model packages into the groups "
        "(a registry in the shared-services account: the workload account its pipelines run in). The group "
        "policy lets a role of such an account tagged `mlplat:model-family: <family>` (a family's pipeline role) "
        "create packages in that family's group, PendingManualApproval only unless `environment` is dev; the "
        "account also needs to read the group and pull the images (`consumer_accounts`). Omitted: none.",
    )

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
        if self.github is not None:
            problems.extend(self._deployment_problems(base))
        for account in self.registering_accounts:
            if not _ACCOUNT.match(account):
                problems.append(Problem(f"{base}.registering_accounts", "is not an AWS account id (12 digits; '*' and "
                                        "ARNs are refused)", account))
            elif account not in self.consumer_accounts:
                problems.append(Problem(f"{base}.registering_accounts", "is not in consumer_accounts: a pipeline that "
                                        "registers a package also reads the group and pulls the family's images",
                                        account))
        return problems + self.problems_at(base, name_prefix=self.name_prefix)

    def _deployment_problems(self, base: str) -> list[Problem]:
        problems: list[Problem] = []
        if self.environment is None:
            problems.append(Problem(f"{base}.environment", "is required with deployment.github (the client_payload names it)"))
        elif not re.match(r"^[a-z][a-z0-9-]{0,31}$", self.environment):
            problems.append(Problem(f"{base}.environment", "is not an environment name (lowercase letters, digits, '-')",
                                    self.environment))
        token = self.deployment_token
        if token is None:
            problems.append(Problem(f"{base}.deployment_token", "is required with deployment.github (a secret Output: "
                                    "pulumi.Config(...).require_secret(...))"))
        elif not isinstance(token, pulumi.Output):
            # Never echo the value: it may be the token itself.
            problems.append(Problem(f"{base}.deployment_token", "must be a secret Output (pulumi.Config(...)."
                                    f"require_secret(...) or pulumi.Output.secret(...)), not a {type(token).__name__}"))
        if self.dead_letter_key is None and "alerts" not in self.encryption.keys:
            problems.append(Problem(f"{base}.dead_letter_key", "is required with deployment.github when the Encryption "
                                    f"has no 'alerts' key (Encryption {self.encryption._name!r} has: "
                                    f"{', '.join(self.encryption.keys) or 'none'})"))
        return problems


def _prefix_problems(
    base: str, prefix: str, families: tuple[ModelFamilySpec, ...], omitted: Optional[str], *, deploys: bool = False,
) -> list[Problem]:
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
        elif deploys and len(physical + DEPLOY_NAME_SUFFIX) > MAX_DESTINATION_NAME:
            problems.append(
                Problem(
                    f"{base}.families.{index}.name",
                    f"makes the deployment's connection name {physical + DEPLOY_NAME_SUFFIX!r} longer than "
                    f"{MAX_DESTINATION_NAME} characters (EventBridge's limit)",
                    family.name,
                )
            )
    return problems


# --- documents (pure) ------------------------------------------------------------------------


def account_principals(accounts: tuple[str, ...]) -> dict[str, Any]:
    return {"AWS": [f"arn:aws:iam::{account}:root" for account in accounts]}


def group_policy(
    *, group_arn: pulumi.Input[str], group_name: str, region: pulumi.Input[str], account_id: pulumi.Input[str],
    consumer_accounts: tuple[str, ...], family: Optional[str] = None, registering_accounts: tuple[str, ...] = (),
    approval_required: bool = True,
) -> _iam.Document:
    """The model package group's resource policy: consumer accounts may read and deploy; registering accounts'
    pipeline roles of `family` may register packages; nothing else.

    sagemaker:DescribeModelPackageGroup on the group; sagemaker:DescribeModelPackage and
    sagemaker:ListModelPackages on its model packages (`model-package/<group>/*`). With
    `registering_accounts`: sagemaker:CreateModelPackage (REGISTER_ACTIONS) on the group and its packages, for
    those accounts' principals tagged `mlplat:model-family: <family>` (aws:PrincipalTag: the family's pipeline
    role; the account's own IAM must also allow it) and, when `approval_required`, with
    `sagemaker:ModelApprovalStatus` PendingManualApproval (a pipeline of another account cannot approve).
    """
    principals = account_principals(consumer_accounts)
    packages = packages_arn(region=region, account_id=account_id, group_name=group_name)
    statements = [
        _iam.statement(sid="ConsumerAccountsDescribeGroup", principals=principals,
                       actions=list(CONSUMER_GROUP_ACTIONS), resources=group_arn),
        _iam.statement(sid="ConsumerAccountsReadPackages", principals=principals,
                       actions=list(CONSUMER_PACKAGE_ACTIONS), resources=packages),
    ]
    if registering_accounts:
        if family is None:
            raise ValueError("group_policy: registering_accounts need the family whose pipeline roles register")
        conditions: dict[str, Any] = {"StringEquals": {f"aws:PrincipalTag/{FAMILY_TAG}": family}}
        if approval_required:
            conditions["StringEquals"]["sagemaker:ModelApprovalStatus"] = PENDING_MANUAL_APPROVAL
        statements.append(
            _iam.statement(sid="PipelineAccountsRegisterPackages", principals=account_principals(registering_accounts),
                           actions=list(REGISTER_ACTIONS), resources=[group_arn, packages], conditions=conditions))
    return _iam.document(statements)


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


def deploy_policy(destination_arn: pulumi.Input[str]) -> _iam.Document:
    """events:InvokeApiDestination on the one API destination (the GitHub dispatch)."""
    return _iam.document(
        [_iam.statement(sid="InvokeDeploymentApiDestination", actions=list(DEPLOY_ACTIONS), resources=destination_arn)]
    )


def dead_letter_queue_policy(*, queue_arn: pulumi.Input[str], rule_arn: pulumi.Input[str]) -> _iam.Document:
    """The dead-letter queue's policy: EventBridge may send to it for this one rule only."""
    return _iam.document(
        [
            _iam.statement(
                sid="ApprovalRuleDeadLetters",
                principals=_iam.service(EVENTS_PRINCIPAL),
                actions=["sqs:SendMessage"],
                resources=queue_arn,
                conditions={"ArnEquals": {"aws:SourceArn": rule_arn}},
            )
        ]
    )


def dispatch_url(github: GitHubDispatchSpec) -> str:
    """POST here to create the repository's `repository_dispatch` event."""
    return f"{github.api_url.rstrip('/')}/repos/{github.repository}/dispatches"


def dispatch_input_template(*, event_type: str, family: str, environment: str) -> str:
    """The input transformer's template: the body GitHub expects, `{event_type, client_payload}`.

    `<key>` placeholders are filled from `CLIENT_PAYLOAD_PATHS` (quoted strings, bare numbers);
    the family, the environment and the event type are literals, JSON-encoded here.
    """
    payload = {"family": json.dumps(family), "environment": json.dumps(environment)}
    for key in CLIENT_PAYLOAD_PATHS:
        payload[key] = f"<{key}>" if key in _NUMERIC_PAYLOAD_KEYS else f'"<{key}>"'
    if len(payload) > MAX_CLIENT_PAYLOAD_KEYS:
        raise AssertionError(f"client_payload has {len(payload)} keys; GitHub takes {MAX_CLIENT_PAYLOAD_KEYS}")
    body = ", ".join(f'"{k}": {v}' for k, v in payload.items())
    return f'{{"event_type": {json.dumps(event_type)}, "client_payload": {{{body}}}}}'


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
    # The group's account when it is not the consumer's own (a registry in the shared-services account):
    # a consumer names the group by ARN and its packages under that account. None: the stack's own account.
    account: Optional[str] = None

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
    with a topic or a deployment `<name>-<family>-approved` (the rule); with a topic
    `<name>-<family>-approved-notify`; with `deployment.github` `<name>-<family>-deploy-connection`,
    `-deploy-destination`, `-deploy-dlq`, `-deploy-dlq-policy`, `-deploy-dlq-alarm` (with a topic),
    `-deploy-role`, `-deploy-role-policy` and `-approved-deploy` (the target). Grants add
    `<name>-<family>-<pull|read-packages>-<role name>` role policies.
    """

    families: dict[str, ModelFamilyHandle]

    def __init__(self, name: str, args: ModelRegistryArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        args = require_args("ModelRegistry", name, args, ModelRegistryArgs)
        prefix = args.name_prefix if args.name_prefix is not None else f"{name}-"
        if args.name_prefix is None:
            problems = _prefix_problems("ModelRegistryArgs", prefix, args.families, omitted=name,
                                        deploys=args.github is not None)
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
                                 account_id=self._account_id, consumer_accounts=args.consumer_accounts,
                                 family=spec.name, registering_accounts=args.registering_accounts,
                                 approval_required=args.environment != "dev")
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
        github = self._args.github
        if topic is None and github is None:
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
        if github is not None:
            self._dispatch(base, group_name, spec, tags, rule, github)
        return rule

    def _dispatch(
        self, base: str, group_name: str, spec: ModelFamilySpec, tags: dict[str, str],
        rule: aws.cloudwatch.EventRule, github: GitHubDispatchSpec,
    ) -> None:
        """The GitHub repository_dispatch an approval sends, with its retries and dead letters."""
        args = self._args
        here = pulumi.ResourceOptions(parent=self)
        name = f"{group_name}{DEPLOY_NAME_SUFFIX}"
        # The header value is built inside the secret Output: it stays secret in the plan and the state.
        authorization = pulumi.Output.secret(args.deployment_token).apply(lambda token: f"Bearer {token}")
        connection = aws.cloudwatch.EventConnection(
            child(base, "deploy-connection"),
            name=name,
            description=f"GitHub repository_dispatch to {github.repository} ({spec.name} approvals)",
            authorization_type="API_KEY",
            auth_parameters=aws.cloudwatch.EventConnectionAuthParametersArgs(
                api_key=aws.cloudwatch.EventConnectionAuthParametersApiKeyArgs(
                    key="Authorization", value=pulumi.Output.secret(authorization),
                ),
                invocation_http_parameters=aws.cloudwatch.EventConnectionAuthParametersInvocationHttpParametersArgs(
                    headers=[
                        aws.cloudwatch.EventConnectionAuthParametersInvocationHttpParametersHeaderArgs(
                            key=key, value=value, is_value_secret=False,
                        )
                        for key, value in GITHUB_HEADERS.items()
                    ]
                ),
            ),
            # Untaggable: depending on the family's (tagged) rule puts it, and the destination, in the
            # family's lineage (`mlplat lineage --family`).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[rule]),
        )
        destination = aws.cloudwatch.EventApiDestination(
            child(base, "deploy-destination"),
            name=name,
            description=f"Starts the deploy workflow of {github.repository} when a {spec.name} model is approved",
            connection_arn=connection.arn,
            invocation_endpoint=dispatch_url(github),
            http_method="POST",
            invocation_rate_limit_per_second=DEPLOY_RATE_LIMIT_PER_SECOND,
            opts=here,
        )
        key = args.dead_letter_key or args.encryption.keys["alerts"]
        queue = aws.sqs.Queue(
            child(base, "deploy-dlq"),
            name=f"{name}-dlq",
            kms_master_key_id=key.arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
            tags=tags,
            opts=here,
        )
        queue_policy = aws.sqs.QueuePolicy(
            child(base, "deploy-dlq-policy"),
            queue_url=queue.url,
            policy=_iam.to_json(dead_letter_queue_policy(queue_arn=queue.arn, rule_arn=rule.arn)),
            opts=here,
        )
        if args.approval_topic is not None:
            aws.cloudwatch.MetricAlarm(
                child(base, "deploy-dlq-alarm"),
                alarm_description=f"A {spec.name} approval could not start the deployment (GitHub refused or was "
                "unreachable past the retries); the event is in the dead-letter queue: redeploy by hand",
                namespace="AWS/SQS",
                metric_name="ApproximateNumberOfMessagesVisible",
                dimensions={"QueueName": queue.name},
                statistic="Maximum",
                period=300,
                evaluation_periods=1,
                threshold=0,
                comparison_operator="GreaterThanThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[args.approval_topic.arn],
                tags=tags,
                opts=here,
            )
        role = aws.iam.Role(
            child(base, "deploy-role"),
            description=f"EventBridge sends the {spec.name} deployment's GitHub dispatch",
            assume_role_policy=_iam.to_json(
                _iam.assume_role_policy(EVENTS_PRINCIPAL, source_account=self._account_id, source_arn=rule.arn)
            ),
            tags=tags,
            opts=here,
        )
        policy = aws.iam.RolePolicy(
            child(base, "deploy-role-policy"),
            role=role.name,
            policy=_iam.to_json(deploy_policy(destination.arn)),
            opts=here,
        )
        aws.cloudwatch.EventTarget(
            child(base, "approved-deploy"),
            rule=rule.name,
            target_id=DEPLOY_TARGET_ID,
            arn=destination.arn,
            role_arn=role.arn,
            input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                input_paths=dict(CLIENT_PAYLOAD_PATHS),
                input_template=dispatch_input_template(
                    event_type=github.event_type, family=spec.name, environment=str(args.environment),
                ),
            ),
            retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                maximum_event_age_in_seconds=DEPLOY_RETRY_MAX_AGE_SECONDS,
                maximum_retry_attempts=DEPLOY_RETRY_ATTEMPTS,
            ),
            dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=queue.arn),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, queue_policy]),
        )
