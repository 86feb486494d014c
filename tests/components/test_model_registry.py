"""ModelRegistry: model package groups and their policy, ECR repositories, approval events, lineage.

Programs run under the offline runner; assertions read the Plan (plain data).
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from pathlib import Path
from typing import Any, Callable, Optional

import iam_reference
import pulumi
import pulumi_aws as aws
import pytest

from mlplat.components.encryption import Encryption, EncryptionArgs
from mlplat.core.errors import ConfigError, WiringError
from mlplat.components.model_registry import ModelFamilyArgs, ModelRegistry, ModelRegistryArgs
from mlplat.tooling.contracts import check_plan
from mlplat.tooling.lineage import families, resources_of_family
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan, PlannedResource, is_unknown

REGISTRY = "mlplat:model_registry:ModelRegistry"
GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
GROUP_POLICY = "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy"
REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ACCOUNT = "123456789012"
REGION = "us-east-1"
STAGING, PROD = "210987654321", "345678901234"
CONNECTION = "aws:cloudwatch/eventConnection:EventConnection"
DESTINATION = "aws:cloudwatch/eventApiDestination:EventApiDestination"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DEPLOYMENT = {"github": {"repository": "acme/ml-stacks", "event_type": "mlplat-model-approved"}}
TOKEN = "github_pat_11AAAAAAA0testtokenvalue_ZZZ"
# The version the project declares: what the installed library stamps on every resource.
VERSION = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]["version"]
LINEAGE = {"mlplat:model-family": "fraud", "mlplat:platform-version": VERSION}

FRAUD: dict[str, Any] = {"name": "fraud", "description": "Fraud scoring models"}
CHURN: dict[str, Any] = {"name": "churn", "repositories": ["serving"]}


def program(
    *, families: tuple[dict[str, Any], ...] = (FRAUD, CHURN), topic: bool = True,
    after: Optional[Callable[[ModelRegistry], Any]] = None, domains: tuple[str, ...] = ("data", "models", "logs"),
    token: Optional[str] = None, **args: Any,
) -> Callable[[], None]:
    def run() -> None:
        keys = Encryption("enc", EncryptionArgs(domains=domains))
        extra: dict[str, Any] = {"approval_topic": aws.sns.Topic("alerts")} if topic else {}
        if token is not None:  # an Output belongs to the program's event loop: made inside the run
            extra["deployment_token"] = pulumi.Output.secret(token)
        registry = ModelRegistry("registry", ModelRegistryArgs(encryption=keys, families=families, **extra, **args))
        if after is not None:
            after(registry)

    return run


DEPLOYING: dict[str, Any] = {"deployment": DEPLOYMENT, "environment": "staging", "token": TOKEN,
                             "domains": ("data", "models", "logs", "alerts")}


@functools.cache
def full_plan() -> Plan:
    return run_callable(program(consumer_accounts=(STAGING, PROD), **DEPLOYING))


def doc(resource: PlannedResource, key: str = "policy") -> Any:
    return json.loads(resource.inputs[key])


def models_key(plan: Plan) -> str:
    return plan.named("enc-models-key", "aws:kms/key:Key").outputs["arn"]


# --- the resource tree -----------------------------------------------------------------------

_C = "urn:pulumi:test::project::mlplat:model_registry:ModelRegistry"
GOLDEN_TREE = [
    (f"{_C}$aws:cloudwatch/eventApiDestination:EventApiDestination::registry-churn-deploy-destination", DESTINATION),
    (f"{_C}$aws:cloudwatch/eventApiDestination:EventApiDestination::registry-fraud-deploy-destination", DESTINATION),
    (f"{_C}$aws:cloudwatch/eventConnection:EventConnection::registry-churn-deploy-connection", CONNECTION),
    (f"{_C}$aws:cloudwatch/eventConnection:EventConnection::registry-fraud-deploy-connection", CONNECTION),
    (f"{_C}$aws:cloudwatch/eventRule:EventRule::registry-churn-approved", RULE),
    (f"{_C}$aws:cloudwatch/eventRule:EventRule::registry-fraud-approved", RULE),
    (f"{_C}$aws:cloudwatch/eventTarget:EventTarget::registry-churn-approved-deploy", TARGET),
    (f"{_C}$aws:cloudwatch/eventTarget:EventTarget::registry-churn-approved-notify", TARGET),
    (f"{_C}$aws:cloudwatch/eventTarget:EventTarget::registry-fraud-approved-deploy", TARGET),
    (f"{_C}$aws:cloudwatch/eventTarget:EventTarget::registry-fraud-approved-notify", TARGET),
    (f"{_C}$aws:cloudwatch/metricAlarm:MetricAlarm::registry-churn-deploy-dlq-alarm", ALARM),
    (f"{_C}$aws:cloudwatch/metricAlarm:MetricAlarm::registry-fraud-deploy-dlq-alarm", ALARM),
    (f"{_C}$aws:ecr/lifecyclePolicy:LifecyclePolicy::registry-churn-serving-lifecycle", LIFECYCLE),
    (f"{_C}$aws:ecr/lifecyclePolicy:LifecyclePolicy::registry-fraud-serving-lifecycle", LIFECYCLE),
    (f"{_C}$aws:ecr/lifecyclePolicy:LifecyclePolicy::registry-fraud-training-lifecycle", LIFECYCLE),
    (f"{_C}$aws:ecr/repository:Repository::registry-churn-serving", REPOSITORY),
    (f"{_C}$aws:ecr/repository:Repository::registry-fraud-serving", REPOSITORY),
    (f"{_C}$aws:ecr/repository:Repository::registry-fraud-training", REPOSITORY),
    (f"{_C}$aws:ecr/repositoryPolicy:RepositoryPolicy::registry-churn-serving-policy", REPOSITORY_POLICY),
    (f"{_C}$aws:ecr/repositoryPolicy:RepositoryPolicy::registry-fraud-serving-policy", REPOSITORY_POLICY),
    (f"{_C}$aws:ecr/repositoryPolicy:RepositoryPolicy::registry-fraud-training-policy", REPOSITORY_POLICY),
    (f"{_C}$aws:iam/role:Role::registry-churn-deploy-role", ROLE),
    (f"{_C}$aws:iam/role:Role::registry-fraud-deploy-role", ROLE),
    (f"{_C}$aws:iam/rolePolicy:RolePolicy::registry-churn-deploy-role-policy", ROLE_POLICY),
    (f"{_C}$aws:iam/rolePolicy:RolePolicy::registry-fraud-deploy-role-policy", ROLE_POLICY),
    (f"{_C}$aws:sagemaker/modelPackageGroup:ModelPackageGroup::registry-churn-group", GROUP),
    (f"{_C}$aws:sagemaker/modelPackageGroup:ModelPackageGroup::registry-fraud-group", GROUP),
    (f"{_C}$aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy::registry-churn-group-policy", GROUP_POLICY),
    (f"{_C}$aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy::registry-fraud-group-policy", GROUP_POLICY),
    (f"{_C}$aws:sqs/queue:Queue::registry-churn-deploy-dlq", QUEUE),
    (f"{_C}$aws:sqs/queue:Queue::registry-fraud-deploy-dlq", QUEUE),
    (f"{_C}$aws:sqs/queuePolicy:QueuePolicy::registry-churn-deploy-dlq-policy", QUEUE_POLICY),
    (f"{_C}$aws:sqs/queuePolicy:QueuePolicy::registry-fraud-deploy-dlq-policy", QUEUE_POLICY),
    (f"{_C}::registry", REGISTRY),
]


def tree(plan: Plan) -> list[tuple[str, str]]:
    registry = plan.named("registry", REGISTRY)
    return plan.tree(registry.urn)


def test_resource_tree_matches_golden() -> None:
    plan = full_plan()
    assert tree(plan) == GOLDEN_TREE
    registry = plan.named("registry", REGISTRY)
    assert all(r.parent == registry.urn for r in plan.descendants(registry.urn))


def test_minimal_registry_declares_groups_repositories_and_lifecycles_only() -> None:
    plan = run_callable(program(families=({"name": "fraud"},), topic=False))
    assert [urn.rsplit("::", 1)[1] for urn, _ in tree(plan)] == [
        "registry-fraud-serving-lifecycle", "registry-fraud-training-lifecycle",
        "registry-fraud-serving", "registry-fraud-training", "registry-fraud-group", "registry",
    ]


# --- groups and their policy -----------------------------------------------------------------


def test_model_package_group_exact_inputs_protected_and_tagged() -> None:
    plan = full_plan()
    group = plan.named("registry-fraud-group", GROUP)
    assert group.inputs == {
        "modelPackageGroupName": "registry-fraud",
        "modelPackageGroupDescription": "Fraud scoring models",
        "tags": LINEAGE,
    }, group.urn
    assert group.protect is True
    assert group.outputs["arn"] == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/registry-fraud"


def test_group_policy_allows_only_the_named_accounts_to_read() -> None:
    plan = full_plan()
    policy = plan.named("registry-fraud-group-policy", GROUP_POLICY)
    principals = {"AWS": [f"arn:aws:iam::{STAGING}:root", f"arn:aws:iam::{PROD}:root"]}
    assert policy.inputs["modelPackageGroupName"] == "registry-fraud"
    assert doc(policy, "resourcePolicy") == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ConsumerAccountsDescribeGroup", "Effect": "Allow", "Principal": principals,
             "Action": "sagemaker:DescribeModelPackageGroup",
             "Resource": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/registry-fraud"},
            {"Sid": "ConsumerAccountsReadPackages", "Effect": "Allow", "Principal": principals,
             "Action": ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"],
             "Resource": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/registry-fraud/*"},
        ],
    }
    assert plan.named("registry-fraud-group", GROUP).urn in policy.property_dependencies["modelPackageGroupName"]


@pytest.mark.parametrize(("environment", "approval"), [
    ("prod", {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}),
    ("dev", {}),  # dev pipelines register Approved: no approval condition
])
def test_registering_accounts_pipeline_roles_may_create_packages_of_their_family_only(environment, approval) -> None:
    plan = run_callable(program(consumer_accounts=(STAGING, PROD), registering_accounts=(PROD,),
                                environment=environment))
    for family in ("fraud", "churn"):
        statements = doc(plan.named(f"registry-{family}-group-policy", GROUP_POLICY), "resourcePolicy")["Statement"]
        assert [s["Sid"] for s in statements] == [
            "ConsumerAccountsDescribeGroup", "ConsumerAccountsReadPackages", "PipelineAccountsRegisterPackages"]
        assert statements[2] == {
            "Sid": "PipelineAccountsRegisterPackages", "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{PROD}:root"]},  # the registering account alone, not staging
            "Action": "sagemaker:CreateModelPackage",
            "Resource": [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/registry-{family}",
                         f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/registry-{family}/*"],
            # The family's pipeline role (its lineage tag), never another family's.
            "Condition": {"StringEquals": {"aws:PrincipalTag/mlplat:model-family": family, **approval}},
        }
        assert iam_reference.problems({"Statement": statements}) == []


def test_a_registering_account_must_also_read_the_group_and_pull_the_images() -> None:
    assert config_error(consumer_accounts=(STAGING,), registering_accounts=(PROD, "12345")) == expect(
        f"ModelRegistryArgs.registering_accounts: '{PROD}' is not in consumer_accounts: a pipeline that registers a "
        "package also reads the group and pulls the family's images",
        "ModelRegistryArgs.registering_accounts: '12345' is not an AWS account id (12 digits; '*' and ARNs are "
        "refused)",
    )


# --- ECR -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["serving", "training"])
def test_repository_is_immutable_scanned_kms_encrypted_and_protected(kind: str) -> None:
    plan = full_plan()
    repository = plan.named(f"registry-fraud-{kind}", REPOSITORY)
    assert repository.inputs == {
        "name": f"registry-fraud-{kind}",
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": models_key(plan)}],
        "forceDelete": False,
        "tags": LINEAGE,
    }, repository.urn
    assert repository.protect is True
    assert repository.outputs["repositoryUrl"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/registry-fraud-{kind}"


def test_lifecycle_policy_expires_untagged_and_keeps_the_last_images() -> None:
    plan = run_callable(program(families=({"name": "fraud", "repositories": ["serving"]},), topic=False,
                                keep_images=50, untagged_image_expiration_days=3))
    lifecycle = plan.named("registry-fraud-serving-lifecycle", LIFECYCLE)
    assert lifecycle.inputs["repository"] == "registry-fraud-serving"
    assert doc(lifecycle) == {
        "rules": [
            {"rulePriority": 1, "description": "Expire untagged images 3 days after push",
             "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 3},
             "action": {"type": "expire"}},
            {"rulePriority": 2, "description": "Keep the last 50 images",
             "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 50},
             "action": {"type": "expire"}},
        ]
    }


def test_repository_policy_lets_consumer_accounts_pull_only() -> None:
    policy = full_plan().named("registry-fraud-serving-policy", REPOSITORY_POLICY)
    assert policy.inputs["repository"] == "registry-fraud-serving"
    assert doc(policy) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ConsumerAccountsPull", "Effect": "Allow",
             "Principal": {"AWS": [f"arn:aws:iam::{STAGING}:root", f"arn:aws:iam::{PROD}:root"]},
             "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]}
        ],
    }


# --- approval events -------------------------------------------------------------------------


def test_approval_rule_matches_approved_packages_of_the_group() -> None:
    rule = full_plan().named("registry-fraud-approved", RULE)
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": ["registry-fraud"], "ModelApprovalStatus": ["Approved"]},
    }
    assert rule.inputs["description"] == "Model packages of registry-fraud approved"
    assert rule.tags == LINEAGE


def test_approval_notifies_the_topic() -> None:
    plan = full_plan()
    target = plan.named("registry-fraud-approved-notify", TARGET)
    assert target.inputs == {
        "rule": plan.named("registry-fraud-approved", RULE).outputs["name"],
        "targetId": "notify-approval",
        "arn": plan.named("alerts", "aws:sns/topic:Topic").outputs["arn"],
    }


# An approval event as EventBridge delivers it (the detail is the DescribeModelPackage response).
APPROVAL_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "3b4c1f0e-6a2d-4e8f-9c7b-5d1e2f3a4b5c",
    "detail-type": "SageMaker Model Package State Change",
    "source": "aws.sagemaker",
    "account": ACCOUNT,
    "time": "2026-12-03T01:00:00Z",
    "region": REGION,
    "resources": [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/registry-fraud/7"],
    "detail": {
        "ModelPackageGroupName": "registry-fraud",
        "ModelPackageVersion": 7,
        "ModelPackageArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/registry-fraud/7",
        "CreationTime": 1764723600000,
        "ModelPackageStatus": "Completed",
        "ModelApprovalStatus": "Approved",
    },
}


def _json_path(event: Any, path: str) -> Any:
    """EventBridge's dot-notation JSON path (`$.detail.ModelPackageArn`); KeyError when it is absent."""
    assert path.startswith("$."), path
    for part in path[2:].split("."):
        event = event[part]
    return event


