"""The account map: each stack targets its account, the registry's cross-account grants name exactly the map's
consumers, a grant to an account outside the map is a ConfigError naming it, and the plan shows every resource's
account.

The reference project is copied with the map in its Pulumi.yaml (project-level config, one source for every stack)
and the stack files' aws:allowedAccountIds / aws:assumeRoles, as the README's "Accounts" section sets them up.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest
import yaml

from mlplat.core.errors import ConfigError
from mlplat.platform.accounts import AccountMap, parse_account_map, registry_readers
from mlplat.tooling.cli import EXIT_CONFIG_ERROR, main
from mlplat.tooling.offline import run_callable, run_stack
from mlplat.tooling.policy_runner import evaluate
from mlplat.tooling.resource_accounts import resource_accounts
from mlplat.tooling.stackfile import load_project

ROOT = Path(__file__).resolve().parents[2]
SHARED, DEV, STAGING, PROD = "555566667777", "123456789012", "111122223333", "444455556666"
MAP = {"shared_services": SHARED, "environments": {"dev": DEV, "staging": STAGING, "prod": PROD},
       "deploy_role_name": "ml-platform-deploy"}
ACCOUNT = {"dev": DEV, "staging": STAGING, "prod": PROD}


def root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/ml-platform-deploy"


def write_project(directory: Path, accounts: dict, targets: dict[str, str]) -> Path:
    """The reference project with `accounts` in Pulumi.yaml and each stack file targeting `targets[stack]`."""
    shutil.copy(ROOT / "__main__.py", directory / "__main__.py")
    shutil.copytree(ROOT / "stacks", directory / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    project["config"] = {"ml-platform:accounts": {"value": accounts}}
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump(project))
    for stack, account in targets.items():
        path = directory / "stacks" / f"Pulumi.{stack}.yaml"
        document = yaml.safe_load(path.read_text())
        document["config"]["aws:allowedAccountIds"] = [account]
        document["config"]["aws:assumeRoles"] = [{"roleArn": role(account)}]
        if AccountMap.model_validate(accounts).registry_apart(stack, "prod", stack.removeprefix("prod-")):
            registry_stack(document, directory)
        elif stack.startswith("prod-serving-") and "prod-ml-services" in accounts.get("shared_services_stacks", ()):
            # The registry stack declares no pipeline: the drift loop retrains one of the workload account.
            for loop in document["config"]["ml-platform:platform"].get("monitoring", {}).get("drift", {}).values():
                loop["retraining_pipeline_arn"] = f"arn:aws:sagemaker:us-east-1:{PROD}:pipeline/mlplat-prod-churn"
        path.write_text(yaml.safe_dump(document))
    return directory


def registry_stack(document: dict, directory: Path) -> None:
    """The reference prod-ml-services made a registry stack in shared services: no feature store, tracking server or
    pipelines (they need the foundation's account), the foundation's subscribers on its own alarm topic."""
    platform = document["config"]["ml-platform:platform"]
    for section in ("feature_store", "pipelines"):
        platform.pop(section, None)
    platform["experiment_tracking"] = {"enabled": False}
    foundation = yaml.safe_load((directory / "stacks" / "Pulumi.prod-foundation.yaml").read_text())
    platform["monitoring"] = {"subscriptions": foundation["config"]["ml-platform:platform"]["monitoring"]["subscriptions"]}


@pytest.fixture(scope="module")
def workload_project(tmp_path_factory) -> Path:
    return write_project(tmp_path_factory.mktemp("accounts"), MAP, ACCOUNT)


@pytest.fixture(scope="module")
def dev_plan(workload_project):
    return run_stack(workload_project, "dev")


@pytest.fixture(scope="module")
def shared_prod_plan(tmp_path_factory):
    # prod's stack deploys into the shared-services account: its registry is the shared registry prod reads.
    directory = write_project(tmp_path_factory.mktemp("shared"), {**MAP, "shared_services_stacks": ["prod"]},
                              {"prod": SHARED})
    return run_stack(directory, "prod")


def _policy(resource, key: str = "policy") -> dict:
    value = resource.inputs[key]
    return json.loads(value) if isinstance(value, str) else value


def _statements(document: dict, sid: str) -> list[dict]:
    return [s for s in document["Statement"] if s.get("Sid") == sid]


def _cross_account_principals(plan) -> dict[str, list]:
    """Every statement of the plan's policies that names another account: resource name/sid -> its principals."""
    found = {}
    for r in plan.custom_resources:
        for key in ("policy", "resourcePolicy"):
            if not isinstance(r.inputs.get(key), str):
                continue
            for statement in json.loads(r.inputs[key]).get("Statement", []):
                principal = statement.get("Principal")
                aws_principals = principal.get("AWS") if isinstance(principal, dict) else None
                listed = aws_principals if isinstance(aws_principals, list) else [aws_principals] if aws_principals else []
                others = [p for p in listed if isinstance(p, str) and p.startswith("arn:aws:iam::")
                          and not p.startswith(f"arn:aws:iam::{plan_account(plan)}:")]
                if others:
                    found[f"{r.name}/{statement['Sid']}"] = sorted(others)
    return found


def plan_account(plan) -> str:
    return json.loads(plan.config["aws:allowedAccountIds"])[0]


# --- the map's rules ---------------------------------------------------------------------------------


def test_consumers_follow_promotion_and_the_shared_registry():
    accounts = AccountMap.model_validate({**MAP, "shared_services_stacks": ["registry-prod"]})
    assert accounts.consumers("dev", "dev") == (STAGING, PROD)
    assert accounts.consumers("staging", "staging") == (PROD,)
    assert accounts.consumers("prod", "prod") == ()
    # A registry in the shared-services account is read by its own environment's workload account too.
    assert accounts.consumers("registry-prod", "prod") == (PROD,)
    assert accounts.account_of("registry-prod", "prod") == SHARED and accounts.account_of("prod", "prod") == PROD
    assert accounts.accounts == (SHARED, DEV, STAGING, PROD)


@pytest.mark.parametrize(
    ("change", "path", "value"),
    [
        ({"shared_services": "5555"}, "ml-platform:accounts.shared_services", "5555"),
        ({"environments": {"dev": "12345678901x"}}, "ml-platform:accounts.environments.dev", "12345678901x"),
        ({"environments": {"qa": DEV}}, "ml-platform:accounts.environments", "qa"),
        ({"environments": {"prod": SHARED}}, "ml-platform:accounts.environments.prod", SHARED),
        ({"deploy_role_name": "deploy role"}, "ml-platform:accounts.deploy_role_name", "deploy role"),
        ({"shared_services_stacks": ["prod", "prod"]}, "ml-platform:accounts.shared_services_stacks", "twice"),
    ],
)
def test_a_bad_account_map_is_a_config_error_naming_the_key(change, path, value):
    with pytest.raises(ConfigError) as error:
        parse_account_map({**MAP, **change}, source="Pulumi.yaml")
    assert path in str(error.value) and value in str(error.value) and "Pulumi.yaml" in str(error.value)


def test_a_consumer_account_outside_the_map_is_a_config_error_naming_it():
    accounts = AccountMap.model_validate(MAP)
    with pytest.raises(ConfigError) as error:
        registry_readers(accounts, stack="dev", environment="dev", explicit=(STAGING, "999988887777"))
    text = str(error.value)
    assert "platform.model_registry.consumer_accounts" in text and "999988887777" in text and STAGING not in text.split(
        "grants account")[1].split(",")[0]
    assert registry_readers(accounts, stack="dev", environment="dev", explicit=(STAGING,)) == (STAGING, PROD)


@pytest.mark.parametrize(
    ("config", "key", "expected"),
    [
        ({"aws:assumeRoles": [{"roleArn": role(PROD)}]}, "aws:allowedAccountIds", f'aws:allowedAccountIds: ["{PROD}"]'),
        ({"aws:allowedAccountIds": [STAGING], "aws:assumeRoles": [{"roleArn": role(PROD)}]}, "aws:allowedAccountIds",
         f'must be ["{PROD}"]'),
        ({"aws:allowedAccountIds": [PROD]}, "aws:assumeRoles", role(PROD)),
        ({"aws:allowedAccountIds": [PROD], "aws:assumeRoles": [{"roleArn": role(STAGING)}]}, "aws:assumeRoles", role(PROD)),
        ({"aws:allowedAccountIds": json.dumps([PROD]), "aws:assumeRoles": json.dumps([{"roleArn": "x"}, {"roleArn": "y"}])},
         "aws:assumeRoles", "must be one role"),
    ],
)
def test_a_stack_file_that_targets_another_account_or_role_is_a_config_error(config, key, expected):
    problems = AccountMap.model_validate(MAP).target_problems("prod", "prod", config)
    assert [p.path for p in problems] == [key]
    assert expected in problems[0].render()


def test_a_stack_that_targets_its_account_has_no_problem():
    accounts = AccountMap.model_validate({**MAP, "shared_services_stacks": ["registry-prod"]})
    assert accounts.target_problems("prod", "prod", {"aws:allowedAccountIds": [PROD],
                                                     "aws:assumeRoles": [{"roleArn": role(PROD)}]}) == []
    assert accounts.target_problems("registry-prod", "prod", {"aws:allowedAccountIds": [SHARED],
                                                              "aws:assumeRoles": [{"roleArn": role(SHARED)}]}) == []


def test_the_map_is_project_level_config_every_stack_inherits(workload_project):
    assert load_project(workload_project).config_defaults["ml-platform:accounts"] == MAP


# --- the cross-account grants of the plans -----------------------------------------------------------


def test_every_cross_account_grant_of_dev_names_exactly_the_later_environments(dev_plan):
    readers = [root(STAGING), root(PROD)]
    grants = _cross_account_principals(dev_plan)
    groups = [r.name for r in dev_plan.of_type("aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy")]
    repositories = [r.name for r in dev_plan.of_type("aws:ecr/repositoryPolicy:RepositoryPolicy")]
    assert groups and repositories
    expected = {f"{g}/{sid}": readers for g in groups
                for sid in ("ConsumerAccountsDescribeGroup", "ConsumerAccountsReadPackages")}
    expected |= {f"{r}/ConsumerAccountsPull": readers for r in repositories}
    expected |= {"platform-encryption-models-key/AllowCrossAccountDecryptThroughS3AndEcr": readers,
                 "platform-artifacts-models-policy/AllowCrossAccountRead": readers,
                 "platform-artifacts-models-policy/AllowCrossAccountList": readers}
    assert grants == expected


def test_the_models_key_and_bucket_grants_are_read_only_and_through_s3_and_ecr(dev_plan):
    key = _policy(dev_plan.named("platform-encryption-models-key"))
    [decrypt] = _statements(key, "AllowCrossAccountDecryptThroughS3AndEcr")
    assert decrypt["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": ["s3.us-east-1.amazonaws.com",
                                                                         "ecr.us-east-1.amazonaws.com"]}}
    bucket = _policy(dev_plan.named("platform-artifacts-models-policy"))
    [read] = _statements(bucket, "AllowCrossAccountRead")
    [listing] = _statements(bucket, "AllowCrossAccountList")
    models_arn = dev_plan.named("platform-artifacts-models", "aws:s3/bucket:Bucket").outputs["arn"]
    assert read["Action"] == ["s3:GetObject", "s3:GetObjectVersion"] and read["Resource"] == f"{models_arn}/*"
    assert listing["Action"] == "s3:ListBucket" and listing["Resource"] == models_arn


