"""PlatformConfig: strict parsing, environment defaults, one ConfigError listing every problem."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlplat.components.monitoring import EndpointAlarmsSpec, EndpointMonitoringArgs
from mlplat.components.serving_args import ServingEndpointSpec
from mlplat.components.training_pipeline import TrainingPipelineSpec
from mlplat.core.errors import ConfigError
from mlplat.core.models import StrictModel
from mlplat.platform.config import PlatformConfig, parse_platform_config
from mlplat.platform.config_monitoring import MonitoringConfig
from mlplat.platform.environments import ENDPOINT_OVERLAYS, ENVIRONMENT_OVERLAYS, PIPELINE_OVERLAYS
from mlplat.tooling.cli import EXIT_CONFIG_ERROR, main

SOURCE = "stacks/Pulumi.prod.yaml"
TAGS = {"owner": "ml@example.com", "cost_center": "cc-1", "project": "mlplat", "data_classification": "internal"}


ONCALL = {"subscriptions": {"emails": ["ml-oncall@example.com"]}}


def raw(environment: str = "prod", **sections):
    return {"environment": environment, "tags": dict(TAGS), "monitoring": ONCALL, **sections}


def parse(value, source=SOURCE, aws_region="us-east-1") -> PlatformConfig:
    return parse_platform_config(value, source=source, aws_region=aws_region)


@pytest.mark.parametrize(
    ("environment", "azs", "retention", "window", "protection", "lock", "force_destroy"),
    [
        ("dev", 2, 30, 7, False, False, True),
        ("staging", 2, 90, 30, True, False, False),
        ("prod", 3, 365, 30, True, True, False),
    ],
)
def test_defaults_follow_the_environment(environment, azs, retention, window, protection, lock, force_destroy):
    config = parse(raw(environment))
    assert config.network.availability_zones == azs
    assert config.network.flow_log_retention_days == retention
    assert config.network.cidr_block == "10.0.0.0/16"
    assert config.encryption.deletion_window_days == window
    assert config.deletion_protection is protection
    assert config.artifact_store.object_lock is lock
    assert config.artifact_store.force_destroy is force_destroy


def test_explicit_values_win_over_environment_defaults():
    config = parse(raw("prod", network={"availability_zones": 2}))
    assert config.network.availability_zones == 2


def test_the_issue_example_message_shape():
    with pytest.raises(ConfigError) as excinfo:
        parse(raw("prod", network={"availability_zones": 1}))
    assert excinfo.value.problems[0].render(SOURCE) == (
        "stacks/Pulumi.prod.yaml: platform.network.availability_zones: 1 is too few (need >= 2)"
    )


def test_unknown_keys_are_errors_that_list_the_allowed_keys():
    with pytest.raises(ConfigError) as excinfo:
        parse(raw("prod", netwrk={}))
    assert str(excinfo.value).splitlines()[1].strip() == (
        "stacks/Pulumi.prod.yaml: platform.netwrk: is not a known key (allowed: allow_unpriced_instance_types, artifact_store, budget_usd_per_month, deletion_protection, "
        "encryption, environment, experiment_tracking, feature_store, layer, layers, model_registry, monitoring, "
        "network, pipelines, region, serving, tags, team_budgets_usd_per_month, training)"
    )


def test_every_problem_is_reported_at_once():
    bad = raw("qa")
    bad["tags"]["data_classification"] = "secret"
    del bad["tags"]["owner"]
    with pytest.raises(ConfigError) as excinfo:
        parse(bad)
    lines = str(excinfo.value).splitlines()
    assert lines[0] == "invalid configuration (3 problems):"
    assert set(excinfo.value.paths) == {"platform.environment", "platform.tags.owner", "platform.tags.data_classification"}
    assert "stacks/Pulumi.prod.yaml: platform.environment: 'qa' is not allowed (allowed: 'dev', 'staging' or 'prod')" in str(excinfo.value)
    assert "stacks/Pulumi.prod.yaml: platform.tags.owner: is required" in str(excinfo.value)


def test_cross_field_rules_collect_every_problem():
    with pytest.raises(ConfigError) as excinfo:
        parse(
            raw(
                "prod",
                region="eu-west-1",
                deletion_protection=False,
                network={"availability_zones": 9, "flow_log_retention_days": 42},
                artifact_store={"force_destroy": True},
            )
        )
    text = str(excinfo.value)
    assert "platform.region: 'eu-west-1' does not match aws:region 'us-east-1'" in text
    assert "platform.network.availability_zones: 9 is too many (need <= 6)" in text
    assert "platform.network.flow_log_retention_days: 42 is not a CloudWatch Logs retention period" in text
    assert "platform.artifact_store.force_destroy: True is not allowed in prod" in text
    assert "platform.deletion_protection: False must be true in prod" in text
    assert len(excinfo.value.problems) == 5


def test_adopting_a_vpc_never_mixes_with_creation_fields():
    subnets = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
    existing = {"vpc_id": "vpc-0123456789abcdef0", "cidr_block": "10.1.0.0/16", "private_subnet_ids": subnets}
    config = parse(raw("prod", network={"existing": existing}))
    assert config.network.existing is not None and config.network.given() == {"existing": config.network.existing}
    with pytest.raises(ConfigError) as excinfo:  # what NetworkArgs refuses, at the key the user wrote
        parse(raw("prod", network={"existing": {**existing, "private_subnet_ids": ["subnet-1", subnets[0]]}}))
    assert excinfo.value.problems[0].render() == (
        "platform.network.existing.private_subnet_ids: 'subnet-1' is not a subnet id (subnet- and 8 or 17 hex digits)"
    )
    with pytest.raises(ConfigError) as excinfo:
        parse(raw("prod", network={"existing": existing, "cidr_block": "10.2.0.0/16"}))
    assert excinfo.value.problems[0].render() == (
        "platform.network.cidr_block: '10.2.0.0/16' cannot be set with platform.network.existing "
        "(adopting a VPC creates no network; drop one of them)"
    )


def test_bad_cidr_is_named():
    with pytest.raises(ConfigError, match=r"platform.network.cidr_block: '10.0.0.0/8' must be an IPv4 block between /16 and /24"):
        parse(raw("dev", network={"cidr_block": "10.0.0.0/8"}))


def test_training_public_access_is_checked_in_the_stack_config_as_the_cluster_checks_it():
    training = {"enabled": True, "admin_role_arns": ["arn:aws:iam::123456789012:role/admin"],
                "endpoint_public_access": True, "public_access_cidrs": ["10.0.0.5/24"]}
    with pytest.raises(ConfigError) as error:
        parse(raw("dev", training=training))
    assert "platform.training.public_access_cidrs: '10.0.0.5/24' is not a CIDR block such as 203.0.113.0/24" in str(error.value)
    private = {**training, "endpoint_public_access": False, "public_access_cidrs": ["203.0.113.0/24"]}
    with pytest.raises(ConfigError, match=r"platform.training.public_access_cidrs: .* has no effect without endpoint_public_access"):
        parse(raw("dev", training=private))


def test_missing_platform_value_and_region():
    with pytest.raises(ConfigError, match="ml-platform:platform: is missing"):
        parse(None)
    with pytest.raises(ConfigError, match="aws:region: is required"):
        parse(raw("dev"), aws_region=None)


def test_config_is_frozen():
    config = parse(raw("dev"))
    with pytest.raises(Exception):
        config.environment = "prod"  # type: ignore[misc]


# --- property: malformed configuration always yields a ConfigError naming the key -------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5000) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
VALID = raw("prod", network={"availability_zones": 3}, artifact_store={"object_lock_retention_days": 30})


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))


ALL_PATHS = [p for p in _paths(VALID) if p]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(ALL_PATHS), replacement=json_values)
def test_any_malformed_value_yields_a_config_error_naming_its_key(path, replacement):
    mutated = copy.deepcopy(VALID)
    target = mutated
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = replacement
    try:
        parse(mutated)
    except ConfigError as exc:
        dotted = ".".join(("platform",) + path)
        assert any(p.startswith(dotted) or dotted.startswith(p) for p in exc.paths), (dotted, exc.paths)


@settings(max_examples=100, deadline=None)
@given(key=st.text(min_size=1, max_size=10).filter(lambda k: k not in PlatformConfig.model_fields), value=json_values)
def test_any_unknown_key_is_an_error(key, value):
    with pytest.raises(ConfigError) as excinfo:
        parse({**VALID, key: value})
    assert f"platform.{key}" in excinfo.value.paths


def test_an_unknown_key_spelt_like_pydantics_key_marker_is_named():
    with pytest.raises(ConfigError) as excinfo:
        parse({**VALID, "[key]": None})
    assert excinfo.value.paths == ("platform.[key]",)


@settings(max_examples=100, deadline=None)
@given(value=json_values)
def test_any_top_level_garbage_is_a_config_error(value):
    with pytest.raises(ConfigError):
        parse(value)


# --- one run reports every problem of a stack file, at the keys the user wrote -----------------------



ROOT = Path(__file__).resolve().parents[2]
DEV_FILE = "stacks/Pulumi.dev.yaml"


def dev_stack_file() -> dict:
    return yaml.safe_load((ROOT / DEV_FILE).read_text())


def three_problems(document: dict) -> dict:
    """Adding an endpoint, tightening the alarms and giving a team more GPUs, carelessly: three
    problems that only the components used to find, one at a time, under their Args' names."""
    platform = document["config"]["ml-platform:platform"]
    platform["serving"]["endpoints"].append(
        {"name": "upsell", "model_package": "arn:aws:sagemaker:us-east-1:123456789012:model-package/mlplat-dev-upsell/1"}
    )
    platform["monitoring"]["endpoint_alarms"] = {"period_seconds": 30}
    platform["training"]["teams"][0]["gpus"] = {"g5": 40}
    return document


