"""`mlplat plan`: formats, exit codes, and clean errors for bad stack files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from mlplat.tooling.cli import EXIT_CONFIG_ERROR, main

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
    assert "stacks/Pulumi.prod.yaml: platform.network.availability_zones: 1 is too few (need >= 2)" in err
    assert "Traceback" not in err


def test_unknown_stack_lists_the_stacks_there_are(capsys):
    assert main(["plan", "--stack", "qa", "--cwd", str(ROOT)]) == EXIT_CONFIG_ERROR
    assert ("stacks/Pulumi.qa.yaml: does not exist (stacks with a file: dev, prod, prod-foundation, prod-ml-services, "
            "prod-serving-growth, prod-training, staging)") in capsys.readouterr().err


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


def test_baseline_with_a_feature_the_plan_drops_fails_a_prod_plan(tmp_path: Path, capsys):
    baseline = tmp_path / "baseline.json"
    assert main(["plan", "--stack", "prod", "--cwd", str(ROOT), "--format", "json", "--out", str(baseline)]) == 0
    doc = json.loads(baseline.read_text())
    step = next(s for s in doc["steps"] if s["newState"]["type"] == "aws:sagemaker/featureGroup:FeatureGroup")
    step["newState"]["inputs"]["featureDefinitions"].append({"featureName": "churn_score", "featureType": "Fractional"})
    baseline.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["plan", "--stack", "prod", "--cwd", str(ROOT), "--baseline", str(baseline)]) == 1
    assert "churn_score" in capsys.readouterr().out


def test_lineage_lists_a_family_and_rejects_an_unknown_one(capsys):
    assert main(["lineage", "--stack", "prod", "--cwd", str(ROOT), "--family", "churn"]) == 0
    assert "aws:sagemaker/endpoint:Endpoint" in capsys.readouterr().out
    assert main(["lineage", "--stack", "prod", "--cwd", str(ROOT), "--family", "nope"]) == 1
    assert "no resource of model family 'nope'" in capsys.readouterr().err
    assert main(["lineage", "--stack", "prod", "--cwd", str(ROOT), "--feature-group", "customers"]) == 0
    assert "aws:sagemaker/featureGroup:FeatureGroup" in capsys.readouterr().out


def test_a_policy_pack_config_file_decides_the_levels(capsys):
    example = ROOT / "examples" / "noncompliant"
    config = ROOT / "policies" / "config" / "prod.json"
    assert main(["plan", "--stack", "prod", "--cwd", str(example), "--policy-pack-config", str(config)]) == 1
    assert "MANDATORY MLP-S3-02" in capsys.readouterr().out


@pytest.mark.parametrize(("command", "committed"), [("schema", ROOT / "schemas"), ("policy-config", ROOT / "policies" / "config")])
def test_generators_write_what_the_repository_commits(command: str, committed: Path, tmp_path: Path):
    pack = ["--policy-pack", str(ROOT / "policies")] if command == "policy-config" else []
    assert main([command, "--out", str(tmp_path), *pack]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in committed.iterdir() if p.suffix == ".json")
    for name in written:
        assert (tmp_path / name).read_text() == (committed / name).read_text(), name