def test_a_registry_in_the_shared_services_account_is_read_by_its_environments_account(shared_prod_plan):
    assert plan_account(shared_prod_plan) == SHARED
    grants = _cross_account_principals(shared_prod_plan)
    assert grants and set(map(tuple, grants.values())) == {(root(PROD),)}
    group = shared_prod_plan.of_type("aws:sagemaker/modelPackageGroup:ModelPackageGroup")[0]
    assert group.outputs["arn"].startswith(f"arn:aws:sagemaker:us-east-1:{SHARED}:model-package-group/")


def test_mlp_reg_01_allows_the_maps_accounts_and_nothing_else(shared_prod_plan):
    with_map = evaluate(shared_prod_plan, environment="prod", config=shared_prod_plan.config)
    assert [v for v in with_map.violations if v.rule_id == "MLP-REG-01"] == []
    # The same policies, judged by a map without prod's account: the allow-list follows the map.
    other_map = {**MAP, "environments": {"dev": DEV, "staging": STAGING}}
    report = evaluate(shared_prod_plan, environment="prod",
                      config={**shared_prod_plan.config, "ml-platform:accounts": json.dumps(other_map)})
    findings = [v for v in report.violations if v.rule_id == "MLP-REG-01"]
    assert findings and all(f"grants account {PROD}" in v.message and v.level == "mandatory" for v in findings)