def transform(transformer: dict[str, Any], event: dict[str, Any]) -> str:
    """What EventBridge sends: the template with each <name> replaced by its path's value
    (a string inside the template's quotes, a number bare)."""
    text = transformer["inputTemplate"]
    for name, path in transformer["inputPaths"].items():
        value = _json_path(event, path)
        quoted = json.dumps(value)
        text = text.replace(f'"<{name}>"', quoted) if isinstance(value, str) else text.replace(f"<{name}>", quoted)
    assert not re.search(r"<[a-z_]+>", text), text  # every placeholder has a path
    return text


def test_approval_sends_a_github_repository_dispatch_with_the_body_github_expects() -> None:
    plan = full_plan()
    target = plan.named("registry-fraud-approved-deploy", TARGET)
    transformer = target.inputs["inputTransformer"]
    for path in transformer["inputPaths"].values():
        _json_path(APPROVAL_EVENT, path)  # every path exists in the event
    body = json.loads(transform(transformer, APPROVAL_EVENT))
    assert body == {
        "event_type": "mlplat-model-approved",
        "client_payload": {
            "family": "fraud",
            "environment": "staging",
            "model_package_arn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/registry-fraud/7",
            "model_package_group": "registry-fraud",
            "model_package_version": 7,
            "approved_at": "2026-12-03T01:00:00Z",
            "event_id": "3b4c1f0e-6a2d-4e8f-9c7b-5d1e2f3a4b5c",
            "account": ACCOUNT,
            "region": REGION,
        },
    }
    assert len(body["client_payload"]) <= 10  # GitHub's limit on client_payload's top-level keys
    # Each family's target names its own family.
    churn = plan.named("registry-churn-approved-deploy", TARGET)
    assert json.loads(transform(churn.inputs["inputTransformer"], APPROVAL_EVENT))["client_payload"]["family"] == "churn"


