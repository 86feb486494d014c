"""The caches that make the pack cheaper are keyed right: each hit returns what the uncached call
would, and a different input never gets another input's result. (That whole reports do not change
is checked by tests/policies/test_runner_shortcuts.py and the rule cases.)"""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from pydantic import ValidationError

from mlplat.policies.rules import registered_rules
from mlplat.policies.rules._framework import typed_config
from mlplat.tooling import policy_runner, pulumi_compat

RULES = {rule.id: rule for rule in registered_rules()}


# --- typed rule config: validated once per config model and content ------------------------------


def test_the_same_config_content_gives_the_same_validated_config():
    rule = RULES["MLP-EKS-03"]
    first = typed_config(rule, {"required_log_types": ["api", "audit"], "environment": "dev"})
    again = typed_config(rule, {"environment": "prod", "required_log_types": ["api", "audit"], "waivers": [{"rule": "x"}]})
    assert again is first  # keys the model does not declare (environment, waivers) are not part of the key
    assert list(first.required_log_types) == ["api", "audit"]


def test_a_different_config_content_is_validated_on_its_own():
    rule = RULES["MLP-EKS-03"]
    narrow = typed_config(rule, {"required_log_types": ["api"]})
    wide = typed_config(rule, {"required_log_types": ["api", "audit", "scheduler"]})
    assert list(narrow.required_log_types) == ["api"]
    assert list(wide.required_log_types) == ["api", "audit", "scheduler"]
    assert list(typed_config(rule, {}).required_log_types) == list(rule.config().required_log_types)


def test_rules_with_the_same_config_content_get_their_own_model():
    empty: dict[str, Any] = {}
    models = {type(typed_config(rule, empty)) for rule in RULES.values()}
    assert models == {rule.config for rule in RULES.values()}


def test_an_invalid_config_is_rejected_every_time():
    rule = RULES["MLP-EKS-03"]
    for _ in range(2):  # a failed validation is not remembered as a result
        with pytest.raises(ValidationError):
            typed_config(rule, {"required_log_types": "api"})


def test_a_config_that_is_not_json_is_still_validated():
    rule = RULES["MLP-EKS-03"]
    config = typed_config(rule, {"required_log_types": {"api"}})  # a set: no JSON key, validated as it is
    assert list(config.required_log_types) == ["api"]


# --- the analyzer's conversions: once per message content, within one evaluation -----------------


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def _conversions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every conversion the shared MessageToDict really performs."""
    performed: list[Any] = []
    convert = json_format.MessageToDict

    def counting(message: Any, *args: Any, **kwargs: Any) -> Any:
        performed.append(message)
        return convert(message, *args, **kwargs)

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
