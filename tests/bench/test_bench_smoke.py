"""The benchmarks run end to end at tiny sizes; only the shape of their results is checked.

Timings are never asserted (bench/README.md): machines are noisy, and a test that fails because
a CI runner was busy teaches nothing. What is asserted is what the figures rest on: both sides of
a comparison declare the same resources, every figure has its median, min, max and run count,
every target says whether it was met, and `python -m bench` writes that into its JSON.
"""

from __future__ import annotations

import importlib.machinery
import json
import math
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `bench` is a directory of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

import bench  # noqa: E402
from bench import __main__ as bench_cli  # noqa: E402
from bench import policy_cost, scale, suite_time  # noqa: E402
from bench.overhead import ReplaySpec, inputs_match, monitor_identity, run_bare  # noqa: E402

STATS_KEYS = {"median", "min", "max", "runs"}
TARGET_KEYS = {"name", "value", "limit", "comparison", "unit", "met"}


def assert_stats(entry, runs):
    assert set(entry) == STATS_KEYS, entry
    assert entry["runs"] == runs
    assert entry["min"] <= entry["median"] <= entry["max"]


def assert_target(entry):
    assert set(entry) == TARGET_KEYS, entry
    assert entry["met"] in (True, False, None)
    assert (entry["met"] is None) == (entry["value"] is None), entry


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "results.json"
    code = bench_cli.main(
        ["--quick", "--runs", "1", "--warmup", "0", "--stacks", "dev", "--sizes", "1,2", "--verify-sizes", "6,12", "--generic-units", "2",
         "--no-memory", "--profile", "never", "--out", str(out)]
    )
    assert code == 0
    return json.loads(out.read_text())


def test_verify_reads_a_healthy_deployment_and_compares_with_plain_boto3(results):
    verify = results["verify"]
    assert [p["resources"] for p in verify["points"]] == [6, 12]
    for point in verify["points"]:
        assert point["problems_found"] == 0  # the generated deployment is healthy: only reads were timed
        assert_stats(point["ms"]["verify"], 1)
        assert_stats(point["ms"]["sequential_boto3"], 1)
        assert point["ratio"]["value"] > 0
    assert verify["growth"]["points"] == 2
    assert_target(verify["target"])
    assert verify["target"] in results["targets"]


def test_results_name_the_machine_and_the_versions(results):
    m = results["machine"]
    assert {"date", "cpu_count", "platform", "python", "packages", "load_average", "git"} <= set(m)
    assert m["packages"]["pulumi"] and m["packages"]["pulumi-aws"]
    assert results["options"]["runs"] == 1 and results["options"]["sizes"] == [1, 2]


def test_overhead_compares_the_same_resources_on_every_side(results):
    overhead = results["overhead"]
    (dev,) = overhead["stacks"]
    assert dev["stack"] == "dev" and dev["resources"] > 50
    assert dev["same_resources_on_every_side"] is True
    assert dev["same_inputs_in_replays"] == {"bare": True, "generic": True}
    assert dev["declared_generically_in_bare"] == []  # every type went through its provider class
    for name in ("mlplat_program", "mlplat_whole_plan", "bare_sdk", "generic_replay", "stock_monitor"):
        assert_stats(dev["ms"][name], runs=1)
    assert set(dev["ms"]["phases"]) == set(overhead["phases"]) == set(results["phases_after_program"])
    assert dev["ratio"]["value"] > 0 and dev["ratio"]["rounds"] == 1
    assert dev["ratio_over_generic_replay"]["value"] > 0
    assert set(dev["breakdown"]) == {"runner_over_stock_monitor", "stock_monitor_over_bare", "bare_over_generic_replay"}
    assert all(0 <= v <= 1 for v in dev["gc_share"].values())
    assert_target(overhead["target"])