def test_the_dispatch_goes_through_an_api_destination_whose_connection_holds_the_token_as_a_secret() -> None:
    plan = full_plan()
    connection = plan.named("registry-fraud-deploy-connection", CONNECTION)
    destination = plan.named("registry-fraud-deploy-destination", DESTINATION)
    assert connection.inputs["name"] == destination.inputs["name"] == "registry-fraud-deploy"
    assert connection.inputs["authorizationType"] == "API_KEY"
    assert connection.inputs["authParameters"] == {
        "apiKey": {"key": "Authorization", "value": f"Bearer {TOKEN}"},
        "invocationHttpParameters": {"headers": [
            {"key": "Accept", "value": "application/vnd.github+json", "isValueSecret": False},
            {"key": "X-GitHub-Api-Version", "value": "2022-11-28", "isValueSecret": False},
        ]},
    }
    assert connection.secret_paths == ["authParameters"]  # the engine keeps it encrypted in the state
    assert f"Bearer {TOKEN}" not in json.dumps(plan.to_preview_json())
    assert {k: destination.inputs[k] for k in ("connectionArn", "invocationEndpoint", "httpMethod",
                                               "invocationRateLimitPerSecond")} == {
        "connectionArn": connection.outputs["arn"],
        "invocationEndpoint": "https://api.github.com/repos/acme/ml-stacks/dispatches",
        "httpMethod": "POST",
        "invocationRateLimitPerSecond": 1,
    }


