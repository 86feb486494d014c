"""Waivers: reported as waived in every output, scoped by selector and finding, never for critical rules in prod."""

from __future__ import annotations

import json

import pulumi_aws as aws

from mlplat.tooling.offline import run_callable
from mlplat.tooling.policy_runner import evaluate
from mlplat.policies.presets import pack_config


def wildcard_policy() -> None:
    role = aws.iam.Role("role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    aws.iam.RolePolicy("grant", role=role.name, policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:*", "s3:Get*"], "Resource": "arn:aws:logs:us-east-1:123456789012:*"}]}))


def report_with(waivers, environment="prod"):
    return evaluate(run_callable(wildcard_policy), pack_config=pack_config(environment, waivers))


def waiver(**overrides):
    return {"rule": "MLP-IAM-01", "finding": "logs:*", "name": "grant", "reason": "log delivery needs every logs action here",
            "owner": "ml-platform", "expires": "2099-12-31", **overrides}


def test_a_per_finding_waiver_waives_only_that_finding_and_reports_it():
    report = report_with([waiver()])
    messages = [v.message for v in report.violations if v.rule_id == "MLP-IAM-01"]
    assert messages == ["policy statement Logs allows wildcard action s3:Get*"]
    assert len(report.waived) == 1
    waived = report.waived[0]
    assert waived.urn.endswith("::grant") and waived.level == "advisory"
    assert waived.rule_id == "MLP-IAM-01"
    assert "waived: policy statement Logs allows wildcard action logs:*" in waived.message
    assert "by ml-platform until 2099-12-31: log delivery needs every logs action here" in waived.message


def test_selectors_must_match_the_resource():
    report = report_with([waiver(name="other-*")])
    assert len([v for v in report.violations if v.rule_id == "MLP-IAM-01"]) == 2
    assert report.waived == []


def test_an_expired_waiver_is_ignored_and_reported():
    report = report_with([waiver(expires="2020-01-01")])
    assert len([v for v in report.violations if v.rule_id == "MLP-IAM-01"]) == 2
    assert any(v.rule_id == "MLP-GOV-04" and "expired on 2020-01-01 (ignored)" in v.message for v in report.violations)


def test_critical_rules_are_not_waivable_in_prod_but_are_in_dev():
    def open_trust():
        aws.iam.Role("role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}))

    critical = {"rule": "MLP-IAM-03", "name": "role", "reason": "sandbox role for a vendor trial", "owner": "sec", "expires": "2099-01-01"}
    plan = run_callable(open_trust)
    prod = evaluate(plan, pack_config=pack_config("prod", [critical]))
    assert "MLP-IAM-03" in prod.rule_ids("mandatory")
    dev = evaluate(plan, pack_config=pack_config("dev", [critical]))
    assert "MLP-IAM-03" not in dev.rule_ids()
    assert [v.rule_id for v in dev.waived] == ["MLP-IAM-03"]


def test_a_waiver_selecting_no_resource_covers_the_rules_stack_level_finding():
    # MLP-GOV-02 reports the stack itself (no resource): run_callable's stack states no environment.
    plan = run_callable(wildcard_policy)
    stack_waiver = {"rule": "MLP-GOV-02", "reason": "dev stacks are per developer and untagged", "owner": "growth",
                    "expires": "2099-01-01"}
    unwaived = evaluate(plan, pack_config=pack_config("dev", []))
    assert [v.urn for v in unwaived.violations if v.rule_id == "MLP-GOV-02"] == [""]
    waived = evaluate(plan, pack_config=pack_config("dev", [stack_waiver]))
    assert "MLP-GOV-02" not in waived.rule_ids()
    assert [v.rule_id for v in waived.waived] == ["MLP-GOV-02"]
    scoped = evaluate(plan, pack_config=pack_config("dev", [{**stack_waiver, "name": "grant"}]))
    assert "MLP-GOV-02" in scoped.rule_ids() and scoped.waived == []  # a resource selector never matches the stack
