"""The caches that make the pack cheaper are keyed right: each hit returns what the uncached call
would, and a different input never gets another input's result. (That whole reports do not change
is checked by tests/policies/test_runner_shortcuts.py and the rule cases.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from mlplat.tooling import policy_runner, pulumi_compat
from mlplat.tooling.offline import run_stack

REPO = Path(__file__).resolve().parents[2]


# --- the analyzer's conversions: once per message content, within one evaluation -----------------


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def _conversions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every conversion the shared MessageToDict really performs (of Structs, or through json_format)."""
    performed: list[Any] = []
    to_dict, convert = pulumi_compat.struct_to_dict, json_format.MessageToDict

    def counting_struct(message: Any, fallback: Any) -> Any:
        performed.append(message)
        return to_dict(message, fallback=convert)

    def counting(message: Any, *args: Any, **kwargs: Any) -> Any:
        performed.append(message)
        return convert(message, *args, **kwargs)

    monkeypatch.setattr(pulumi_compat, "struct_to_dict", counting_struct)
    monkeypatch.setattr(json_format, "MessageToDict", counting)
    return performed


def test_equal_messages_are_converted_once_and_different_ones_apart(monkeypatch: pytest.MonkeyPatch):
    import pulumi_policy.policy as servicer_module

    performed = _conversions(monkeypatch)
    with pulumi_compat.shared_pure_work():
        convert = servicer_module.json_format.MessageToDict
        first = convert(_struct({"bucket": "data", "count": 2}))
        copy = convert(_struct({"bucket": "data", "count": 2}))  # another message, same content
        other = convert(_struct({"bucket": "logs", "count": 2}))
        list_value = struct_pb2.ListValue()
        empty_struct, empty_list = convert(struct_pb2.Struct()), convert(list_value)  # both serialise to b""
    assert copy is first and first == {"bucket": "data", "count": 2}
    assert other == {"bucket": "logs", "count": 2}
    assert (empty_struct, empty_list) == ({}, [])
    assert len(performed) == 4


def test_conversions_are_not_shared_between_evaluations(monkeypatch: pytest.MonkeyPatch):
    import pulumi_policy.policy as servicer_module

    performed = _conversions(monkeypatch)
    for _ in range(2):
        with pulumi_compat.shared_pure_work():
            servicer_module.json_format.MessageToDict(_struct({"bucket": "data"}))
    assert len(performed) == 2
    assert servicer_module.json_format is json_format  # restored after each evaluation


def test_conversions_with_options_are_passed_through(monkeypatch: pytest.MonkeyPatch):
    import pulumi_policy.policy as servicer_module

    performed = _conversions(monkeypatch)
    message = _struct({"bucket": "data"})
    with pulumi_compat.shared_pure_work():
        convert = servicer_module.json_format.MessageToDict
        convert(message)
        convert(message, preserving_proto_field_name=True)
    assert len(performed) == 2


# --- Struct conversion: what json_format.MessageToDict gives, for every Struct -------------------


def test_struct_conversion_equals_json_format_on_a_reference_stacks_properties():
    plan = run_stack(REPO, "prod", preview=True)  # preview: unknowns, secrets and computed values too
    structs = policy_runner._Structs()
    for resource in plan.resources:
        for values in (resource.inputs, resource.outputs):
            message = structs.of(values)
            converted = pulumi_compat.struct_to_dict(message, fallback=json_format.MessageToDict)
            expected = json_format.MessageToDict(message)
            assert converted == expected and list(converted) == list(expected), resource.urn
            assert _types(converted) == _types(expected), resource.urn


def _types(value: Any) -> Any:
    """The value's shape with the type of every leaf (1 == 1.0 == True would hide a change)."""
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


def test_struct_conversion_covers_every_kind_of_value():
    message = _struct({
        "count": 2, "ratio": 0.25, "big": 2**60, "on": True, "off": False, "none": None, "name": "x", "empty": "",
        "nested": {"list": [1, "a", None, {"deep": [[]]}], "map": {}}, "list": [], "unicode": "caf\u00e9",
    })
    message.fields["unset"].SetInParent()  # a Value with no kind: null, as json_format reads it
    converted = pulumi_compat.struct_to_dict(message, fallback=json_format.MessageToDict)
    expected = json_format.MessageToDict(message)
    assert converted == expected and _types(converted) == _types(expected)
    assert converted["unset"] is None and converted["count"] == 2.0


@pytest.mark.parametrize("number", [float("inf"), float("-inf"), float("nan")])
def test_a_number_json_cannot_hold_gets_json_formats_own_error(number: float):
    message = _struct({"outer": {"value": number}})
    with pytest.raises(ValueError) as expected:
        json_format.MessageToDict(message)
    with pytest.raises(ValueError) as raised:
        pulumi_compat.struct_to_dict(message, fallback=json_format.MessageToDict)
    assert str(raised.value) == str(expected.value)


def test_other_messages_are_converted_by_json_format():
    options = analyzer_pb2.AnalyzerResourceOptions(protect=True, parent="urn:parent")
    assert pulumi_compat.struct_to_dict(options, fallback=json_format.MessageToDict) == {"protect": True, "parent": "urn:parent"}


# --- the runner's Structs: one per property mapping ------------------------------------------------


def test_a_mapping_is_built_into_a_struct_once_and_an_equal_one_separately():
    structs = policy_runner._Structs()
    inputs = {"bucket": "data", "tags": {"team": "ml"}}
    equal = {"bucket": "data", "tags": {"team": "ml"}}
    other = {"bucket": "logs"}
    built = structs.of(inputs)
    assert structs.of(inputs) is built
    assert structs.of(equal) is not built and structs.of(equal) == built
    assert json_format.MessageToDict(structs.of(other)) == other
    assert json_format.MessageToDict(built) == inputs


# --- the servicer's per-request work: once per request, within one evaluation --------------------


def _request(urn: str) -> Any:
    from pulumi.runtime.proto import analyzer_pb2

    request = analyzer_pb2.AnalyzeRequest(type="aws:s3/bucket:Bucket", urn=urn, name=urn.rsplit("::", 1)[-1])
    request.options.protect = urn.endswith("protected")
    request.provider.type = "pulumi:providers:aws"
    request.provider.urn = urn + "-provider"
    request.provider.properties.update({"region": "eu-west-1"})
    return request


def test_a_requests_options_and_provider_are_built_once_per_request():
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    from pulumi_policy import EnforcementLevel

    from mlplat.policies.pack import all_policies

    servicer = pulumi_compat.analyzer_servicer("pack", "0.0.1", all_policies()[:1], EnforcementLevel.ADVISORY, "")
    first = _request("urn:pulumi:dev::p::aws:s3/bucket:Bucket::data")
    protected = _request("urn:pulumi:dev::p::aws:s3/bucket:Bucket::protected")
    with pulumi_compat.shared_pure_work():
        options, provider = servicer._get_resource_options(first), servicer._get_provider_resource(first)
        assert servicer._get_resource_options(first) is options and servicer._get_provider_resource(first) is provider
        other_options, other_provider = servicer._get_resource_options(protected), servicer._get_provider_resource(protected)
    assert (options.protect, other_options.protect) == (False, True)
    assert (provider.urn, other_provider.urn) == (first.provider.urn, protected.provider.urn)
    assert provider.props["region"] == "eu-west-1"
    # restored: outside an evaluation every call builds afresh, as upstream does
    assert servicer._get_resource_options(first) is not servicer._get_resource_options(first)
    assert _PolicyAnalyzerServicer._get_resource_options.__qualname__ == "_PolicyAnalyzerServicer._get_resource_options"
