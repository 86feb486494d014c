"""Careless edits of the reference stack files: never accepted when bad, never a traceback.

A property-based fuzzer mutates the three reference stack files as a careless user would (a key
deleted, a value of another type, a number out of range, a junk string, a list where a mapping
belongs...). Parsing either gives a valid config or raises one ConfigError whose every problem
names a key the user wrote (or a missing key, at a place the stack config has it); any other
exception fails. A few such
files go through `mlplat plan`: exit 2, one message, no traceback. Accepted mutations are planned
too, so a config the parser accepts is one the components accept.
"""

from __future__ import annotations

import copy
import math
import os
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from mlplat.core.errors import ConfigError
from mlplat.platform.config import PlatformConfig, parse_platform_config
from mlplat.platform.environments import with_environment_defaults
from mlplat.tooling.cli import EXIT_CONFIG_ERROR, main
from mlplat.tooling.offline import run_callable
from stacks.platform import build_platform

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("dev", "staging", "prod")
KEY = "ml-platform:platform"
DOCUMENTS = {stack: yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text()) for stack in STACKS}

Path_ = tuple[Any, ...]


def _paths(value: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every key and list item of a document, parents first."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield prefix + (key,)
        yield from _paths(child, prefix + (key,))


def _get(document: Any, path: Path_) -> Any:
    for step in path:
        document = document[step]
    return document


def _exists(document: Any, path: Path_) -> bool:
    for step in path:
        if isinstance(document, dict) and (step in document or str(step) in document):
            document = document[step] if step in document else document[str(step)]  # a dotted path says "0" as 0
        elif isinstance(document, list) and isinstance(step, int) and 0 <= step < len(document):
            document = document[step]
        else:
            return False
    return True


def _steps(dotted: str) -> Path_:
    return tuple(int(part) if part.isdigit() else part for part in dotted.split("."))


# --- mutations ------------------------------------------------------------------------------------

OTHER_TYPES = [None, True, False, 0, 1, -1, 2.5, "", "junk", [], [1, "a"], {}, {"unexpected": 1}]
OUT_OF_RANGE = [-1, 0, 10**12, 2**63, -(10**9), 1e300, float("inf"), float("nan")]
junk_text = st.one_of(
    st.sampled_from(["", " ", "a b#c", "aws:owned", "x" * 300, "ÜñíçødÉ", "\t\n", "${secret}", "*", "../..", "5", "true"]),
    st.text(max_size=20),
)


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    stack = draw(st.sampled_from(STACKS))
    document = copy.deepcopy(DOCUMENTS[stack])
    for _ in range(draw(st.integers(1, 3))):
        platform = document["config"][KEY]
        paths = list(_paths(platform))
        path = draw(st.sampled_from(paths))
        parent = _get(platform, path[:-1])
        current = parent[path[-1]]
        kind = draw(st.sampled_from(["delete", "other type", "out of range", "junk string", "wrong container", "unknown key"]))
        if kind == "delete":
            del parent[path[-1]]
        elif kind == "other type":
            other = draw(st.sampled_from([v for v in OTHER_TYPES if type(v) is not type(current)]))
            parent[path[-1]] = copy.deepcopy(other)  # a later mutation may edit it in place
        elif kind == "out of range":
            parent[path[-1]] = draw(st.sampled_from(OUT_OF_RANGE))
        elif kind == "junk string":
            parent[path[-1]] = draw(junk_text)
        elif kind == "wrong container":
            parent[path[-1]] = [current] if not isinstance(current, list) else {"0": current[0] if current else None}
        elif isinstance(current, dict):
            current[draw(st.sampled_from(["colour", "enabeld", "Name"]))] = copy.deepcopy(draw(st.sampled_from(OTHER_TYPES)))
        else:
            parent[path[-1]] = {"value": current}
    return stack, document


def _parse(document: dict[str, Any], stack: str) -> PlatformConfig:
    config = document["config"]
    return parse_platform_config(config.get(KEY), source=f"stacks/Pulumi.{stack}.yaml", aws_region=config.get("aws:region"))


def _field_types(annotation: Any) -> Iterator[Any]:
    """The types a field's annotation allows (Optional[X] and X | None give X)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for member in typing.get_args(annotation):
            yield from _field_types(member)
    elif annotation is not type(None):
        yield annotation


def _can_be_written(steps: Path_) -> bool:
    """`steps` is a place in PlatformConfig a user may write a key at: fields of models, items of
    lists, keys of mappings."""
    annotations: list[Any] = [PlatformConfig]
    for step in steps:
        following: list[Any] = []
        for annotation in annotations:
            origin = typing.get_origin(annotation)
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                field = annotation.model_fields.get(step) if isinstance(step, str) else None
                if field is not None:
                    following += _field_types(field.annotation)
            elif origin in (list, tuple) and isinstance(step, int):
                following += _field_types(typing.get_args(annotation)[0])
            elif origin is dict and isinstance(step, str):
                following += _field_types(typing.get_args(annotation)[1])
        if not following:
            return False
        annotations = following
    return True


def _named_where_the_user_wrote(problem_path: str, platform: Any) -> bool:
    """The key exists in the stack file's value, as written or with the environment's defaults laid
    under it (a defaulted value wrong for the stack, such as a dev-sized endpoint in prod); or it is
    missing and the user may write it there (a required key, or one the environment requires)."""
    if problem_path in ("aws:region", KEY):
        return True
    steps = _steps(problem_path)
    if steps[0] != "platform":
        return False
    steps = steps[1:]
    defaulted = with_environment_defaults(platform)
    if _exists(platform, steps) or _exists(defaulted, steps):
        return True
    # A missing key: below the deepest key that exists, only keys of models and mappings are missing.
    existing = max(n for n in range(len(steps) + 1) if _exists(defaulted, steps[:n]))
    return _can_be_written(steps) and all(isinstance(step, str) for step in steps[existing:])


@settings(max_examples=int(os.environ.get("MLPLAT_FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_documents())
def test_careless_edits_are_config_errors_at_the_keys_written(case: tuple[str, dict[str, Any]]):
    stack, document = case
    platform = document["config"].get(KEY)
    try:
        config = _parse(document, stack)
    except ConfigError as error:
        assert error.source == f"stacks/Pulumi.{stack}.yaml"
        misplaced = [p.render() for p in error.problems if not _named_where_the_user_wrote(p.path, platform)]
        assert misplaced == []
    else:
        assert isinstance(config, PlatformConfig)


@st.composite
def trimmed_documents(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A reference stack file with one or two keys deleted (what parses is planned below)."""
    stack = draw(st.sampled_from(STACKS))
    document = copy.deepcopy(DOCUMENTS[stack])
    for _ in range(draw(st.integers(1, 2))):
        platform = document["config"][KEY]
        path = draw(st.sampled_from([p for p in _paths(platform) if isinstance(_get(platform, p[:-1]), dict)]))
        del _get(platform, path[:-1])[path[-1]]
    return stack, document


# Planning is slow (seconds): a few accepted edits, each planned as `pulumi up` would run the program.
@settings(max_examples=int(os.environ.get("MLPLAT_FUZZ_PLANS", "3")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(trimmed_documents())
def test_accepted_edits_are_accepted_by_the_components_too(case: tuple[str, dict[str, Any]]):
    stack, document = case
    try:
        _parse(document, stack)
    except ConfigError:
        assume(False)
    config = document["config"]
    plan = run_callable(build_platform, project="ml-platform", stack=stack, config=config, region=config["aws:region"])
    assert plan.of_type("aws:kms/key:Key")  # the platform was declared (no late ConfigError or crash)


# --- the careless edits, one by one -------------------------------------------------------


def _mutated(stack: str, path: str, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENTS[stack])
    *parents, last = _steps(path)
    _get(document["config"][KEY], tuple(parents))[last] = value
    return document


@pytest.mark.parametrize(("stack", "path", "value", "expected"), [
    ("prod", "artifact_store.object_lock_retention_days", True,
     "platform.artifact_store.object_lock_retention_days: True is a boolean, not a whole number"),
    ("prod", "serving.endpoints.0.autoscaling.target_invocations_per_instance", True,
     "platform.serving.endpoints.0.autoscaling.target_invocations_per_instance: True is a boolean, not a number"),
    ("staging", "serving.endpoints.0.autoscaling.max_capacity", "3",
     "platform.serving.endpoints.0.autoscaling.max_capacity: '3' is a string, not a whole number"),
    ("prod", "training.teams.0.gpus.a100", 10**12,
     "platform.training.teams.0.gpus.a100: 1000000000000 is more GPUs than pool 'a100' can hold (128: its max_size "
     "x 8 GPUs per node)"),
    ("prod", "serving.endpoints.0.autoscaling.max_capacity", 600,
     "platform.serving.endpoints.0.autoscaling.max_capacity: 600 is more instances than prod allows (at most 40 per "
     "variant)"),
    ("dev", "tags.cost_center", "ml-platform; DROP",
     "platform.tags.cost_center: 'ml-platform; DROP' is not an AWS tag value (1 to 256 letters, digits, spaces and "
     "_ . : / = + - @, not blank)"),
    ("dev", "tags.extra", {"aws:team": "core", "team": "aws:core"},
     "platform.tags.extra: 'aws:team' is not an AWS tag key (1 to 128 letters, digits, spaces and _ . : / = + - @; "
     "not starting with 'aws:')"),
    ("dev", "serving.endpoints", 5, "platform.serving.endpoints: 5 is not a list"),
    ("dev", "monitoring.endpoint_alarms", {"invocation_4xx_error_rate": math.nan},
     "platform.monitoring.endpoint_alarms.invocation_4xx_error_rate: nan is not a finite number"),
])
def test_values_that_were_coerced_or_crashed_are_errors(stack, path, value, expected):
    with pytest.raises(ConfigError) as error:
        _parse(_mutated(stack, path, value), stack)
    assert expected in [p.render() for p in error.value.problems]


# --- through the CLI ------------------------------------------------------------------------------


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "platform.py").write_text((ROOT / "stacks" / "platform.py").read_text())
    return tmp_path


CLI_CASES = [
    ("dev", "serving.endpoints", 5),
    ("prod", "training.teams", {"name": "vision"}),
    ("staging", "monitoring.drift.churn.features", "tenure"),
    ("prod", "tags", ["owner"]),
]


@pytest.mark.parametrize(("stack", "path", "value"), CLI_CASES)
def test_plan_exits_2_with_one_message(project_copy: Path, capsys, stack, path, value):
    (project_copy / "stacks" / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(_mutated(stack, path, value)))
    assert main(["plan", "--stack", stack, "--cwd", str(project_copy), "--no-policies"]) == EXIT_CONFIG_ERROR
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("mlplat plan: invalid configuration (")
    assert f"stacks/Pulumi.{stack}.yaml: platform.{path}" in captured.err
    assert "Traceback" not in captured.err


def test_plan_in_a_fresh_process_prints_no_traceback(project_copy: Path):
    stack, path, value = CLI_CASES[0]
    (project_copy / "stacks" / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(_mutated(stack, path, value)))
    done = subprocess.run(
        [sys.executable, "-m", "mlplat.tooling.cli", "plan", "--stack", stack, "--cwd", str(project_copy), "--no-policies"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == EXIT_CONFIG_ERROR, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[1:] == [f"  stacks/Pulumi.{stack}.yaml: platform.serving.endpoints: 5 is not a list"]