def test_the_target_invokes_the_destination_through_a_role_that_may_only_invoke_it() -> None:
    plan = full_plan()
    rule = plan.named("registry-fraud-approved", RULE)
    role = plan.named("registry-fraud-deploy-role", ROLE)
    policy = plan.named("registry-fraud-deploy-role-policy", ROLE_POLICY)
    target = plan.named("registry-fraud-approved-deploy", TARGET)
    destination = plan.named("registry-fraud-deploy-destination", DESTINATION)
    queue = plan.named("registry-fraud-deploy-dlq", QUEUE)
    assert doc(role, "assumeRolePolicy") == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AllowServiceAssumeRole", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
             "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": rule.outputs["arn"]}}}
        ],
    }
    assert role.tags == LINEAGE
    assert policy.inputs["role"] == role.outputs["name"]
    assert doc(policy) == {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "InvokeDeploymentApiDestination", "Effect": "Allow", "Action": "events:InvokeApiDestination",
                       "Resource": destination.outputs["arn"]}],
    }
    assert {k: v for k, v in target.inputs.items() if k != "inputTransformer"} == {
        "rule": rule.outputs["name"],
        "targetId": "start-deployment",
        "arn": destination.outputs["arn"],
        "roleArn": role.outputs["arn"],
        "retryPolicy": {"maximumEventAgeInSeconds": 3600, "maximumRetryAttempts": 20},
        "deadLetterConfig": {"arn": queue.outputs["arn"]},
    }
    assert policy.urn in target.dependencies


