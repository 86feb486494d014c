"""The account map: which AWS account each stack deploys into, and which accounts may read each registry.

One source for the whole project: the project-level config `ml-platform:accounts` in `Pulumi.yaml` (every stack of
the project inherits it; a stack file does not restate it):

    config:
      ml-platform:accounts:
        value:
          shared_services: "555566667777"        # the registry (model package groups) and ECR
          environments: {dev: "123456789012", staging: "111122223333", prod: "444455556666"}
          deploy_role_name: ml-platform-deploy   # the role each stack assumes in its account
          shared_services_stacks: [registry-prod]

- **Each stack targets its account**: a stack listed in `shared_services_stacks` deploys into the shared-services
  account, any other into its environment's workload account. Its stack file says so to the provider:
  `aws:allowedAccountIds: [<account>]` (the provider refuses any other account's credentials) and
  `aws:assumeRoles: [{roleArn: arn:aws:iam::<account>:role/<deploy_role_name>}]`; a stack file that names another
  account or role, or leaves either out, is a ConfigError naming the key, what it holds and what the map expects.
- **Who reads a registry** (its consumer accounts, derived, never listed by hand): the workload accounts of the
  environments after the registry's (dev's registry is read by staging and prod, staging's by prod), and, when a
  stack of the environment (its registry) deploys into the shared-services account, its own environment's workload
  account too. Each consumer gets
  read access only: the model package group policy, the ECR repository policy, the models key (decrypt through S3
  and ECR) and the models bucket (get and list).
- **Deploying from the shared registry**: a serving layer stack whose ml-services layer (`layers.ml_services`) deploys
  into the shared-services account resolves `model_package: latest-approved` against the group's ARN in that account
  (`registry_account`), with its own deploy role; its endpoints' models name the shared account's package.
- **Registering into the shared registry**: pipelines cannot run in shared services (they need the foundation's
  network, buckets and keys), so a pipelines stack of the workload account (an ml-services layer with
  `layers.ml_services` naming the registry's layer) registers into the shared groups by ARN, and the registry's group
  policy lets that account's family pipeline roles create packages (`registering_accounts`), PendingManualApproval
  only outside dev.
- **A registry stack in shared services** (`registry_apart`): an ml-services stack listed in
  `shared_services_stacks` while its environment's foundation is not declares its own `models` key (its ECR
  repositories; readers decrypt through ECR only) and `alerts` key and alarm topic, and may not declare a feature
  store, a tracking server or pipelines (`registry_apart_problems`: they need the foundation's account).
- A cross-account grant to an account that is not in the map is a ConfigError naming it; the pack's MLP-REG-01
  allows the map's accounts (it reads the same config).
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional

from pydantic import Field, ValidationError

from mlplat.core.config_values import structured
from mlplat.core.errors import ConfigError, Problem
from mlplat.core.models import StrictModel, problems_from_validation
from mlplat.core.vocabulary import CONFIG_NAMESPACE, ENVIRONMENTS, Environment, environment_of_stack, layer_kind

__all__ = [
    "ACCOUNTS_KEY",
    "AccountMap",
    "assume_role_arn",
    "load_account_map",
    "parse_account_map",
    "registry_readers",
]

ACCOUNTS_KEY = "accounts"  # `ml-platform:accounts`
# What a section of an ml-services stack needs from the foundation (a registry stack in shared services has none of it).
_NEEDS_FOUNDATION = {
    "feature_store": "its feature groups' offline store is the foundation's datasets bucket, encrypted with its keys",
    "experiment_tracking": "its tracking server stores artifacts in the foundation's buckets with its keys",
    "pipelines": "their jobs run in the foundation's private subnets and read and write its buckets with its keys",
}
_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


def assume_role_arn(account: str, role_name: str) -> str:
    return f"arn:aws:iam::{account}:role/{role_name}"


class AccountMap(StrictModel):
    """The project's AWS accounts (the project-level config `ml-platform:accounts`)."""

    shared_services: str = Field(
        description="The shared-services account (12 digits): the model registry's package groups and ECR "
        "repositories, which grant the workload accounts read access.",
    )
    environments: dict[Environment, str] = Field(
        description="Each environment's workload account (12 digits): its stacks deploy there and its endpoints "
        "serve there.",
    )
    deploy_role_name: str = Field(
        default="ml-platform-deploy",
        description="The IAM role (name) every stack assumes in its account, through the provider's "
        "`aws:assumeRoles`. Omitted: ml-platform-deploy.",
    )
    shared_services_stacks: tuple[str, ...] = Field(
        default=(),
        description="Stacks that deploy into the shared-services account (a registry stack). Omitted: none, every "
        "stack deploys into its environment's workload account.",
    )

    def problems_at(self, base: str) -> list[Problem]:
        problems: list[Problem] = []
        if not _ACCOUNT.match(self.shared_services):
            problems.append(Problem(f"{base}.shared_services", "is not an AWS account id (12 digits)", self.shared_services))
        for env, account in self.environments.items():
            if not _ACCOUNT.match(account):
                problems.append(Problem(f"{base}.environments.{env}", "is not an AWS account id (12 digits)", account))
            elif account == self.shared_services:
                problems.append(Problem(f"{base}.environments.{env}", "is the shared-services account: a workload "
                                        "account of its own keeps the registry apart from what it serves", account))
        if not _ROLE_NAME.match(self.deploy_role_name):
            problems.append(Problem(f"{base}.deploy_role_name", "is not an IAM role name (1-64 letters, digits and "
                                    "+=,.@_-)", self.deploy_role_name))
        if len(set(self.shared_services_stacks)) != len(self.shared_services_stacks):
            problems.append(Problem(f"{base}.shared_services_stacks", "lists a stack twice", self.shared_services_stacks))
        return problems

    @property
    def accounts(self) -> tuple[str, ...]:
        """Every account of the map: shared services first, then the environments' in environment order."""
        ordered = [self.shared_services] + [self.environments[e] for e in ENVIRONMENTS if e in self.environments]
        return tuple(dict.fromkeys(ordered))

    def workload_account(self, environment: str) -> str:
        if environment not in self.environments:
            raise ConfigError([Problem(f"{CONFIG_NAMESPACE}:{ACCOUNTS_KEY}.environments", f"has no account for the "
                                       f"{environment} environment (environments: {', '.join(self.environments) or 'none'})",
                                       environment)])
        return self.environments[environment]

    def in_shared_services(self, stack: str) -> bool:
        return stack in self.shared_services_stacks

    def account_of(self, stack: str, environment: str) -> str:
        """The account `stack` (of `environment`) deploys into."""
        return self.shared_services if self.in_shared_services(stack) else self.workload_account(environment)

    def role_of(self, stack: str, environment: str) -> str:
        """The role ARN `stack` assumes in its account."""
        return assume_role_arn(self.account_of(stack, environment), self.deploy_role_name)

    def registry_in_shared_services(self, environment: str) -> bool:
        """Whether a stack of `environment` deploys into the shared-services account (its registry lives there)."""
        return any(environment_of_stack(s) == environment for s in self.shared_services_stacks)

    def consumers(self, stack: str, environment: str) -> tuple[str, ...]:
        """The accounts that read the registry of `stack`'s environment (its groups and images, the models key and
        bucket): the later environments' workload accounts, and its own environment's when a stack of the
        environment deploys into the shared-services account; never the stack's own account. Every stack of an
        environment derives the same readers (a layer stack declaring the key and bucket, another the registry)."""
        later = ENVIRONMENTS[ENVIRONMENTS.index(environment) + 1:]
        wanted = [environment] if self.registry_in_shared_services(environment) else []
        wanted += [e for e in later if e in self.environments]
        own = self.account_of(stack, environment)
        return tuple(dict.fromkeys(a for a in (self.environments[e] for e in wanted if e in self.environments) if a != own))

    def registry_account(self, stack: str, environment: str, *, registry_layer: Optional[str]) -> Optional[str]:
        """The account of the registry whose families `stack` reads (`registry_layer`, `config_layers.registry_layer`:
        a serving layer's ml-services layer, or the one a pipelines stack registers into), when it is not the
        stack's own: the shared-services account when `<environment>-<registry_layer>` is listed in
        `shared_services_stacks` and `stack` is not. None otherwise (a stack that reads no registry, or the same
        account)."""
        if registry_layer is None:
            return None
        registry = self.account_of(f"{environment}-{registry_layer}", environment)
        return registry if registry != self.account_of(stack, environment) else None

    def registering_accounts(self, stack: str, environment: str, layer: str) -> tuple[str, ...]:
        """The accounts whose training pipelines register into `stack`'s registry: its environment's workload
        account when the stack is a registry in shared services over a workload-account foundation
        (`registry_apart`), since its pipelines run there (a pipelines stack with `layers.ml_services`); none
        otherwise (pipelines register into their own account's registry)."""
        return (self.workload_account(environment),) if self.registry_apart(stack, environment, layer) else ()

    def registry_apart(self, stack: str, environment: str, layer: str) -> bool:
        """Whether `stack` is a registry stack in shared services: an ml-services layer (`ml-services` or
        `ml-services-<team>`) listed in `shared_services_stacks` while its environment's foundation is not. Such a
        stack declares its own `models` and `alerts` keys and alarm topic (the foundation's admit their own account
        only) and no pipelines, feature store or tracking server (they need the foundation's network, buckets and
        keys)."""
        if layer_kind(layer) != "ml-services":
            return False
        return self.in_shared_services(stack) and not self.in_shared_services(f"{environment}-foundation")

    def registry_apart_problems(self, stack: str, environment: str, layer: str,
                                sections: Mapping[str, bool]) -> list[Problem]:
        """One problem per section (name -> declared) that a registry stack in shared services cannot hold."""
        if not self.registry_apart(stack, environment, layer):
            return []
        foundation = f"{environment}-foundation"
        return [Problem(f"platform.{section}", f"cannot be declared by stack {stack}, which deploys into the "
                        f"shared-services account {self.shared_services} while its foundation {foundation} deploys "
                        f"into the {environment} workload account {self.account_of(foundation, environment)}: "
                        f"{_NEEDS_FOUNDATION[section]}, which grant the shared-services account nothing. Keep it in "
                        f"an ml-services stack of the workload account (a stack not listed in shared_services_stacks)"
                        + (" and set experiment_tracking.enabled: false here (a tracking server is on unless "
                           "disabled)" if section == "experiment_tracking" else "")
                        + (f"; its layers.ml_services: {layer} makes its pipelines register into this registry"
                           if section == "pipelines" else ""))
                for section, declared in sections.items() if declared]

    def grant_problems(self, path: str, accounts: tuple[str, ...] | list[str]) -> list[Problem]:
        """One problem per account a cross-account grant names that the map does not."""
        known = self.accounts
        return [Problem(path, f"grants account {account}, which is not in the account map {CONFIG_NAMESPACE}:"
                              f"{ACCOUNTS_KEY} (accounts: {', '.join(known)})", account)
                for account in accounts if account not in known]

    def target_problems(self, stack: str, environment: str, config: Mapping[str, Any]) -> list[Problem]:
        """The stack file's `aws:allowedAccountIds` and `aws:assumeRoles` against the map (config: namespace:key ->
        value, structured values as data or JSON text)."""
        if environment not in self.environments and not self.in_shared_services(stack):
            return [Problem(f"{CONFIG_NAMESPACE}:{ACCOUNTS_KEY}.environments", f"has no account for the {environment} "
                            f"environment of stack {stack} (environments: {', '.join(self.environments) or 'none'})",
                            environment)]
        account = self.account_of(stack, environment)
        role = self.role_of(stack, environment)
        whose = "the shared-services account" if self.in_shared_services(stack) else f"the {environment} workload account"
        problems: list[Problem] = []
        allowed = structured(config.get("aws:allowedAccountIds"))
        if allowed is None:
            problems.append(Problem("aws:allowedAccountIds", f"is missing: stack {stack} deploys into {whose}, set "
                                    f"aws:allowedAccountIds: [\"{account}\"]"))
        elif [str(a) for a in (allowed if isinstance(allowed, list) else [allowed])] != [account]:
            problems.append(Problem("aws:allowedAccountIds", f"must be [\"{account}\"] ({whose} of the account map: "
                                    f"stack {stack} deploys there and nowhere else)", allowed))
        roles = structured(config.get("aws:assumeRoles"))
        arns = [r.get("roleArn") for r in roles if isinstance(r, Mapping)] if isinstance(roles, list) else None
        if roles is None:
            problems.append(Problem("aws:assumeRoles", f"is missing: stack {stack} assumes {role} (set "
                                    f"aws:assumeRoles: [{{roleArn: {role}}}])"))
        elif arns != [role]:
            problems.append(Problem("aws:assumeRoles", f"must be one role, [{{roleArn: {role}}}] (the account map's "
                                    f"deploy role in {whose})", roles))
        return problems


