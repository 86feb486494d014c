"""The SDK versions mlplat is tested with, and what the tooling does outside them.

The installed versions are looked up once per process (`mlplat.core.sdk_compat.installed_version`);
these tests replace that lookup to play an untested SDK.
"""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path
from typing import Callable

import pulumi_aws as aws
import pulumi_policy.policy
import pulumi_policy.proxy
import pytest
from pulumi.runtime import rpc

from mlplat.core import sdk_compat
from mlplat.core.errors import PlatformError
from mlplat.tooling import cli, pulumi_compat
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan
from mlplat.tooling.policy_runner import PolicyReport, evaluate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[str]]:
    """`installed(pulumi="3.280.0")`: the version lookup answers these (the real one otherwise);
    returns the list of distributions looked up, in order."""
    real = sdk_compat.installed_version
    looked_up: list[str] = []

    def use(**versions: str) -> list[str]:
        fake = {name.replace("_", "-"): version for name, version in versions.items()}

        def lookup(distribution: str) -> str | None:
            looked_up.append(distribution)
            return fake[distribution] if distribution in fake else real(distribution)

        monkeypatch.setattr(sdk_compat, "installed_version", lookup)
        pulumi_compat.reset_version_checks()
        return looked_up

    yield use
    pulumi_compat.reset_version_checks()  # the next test looks the real versions up again


def _bucket_plan() -> Plan:
    return run_callable(lambda: aws.s3.Bucket("data"))


def _everything(report: PolicyReport) -> dict:
    return {**report.to_json(), "notApplicable": sorted(report.not_applicable)}


# --- the tested range ------------------------------------------------------------------------------


def test_the_tested_versions_are_the_pinned_ones():
    """TESTED_MINOR_VERSIONS, constraints.txt and pyproject.toml's requirements name one minor version."""
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M))
    requirements = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for distribution, (major, minor) in sdk_compat.TESTED_MINOR_VERSIONS.items():
        pinned = pins.get(distribution) or pins[distribution.replace("-", "_")]
        assert pinned.split(".")[:2] == [str(major), str(minor)], (distribution, pinned)
        expected = f"{distribution}{sdk_compat.sdk_version(distribution).tested_range}"
        assert expected in requirements, (expected, requirements)


def test_the_suite_runs_against_the_tested_versions():
    for distribution in sdk_compat.TESTED_MINOR_VERSIONS:
        version = sdk_compat.sdk_version(distribution)
        assert version.tested, version.describe()


@pytest.mark.parametrize(
    ("installed_version", "tested"),
    [("3.272.0", True), ("3.272.14", True), ("3.272.1.dev5", True), ("3.273.0", False), ("3.27.2", False),
     ("4.272.0", False), (None, False)],
)
def test_tested_means_the_same_minor_version(installed_version: str | None, tested: bool):
    assert sdk_compat.SdkVersion("pulumi", installed_version, (3, 272)).tested is tested


# --- the offline runner: no fallback, a clear error ---------------------------------------------


def test_an_untested_pulumi_stops_the_offline_runner_naming_both_versions(installed):
    installed(pulumi="3.280.1")
    with pytest.raises(PlatformError) as error:
        _bucket_plan()
    message = str(error.value)
    assert "pulumi 3.280.1 is installed" in message
    assert "pulumi>=3.272,<3.273" in message
    assert "\n" not in message


def test_another_patch_release_of_the_tested_minor_version_runs(installed):
    installed(pulumi="3.272.9")
    assert _bucket_plan().named("data").type == "aws:s3/bucket:Bucket"


def test_the_versions_are_looked_up_once(installed):
    looked_up = installed(pulumi="3.272.9")
    _bucket_plan()
    _bucket_plan()
    assert looked_up.count("pulumi") == 1


def test_mlplat_plan_with_an_untested_pulumi_exits_2_with_one_message(installed, capsys):
    installed(pulumi="3.280.1")
    assert cli.main(["plan", "--stack", "dev", "--cwd", str(ROOT)]) == cli.EXIT_CONFIG_ERROR
    err = capsys.readouterr().err
    assert err.startswith("mlplat plan: ") and err.count("\n") == 1, err
    assert "pulumi 3.280.1 is installed" in err and "Traceback" not in err