THREE_PROBLEMS = [
    "stacks/Pulumi.dev.yaml: platform.training.teams.0.gpus.g5: 40 is more GPUs than pool 'g5' can hold (16: its "
    "max_size x 8 GPUs per node)",
    "stacks/Pulumi.dev.yaml: platform.serving.endpoints.2.image_repository_arn: is required with model_package "
    "(the ECR repository of the package's inference image: the execution role may pull only from it; a family the "
    "model registry declares provides it)",
    "stacks/Pulumi.dev.yaml: platform.monitoring.endpoint_alarms.period_seconds: 30 is not a period for "
    "minute-resolution metrics (a multiple of 60 seconds; CloudWatch allows 10, 20 and 30 only for high-resolution "
    "metrics)",
]


def test_three_problems_in_three_sections_are_reported_in_one_error():
    config = three_problems(dev_stack_file())["config"]
    with pytest.raises(ConfigError) as excinfo:
        parse_platform_config(config["ml-platform:platform"], source=DEV_FILE, aws_region=config["aws:region"])
    assert [p.render(DEV_FILE) for p in excinfo.value.problems] == THREE_PROBLEMS


def test_three_problems_in_one_plan_run(tmp_path, capsys):
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "platform.py").write_text((ROOT / "stacks" / "platform.py").read_text())
    (tmp_path / DEV_FILE).write_text(yaml.safe_dump(three_problems(dev_stack_file())))
    assert main(["plan", "--stack", "dev", "--cwd", str(tmp_path), "--no-policies"]) == EXIT_CONFIG_ERROR
    assert capsys.readouterr().err.splitlines() == ["mlplat plan: invalid configuration (3 problems):"] + [
        f"  {line}" for line in THREE_PROBLEMS
    ]