def test_scale_reports_every_size_and_a_fitted_exponent(results):
    sc = results["scale"]
    assert [p["units"] for p in sc["points"]] == [1, 2]
    small, large = sc["points"]
    assert large["resources"] > small["resources"]
    for point in sc["points"]:
        assert_stats(point["ms"]["whole_plan"], runs=1)
        assert_stats(point["ms"]["bare_sdk"], runs=1)
        assert set(point["ms"]["phases"]) == set(sc["phases"])
        assert "memory" not in point  # --no-memory
    assert set(sc["families"]) == set(scale.DEFAULT_FAMILIES)
    for key in ("whole_plan", "program", "bare_sdk", "whole_plan_without_gc", "whole_plan_against_units"):
        assert {"exponent", "coefficient", "r_squared", "points"} <= set(sc["growth"][key])
    assert_target(sc["target"])


def test_policy_cost_is_measured_or_says_why_not(results):
    pc = results["policy_cost"]
    assert_target(pc["target"])
    if pc["runner"]["available"]:
        assert pc["status"] == "measured"
        assert {p["plan"] for p in pc["plans"]} == {"stack dev", "generated N=1", "generated N=2"}
        assert all(0 < p["share"] < 1 for p in pc["plans"])  # the pack is one phase of the whole plan
    else:
        assert pc["status"] == "not available" and pc["target"]["met"] is None
        assert pc["runner"]["detail"].startswith("not available")


def test_the_cost_estimate_share_is_read_from_the_same_plans(results):
    cs = results["cost_share"]
    assert_target(cs["target"])
    assert cs["status"] == "measured" and cs["target"]["limit"] == 0.02
    assert {p["plan"] for p in cs["plans"]} == {"stack dev", "generated N=1", "generated N=2"}
    assert all(0 < p["share"] < 1 for p in cs["plans"])  # the estimate is one phase of the whole plan
    for p in cs["plans"]:
        assert_stats(p["ms"]["cost"], 1)


def test_quick_runs_skip_the_suite_and_every_target_is_listed(results):
    assert results["suite"]["status"] == "skipped"
    assert len(results["targets"]) == 6
    for entry in results["targets"]:
        assert_target(entry)
    text = bench_cli.render(results)
    assert "Targets" in text and "1. Framework overhead" in text and "2. Scale" in text and "4. verify" in text
    assert "Generic path" in text
    assert "3b. Cost estimate" in text


def test_profiles_see_every_thread_and_name_functions():
    import threading

    def busy():
        return sum(i * i for i in range(20_000))

    def work():
        thread = threading.Thread(target=busy)
        thread.start()
        thread.join()

    prof = bench.profile(work, top=50)  # wide enough that machine load cannot push `busy` out
    assert prof["threads_profiled"] >= 2
    assert any("busy" in row["function"] for row in prof["top_cumulative"])
    assert {"function", "calls", "own", "cumulative"} == set(prof["top_own"][0])
    assert prof["own_by_area"]


@pytest.mark.parametrize("typed", [True, False], ids=["provider classes", "generic"])
def test_the_replay_declares_what_the_plan_declares(typed):
    plan = scale.plan_units(1)
    spec = ReplaySpec.from_plan(plan)
    assert ReplaySpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec
    assert monitor_identity(run_bare(spec, typed=typed)) == spec.identity() == sorted((r.type, r.name) for r in plan)
    assert inputs_match(plan, spec, typed=typed)


def test_a_generated_unit_is_a_whole_model_family():
    plan = scale.plan_units(1)
    unit = {r.type for r in plan if "u0000" in r.urn}
    assert {
        "aws:sagemaker/endpoint:Endpoint", "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:sagemaker/monitoringSchedule:MonitoringSchedule", "aws:sagemaker/featureGroup:FeatureGroup",
        "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
    } <= unit


def test_memory_children_report_both_sides():
    spec = ReplaySpec.from_plan(scale.plan_units(1))
    memory = scale.measure_memory(1, scale.DEFAULT_FAMILIES, spec, spec)
    assert "error" not in memory["mlplat"] and "error" not in memory["bare_sdk"], memory
    assert memory["mlplat"]["resources"] == memory["bare_sdk"]["resources"] == len(spec)
    assert set(memory["kb_per_resource"]) == {"program", "whole_plan", "bare_sdk"}