def parse_account_map(raw: Any, *, source: Optional[str] = None) -> Optional[AccountMap]:
    """The validated map (None when the project has none); one ConfigError listing every problem."""
    if raw is None:
        return None
    where = f"{CONFIG_NAMESPACE}:{ACCOUNTS_KEY}"
    try:
        accounts = AccountMap.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, AccountMap, where), source) from None
    problems = accounts.problems_at(where)
    if problems:
        raise ConfigError(problems, source)
    return accounts


def load_account_map(config: Mapping[str, Any], *, stack: str, environment: str,
                     source: Optional[str] = None) -> Optional[AccountMap]:
    """The project's map from the stack's config, checked against the stack file's provider settings."""
    accounts = parse_account_map(structured(config.get(f"{CONFIG_NAMESPACE}:{ACCOUNTS_KEY}")), source=source)
    if accounts is None:
        return None
    problems = accounts.target_problems(stack, environment, config)
    if problems:
        raise ConfigError(problems, source)
    return accounts


def registry_readers(accounts: AccountMap, *, stack: str, environment: str, explicit: tuple[str, ...] = (),
                     source: Optional[str] = None) -> tuple[str, ...]:
    """The accounts the stack's registry, models key and models bucket grant read access: the map's consumers of
    the stack, and the stack config's `model_registry.consumer_accounts` (each must be in the map)."""
    problems = accounts.grant_problems("platform.model_registry.consumer_accounts", explicit)
    if problems:
        raise ConfigError(problems, source)
    own = accounts.account_of(stack, environment)
    return tuple(dict.fromkeys([*accounts.consumers(stack, environment), *(a for a in explicit if a != own)]))