def test_without_a_map_nothing_changes(tmp_path):
    plan = run_stack(ROOT, "dev")
    assert [s["Sid"] for s in _policy(plan.named("platform-encryption-models-key"))["Statement"]] == [
        "AllowAccountAdministration"]
    assert not _statements(_policy(plan.named("platform-artifacts-models-policy")), "AllowCrossAccountRead")


# --- the stack file against the map, through `mlplat plan` ------------------------------------------------


def test_a_consumer_account_outside_the_map_fails_the_plan_naming_it(tmp_path, capsys):
    directory = write_project(tmp_path, MAP, {"staging": STAGING})
    path = directory / "stacks" / "Pulumi.staging.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["ml-platform:platform"]["model_registry"]["consumer_accounts"] = ["999988887777"]
    path.write_text(yaml.safe_dump(document))
    assert main(["plan", "--stack", "staging", "--cwd", str(directory)]) == EXIT_CONFIG_ERROR
    err = capsys.readouterr().err
    assert "999988887777" in err and "not in the account map" in err and "Traceback" not in err


def test_a_stack_file_targeting_another_account_fails_the_plan(tmp_path, capsys):
    directory = write_project(tmp_path, MAP, {"prod": STAGING})
    assert main(["plan", "--stack", "prod", "--cwd", str(directory)]) == EXIT_CONFIG_ERROR
    err = capsys.readouterr().err
    assert "aws:allowedAccountIds" in err and f'must be ["{PROD}"]' in err and "stacks/Pulumi.prod.yaml" in err