def test_a_type_error_hides_no_other_problem():
    document = three_problems(dev_stack_file())
    platform = document["config"]["ml-platform:platform"]
    platform["serving"]["endpoints"][0]["variants"] = [{"initial_instance_count": "1"}]  # same section, other endpoint
    platform["artifact_store"] = {"object_lock_retention_days": True}  # another section
    with pytest.raises(ConfigError) as excinfo:
        parse_platform_config(platform, source=DEV_FILE, aws_region="us-east-1")
    assert set(excinfo.value.paths) == {
        "platform.serving.endpoints.0.variants.0.initial_instance_count",
        "platform.artifact_store.object_lock_retention_days",
        "platform.training.teams.0.gpus.g5",
        "platform.serving.endpoints.2.image_repository_arn",
        "platform.monitoring.endpoint_alarms.period_seconds",
    }


# --- one source for each setting ---------------------------------------------------------------------



def _overlay_leaves(overlay, model, prefix=()):
    """(path, overlay value, the model's own default) of every setting an overlay changes."""
    for key, value in overlay.items():
        assert key in model.model_fields, f"the overlay names {'.'.join(prefix + (key,))}, which {model.__name__} lacks"
        field = model.model_fields[key]
        nested = next((m for m in [field.annotation, *getattr(field.annotation, "__args__", ())]
                       if isinstance(m, type) and issubclass(m, StrictModel)), None)
        if isinstance(value, dict) and nested is not None:
            yield from _overlay_leaves(value, nested, prefix + (key,))
        else:
            yield prefix + (key,), value, field.get_default(call_default_factory=True)



@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_overlays_name_only_what_differs_from_the_specs(environment):
    leaves = list(_overlay_leaves(ENVIRONMENT_OVERLAYS[environment], PlatformConfig))
    leaves += list(_overlay_leaves(ENDPOINT_OVERLAYS[environment], ServingEndpointSpec, ("endpoint",)))
    leaves += list(_overlay_leaves(PIPELINE_OVERLAYS[environment], TrainingPipelineSpec, ("pipeline",)))
    assert leaves
    for path, value, default in leaves:
        if isinstance(default, tuple):  # a list in the overlay replaces the default's items
            default = [item.model_dump(exclude_unset=True) if isinstance(item, StrictModel) else item for item in default]
        assert value != default, f"{environment} overlay repeats the default of {'.'.join(path)} ({value!r})"


def test_a_setting_has_one_definition_shared_by_the_stack_config_and_the_args():
    config_field = MonitoringConfig.model_fields["endpoint_alarms"].annotation
    assert config_field is EndpointAlarmsSpec and issubclass(EndpointMonitoringArgs, EndpointAlarmsSpec)
    assert (EndpointMonitoringArgs.model_fields["model_latency_p99_ms"].description
            == EndpointAlarmsSpec.model_fields["model_latency_p99_ms"].description)
