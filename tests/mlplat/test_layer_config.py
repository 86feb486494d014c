"""Layer stacks: names, the `layer` setting, where each section lives, dependency order, recorded outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlplat.core.errors import ConfigError
from mlplat.core.vocabulary import environment_of_stack, layer_of_stack
from mlplat.platform.config import parse_platform_config
from mlplat.platform.config_layers import pipelines_layer, registry_layer
from mlplat.platform.layers import check_layer_stack, layer_dependencies
from mlplat.tooling.cli import EXIT_CONFIG_ERROR, main
from mlplat.tooling.multistack import (
    LayerStack,
    dependency_levels,
    family_owners,
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
    ("prod-ml-services-fraud", ("prod", "ml-services-fraud")), ("prod-ml-services-", None),
    ("prod-ml-services-Fraud", None), ("prod-ml-servicesx", None),
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
    assert problems_of("network") == ["platform.layer: 'network' is not a layer: all, foundation, ml-services, "
                                      "ml-services-<team>, training, serving or serving-<team> (<team>: lowercase "
                                      "letters, digits and '-')"]
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


# --- team ml-services layers, layers.ml_services, the foundation's job log groups ------------------------------

FAMILY = {"model_registry": {"families": [{"name": "fraud"}]},
          "pipelines": {"fraud": {"metric": "auc", "threshold": 0.8}}}
GROUP = {"name": "txn", "record_identifier": "id", "event_time": "t", "owner": "ml@example.com",
         "data_classification": "internal", "pii": False,
         "features": [{"name": "id", "type": "String"}, {"name": "t", "type": "Fractional"}]}


def test_a_team_ml_services_layer_holds_families_and_pipelines_only():
    config = parse("ml-services-fraud", **FAMILY)
    assert config.layer == "ml-services-fraud" and config.pipelines["fraud"].metric == "auc"
    assert layer_dependencies(config.layer) == ("foundation",)
    found = problems_of("ml-services-fraud", **FAMILY, feature_store={"groups": [GROUP]}, experiment_tracking={},
                        training={"enabled": True})
    assert found == [
        "platform.feature_store: belongs to the environment's one ml-services stack's file "
        "(stacks/Pulumi.prod-ml-services.yaml), not to a team's ml-services-fraud stack: one Glue database "
        "<prefix>features per environment, which a second declaration would collide with (a team's ml-services "
        "stack holds model_registry and pipelines only)",
        "platform.experiment_tracking: belongs to the environment's one ml-services stack's file "
        "(stacks/Pulumi.prod-ml-services.yaml), not to a team's ml-services-fraud stack: one tracking server "
        "<prefix>mlflow per environment, which a second declaration would collide with (a team's ml-services "
        "stack holds model_registry and pipelines only)",
        "platform.training: belongs to the training layer's stack file, not to a ml-services-fraud stack (a setting "
        "lives in one stack file)",
    ]
    # The environment's one ml-services stack keeps them.
    assert parse("ml-services", feature_store={"groups": [GROUP]}).feature_store.groups[0].name == "txn"


def test_a_serving_layer_reads_the_ml_services_layer_its_config_names():
    config = parse("serving-fraud", layers={"ml_services": "ml-services-fraud"}, serving={"endpoints": [ENDPOINT]})
    assert config.layers.ml_services == "ml-services-fraud"
    assert layer_dependencies(config.layer, ml_services=config.layers.ml_services) == ("foundation",
                                                                                      "ml-services-fraud")
    assert parse("serving-fraud", serving={"endpoints": [ENDPOINT]}).layers.ml_services == "ml-services"


@pytest.mark.parametrize(("layer", "value", "expected"), [
    ("serving-fraud", "serving-fraud", "platform.layers.ml_services: 'serving-fraud' is not an ml-services layer: "
                                       "ml-services (the environment's) or ml-services-<team> (<team>: lowercase "
                                       "letters, digits and '-')"),
    ("serving-fraud", "ml-services-", "platform.layers.ml_services: 'ml-services-' is not an ml-services layer"),
    ("ml-services-fraud", "ml-services-fraud", "platform.layers.ml_services: 'ml-services-fraud' names this stack's "
                                               "own layer: an ml-services stack sets it to another ml-services "
                                               "layer, whose registry its pipelines register into"),
    ("ml-services", "training", "platform.layers.ml_services: 'training' is not an ml-services layer"),
    ("foundation", "ml-services-fraud", "platform.layers.ml_services: 'ml-services-fraud' is a setting of serving "
                                        "and ml-services layer stacks (the ml-services layer whose model families "
                                        "they read); a foundation stack reads none"),
    ("training", "ml-services", "a training stack reads none"),
    ("all", "ml-services-fraud", "the single stack declares its own ml-services"),
])
def test_layers_ml_services_names_another_ml_services_layer_in_serving_and_ml_services_stacks(layer, value, expected):
    sections = {"serving": {"endpoints": [ENDPOINT]}} if layer.startswith("serving") else {}
    found = problems_of(layer, layers={"ml_services": value}, **sections)
    assert [p for p in found if p.startswith("platform.layers.ml_services")] == [p for p in found if expected in p]
    assert any(expected in p for p in found), found


def test_a_pipelines_stack_reads_another_layers_registry_and_declares_none_of_its_own():
    pipelines = {"churn": {"metric": "auc", "threshold": 0.8}}
    config = parse("ml-services-pipelines", layers={"ml_services": "ml-services"}, pipelines=pipelines)
    # Its families are the registry layer's: the config names none, the contract check finds them.
    assert config.model_registry.families == () and list(config.pipelines) == ["churn"]
    assert registry_layer(config.layer, config.layers) == "ml-services"
    assert layer_dependencies(config.layer, ml_services="ml-services") == ("foundation", "ml-services")
    # Without the setting an ml-services stack reads no other layer, and its pipelines need its own families.
    own = parse("ml-services-fraud", model_registry=FAMILY["model_registry"])
    assert registry_layer(own.layer, own.layers) is None
    assert layer_dependencies(own.layer) == ("foundation",)
    [unknown] = problems_of("ml-services-fraud", pipelines=pipelines)
    assert unknown.startswith("platform.pipelines: 'churn' names a family that platform.model_registry.families "
                              "does not declare")
    [both] = problems_of("ml-services-pipelines", layers={"ml_services": "ml-services"}, **FAMILY)
    assert both.startswith("platform.model_registry: cannot be declared with layers.ml_services: ml-services (this "
                           "stack's pipelines register into the families of the ml-services layer's registry")


def test_the_job_log_groups_are_a_foundation_setting_with_a_cloudwatch_period():
    oncall = {"subscriptions": {"emails": ["a@example.com"]}}
    assert parse("foundation", layers={"sagemaker_job_logs_retention_days": 365}, monitoring=oncall).layers \
        .sagemaker_job_logs_retention_days == 365
    [bad] = problems_of("foundation", layers={"sagemaker_job_logs_retention_days": 42}, monitoring=oncall)
    assert bad.startswith("platform.layers.sagemaker_job_logs_retention_days: 42 ")
    assert problems_of("ml-services-fraud", layers={"sagemaker_job_logs_retention_days": 365}, **FAMILY) == [
        "platform.layers.sagemaker_job_logs_retention_days: 365 is a setting of the foundation layer; a "
        "ml-services-fraud stack does not declare it"]
    assert [p for p in problems_of("all", layers={"sagemaker_job_logs_retention_days": 365})
            if p.startswith("platform.layers")] == [
        "platform.layers.sagemaker_job_logs_retention_days: 365 is a setting of the foundation layer; a all stack "
        "derives it from the stack's own sections"]
    # In layers, the pipelines' own retention would be ignored: the foundation's setting is the one.
    pipelines = {"fraud": {"metric": "auc", "threshold": 0.8, "log_retention_days": 90}}
    assert problems_of("ml-services-fraud", model_registry=FAMILY["model_registry"], pipelines=pipelines) == [
        "platform.pipelines.fraud.log_retention_days: 90 is the retention of the account's SageMaker job log groups, "
        "which a layered environment's foundation declares: set its layers.sagemaker_job_logs_retention_days"]


def test_team_ml_services_layers_plan_beside_the_environments_before_their_serving_layers():
    layers = [layer("prod-serving-fraud", "prod-foundation", "prod-ml-services-fraud"),
              layer("prod-ml-services-fraud", "prod-foundation"), layer("prod-foundation"),
              layer("prod-ml-services", "prod-foundation"), layer("prod-serving-growth", "prod-foundation", "prod-ml-services")]
    levels = [[entry.stack for entry in level] for level in dependency_levels(layers)]
    assert levels == [["prod-foundation"], ["prod-ml-services-fraud", "prod-ml-services"],
                      ["prod-serving-fraud", "prod-serving-growth"]]
    with pytest.raises(ConfigError, match="prod-serving-fraud: references 'prod-ml-services-fraud', which is not a "
                                          "layer stack here"):
        dependency_levels([entry for entry in layers if entry.stack != "prod-ml-services-fraud"])


def test_a_family_in_two_ml_services_stacks_is_named_with_both():
    stacks = [LayerStack("prod-ml-services", "prod", "ml-services", ("prod-foundation",), families=("churn", "fraud")),
              LayerStack("prod-ml-services-fraud", "prod", "ml-services-fraud", ("prod-foundation",),
                         families=("fraud",)),
              LayerStack("prod-ml-services-risk", "prod", "ml-services-risk", ("prod-foundation",), families=("risk",))]
    [problem] = family_owners(stacks)
    assert problem.render() == (
        "platform.model_registry.families: 'fraud' is declared by 2 ml-services stacks: prod-ml-services and "
        "prod-ml-services-fraud; a family belongs to one of them (both would declare its group and repositories, "
        "named after it): keep it in one stack file")
    assert family_owners(stacks[1:]) == []


def test_a_pipelines_stack_plans_after_the_registry_it_reads_and_two_that_read_each_other_are_refused():
    layers = [layer("prod-ml-services-pipelines", "prod-foundation", "prod-ml-services"), layer("prod-foundation"),
              layer("prod-ml-services", "prod-foundation")]
    levels = [[entry.stack for entry in level] for level in dependency_levels(layers)]
    assert levels == [["prod-foundation"], ["prod-ml-services"], ["prod-ml-services-pipelines"]]
    cycle = [layer("prod-foundation"), layer("prod-ml-services-a", "prod-foundation", "prod-ml-services-b"),
             layer("prod-ml-services-b", "prod-foundation", "prod-ml-services-a")]
    with pytest.raises(ConfigError) as caught:
        dependency_levels(cycle)
    assert [p.render() for p in caught.value.problems] == [
        "prod-ml-services-a: references a stack that references it back",
        "prod-ml-services-b: references a stack that references it back"]


def test_a_serving_stack_names_the_layer_whose_pipelines_its_drift_loops_retrain():
    config = parse("serving-growth", layers={"ml_services": "ml-services-registry", "pipelines": "ml-services"},
                   serving={"endpoints": [ENDPOINT]})
    assert pipelines_layer(config.layer, config.layers) == "ml-services"
    assert layer_dependencies(config.layer, ml_services="ml-services-registry", pipelines="ml-services") == (
        "foundation", "ml-services-registry", "ml-services")
    # The same layer as its families', or none: nothing more to read.
    same = parse("serving-growth", layers={"pipelines": "ml-services"}, serving={"endpoints": [ENDPOINT]})
    assert pipelines_layer(same.layer, same.layers) is None
    assert layer_dependencies("serving-growth", pipelines=None) == ("foundation", "ml-services")
    [wrong_stack] = problems_of("ml-services-fraud", layers={"pipelines": "ml-services"},
                                model_registry=FAMILY["model_registry"])
    assert wrong_stack == ("platform.layers.pipelines: 'ml-services' is a setting of serving layer stacks (the "
                           "ml-services layer whose pipelines their drift loops retrain); a ml-services-fraud stack "
                           "has none")
    [wrong_layer] = problems_of("serving-growth", layers={"pipelines": "training"}, serving={"endpoints": [ENDPOINT]})
    assert wrong_layer.startswith("platform.layers.pipelines: 'training' is not an ml-services layer")