def test_the_plan_shows_the_account_of_every_resource(workload_project, capsys):
    assert main(["plan", "--stack", "dev", "--cwd", str(workload_project), "--no-policies"]) == 0
    text = capsys.readouterr().out
    assert f"AWS account: {DEV} (assuming {role(DEV)}):" in text
    assert main(["plan", "--stack", "dev", "--cwd", str(workload_project), "--no-policies", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    aws_urns = {s["urn"] for s in document["steps"] if s["newState"]["type"].startswith("aws:")
                and s["newState"].get("custom", True)}
    assert aws_urns and set(document["accounts"]) == aws_urns
    assert set(document["accounts"].values()) == {DEV}


def test_a_resource_of_an_explicit_provider_is_in_that_providers_account():
    def program():
        shared = aws.Provider("shared", region="us-east-1", allowed_account_ids=[SHARED],
                              assume_roles=[aws.ProviderAssumeRoleArgs(role_arn=role(SHARED))])
        aws.s3.Bucket("here")
        aws.s3.Bucket("there", opts=pulumi.ResourceOptions(provider=shared))

    plan = run_callable(program, config={"aws:allowedAccountIds": [PROD]}, account=PROD)
    accounts = {urn.rsplit("::", 1)[-1]: target for urn, target in resource_accounts(plan).items()}
    assert accounts["here"].account == PROD
    assert accounts["there"].account == SHARED and accounts["there"].role == role(SHARED)


def test_a_key_grant_to_something_else_than_an_account_is_a_config_error():
    from mlplat.components.encryption import EncryptionArgs

    with pytest.raises(ConfigError, match=r"EncryptionArgs\.cross_account_readers\.models: '\*' is not an AWS account"):
        EncryptionArgs(cross_account_readers={"models": ("*",)})
    with pytest.raises(ConfigError, match=r"EncryptionArgs\.cross_account_readers: 'tracking' names a domain"):
        EncryptionArgs(cross_account_readers={"tracking": (PROD,)})


# --- layer stacks ------------------------------------------------------------------------------------


def test_layer_stacks_each_target_their_account_and_agree_on_the_readers(tmp_path):
    from mlplat.tooling.multistack import plan_layer

    layers = ("prod-foundation", "prod-ml-services", "prod-training", "prod-serving-growth")
    targets = {stack: PROD for stack in layers} | {"prod-ml-services": SHARED}
    directory = write_project(tmp_path, {**MAP, "shared_services_stacks": ["prod-ml-services"]}, targets)
    plans: dict = {}
    services = plan_layer(directory, "prod-ml-services", plans=plans)
    foundation = plans["prod-foundation"]
    assert plan_account(services) == SHARED and plan_account(foundation) == PROD
    # The registry in shared services is read by prod's account; the foundation's key and bucket are prod's own.
    grants = _cross_account_principals(services)
    assert grants and set(map(tuple, grants.values())) == {(root(PROD),)}
    assert _cross_account_principals(foundation) == {}
    assert {t.account for t in resource_accounts(services).values()} == {SHARED}


# --- deploying from the shared-services registry into the workload account ---------------------------

LAYERS = ("prod-foundation", "prod-ml-services", "prod-training", "prod-serving-growth")
SHARED_GROUP = f"arn:aws:sagemaker:us-east-1:{SHARED}:model-package-group/mlplat-prod-churn"


def shared_registry_snapshot(directory: Path) -> list[str]:
    """stacks/registry.prod.json as the shared-services account lists the group: keyed by the group's ARN, its
    packages in that account. Returns the package ARNs."""
    path = directory / "stacks" / "registry.prod.json"
    entries = json.loads(path.read_text())["mlplat-prod-churn"]
    for entry in entries:
        entry["ModelPackageArn"] = entry["ModelPackageArn"].replace(":123456789012:", f":{SHARED}:")
    path.write_text(json.dumps({SHARED_GROUP: entries}))
    return [e["ModelPackageArn"] for e in entries]


@pytest.fixture(scope="module")
def shared_layers(tmp_path_factory) -> Path:
    targets = {stack: PROD for stack in LAYERS} | {"prod-ml-services": SHARED}
    return write_project(tmp_path_factory.mktemp("shared-layers"),
                         {**MAP, "shared_services_stacks": ["prod-ml-services"]}, targets)


@pytest.fixture(scope="module")
def shared_serving(shared_layers):
    from mlplat.tooling.multistack import plan_layer

    shared_registry_snapshot(shared_layers)
    plans: dict = {}
    serving = plan_layer(shared_layers, "prod-serving-growth", plans=plans)
    return serving, plans


def test_the_serving_layer_deploys_the_shared_accounts_latest_approved_package(shared_serving):
    serving, plans = shared_serving
    assert plan_account(serving) == PROD and plan_account(plans["prod-ml-services"]) == SHARED
    model = serving.named("churn-model", "aws:sagemaker/model:Model")
    # version 4: the newest Approved and Completed package of the snapshot (5 is Rejected, 6 pending).
    assert model.inputs["primaryContainer"]["modelPackageName"] == (
        f"arn:aws:sagemaker:us-east-1:{SHARED}:model-package/mlplat-prod-churn/4")
    assert {t.account for t in resource_accounts(serving).values()} == {PROD}
    lines = [d.message for d in serving.diagnostics if "latest-approved" in d.message]
    assert lines and f"group {SHARED_GROUP}, from registry snapshot" in lines[0]


def test_a_snapshot_keyed_by_the_group_name_has_no_package_for_the_shared_group(tmp_path):
    from mlplat.tooling.multistack import plan_layer

    targets = {stack: PROD for stack in LAYERS} | {"prod-ml-services": SHARED}
    directory = write_project(tmp_path, {**MAP, "shared_services_stacks": ["prod-ml-services"]}, targets)
    serving = plan_layer(directory, "prod-serving-growth")
    assert not serving.of_type("aws:sagemaker/model:Model")  # the endpoint waits
    [line] = [d.message for d in serving.diagnostics if "latest-approved" in d.message]
    assert f"group {SHARED_GROUP}" in line and "keyed by its ARN" in line


# --- a layer planned with recorded outputs for one reference and an offline plan for the other -------------


def _recorded_ml_services(shared_layers: Path) -> dict:
    """prod-ml-services' outputs as `pulumi stack output --json` prints them after a deploy into the shared-services
    account: its tracking server URL a secret output (shown `[secret]`)."""
    from mlplat.tooling.multistack import outputs_of, plan_layer, render_stack_outputs

    recorded = json.loads(render_stack_outputs(outputs_of(plan_layer(shared_layers, "prod-ml-services"))))
    recorded["tracking_server_url"] = "[secret]"
    return recorded


def test_stack_references_and_stack_outputs_together_on_a_layer(shared_layers, shared_serving, tmp_path, capsys):
    recorded = _recorded_ml_services(shared_layers)
    assert recorded["families"]["churn"]["group_arn"] == SHARED_GROUP
    outputs = tmp_path / "prod-ml-services.json"
    outputs.write_text(json.dumps(recorded))
    # --stack-references holds an older recording of the same stack (its group still in prod's account) and an
    # unrelated stack's outputs; --stack-outputs NAME=FILE answers NAME over it; prod-foundation is planned offline.
    stale = json.loads(json.dumps(recorded))
    stale["families"]["churn"]["group_arn"] = SHARED_GROUP.replace(SHARED, PROD)
    references = tmp_path / "references.yaml"
    references.write_text(yaml.safe_dump({"prod-ml-services": stale, "org/network/prod": {"vpc_id": "vpc-0abc"}}))
    arguments = ["plan", "--stack", "prod-serving-growth", "--cwd", str(shared_layers), "--no-policies",
                 "--stack-references", str(references), "--format", "json"]
    assert main([*arguments, "--stack-outputs", f"prod-ml-services={outputs}"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["contractErrors"] == []
    by_name = {s["newState"].get("urn", s.get("urn", "")).rsplit("::", 1)[-1]: s["newState"] for s in document["steps"]}
    ml_services, foundation = by_name["prod-ml-services"], by_name["prod-foundation"]
    assert ml_services["outputs"]["secretOutputNames"] == ["tracking_server_url"]
    assert foundation["outputs"]["secretOutputNames"] == []
    _, plans = shared_serving
    assert foundation["outputs"]["outputs"]["vpc_id"] == plans["prod-foundation"].outputs["vpc_id"]  # planned offline
    model = by_name["churn-model"]
    assert model["inputs"]["primaryContainer"]["modelPackageName"].startswith(f"arn:aws:sagemaker:us-east-1:{SHARED}:")
    assert "[secret]" not in json.dumps(model)
    # The stale recording alone: the group it names is not the shared account's group this stack derives.
    assert main(arguments) == EXIT_CONFIG_ERROR
    err = capsys.readouterr().err
    assert "prod-ml-services.families.churn.group_arn" in err and SHARED_GROUP in err and "Traceback" not in err


def test_the_serving_role_reads_the_model_data_in_its_account_and_pulls_from_the_shared_repository(
        shared_serving):
    serving, plans = shared_serving
    foundation, services = plans["prod-foundation"], plans["prod-ml-services"]
    policy = _policy(serving.named("churn-execution-policy", "aws:iam/rolePolicy:RolePolicy"))
    [read] = _statements(policy, "ReadModelArtifacts")
    [decrypt] = _statements(policy, "DecryptModelArtifacts")
    [pull] = _statements(policy, "PullInferenceImage")
    models_bucket = foundation.named("platform-artifacts-models", "aws:s3/bucket:Bucket").outputs["arn"]
    models_key = foundation.named("platform-encryption-models-key", "aws:kms/key:Key").outputs["arn"]
    # The model data is in the environment's models bucket (the foundation, in the workload account) under
    # <family>/pipeline/models/ (the default prefix), with the foundation's models key: same account as the role.
    # The registry stack in shared services declares no pipeline (README, Accounts, limits).
    assert not [r for r in services.custom_resources if r.type == "aws:sagemaker/pipeline:Pipeline"]
    assert read["Action"] == "s3:GetObject" and read["Resource"] == f"{models_bucket}/churn/pipeline/models/*"
    assert models_bucket.split(":")[4] in ("", PROD) and models_key.split(":")[4] == PROD
    assert decrypt["Resource"] == models_key and decrypt["Action"] == "kms:Decrypt"
    repository = f"arn:aws:ecr:us-east-1:{SHARED}:repository/mlplat-prod-churn-serving"
    assert pull["Resource"] == repository and pull["Action"] == ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    # The shared account's repository lets exactly the workload account pull.
    [pull_grant] = _statements(_policy(services.named("platform-registry-churn-serving-policy",
                                                      "aws:ecr/repositoryPolicy:RepositoryPolicy")), "ConsumerAccountsPull")
    assert pull_grant["Principal"] == {"AWS": [root(PROD)]}
    # ...and is encrypted with the registry stack's own models key, in shared services, not the foundation's.
    own_key = services.named("platform-encryption-models-key", "aws:kms/key:Key").outputs["arn"]
    serving_repository = services.named("platform-registry-churn-serving", "aws:ecr/repository:Repository")
    assert [c["kmsKey"] for c in serving_repository.inputs["encryptionConfigurations"]] == [own_key]
    assert own_key.split(":")[4] == SHARED and own_key != models_key


def test_the_approval_rule_its_targets_and_dead_letters_are_in_shared_services_and_name_the_environment(
        shared_serving):
    _, plans = shared_serving
    services = plans["prod-ml-services"]
    accounts = resource_accounts(services)
    types = ("aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget",
             "aws:cloudwatch/eventApiDestination:EventApiDestination", "aws:cloudwatch/eventConnection:EventConnection",
             "aws:sqs/queue:Queue", "aws:sqs/queuePolicy:QueuePolicy")
    declared = [r for r in services.custom_resources if r.type in types]
    assert {r.type for r in declared} == set(types)
    assert {accounts[r.urn].account for r in declared} == {SHARED}
    deploy = services.named("platform-registry-churn-approved-deploy", "aws:cloudwatch/eventTarget:EventTarget")
    assert deploy.inputs["deadLetterConfig"]["arn"].split(":")[4] == SHARED
    # The dispatch names prod: the deploy workflow then deploys prod's serving layers (prod's workload account).
    assert '"environment":"prod"' in deploy.inputs["inputTransformer"]["inputTemplate"].replace(" ", "")


EXAMPLE_REGISTRY = ROOT / "examples" / "multi-account" / "stacks" / "Pulumi.prod-ml-services-registry.yaml"
APART = {**MAP, "shared_services_stacks": ["prod-ml-services"]}


def registry_stack_value(**sections) -> dict:
    """The example's registry stack (prod-ml-services-registry, in shared services) as the environment's
    `ml-services` layer (which must turn its tracking server off), with `sections` set over it."""
    value = yaml.safe_load(EXAMPLE_REGISTRY.read_text())["config"]["ml-platform:platform"]
    return {**value, "layer": "ml-services", "experiment_tracking": {"enabled": False}, **sections}


def test_only_an_ml_services_stack_in_shared_services_over_a_workload_foundation_is_a_registry_apart():
    accounts = AccountMap.model_validate(APART)
    assert accounts.registry_apart("prod-ml-services", "prod", "ml-services")
    assert accounts.registry_apart("prod-ml-services-fraud", "prod", "ml-services-fraud") is False  # not listed
    team = AccountMap.model_validate({**MAP, "shared_services_stacks": ["prod-ml-services-fraud"]})
    assert team.registry_apart("prod-ml-services-fraud", "prod", "ml-services-fraud")
    assert not accounts.registry_apart("prod-serving-growth", "prod", "serving-growth")
    both = AccountMap.model_validate({**MAP, "shared_services_stacks": ["prod-foundation", "prod-ml-services"]})
    assert not both.registry_apart("prod-ml-services", "prod", "ml-services")


def test_a_team_ml_services_stack_in_shared_services_is_the_registry_of_the_serving_stacks_that_read_it():
    accounts = AccountMap.model_validate({**MAP, "shared_services_stacks": ["prod-ml-services-fraud"]})
    assert accounts.registry_account("prod-serving-fraud", "prod", registry_layer="ml-services-fraud") == SHARED
    # A serving stack reading the environment's ml-services (in the workload account) deploys from its own account.
    assert accounts.registry_account("prod-serving-growth", "prod", registry_layer="ml-services") is None
    assert accounts.registry_account("prod-foundation", "prod", registry_layer=None) is None
    assert accounts.registry_apart("prod-ml-services-fraud", "prod", "ml-services-fraud")
    assert not accounts.registry_apart("prod-ml-services", "prod", "ml-services")


def test_the_workload_account_registers_into_its_environments_registry_in_shared_services_only():
    accounts = AccountMap.model_validate({**MAP, "shared_services_stacks": ["prod-ml-services"]})
    # Pipelines run beside prod's foundation: prod's workload account registers into the shared registry.
    assert accounts.registering_accounts("prod-ml-services", "prod", "ml-services") == (MAP["environments"]["prod"],)
    # A pipelines stack in the workload account reads that registry's families from the shared account.
    assert accounts.registry_account("prod-ml-services-pipelines", "prod", registry_layer="ml-services") == SHARED
    # A registry in its own workload account, or not a registry: nobody registers from elsewhere.
    assert accounts.registering_accounts("staging-ml-services", "staging", "ml-services") == ()
    assert accounts.registering_accounts("prod-serving-growth", "prod", "serving-growth") == ()
    both = AccountMap.model_validate({**MAP, "shared_services_stacks": ["prod-foundation", "prod-ml-services"]})
    assert both.registering_accounts("prod-ml-services", "prod", "ml-services") == ()


@pytest.mark.parametrize("section", ["pipelines", "feature_store", "experiment_tracking"])
def test_a_registry_stack_in_shared_services_cannot_declare_what_needs_the_foundation(section):
    from mlplat.platform.config import parse_platform_config

    # The section as the reference prod-ml-services stack declares it (in prod's workload account).
    reference = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod-ml-services.yaml").read_text())
    raw = registry_stack_value(**{section: reference["config"]["ml-platform:platform"][section]})
    with pytest.raises(ConfigError) as caught:
        parse_platform_config(raw, source="stacks/Pulumi.prod-ml-services.yaml", aws_region="us-east-1",
                              accounts=AccountMap.model_validate(APART), stack="prod-ml-services")
    [problem] = [p for p in caught.value.problems if p.path == f"platform.{section}"]
    assert "prod-ml-services" in problem.message and "prod-foundation" in problem.message
    assert f"shared-services account {SHARED}" in problem.message and f"workload account {PROD}" in problem.message
    assert "ml-services stack of the workload account" in problem.message
    # The same stack file in the workload account (no map entry) is an ordinary ml-services stack.
    parse_platform_config({k: v for k, v in raw.items() if k != "monitoring"}, aws_region="us-east-1",
                          accounts=AccountMap.model_validate(MAP), stack="prod-ml-services")


def test_monitoring_subscriptions_belong_to_a_registry_stack_in_shared_services_only():
    from mlplat.platform.config import parse_platform_config

    raw = registry_stack_value()
    assert raw["monitoring"] == {"subscriptions": {"emails": ["ml-platform-oncall@example.com"]}}
    config = parse_platform_config(raw, aws_region="us-east-1", accounts=AccountMap.model_validate(APART),
                                   stack="prod-ml-services")
    assert config.monitoring.subscriptions.emails == ("ml-platform-oncall@example.com",)
    with pytest.raises(ConfigError) as caught:
        parse_platform_config(raw, aws_region="us-east-1", accounts=AccountMap.model_validate(MAP),
                              stack="prod-ml-services")
    assert [p.path for p in caught.value.problems] == ["platform.monitoring.subscriptions"]
    with pytest.raises(ConfigError):  # without the map, the stack file's section rules are the layer's
        parse_platform_config(raw, aws_region="us-east-1")
    with pytest.raises(ConfigError) as serving:  # the serving part of monitoring stays the serving layer's
        parse_platform_config({**raw, "monitoring": {**raw["monitoring"], "endpoint_alarms": {}}}, aws_region="us-east-1",
                              accounts=AccountMap.model_validate(APART), stack="prod-ml-services")
    assert [p.path for p in serving.value.problems] == ["platform.monitoring.endpoint_alarms"]



def test_the_platform_refuses_registry_apart_for_what_needs_the_foundation_or_another_layer():
    from mlplat.platform import MLPlatform
    from mlplat.platform.config import parse_platform_config

    reference = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod-ml-services.yaml").read_text())
    config = parse_platform_config(reference["config"]["ml-platform:platform"], aws_region="us-east-1")
    with pytest.raises(ConfigError) as caught:
        MLPlatform("platform", config, registry_apart=True)
    assert [p.path for p in caught.value.problems] == [
        "platform.feature_store", "platform.experiment_tracking", "platform.pipelines"]
    single = parse_platform_config(yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
                                   ["config"]["ml-platform:platform"], aws_region="us-east-1")
    with pytest.raises(ConfigError) as layer:
        MLPlatform("platform", single, registry_apart=True)
    assert "platform.layer" in [p.path for p in layer.value.problems]


def test_a_team_registry_stack_in_shared_services_needs_no_tracking_setting_and_holds_its_subscriptions():
    from mlplat.platform.config import parse_platform_config

    raw = {k: v for k, v in registry_stack_value(layer="ml-services-fraud").items() if k != "experiment_tracking"}
    accounts = AccountMap.model_validate({**MAP, "shared_services_stacks": ["prod-ml-services-fraud"]})
    config = parse_platform_config(raw, aws_region="us-east-1", accounts=accounts, stack="prod-ml-services-fraud")
    assert config.monitoring.subscriptions.emails == ("ml-platform-oncall@example.com",)
    reference = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod-ml-services.yaml").read_text())
    with pytest.raises(ConfigError) as caught:
        parse_platform_config({**raw, "pipelines": reference["config"]["ml-platform:platform"]["pipelines"]},
                              aws_region="us-east-1", accounts=accounts, stack="prod-ml-services-fraud")
    assert [p.path for p in caught.value.problems] == ["platform.pipelines"]


def test_a_registry_stacks_key_aliases_name_its_layer(shared_serving):
    """Several registry stacks (team ml-services layers) of an environment may share the shared-services account:
    their KMS aliases carry the layer, so they cannot collide there (nor with the foundation's in its account)."""
    _, plans = shared_serving
    aliases = {r.inputs["name"] for r in plans["prod-ml-services"].custom_resources if r.type == "aws:kms/alias:Alias"}
    foundation = {r.inputs["name"] for r in plans["prod-foundation"].custom_resources if r.type == "aws:kms/alias:Alias"}
    assert aliases == {"alias/mlplat-prod-ml-services/models", "alias/mlplat-prod-ml-services/alerts"}
    assert "alias/mlplat-prod/models" in foundation
