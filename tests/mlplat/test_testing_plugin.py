"""The pytest plugin users enable in their own repositories (mlplat.tooling.testing, registered as `mlplat`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _write_project(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", Pulumi="name: demo\nruntime: python\nstackConfigDir: stacks\n")
    stacks = pytester.mkdir("stacks")
    (stacks / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  demo:queues: 2\n  demo:token:\n    secure: v1:abc\n"
    )
    (pytester.path / "__main__.py").write_text(
        "import pulumi, pulumi_aws as aws\n"
        "for i in range(pulumi.Config().require_int('queues')):\n"
        "    aws.sqs.Queue(f'q{i}')\n"
    )


def test_fixtures_run_programs_and_stacks(pytester: pytest.Pytester):
    _write_project(pytester)
    pytester.makepyfile(
        test_user=textwrap.dedent(
            """
            import pulumi, pulumi_aws as aws

            def test_program(mlplat_run):
                plan = mlplat_run(lambda: aws.s3.Bucket("b"), region="eu-west-1")
                assert plan.named("b").outputs["bucketRegionalDomainName"].endswith(".s3.eu-west-1.amazonaws.com")

            def test_stack_file_config_and_secrets(mlplat_run):
                seen = {}
                def program():
                    seen["token"] = pulumi.Config().get("token")
                    seen["region"] = pulumi.Config("aws").get("region")
                plan = mlplat_run(program, stack_file="dev")
                assert seen == {"token": "[secret]", "region": "eu-west-1"}
                assert plan.stack == "dev" and plan.project == "demo"

            def test_whole_stack(mlplat_stack):
                plan = mlplat_stack("dev")
                assert [r.name for r in plan.of_type("aws:sqs/queue:Queue")] == ["q0", "q1"]

            def test_a_config_override_of_the_region_reaches_the_fakes(mlplat_run):
                plan = mlplat_run(lambda: aws.s3.Bucket("b"), stack_file="dev", config={"aws:region": "us-west-2"})
                assert plan.named("b").outputs["bucketRegionalDomainName"].endswith(".s3.us-west-2.amazonaws.com")

            def test_checks_pass_when_they_run(mlplat_run, mlplat_checks):
                def program():
                    bucket = aws.s3.Bucket("b")
                    mlplat_checks.on(bucket.arn, lambda arn: assert_arn(arn))
                mlplat_run(program)

            def assert_arn(arn):
                assert arn.startswith("arn:aws:s3:::b-")
            """
        )
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=5)


def test_a_check_that_never_runs_fails_the_test(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_user=textwrap.dedent(
            """
            import pulumi_aws as aws

            def test_preview_hides_the_value(mlplat_run, mlplat_checks):
                def program():
                    bucket = aws.s3.Bucket("b")
                    mlplat_checks.on(bucket.arn, lambda arn: None)
                mlplat_run(program, preview=True)
            """
        )
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*check registered at*never ran*"])


def test_a_failing_check_fails_the_test(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_user=textwrap.dedent(
            """
            import pulumi_aws as aws

            def test_wrong_expectation(mlplat_run, mlplat_checks):
                def program():
                    key = aws.kms.Key("k")
                    mlplat_checks.on(key.arn, lambda arn: check(arn))
                mlplat_run(program)

            def check(arn):
                assert arn.startswith("arn:aws:kms:eu-west-1:")
            """
        )
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*arn:aws:kms:us-east-1*", "FAILED test_user.py::test_wrong_expectation*"])


HEAVY_MODULES = ("pulumi", "pulumi_aws", "pulumi_kubernetes", "pulumi_policy", "mlplat.components", "mlplat.policies",
                 "mlplat.tooling.offline")


def test_the_plugin_imports_nothing_until_a_fixture_is_used(pytester: pytest.Pytester):
    """pytest loads the plugin in every run of every project where mlplat is installed: loading it and
    collecting tests imports no SDK, component or runner; the first fixture that runs a program does."""
    pytester.makepyfile(
        test_user=textwrap.dedent(
            f"""
            import sys

            HEAVY = {HEAVY_MODULES!r}
            AT_COLLECTION = [m for m in HEAVY if m in sys.modules]

            def test_loaded_but_nothing_heavy_imported(pytestconfig):
                assert pytestconfig.pluginmanager.has_plugin("mlplat")
                assert "mlplat.tooling.testing" in sys.modules
                assert AT_COLLECTION == []
                assert [m for m in HEAVY if m in sys.modules] == []

            def test_the_first_fixture_use_imports_the_runner(mlplat_run):
                plan = mlplat_run(lambda: None)
                assert plan.resources == []
                assert "mlplat.tooling.offline" in sys.modules and "pulumi" in sys.modules
            """
        )
    )
    # A process of its own: this one has imported everything already.
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=2)
