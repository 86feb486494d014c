"""`mlplat plan --env` starts each layer as soon as the layers it references are planned."""

from __future__ import annotations

import threading

from mlplat.tooling.multistack import LayerResult, LayerStack, dependency_levels, plan_in_dependency_order


def layer(stack: str, *references: str) -> LayerStack:
    environment, name = stack.split("-", 1)
    return LayerStack(stack, environment, name, references)


LAYERS = [
    layer("prod-foundation"),
    layer("prod-training", "prod-foundation"),
    layer("prod-ml-services", "prod-foundation"),
    layer("prod-serving-a", "prod-foundation", "prod-ml-services"),
]
LEVELS = {entry.stack: index for index, level in enumerate(dependency_levels(LAYERS)) for entry in level}


def test_a_layer_starts_when_its_references_are_planned_not_its_whole_level():
    serving_started = threading.Event()
    started: list[str] = []

    def plan(entry: LayerStack) -> LayerResult:
        started.append(entry.stack)
        if entry.stack == "prod-serving-a":
            serving_started.set()
        if entry.stack == "prod-training":
            # Training shares the level of ml-services; serving must not wait for it.
            assert serving_started.wait(timeout=10), "the serving layer waited for an unrelated layer"
        return LayerResult(entry, LEVELS[entry.stack], exit_code=0, seconds=0.0)

    results = plan_in_dependency_order(LAYERS, 2, plan, LEVELS)
    assert {r.layer.stack: r.exit_code for r in results} == dict.fromkeys(LEVELS, 0)
    assert started[0] == "prod-foundation"
    # ml-services has a layer waiting on it, training none: ml-services is started first.
    assert started.index("prod-ml-services") < started.index("prod-training")
    assert started.index("prod-serving-a") > started.index("prod-ml-services")


def test_a_failed_layer_skips_the_layers_above_it_and_no_other():
    def plan(entry: LayerStack) -> LayerResult:
        return LayerResult(entry, LEVELS[entry.stack], exit_code=1 if entry.stack == "prod-ml-services" else 0, seconds=0.0)

    results = {r.layer.stack: r for r in plan_in_dependency_order(LAYERS, 1, plan, LEVELS)}
    assert results["prod-serving-a"].skipped_because == "prod-ml-services failed"
    assert results["prod-training"].exit_code == 0 and results["prod-training"].skipped_because is None
    assert results["prod-serving-a"].level == 2


def test_one_worker_plans_every_layer_after_its_references():
    order: list[str] = []

    def plan(entry: LayerStack) -> LayerResult:
        assert set(entry.referenced_stacks) <= set(order), f"{entry.stack} ran before {entry.referenced_stacks}"
        order.append(entry.stack)
        return LayerResult(entry, LEVELS[entry.stack], exit_code=0, seconds=0.0)

    plan_in_dependency_order(list(reversed(LAYERS)), 1, plan, LEVELS)
    assert sorted(order) == sorted(LEVELS)
