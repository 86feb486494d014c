"""The non-compliant example is blocked by the pack, with the expected rules."""

from __future__ import annotations

from pathlib import Path

from mlplat.tooling.cli import main
from mlplat.tooling.offline import run_stack
from mlplat.tooling.policy_runner import evaluate

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "noncompliant"
EXPECTED_MANDATORY = {
    "MLP-S3-01", "MLP-S3-02", "MLP-S3-03", "MLP-S3-04", "MLP-S3-05", "MLP-S3-06",  # public bucket
    "MLP-EP-01", "MLP-EP-02", "MLP-EP-03",  # unencrypted endpoint configuration
    "MLP-IAM-01", "MLP-IAM-03", "MLP-IAM-04",  # wildcard policy, open trust
    "MLP-K8S-01", "MLP-K8S-02", "MLP-K8S-03", "MLP-K8S-04", "MLP-K8S-07",  # privileged pod
    "MLP-GOV-01", "MLP-GOV-02",  # untagged, environment not stated by the stack
}


def test_the_pack_blocks_the_noncompliant_example_with_the_expected_rules():
    report = evaluate(run_stack(EXAMPLE, "prod"), environment="prod")
    assert report.failed
    assert EXPECTED_MANDATORY <= report.rule_ids("mandatory"), sorted(EXPECTED_MANDATORY - report.rule_ids("mandatory"))


def test_mlplat_plan_exits_non_zero_and_names_the_rules(capsys):
    assert main(["plan", "--cwd", str(EXAMPLE), "--stack", "prod", "--environment", "prod"]) == 1
    out = capsys.readouterr().out
    assert "MANDATORY MLP-S3-02" in out and "MANDATORY MLP-IAM-03" in out
