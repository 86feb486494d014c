"""Approval starts a deployment, from the stack config's side: the `deployment` key, its migration,
the GitHub token config secret, and that secret never appearing in clear in any plan output."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlplat.core.errors import ConfigError
from mlplat.platform.config import parse_platform_config
from mlplat.platform.config_ml_lifecycle import DEPLOY_TOKEN_CONFIG, deployment_notes
from mlplat.tooling import cli
from mlplat.tooling.contracts import check_plan
from mlplat.tooling.offline import run_callable, run_stack
from mlplat.tooling.policy_runner import evaluate
from mlplat.tooling.report import RENDERERS
from mlplat.tooling.stackfile import load_project, load_stack_config
from stacks.platform import build_platform

ROOT = Path(__file__).resolve().parents[2]
# Shaped like a fine-grained token; found nowhere else, so any occurrence in an output is a leak.
TOKEN = "github_pat_11ZZTESTONLY0deployToken_q8Xv2LmN4pR7sT9uW1yA3bC5dE"


def stack_document(stack: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]["ml-platform:platform"]


def parse(document: dict[str, Any], stack: str = "prod"):
    return parse_platform_config(document, source=f"stacks/Pulumi.{stack}.yaml", aws_region="us-east-1")


# --- stack config ----------------------------------------------------------------------------


def test_reference_stacks_choose_what_an_approval_starts() -> None:
    for stack in ("staging", "prod"):
        registry = parse(stack_document(stack), stack).model_registry
        assert registry.github is not None and registry.github.repository == "example-org/ml-platform-stacks"
        assert registry.github.event_type == "mlplat-model-approved"
    dev = parse(stack_document("dev"), "dev").model_registry
    assert dev.github is None and "deployment" in dev.model_fields_set  # an explicit `none`


def test_the_removed_keys_fail_with_what_replaces_them() -> None:
    document = stack_document("prod")
    document["model_registry"]["families"][0]["deployment_pipeline_arn"] = (
        "arn:aws:sagemaker:us-east-1:123456789012:pipeline/mlplat-prod-churn-deploy")
    document["model_registry"]["families"][0]["deployment_pipeline_parameters"] = {"Stage": "prod"}
    with pytest.raises(ConfigError) as info:
        parse(document)
    assert info.value.paths == (
        "platform.model_registry.families.0.deployment_pipeline_arn",
        "platform.model_registry.families.0.deployment_pipeline_parameters",
    )
    text = str(info.value)
    assert "stacks/Pulumi.prod.yaml: platform.model_registry.families.0.deployment_pipeline_arn: was removed in 0.2.0" in text
    assert "model_registry.deployment: {github: {repository: <owner>/<name>" in text
    assert "Migrating from deployment_pipeline_arn" in text  # the README section that explains the move


@pytest.mark.parametrize(
    ("github", "path"),
    [
        ({"repository": "example-org"}, "platform.model_registry.deployment.github.repository"),
        ({"repository": "example org/stacks"}, "platform.model_registry.deployment.github.repository"),
        ({"repository": "example-org/stacks", "event_type": "x" * 101}, "platform.model_registry.deployment.github.event_type"),
        ({"repository": "example-org/stacks", "event_type": ""}, "platform.model_registry.deployment.github.event_type"),
        ({"event_type": "deploy"}, "platform.model_registry.deployment.github.repository"),
    ],
)
def test_bad_github_settings_name_the_key(github: dict[str, Any], path: str) -> None:
    document = stack_document("prod")
    document["model_registry"]["deployment"] = {"github": github}
    with pytest.raises(ConfigError) as info:
        parse(document)
    assert info.value.paths == (path,)


def test_an_omitted_deployment_is_flagged_in_staging_and_prod_only() -> None:
    for stack in ("staging", "prod"):
        document = stack_document(stack)
        del document["model_registry"]["deployment"]
        (note,) = deployment_notes(stack, parse(document, stack).model_registry)
        assert f"platform.model_registry.deployment is omitted in {stack}" in note and "deployment: none" in note
        document["model_registry"]["deployment"] = "none"
        assert deployment_notes(stack, parse(document, stack).model_registry) == []
    document = stack_document("dev")
    del document["model_registry"]["deployment"]
    assert deployment_notes("dev", parse(document, "dev").model_registry) == []


# --- the token -------------------------------------------------------------------------------


def _stack_values(stack: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    config = load_stack_config(load_project(ROOT), stack)
    return dict(config.values), config.secret_keys


def test_a_missing_token_is_a_config_error_naming_the_key_and_the_command() -> None:
    values, secret_keys = _stack_values("staging")
    del values[DEPLOY_TOKEN_CONFIG]
    with pytest.raises(ConfigError) as info:
        run_callable(build_platform, project="ml-platform", stack="staging", config=values,
                     secret_keys=tuple(k for k in secret_keys if k != DEPLOY_TOKEN_CONFIG))
    assert info.value.paths == (DEPLOY_TOKEN_CONFIG,)
    assert info.value.source == "stacks/Pulumi.staging.yaml"
    assert f"pulumi config set --secret {DEPLOY_TOKEN_CONFIG} <token>" in str(info.value)
    assert "Contents: write" in str(info.value)


def test_the_stack_files_token_is_a_secure_value() -> None:
    for stack in ("staging", "prod"):
        values, secret_keys = _stack_values(stack)
        assert DEPLOY_TOKEN_CONFIG in secret_keys  # `secure:`, never a plain value in the file


@functools.cache
def _plan_with_token(stack: str):
    return run_stack(ROOT, stack, secret_overrides={DEPLOY_TOKEN_CONFIG: TOKEN})


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_connection_carries_the_token_as_a_secret(stack: str) -> None:
    plan = _plan_with_token(stack)
    (connection,) = plan.of_type("aws:cloudwatch/eventConnection:EventConnection")
    assert connection.inputs["authParameters"]["apiKey"] == {"key": "Authorization", "value": f"Bearer {TOKEN}"}
    assert connection.secret_paths == ["authParameters"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
@pytest.mark.parametrize("output_format", sorted(RENDERERS))
def test_the_token_never_appears_in_any_plan_output(stack: str, output_format: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    # The whole `mlplat plan` path (contracts, policies, renderers), with the token configured as
    # `pulumi config set --secret` would give it to the program.
    monkeypatch.setattr(cli, "run_stack", functools.partial(run_stack, secret_overrides={DEPLOY_TOKEN_CONFIG: TOKEN}))
    out = tmp_path / f"plan.{output_format}"
    code = cli.main(["plan", "--stack", stack, "--cwd", str(ROOT), "--format", output_format, "--out", str(out)])
    text = out.read_text()
    assert code == 0, text[-2000:]
    assert "registry-churn-deploy-connection" in text  # the connection is in the report
    assert TOKEN not in text and TOKEN not in capsys.readouterr().out
    if output_format == "json":
        steps = json.loads(text)["steps"]
        (state,) = [s["newState"] for s in steps if s["newState"]["type"] == "aws:cloudwatch/eventConnection:EventConnection"]
        assert state["inputs"]["authParameters"] == "[secret]"


def test_a_token_the_api_refuses_is_reported_without_its_value() -> None:
    bad = TOKEN + ":with-a-colon"  # EventBridge refuses ':' in an API key value
    plan = run_stack(ROOT, "prod", secret_overrides={DEPLOY_TOKEN_CONFIG: bad})
    errors = check_plan(plan)
    assert [e.path for e in errors] == ["AuthParameters.ApiKeyAuthParameters.ApiKeyValue"]
    assert TOKEN not in errors[0].render() and "[secret]" in errors[0].render()


def test_dev_declares_no_dispatch() -> None:
    values, secret_keys = _stack_values("dev")
    plan = run_callable(build_platform, project="ml-platform", stack="dev", config=copy.deepcopy(values),
                        secret_keys=secret_keys)
    assert plan.of_type("aws:cloudwatch/eventConnection:EventConnection") == []
    # The only queue is the training cluster's (Karpenter's interruptions), no dispatch dead-letter queue.
    assert [q.name for q in plan.of_type("aws:sqs/queue:Queue")] == ["platform-training-interruption-queue"]



def test_the_dispatch_target_passes_mlp_evt_01_in_a_preview_too() -> None:
    # In a preview of a new stack the target's arn is unknown: the rule tells the API destination by
    # the target's property dependency, and ours has its retries and dead letters.
    plan = run_stack(ROOT, "prod", preview=True)
    (target,) = [r for r in plan.custom_resources if r.name == "platform-registry-churn-approved-deploy"]
    assert any("eventApiDestination" in urn for urn in target.property_dependencies["arn"])
    report = evaluate(plan, environment="prod")
    assert [v for v in report.violations + report.unverified if v.rule_id == "MLP-EVT-01"] == []