def test_suite_time_reads_outcomes_from_a_real_run(tmp_path):
    (tmp_path / "test_tiny.py").write_text("def test_one():\n    assert True\n")
    result = suite_time.measure([str(tmp_path)], ignore=[], cwd=tmp_path, dev_plan_ms=100.0)
    assert result["passed"] is True and result["outcomes"]["tests"] == 1
    assert result["seconds"]["suite_wall"] > 0 and result["suite_in_dev_plans"] > 0
    assert "--ignore=tests/bench" in " ".join(suite_time.command(["tests"], suite_time.DEFAULT_IGNORE))


def test_the_policy_phase_plugs_in_when_the_runner_exists(monkeypatch):
    def fake_module(**attrs):
        module = types.ModuleType(bench.POLICY_RUNNER_MODULE)
        module.__spec__ = importlib.machinery.ModuleSpec(bench.POLICY_RUNNER_MODULE, None)
        for key, value in attrs.items():
            setattr(module, key, value)
        return module

    monkeypatch.setitem(sys.modules, bench.POLICY_RUNNER_MODULE, fake_module())
    missing = bench.policy_runner()
    assert not missing.available and "has no evaluate" in missing.detail
    assert [p.name for p in bench.plan_phases(missing)] == ["contracts", "cost"]
    assert policy_cost.summarize(missing)["status"] == "not available"

    calls = []
    monkeypatch.setitem(sys.modules, bench.POLICY_RUNNER_MODULE, fake_module(evaluate=calls.append))
    present = bench.policy_runner()
    assert present.available
    phases = bench.plan_phases(present)
    assert [p.name for p in phases] == ["contracts", "policies", "cost"]
    bench.run_phases(scale.plan_units(1), phases)
    assert len(calls) == 1


def test_interleaving_reverses_the_order_every_round():
    order = []
    samples = bench.interleave({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, 3)
    assert order == ["a", "b", "b", "a", "a", "b"]
    assert {k: len(s.values) for k, s in samples.items()} == {"a": 3, "a.gc": 3, "b": 3, "b.gc": 3}


def test_power_law_fit_and_ratios():
    fit = bench.fit_power_law([10, 50, 200], [3 * x**1.5 for x in (10, 50, 200)])
    assert math.isclose(fit["exponent"], 1.5, abs_tol=1e-6) and math.isclose(fit["r_squared"], 1.0)
    assert bench.fit_power_law([10], [1.0])["exponent"] is None
    ratio = bench.ratio_summary([2.0, 4.0, 6.0], [1.0, 2.0, 3.0])
    assert ratio["value"] == 2.0 and ratio["per_round_min"] == ratio["per_round_max"] == 2.0
    assert bench.target("t", None, 1.0)["met"] is None and bench.target("t", 2.0, 1.0)["met"] is False


def test_a_stack_that_does_not_plan_is_reported_not_fatal():
    from bench import overhead

    result = overhead.measure(["no-such-stack"], runs=1)
    (entry,) = result["stacks"]
    assert entry["stack"] == "no-such-stack" and "ConfigError" in entry["error"]
    assert result["target"]["met"] is None
    assert policy_cost.summarize(bench.policy_runner(), result)["plans"] == []


def test_generic_path_compares_the_same_program_with_and_without_fakes(results):
    from bench import generic_path

    generic = results["generic"]
    (point,) = generic["points"]
    assert point["units"] == 2 and point["resources"] == 2 * generic_path.PER_UNIT
    for side in ("fakes", "generic"):
        assert_stats(point["ms"][side], 1)
        assert_stats(point["ms_per_resource"][side], 1)
    assert point["ratio"]["value"] > 0 and generic["types"] == list(generic_path.FAKED_TYPES)
    assert_target(generic["target"])
    assert generic["target"] in results["targets"]
