"""Layer stacks: names, the `layer` setting, where each section lives, dependency order, recorded outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlplat.core.errors import ConfigError
from mlplat.core.vocabulary import environment_of_stack, layer_of_stack
from mlplat.platform.config import parse_platform_config
from mlplat.platform.layers import check_layer_stack, layer_dependencies
from mlplat.tooling.cli import EXIT_CONFIG_ERROR, main
from mlplat.tooling.multistack import (
    LayerStack,
    dependency_levels,
    load_stack_outputs,
    parse_stack_outputs_argument,
    render_stack_outputs,
)

TAGS = {"owner": "ml@example.com", "cost_center": "cc-1", "project": "mlplat", "data_classification": "internal"}
SOURCE = "stacks/Pulumi.prod-serving-fraud.yaml"
ENDPOINT = {"name": "fraud", "model_family": "fraud", "model_package": "latest-approved",
            "autoscaling": {"min_capacity": 2, "max_capacity": 4, "target_invocations_per_instance": 100}}


def parse(layer: str, **sections):
    raw = {"environment": "prod", "tags": dict(TAGS), "layer": layer, **sections}
    return parse_platform_config(raw, source=SOURCE, aws_region="us-east-1")


def problems_of(layer: str, **sections) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse(layer, **sections)
    return [p.render() for p in caught.value.problems]


@pytest.mark.parametrize(("stack", "expected"), [
    ("prod-foundation", ("prod", "foundation")), ("prod-serving-fraud", ("prod", "serving-fraud")),
    ("acme/ml-platform/staging-ml-services", ("staging", "ml-services")), ("dev-serving", ("dev", "serving")),
    ("prod", None), ("team-dev", None), ("prod-network", None), ("prod-serving-", None), ("qa-training", None),
])
def test_a_layer_stack_name_tells_its_environment_and_layer(stack, expected):
    assert layer_of_stack(stack) == expected


@pytest.mark.parametrize(("stack", "environment"), [
    ("dev", "dev"), ("team-dev", "dev"), ("org/project/staging", "staging"), ("prod-foundation", "prod"),
    ("dev-serving-fraud", "dev"), ("staging-training", "staging"), ("qa", None), ("prod-network", None),
])
def test_the_environment_of_a_stack_includes_layer_stacks(stack, environment):
    assert environment_of_stack(stack) == environment


def test_a_serving_layer_holds_its_endpoints_and_reads_families_from_the_layer_below():
    config = parse("serving-fraud", serving={"endpoints": [ENDPOINT]},
                   monitoring={"drift": {"fraud": {"baseline_prefix": "fraud/baseline/", "features": ["amount"]}}})
    # The family is the ml-services layer's (checked against its contract); the alarm subscribers the foundation's.
    assert config.layer == "serving-fraud" and config.serving.endpoints[0].model_family == "fraud"
    assert layer_dependencies(config.layer) == ("foundation", "ml-services")


def test_the_single_stack_still_checks_across_sections():
    with pytest.raises(ConfigError, match="model_family"):
        parse_platform_config({"environment": "prod", "tags": dict(TAGS), "serving": {"endpoints": [ENDPOINT]},
                               "monitoring": {"subscriptions": {"emails": ["a@example.com"]}}},
                              source="stacks/Pulumi.prod.yaml", aws_region="us-east-1")


def test_a_section_of_another_layer_is_refused_naming_its_layer():
    found = problems_of("serving-fraud", serving={"endpoints": [ENDPOINT]}, training={"enabled": True},
                        monitoring={"subscriptions": {"emails": ["a@example.com"]}})
    assert "platform.training: belongs to the training layer's stack file, not to a serving-fraud stack (a setting " \
           "lives in one stack file)" in found
    assert "platform.monitoring.subscriptions: belongs to the foundation layer's stack file, not to a serving-fraud " \
           "stack" in found
    oncall = {"emails": ["a@example.com"]}
    assert problems_of("foundation", pipelines={}, monitoring={"subscriptions": oncall, "drift": {}}) == [
        "platform.pipelines: belongs to the ml-services layer's stack file, not to a foundation stack (a setting lives "
        "in one stack file)",
        "platform.monitoring.drift: belongs to the serving-<team> layer's stack file, not to a foundation stack"]


def test_a_bad_layer_and_foundation_only_settings_elsewhere_are_refused():
    assert problems_of("network") == ["platform.layer: 'network' is not a layer: all, foundation, ml-services, ml-services-<team>, "
                                      "training, serving or serving-<team> (<team>: lowercase letters, digits and '-')"]
    found = problems_of("training", layers={"training_clusters": ["training"]},
                        training={"enabled": True, "admin_role_arns": ["arn:aws:iam::123456789012:role/admin"]})
    assert found == ["platform.layers.training_clusters: ('training',) is a setting of the foundation layer; a "
                     "training stack does not declare it"]


def test_a_layer_stack_is_named_after_its_environment_and_layer():
    assert check_layer_stack("serving-fraud", "prod", "prod-serving-fraud") == []
    assert check_layer_stack("serving-fraud", "prod", "acme/ml-platform/prod-serving-fraud") == []
    [problem] = check_layer_stack("serving-fraud", "prod", "fraud-prod")
    assert problem.render() == ("platform.layer: 'serving-fraud' is a layer of prod, whose stack must be named "
                                "'prod-serving-fraud' (stacks/Pulumi.prod-serving-fraud.yaml), not 'fraud-prod'")
    [problem] = check_layer_stack("all", "prod", "prod-training")
    assert "set layer: training" in problem.render()


def layer(stack: str, *references: str) -> LayerStack:
    environment, name = stack.split("-", 1)
    return LayerStack(stack, environment, name, references)


def test_layers_plan_in_dependency_order_independent_ones_together():
    layers = [layer("prod-serving-b", "acme/p/prod-foundation", "acme/p/prod-ml-services"),
              layer("prod-training", "prod-foundation"), layer("prod-foundation"),
              layer("prod-ml-services", "prod-foundation"), layer("prod-serving-a", "prod-foundation", "prod-ml-services")]
    levels = [[entry.stack for entry in level] for level in dependency_levels(layers)]
    assert levels == [["prod-foundation"], ["prod-training", "prod-ml-services"], ["prod-serving-b", "prod-serving-a"]]


def test_a_reference_to_a_missing_layer_is_named():
    with pytest.raises(ConfigError, match="prod-serving-a: references 'prod-ml-services', which is not a layer stack"):
        dependency_levels([layer("prod-foundation"), layer("prod-serving-a", "prod-foundation", "prod-ml-services")])


def test_recorded_outputs_keep_secrets_secret(tmp_path: Path):
    path = tmp_path / "out.json"
    path.write_text(json.dumps({"vpc_id": "vpc-1", "kubeconfig": "[secret]"}))
    outputs = load_stack_outputs(path)
    assert outputs == {"vpc_id": "vpc-1", "kubeconfig": "[secret]"} and outputs.secret_names == {"kubeconfig"}
    assert json.loads(render_stack_outputs(outputs)) == {"kubeconfig": "[secret]", "vpc_id": "vpc-1"}
    assert parse_stack_outputs_argument([f"acme/p/prod-foundation={path}"])["acme/p/prod-foundation"] == outputs


@pytest.mark.parametrize(("argument", "message"), [
    ("prod-foundation", "--stack-outputs: 'prod-foundation' must be NAME=FILE"),
    ("prod-foundation=/nonexistent.json", "--stack-outputs prod-foundation: '/nonexistent.json' is not a file"),
])
def test_bad_stack_outputs_are_configuration_errors(argument, message):
    with pytest.raises(ConfigError, match=message):
        parse_stack_outputs_argument([argument])


def test_env_plans_take_no_single_stack_options(capsys):
    assert main(["plan", "--env", "prod", "--format", "json"]) == EXIT_CONFIG_ERROR
    assert "not --format json" in capsys.readouterr().err
    assert main(["plan", "--env", "dev", "--cwd", str(Path(__file__).resolve().parents[2])]) == EXIT_CONFIG_ERROR
    assert "--env: 'dev' has no layer stacks" in capsys.readouterr().err
