"""A component given something else than its Args fails at once, naming the Args class to build."""

from __future__ import annotations

from typing import Any

import pytest

from mlplat.components import (
    AlarmTopic, ArtifactStore, DriftMonitor, Encryption, EndpointMonitoring, ExperimentTracking, FeatureStore,
    ModelRegistry, Network, ServingEndpoint, TrainingCluster,
)
from mlplat.core.errors import WiringError
from mlplat.tooling.offline import run_callable

COMPONENTS = [AlarmTopic, ArtifactStore, DriftMonitor, Encryption, EndpointMonitoring, ExperimentTracking, FeatureStore,
              ModelRegistry, Network, ServingEndpoint, TrainingCluster]


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(("args", "shown"), [({"encryption": "keys"}, "dict"), (None, "None")])
def test_args_of_another_type_is_a_wiring_error(component: type, args: Any, shown: str) -> None:
    expected = f"{component.__name__}Args"
    with pytest.raises(WiringError) as info:
        run_callable(lambda: component("c", args))
    assert str(info.value) == (
        f"{component.__name__} 'c': args takes {expected}, got {shown}; build it with {expected}(...), which checks its fields"
    )
