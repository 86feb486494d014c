"""The bootstrap program's config and composition: the self-managed backend's bucket and key, before any stack.

`bootstrap/state-backend/` is a Pulumi project of its own (its state cannot live in the bucket it creates
until the bucket exists). Its stack file holds one structured value, `<project>:bootstrap`:

    config:
      aws:region: us-east-1
      aws:allowedAccountIds: ["111122223333"]
      pulumi:tags: {"mlplat:environment": prod}     # the stack's environment, for the policy pack
      mlplat-state-backend:bootstrap:
        environment: prod
        tags: {owner: ..., cost_center: ..., project: ..., data_classification: confidential}
        budget: {usd_per_month: 20, emails: [platform-oncall@example.com]}
        backend: {deployer_role_arns: [...], bucket_name: acme-pulumi-state-111122223333}

Every taggable resource carries the organisation's tags; the budget (an AWS Budget on the `project` cost
allocation tag, e-mailing at 80% of the actual spend and 100% of the forecast) is what MLP-COST-01 compares the
backend's fixed cost with.
"""

from __future__ import annotations

import re
from typing import Any, Optional

import pulumi
import pulumi_aws as aws
from pydantic import Field, ValidationError

from mlplat.components import platform_tags, register_stack_tags
from mlplat.components.state_backend import StateBackend, StateBackendArgs, StateBackendSpec
from mlplat.core.errors import ConfigError, Problem
from mlplat.core.models import Number, StrictModel, problems_from_validation
from mlplat.core.vocabulary import ENVIRONMENT_TAG, Environment

from .budget import BUDGET_NOTIFICATIONS
from .config import OrganisationTags

__all__ = ["BOOTSTRAP_KEY", "BootstrapBudget", "BootstrapConfig", "build_state_backend", "parse_bootstrap_config"]

BOOTSTRAP_KEY = "bootstrap"
BACKEND_NAME = "pulumi-state"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class BootstrapBudget(StrictModel):
    """The backend's monthly budget: an AWS Budget e-mailing at 80% of the actual spend and 100% of the forecast."""

    usd_per_month: Number = Field(description="The monthly limit in USD (more than 0).")
    emails: tuple[str, ...] = Field(description="Who the budget's notifications e-mail (at least one address).")


class BootstrapConfig(StrictModel):
    """The bootstrap stack's `<project>:bootstrap` value."""

    environment: Environment = Field(description="dev, staging or prod: the `env` tag (the backend of production "
                                                 "stacks is prod).")
    tags: OrganisationTags = Field(description="The organisation's tags, on every taggable resource.")
    budget: Optional[BootstrapBudget] = Field(
        default=None, description="The backend's monthly budget. Omitted: none (MLP-COST-01 reports it outside dev)."
    )
    backend: StateBackendSpec = Field(description="The state bucket and the secrets provider's key.")

    def problems(self) -> list[Problem]:
        problems = self.backend.problems_at("bootstrap.backend")
        if self.budget is not None:
            if not self.budget.usd_per_month > 0:
                problems.append(Problem("bootstrap.budget.usd_per_month", "must be more than 0", self.budget.usd_per_month))
            if not self.budget.emails:
                problems.append(Problem("bootstrap.budget.emails", "must name at least one address", self.budget.emails))
            for email in self.budget.emails:
                if not _EMAIL.match(email):
                    problems.append(Problem("bootstrap.budget.emails", "is not an e-mail address", email))
        return problems


def parse_bootstrap_config(raw: Any, *, source: Optional[str] = None,
                           stack_tags: Optional[dict[str, Any]] = None) -> BootstrapConfig:
    """Validate the raw value; one ConfigError listing every problem (a `pulumi:tags` environment that disagrees too)."""
    if raw is None:
        raise ConfigError([Problem(BOOTSTRAP_KEY, "is missing (the stack file must define it under config)")], source)
    try:
        config = BootstrapConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, BootstrapConfig, BOOTSTRAP_KEY), source) from None
    problems = config.problems()
    tagged = (stack_tags or {}).get(ENVIRONMENT_TAG)
    if tagged is not None and tagged != config.environment:
        problems.append(Problem(f"pulumi:tags.{ENVIRONMENT_TAG}", f"says {tagged!r} but bootstrap.environment is "
                                f"{config.environment!r}: the policy pack would apply another environment's levels", tagged))
    if problems:
        raise ConfigError(problems, source)
    return config


def build_state_backend() -> StateBackend:
    """The bootstrap program: tags, the backend, its budget, and the outputs the login commands need."""
    stack_file = f"Pulumi.{pulumi.get_stack()}.yaml"
    config = parse_bootstrap_config(pulumi.Config().get_object(BOOTSTRAP_KEY), source=stack_file,
                                    stack_tags=pulumi.Config("pulumi").get_object("tags"))
    tags = config.tags
    register_stack_tags(platform_tags(owner=tags.owner, cost_center=tags.cost_center, project=tags.project,
                                      environment=config.environment, data_classification=tags.data_classification,
                                      extra=tags.extra))
    backend = StateBackend(BACKEND_NAME, StateBackendArgs(**config.backend.model_dump()))
    if config.budget is not None:
        aws.budgets.Budget(
            f"{BACKEND_NAME}-budget",
            name=f"{tags.project}-{BACKEND_NAME}",
            budget_type="COST",
            limit_amount=f"{config.budget.usd_per_month:.2f}",
            limit_unit="USD",
            time_unit="MONTHLY",
            cost_filters=[aws.budgets.BudgetCostFilterArgs(name="TagKeyValue", values=[f"user:project${tags.project}"])],
            notifications=[aws.budgets.BudgetNotificationArgs(
                comparison_operator="GREATER_THAN", notification_type=kind, threshold=threshold,
                threshold_type="PERCENTAGE", subscriber_email_addresses=list(config.budget.emails))
                for kind, threshold in BUDGET_NOTIFICATIONS],
        )
    pulumi.export("bucket_name", backend.bucket_name)
    pulumi.export("login_url", backend.login_url)
    pulumi.export("secrets_provider", backend.secrets_provider)
    pulumi.export("key_arn", backend.key_arn)
    return backend
