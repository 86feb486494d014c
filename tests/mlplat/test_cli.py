"""`mlplat plan`: formats, exit codes, and clean errors for bad stack files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from mlplat.cli import EXIT_CONFIG_ERROR, main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_text_plan_groups_resources_by_component(capsys):
    assert main(["plan", "--stack", "dev", "--cwd", str(ROOT)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Offline plan of stack 'dev' (project ml-platform)")
    assert "\n  mlplat:encryption:Encryption  platform-encryption\n" in out
    assert "aws:kms/key:Key  platform-encryption-data-key  [rotation on, deletion window 7d]" in out


def test_json_plan_is_shaped_like_pulumi_preview(capsys):
    assert main(["plan", "--stack", "prod", "--cwd", str(ROOT), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"steps", "changeSummary", "diagnostics"} <= set(doc)
    urns = [s["urn"] for s in doc["steps"]]
    assert "urn:pulumi:prod::ml-platform::pulumi:pulumi:Stack::ml-platform-prod" in urns
    assert (
        "urn:pulumi:prod::ml-platform::mlplat:platform:MLPlatform$mlplat:artifact_store:ArtifactStore"
        "$aws:s3/bucket:Bucket::platform-artifacts-models" in urns
    )


def test_markdown_plan_renders_a_table(capsys):
    assert main(["plan", "--stack", "staging", "--cwd", str(ROOT), "--format", "markdown", "--preview"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### mlplat offline plan: `staging`")
    assert "| `aws:kms/key:Key` | 5 |" in out  # data, models, logs, alerts and the training cluster's key


def test_bad_stack_file_exits_non_zero_with_the_error_and_no_traceback(project_copy: Path, capsys):
    stack_file = project_copy / "stacks" / "Pulumi.prod.yaml"
    doc = yaml.safe_load(stack_file.read_text())
    doc["config"]["ml-platform:platform"]["network"] = {"availability_zones": 1}
    doc["config"]["ml-platform:platform"]["artifact_stor"] = {}
    stack_file.write_text(yaml.safe_dump(doc))
    assert main(["plan", "--stack", "prod", "--cwd", str(project_copy)]) == EXIT_CONFIG_ERROR
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    assert "stacks/Pulumi.prod.yaml: platform.artifact_stor: is not a known key" in captured.err


def test_cross_field_error_names_the_stack_file(project_copy: Path, capsys):
    stack_file = project_copy / "stacks" / "Pulumi.prod.yaml"
    doc = yaml.safe_load(stack_file.read_text())
    doc["config"]["ml-platform:platform"]["network"] = {"availability_zones": 1}
    stack_file.write_text(yaml.safe_dump(doc))
    assert main(["plan", "--stack", "prod", "--cwd", str(project_copy)]) == EXIT_CONFIG_ERROR
    err = capsys.readouterr().err
    assert "stacks/Pulumi.prod.yaml: platform.network.availability_zones: 1 is too few for prod (need >= 2)" in err
    assert "Traceback" not in err


def test_unknown_stack_lists_the_stacks_there_are(capsys):
    assert main(["plan", "--stack", "qa", "--cwd", str(ROOT)]) == EXIT_CONFIG_ERROR
    assert "stacks/Pulumi.qa.yaml: does not exist (stacks with a file: dev, prod, staging)" in capsys.readouterr().err


def test_any_pulumi_python_program_can_be_planned(tmp_path: Path, capsys):
    (tmp_path / "Pulumi.yaml").write_text("name: other\nruntime: python\n")
    (tmp_path / "Pulumi.test.yaml").write_text("config:\n  aws:region: eu-west-1\n  other:size: 3\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi, pulumi_aws as aws\n"
        "size = pulumi.Config().require_int('size')\n"
        "for i in range(size):\n"
        "    aws.sqs.Queue(f'q{i}')\n"
    )
    assert main(["plan", "--stack", "test", "--cwd", str(tmp_path), "--format", "json", "--no-policies"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "policyViolations" not in doc
    queues = [s for s in doc["steps"] if s["newState"]["type"] == "aws:sqs/queue:Queue"]
    assert len(queues) == 3
    assert queues[0]["urn"].startswith("urn:pulumi:test::other::aws:sqs/queue:Queue::q")


def test_contract_errors_fail_the_plan_and_are_reported(tmp_path: Path, capsys):
    (tmp_path / "Pulumi.yaml").write_text("name: other\nruntime: python\n")
    (tmp_path / "Pulumi.test.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi_aws as aws\naws.cloudwatch.LogGroup('lg', name='has spaces', retention_in_days=30)\n"
    )
    assert main(["plan", "--stack", "test", "--cwd", str(tmp_path), "--format", "json", "--no-policies"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [(e["operation"], e["path"]) for e in doc["contractErrors"]] == [
        ("logs:CreateLogGroup", "logGroupName"),
        ("logs:PutRetentionPolicy", "logGroupName"),
    ]