def test_failed_dispatches_dead_letter_to_an_encrypted_queue_only_this_rule_may_send_to() -> None:
    plan = full_plan()
    rule = plan.named("registry-fraud-approved", RULE)
    queue = plan.named("registry-fraud-deploy-dlq", QUEUE)
    queue_policy = plan.named("registry-fraud-deploy-dlq-policy", QUEUE_POLICY)
    alarm = plan.named("registry-fraud-deploy-dlq-alarm", ALARM)
    alerts_key = plan.named("enc-alerts-key", "aws:kms/key:Key").outputs["arn"]
    assert queue.inputs == {
        "name": "registry-fraud-deploy-dlq",
        "kmsMasterKeyId": alerts_key,  # a customer-managed key that admits events.amazonaws.com
        "kmsDataKeyReusePeriodSeconds": 300,
        "messageRetentionSeconds": 1_209_600,
        "tags": LINEAGE,
    }
    assert queue_policy.inputs["queueUrl"] == queue.outputs["url"]
    assert doc(queue_policy) == {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "ApprovalRuleDeadLetters", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                       "Action": "sqs:SendMessage", "Resource": queue.outputs["arn"],
                       "Condition": {"ArnEquals": {"aws:SourceArn": rule.outputs["arn"]}}}],
    }
    assert queue_policy.urn in plan.named("registry-fraud-approved-deploy", TARGET).dependencies
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"], alarm.inputs["dimensions"]) == (
        "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": "registry-fraud-deploy-dlq"})
    assert (alarm.inputs["comparisonOperator"], alarm.inputs["threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm.inputs["alarmActions"] == [plan.named("alerts", "aws:sns/topic:Topic").outputs["arn"]]


def test_without_a_topic_the_rule_still_deploys() -> None:
    plan = run_callable(program(families=({"name": "fraud"},), topic=False, **DEPLOYING))
    # Without an approval topic there is no alarm to send to; the rule still deploys.
    names = {r.name for r in plan.custom_resources}
    assert "registry-fraud-deploy-dlq-alarm" not in names and "registry-fraud-approved-notify" not in names
    assert "registry-fraud-approved-deploy" in names


def test_deployment_none_declares_no_dispatch() -> None:
    plan = run_callable(program(deployment="none"))
    assert not [r for r in plan.custom_resources if "deploy" in r.name]
    assert plan.named("registry-fraud-approved-notify", TARGET)


def test_outputs_and_handles() -> None:
    seen: dict[str, Any] = {}

    def after(registry: ModelRegistry) -> None:
        seen["serving"] = registry.family("fraud").repository("serving")
        seen["rule"] = registry.family("churn").approval_rule
        with pytest.raises(WiringError) as info:
            registry.family("churn").repository("training")
        assert str(info.value) == (
            "ModelRegistry 'registry'.family('churn').repository: kind 'training' is not a repository kind of this "
            "family (allowed: serving)"
        )
        with pytest.raises(WiringError) as info:
            registry.family("ads")
        assert str(info.value) == (
            "ModelRegistry 'registry'.family: family 'ads' is not a model family of this registry (allowed: fraud, churn)"
        )

    plan = run_callable(program(after=after))
    assert seen["serving"]._name == "registry-fraud-serving"
    assert seen["rule"]._name == "registry-churn-approved"
    assert plan.named("registry", REGISTRY).outputs == {
        "model_package_group_arns": {
            "fraud": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/registry-fraud",
            "churn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/registry-churn",
        },
        "model_package_group_names": {"fraud": "registry-fraud", "churn": "registry-churn"},
        "repository_urls": {
            "fraud": {k: f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/registry-fraud-{k}" for k in ("serving", "training")},
            "churn": {"serving": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/registry-churn-serving"},
        },
    }


# --- grants ----------------------------------------------------------------------------------


def grants(grant: Callable[[ModelRegistry, aws.iam.Role], Any], **args: Any) -> Callable[[], None]:
    def after(registry: ModelRegistry) -> None:
        grant(registry, aws.iam.Role("consumer", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []})))

    return program(after=after, **args)


def test_grant_pull_exact_on_every_repository_of_the_family() -> None:
    plan = run_callable(grants(lambda registry, role: registry.grant_pull(role, family="fraud")))
    grant = plan.named("registry-fraud-pull-consumer", ROLE_POLICY)
    assert grant.parent == plan.named("registry", REGISTRY).urn
    assert grant.inputs["role"] == plan.named("consumer", ROLE).outputs["name"]
    repositories = [plan.named(f"registry-fraud-{kind}", REPOSITORY).outputs["arn"] for kind in ("serving", "training")]
    assert repositories == [f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/registry-fraud-{kind}" for kind in ("serving", "training")]
    assert doc(grant) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "PullImages", "Effect": "Allow",
             "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
             "Resource": repositories},
            {"Sid": "GetEcrAuthorizationToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        ],
    }, grant.urn
    assert iam_reference.problems(doc(grant)) == []


def test_grant_pull_of_chosen_kinds_through_the_family_handle() -> None:
    plan = run_callable(grants(lambda registry, role: registry.family("fraud").grant_pull(role, kinds=["serving"])))
    statement = doc(plan.named("registry-fraud-pull-consumer", ROLE_POLICY))["Statement"][0]
    assert statement["Resource"] == [plan.named("registry-fraud-serving", REPOSITORY).outputs["arn"]]


def test_grant_read_packages_exact() -> None:
    plan = run_callable(grants(lambda registry, role: registry.family("churn").grant_read_packages(role)))
    grant = plan.named("registry-churn-read-packages-consumer", ROLE_POLICY)
    assert grant.parent == plan.named("registry", REGISTRY).urn
    assert grant.inputs["role"] == plan.named("consumer", ROLE).outputs["name"]
    assert doc(grant) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DescribeModelPackageGroup", "Effect": "Allow", "Action": "sagemaker:DescribeModelPackageGroup",
             "Resource": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/registry-churn"},
            {"Sid": "ReadModelPackages", "Effect": "Allow",
             "Action": ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"],
             "Resource": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/registry-churn/*"},
        ],
    }, grant.urn
    assert iam_reference.problems(doc(grant)) == []


def test_grants_need_no_consumer_accounts_and_add_only_their_policies() -> None:
    def both(registry: ModelRegistry, role: aws.iam.Role) -> None:
        registry.grant_pull(role, family="churn")
        registry.grant_read_packages(role, family="churn")

    plan = run_callable(grants(both))
    base = run_callable(program())
    added = sorted(set(r.urn for r in plan.resources) - set(r.urn for r in base.resources))
    assert added == sorted([
        "urn:pulumi:test::project::aws:iam/role:Role::consumer",
        f"{_C}$aws:iam/rolePolicy:RolePolicy::registry-churn-pull-consumer",
        f"{_C}$aws:iam/rolePolicy:RolePolicy::registry-churn-read-packages-consumer",
    ])


@pytest.mark.parametrize(
    ("grant", "error", "message"),
    [
        (lambda r, role: r.grant_pull(role, family="ads"), WiringError,
         "ModelRegistry 'registry'.grant_pull: family 'ads' is not a model family of this registry (allowed: fraud, churn)"),
        (lambda r, role: r.grant_read_packages(role, family="ads"), WiringError,
         "ModelRegistry 'registry'.grant_read_packages: family 'ads' is not a model family of this registry "
         "(allowed: fraud, churn)"),
        (lambda r, role: r.grant_pull(role, family="churn", kinds=["training"]), WiringError,
         "ModelRegistry 'registry'.grant_pull: kinds 'training' is not a repository kind of family 'churn' "
         "(allowed: serving)"),
        (lambda r, role: r.grant_pull(role, family="fraud", kinds="serving"), ConfigError,
         "invalid configuration (1 problem):\n  grant_pull.kinds: 'serving' is not a non-empty list of repository "
         "kinds (omit it for every kind of the family: serving, training)"),
        (lambda r, role: r.grant_pull(role, family="fraud", kinds=[]), ConfigError,
         "invalid configuration (1 problem):\n  grant_pull.kinds: [] is not a non-empty list of repository kinds "
         "(omit it for every kind of the family: serving, training)"),
        (lambda r, role: r.grant_pull("arn:aws:iam::123456789012:role/x", family="fraud"), WiringError,
         "ModelRegistry 'registry'.grant_pull needs an aws.iam.Role resource (so the grant can attach a policy to "
         "it), got str: 'arn:aws:iam::123456789012:role/x'"),
        (lambda r, role: (r.grant_read_packages(role, family="fraud"), r.grant_read_packages(role, family="fraud")),
         WiringError,
         "ModelRegistry 'registry' already has a read-packages grant on family 'fraud' for role 'consumer' "
         "(registry-fraud-read-packages-consumer); grant once"),
    ],
)
def test_wrong_grants_name_the_argument_the_value_and_what_is_allowed(grant: Any, error: type, message: str) -> None:
    with pytest.raises(error) as info:
        run_callable(grants(grant))
    assert str(info.value) == message


def test_explicit_prefix_force_delete_and_unprotected() -> None:
    plan = run_callable(program(families=({"name": "fraud"},), topic=False, name_prefix="mlplat-dev-",
                                force_delete_repositories=True, protect=False))
    assert plan.named("registry-fraud-group", GROUP).inputs["modelPackageGroupName"] == "mlplat-dev-fraud"
    repository = plan.named("registry-fraud-serving", REPOSITORY)
    assert (repository.inputs["name"], repository.inputs["forceDelete"], repository.protect) == (
        "mlplat-dev-fraud-serving", True, False,
    )


def test_plan_passes_the_api_contracts_and_preview_runs() -> None:
    assert check_plan(full_plan()) == []
    preview = run_callable(program(consumer_accounts=(STAGING, PROD), **DEPLOYING), preview=True)
    assert tree(preview) == GOLDEN_TREE
    assert is_unknown(preview.named("registry-fraud-approved-deploy", TARGET).inputs["roleArn"])
    assert check_plan(preview) == []


# --- lineage ---------------------------------------------------------------------------------


def test_resources_of_family_follow_tags_and_untaggable_dependents() -> None:
    plan = full_plan()
    assert families(plan) == ["churn", "fraud"]
    assert sorted(r.name for r in resources_of_family(plan, "fraud")) == [
        "registry-fraud-approved", "registry-fraud-approved-deploy", "registry-fraud-approved-notify",
        "registry-fraud-deploy-connection", "registry-fraud-deploy-destination", "registry-fraud-deploy-dlq",
        "registry-fraud-deploy-dlq-alarm", "registry-fraud-deploy-dlq-policy",
        "registry-fraud-deploy-role", "registry-fraud-deploy-role-policy", "registry-fraud-group",
        "registry-fraud-group-policy", "registry-fraud-serving", "registry-fraud-serving-lifecycle",
        "registry-fraud-serving-policy", "registry-fraud-training", "registry-fraud-training-lifecycle",
        "registry-fraud-training-policy",
    ]
    # The shared topic is taggable and untagged: it serves no single family.
    assert "alerts" not in {r.name for r in resources_of_family(plan, "churn")}
    assert resources_of_family(plan, "ads") == []


# --- Args ------------------------------------------------------------------------------------


def config_error(**kwargs: Any) -> str:
    with pytest.raises(ConfigError) as info:
        run_callable(program(**kwargs))
    return str(info.value)


def expect(*lines: str) -> str:
    noun = "problem" if len(lines) == 1 else "problems"
    return "\n".join([f"invalid configuration ({len(lines)} {noun}):", *("  " + line for line in lines)])


def test_consumer_accounts_never_star_and_numbers_in_range() -> None:
    assert config_error(consumer_accounts=("*", STAGING, STAGING), keep_images=0, untagged_image_expiration_days=0) == expect(
        "ModelRegistryArgs.consumer_accounts: '*' is not an AWS account id (12 digits; '*' and ARNs are refused)",
        f"ModelRegistryArgs.consumer_accounts: ('*', '{STAGING}', '{STAGING}') lists an account twice",
        "ModelRegistryArgs.keep_images: 0 must be at least 1",
        "ModelRegistryArgs.untagged_image_expiration_days: 0 must be at least 1 day",
    )


def test_family_rules_are_reported_with_their_paths() -> None:
    bad = (
        {"name": "Fraud_1", "repositories": ["serving", "serving", "group", "Bad"]},
        {"name": "churn"},
        {"name": "churn"},
    )
    assert config_error(families=bad) == expect(
        "ModelRegistryArgs.families.0.name: 'Fraud_1' is not a usable model family name (lowercase letters, digits and "
        "'-', starting with a letter, not ending with '-', at most 32 characters)",
        "ModelRegistryArgs.families.0.repositories: 'group' is reserved for the family's other children "
        "(group, group-policy, approved, approved-notify, approved-deploy, deploy-role, deploy-connection, "
        "deploy-destination, deploy-dlq, deploy-dlq-alarm)",
        "ModelRegistryArgs.families.0.repositories: 'Bad' is not a repository kind (lowercase letters, digits and '-', "
        "at most 32 characters)",
        "ModelRegistryArgs.families.0.repositories: ('serving', 'serving', 'group', 'Bad') lists a kind twice",
        "ModelRegistryArgs.families.2.name: 'churn' is declared twice",
    )


def test_the_removed_deployment_pipeline_keys_say_what_replaces_them() -> None:
    message = config_error(families=(
        {"name": "fraud", "deployment_pipeline_arn": "arn:aws:sagemaker:us-east-1:123456789012:pipeline/x",
         "deployment_pipeline_parameters": {"TargetStage": "staging"}},
    ))
    lines = message.splitlines()[1:]
    assert [line.split(":")[0].strip() for line in lines] == [
        "ModelRegistryArgs.families.0.deployment_pipeline_arn", "ModelRegistryArgs.families.0.deployment_pipeline_parameters",
    ]
    assert "was removed in 0.2.0" in lines[0] and "model_registry.deployment: {github: {repository" in lines[0]
    assert "`model_registry.deployment: none`" in lines[0]


def test_bad_deployment_settings_name_the_field() -> None:
    github = {"repository": "-acme/ml stacks", "event_type": "e" * 101, "api_url": "http://github.example.com"}
    assert config_error(deployment={"github": github}, environment="staging", token=TOKEN,
                        domains=("data", "models", "logs", "alerts")) == expect(
        "ModelRegistryArgs.deployment.github.repository: '-acme/ml stacks' is not a GitHub repository `<owner>/<name>` "
        "(owner: 1-39 letters, digits or single inner hyphens; name: 1-100 letters, digits, '.', '-', '_')",
        f"ModelRegistryArgs.deployment.github.event_type: '{'e' * 101}' must be 1 to 100 characters (GitHub's limit)",
        "ModelRegistryArgs.deployment.github.api_url: 'http://github.example.com' is not an https URL (https://<host>[/path])",
    )
    for repository in ("acme", "acme/", "/x", "a" * 40 + "/x", "acme--corp/x", "acme/..", "acme/x/y"):
        assert "deployment.github.repository" in config_error(
            deployment={"github": {"repository": repository}}, environment="staging", token=TOKEN,
            domains=("data", "models", "logs", "alerts"))
    assert config_error(deployment="github") == expect(
        "ModelRegistryArgs.deployment: 'github' is invalid: neither `none` nor a mapping {github: {repository, event_type}}"
    )
    assert config_error(deployment={"gitlab": {}}) == expect(
        "ModelRegistryArgs.deployment.github: is required",
        "ModelRegistryArgs.deployment.gitlab: is not a known key (allowed: github)",
    )


def test_a_github_deployment_needs_its_environment_token_and_key() -> None:
    assert config_error(deployment=DEPLOYMENT) == expect(
        "ModelRegistryArgs.environment: is required with deployment.github (the client_payload names it)",
        "ModelRegistryArgs.deployment_token: is required with deployment.github (a secret Output: "
        "pulumi.Config(...).require_secret(...))",
        "ModelRegistryArgs.dead_letter_key: is required with deployment.github when the Encryption has no 'alerts' key "
        "(Encryption 'enc' has: data, models, logs)",
    )
    # A plain string would sit in the state in clear: refused, and never echoed.
    message = config_error(deployment=DEPLOYMENT, environment="staging", deployment_token=TOKEN,
                           domains=("data", "models", "logs", "alerts"))
    assert message == expect(
        "ModelRegistryArgs.deployment_token: must be a secret Output (pulumi.Config(...).require_secret(...) or "
        "pulumi.Output.secret(...)), not a str"
    )
    assert TOKEN not in message


def test_long_names_leave_room_for_the_connection_name() -> None:
    assert config_error(families=({"name": "a" * 32},), name_prefix="p" * 26 + "-", deployment=DEPLOYMENT,
                        environment="dev", token=TOKEN, domains=("data", "models", "logs", "alerts")) == expect(
        f"ModelRegistryArgs.families.0.name: '{'a' * 32}' makes the deployment's connection name "
        f"'{'p' * 26}-{'a' * 32}-deploy' longer than 64 characters (EventBridge's limit)"
    )


def test_contract_errors_never_show_the_token() -> None:
    # EventBridge refuses ':' in an API key value: the check reports it without the value.
    bad_token = "ghp_with:colon_SECRET"
    plan = run_callable(program(families=({"name": "fraud"},), **{**DEPLOYING, "token": bad_token}))
    errors = check_plan(plan)
    assert [(e.operation, e.path) for e in errors] == [
        ("events:CreateConnection", "AuthParameters.ApiKeyAuthParameters.ApiKeyValue")
    ]
    assert "[secret]" in errors[0].message
    assert bad_token not in errors[0].render()


def test_missing_models_key_names_and_long_names() -> None:
    assert config_error(domains=("data", "logs")) == expect(
        "ModelRegistryArgs.encryption: has no 'models' key, which the ECR repositories need (Encryption 'enc' has: "
        "data, logs); add 'models' to EncryptionArgs.domains"
    )
    assert config_error(families=({"name": "a" * 32},), name_prefix="p" * 31 + "-") == expect(
        f"ModelRegistryArgs.families.0.name: '{'a' * 32}' makes the model package group name '{'p' * 31}-{'a' * 32}' "
        "longer than 63 characters"
    )
    assert config_error(families=()) == expect("ModelRegistryArgs.families: () must list at least one model family")


def test_a_directly_built_family_reports_its_own_paths() -> None:
    with pytest.raises(ConfigError) as info:
        ModelFamilyArgs(name="fraud", deployment_pipeline_arn="arn:aws:sagemaker:us-east-1:123456789012:pipeline/x")
    assert info.value.paths == ("ModelFamilyArgs.deployment_pipeline_arn",)
    with pytest.raises(ConfigError) as info:
        ModelFamilyArgs(name="fraud", repositories="serving", colour="red")
    assert info.value.paths == ("ModelFamilyArgs.repositories", "ModelFamilyArgs.colour")


# --- lineage tag helpers ---------------------------------------------------------------------

from mlplat.components._lineage import (  # noqa: E402
    DEPLOYMENT_SCOPED_TYPES,
    deployment_tags,
    family_tags,
    feature_group_tags,
    lineage_tags,
    platform_version,
)


def test_lineage_tags_name_the_family_group_and_platform_version() -> None:
    assert platform_version() == VERSION
    assert family_tags("fraud") == LINEAGE
    assert feature_group_tags("customers") == {"mlplat:feature-group": "customers", "mlplat:platform-version": VERSION}
    assert lineage_tags(family="fraud", feature_group="customers") == {**LINEAGE, "mlplat:feature-group": "customers"}
    with pytest.raises(WiringError, match="lineage_tags needs a family or a feature_group"):
        lineage_tags()


def test_source_revision_only_on_deployment_scoped_resources() -> None:
    # The contract (a revision tag only where a deploy replaces the resource anyway), not the constant.
    for resource_type in ("aws:sagemaker/model:Model", "aws:sagemaker/endpointConfiguration:EndpointConfiguration"):
        assert deployment_tags("fraud", "4f2c9e1", resource_type=resource_type) == {
            **LINEAGE, "mlplat:source-revision": "4f2c9e1",
        }
    with pytest.raises(WiringError) as info:
        deployment_tags("fraud", "4f2c9e1", resource_type=GROUP)
    assert str(info.value) == (
        "mlplat:source-revision goes only on deployment-scoped resources (aws:sagemaker/model:Model, "
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration), not on "
        "aws:sagemaker/modelPackageGroup:ModelPackageGroup; use family_tags() instead"
    )


def test_lineage_names_and_revisions_are_checked() -> None:
    with pytest.raises(ConfigError) as info:
        family_tags("Fraud Models")
    assert str(info.value) == (
        "invalid configuration (1 problem):\n"
        "  family_tags.family: 'Fraud Models' is not a usable model family name (lowercase letters, digits and '-', "
        "starting with a letter, not ending with '-', at most 32 characters)"
    )
    with pytest.raises(ConfigError) as info:
        feature_group_tags("")
    assert info.value.paths == ("feature_group_tags.group",)
    with pytest.raises(ConfigError) as info:
        deployment_tags("fraud", "a b", resource_type=DEPLOYMENT_SCOPED_TYPES[0])
    assert str(info.value) == (
        "invalid configuration (1 problem):\n"
        "  deployment_tags.source_revision: 'a b' is not a source revision (a commit id or tag: letters, digits and "
        "._/+=@-, starting with a letter or digit, at most 128 characters)"
    )