# --- the policy runner: the shortcuts fall back, the servicer fails clearly ------------------------


def test_the_tested_pulumi_policy_gets_the_shortcuts(monkeypatch: pytest.MonkeyPatch):
    plan = _bucket_plan()
    entered: list[bool] = []
    shared = pulumi_compat.shared_pure_work

    def counting():
        entered.append(True)
        return shared()

    monkeypatch.setattr(pulumi_compat, "shared_pure_work", counting)
    evaluate(plan, environment="prod")
    assert entered == [True]


def test_an_untested_pulumi_policy_falls_back_to_the_unmodified_servicer(installed, monkeypatch, caplog):
    plan = _bucket_plan()
    exact = evaluate(plan, environment="prod", shortcuts=False)
    installed(pulumi_policy="1.22.0")

    def no_shortcuts(*args, **kwargs):
        raise AssertionError("the shortcuts ran with an untested pulumi-policy")

    monkeypatch.setattr(pulumi_compat, "shared_pure_work", no_shortcuts)
    monkeypatch.setattr(pulumi_compat.SharingServicer, "__init__", no_shortcuts)
    with caplog.at_level(logging.WARNING, logger="mlplat"):
        first = evaluate(plan, environment="prod")
        second = evaluate(plan, environment="dev")
    assert _everything(first) == _everything(exact)
    assert first.failed and second.environment == "dev"
    warnings = [r.getMessage() for r in caplog.records if r.name == "mlplat"]
    assert len(warnings) == 1, warnings  # once per process
    assert "\n" not in warnings[0]
    assert "pulumi-policy 1.22.0 is installed" in warnings[0] and "pulumi-policy>=1.21,<1.22" in warnings[0]


def test_an_analyzer_that_cannot_be_built_is_an_error_naming_the_version(installed, monkeypatch):
    plan = _bucket_plan()
    installed(pulumi_policy="1.30.0")
    monkeypatch.delattr(pulumi_policy.policy, "_PolicyAnalyzerServicer")
    with pytest.raises(PlatformError) as error:
        evaluate(plan, environment="prod", stack_tags={"case": "servicer-moved"})  # not a cached servicer
    message = str(error.value)
    assert "pulumi-policy 1.30.0 is installed" in message and "pulumi-policy>=1.21,<1.22" in message


# --- the bottom layer's internals ---------------------------------------------------------------


def test_a_resource_class_without_internal_init_names_its_sdk_version():
    generated_elsewhere = type("Bucket", (), {"__module__": "pulumi_aws.s3"})
    with pytest.raises(PlatformError) as error:
        sdk_compat.resource_input_signature(generated_elsewhere)
    assert f"pulumi-aws {sdk_compat.installed_version('pulumi-aws')}" in str(error.value)


def test_a_registry_that_moved_names_the_pulumi_version(installed, monkeypatch):
    installed(pulumi="3.290.0")
    monkeypatch.delattr(rpc, "get_resource_module")
    with pytest.raises(PlatformError) as error:
        sdk_compat.module_classes("aws", "s3/bucket")
    assert "pulumi 3.290.0 is installed" in str(error.value) and "pulumi>=3.272,<3.273" in str(error.value)


def test_the_registry_lists_a_provider_s_classes():
    assert sdk_compat.module_classes("aws", "s3/bucket")["aws:s3/bucket:Bucket"] == ("pulumi_aws.s3", "Bucket")
    assert "s3/bucket" in sdk_compat.registered_modules("aws")
    assert "tags" in sdk_compat.resource_input_signature(aws.s3.Bucket).parameters


def test_an_unknown_value_error_that_moved_names_the_pulumi_policy_version(installed, monkeypatch):
    installed(pulumi_policy="1.40.0")
    monkeypatch.delattr(pulumi_policy.proxy, "UnknownValueError")
    with pytest.raises(PlatformError) as error:
        getattr(sdk_compat, "UnknownValueError")  # what `from mlplat.core.sdk_compat import ...` asks
    assert "pulumi-policy 1.40.0 is installed" in str(error.value)
