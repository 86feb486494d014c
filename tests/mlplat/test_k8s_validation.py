"""Kubernetes objects a training cluster declares validate against the Kubernetes OpenAPI schema
(kubernetes-validate) and the CRDs mlplat ships (Kueue, Karpenter); broken objects fail with the
field named. `$MLPLAT_KUEUE_CRDS` may replace the shipped Kueue CRDs; a bad folder is an error.
"""

from __future__ import annotations

import copy
import functools
import tomllib
from pathlib import Path

import pytest

from mlplat.components import _k8s_objects as objects
from mlplat.components.encryption import Encryption, EncryptionArgs
from mlplat.components.network import Network, NetworkArgs
from mlplat.components.training_args import DEFAULT_KUBERNETES_VERSION, KUBERAY_CHART, GpuPoolArgs, TeamArgs, TrainingClusterArgs
from mlplat.components.training_cluster import TrainingCluster
from mlplat.core.errors import ConfigError
from mlplat.tooling import crds as crd_data
from mlplat.tooling import k8s_validation as kv
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan

SHIPPED_KUEUE = "Kueue 0.19.2 (shipped with mlplat)"


def cluster_program() -> None:
    keys = Encryption("enc", EncryptionArgs(domains=("logs", "cluster")))
    network = Network("net", NetworkArgs(log_key=keys.key("logs"), extra_interface_endpoints=("ec2", "eks", "ssm", "sqs")))
    TrainingCluster(
        "training",
        TrainingClusterArgs(
            cluster_name="mlplat-prod-training", network=network, cluster_key=keys.key("cluster"), log_key=keys.key("logs"),
            admin_role_arns=("arn:aws:iam::123456789012:role/platform-admin",), kuberay=KUBERAY_CHART,
            gpu_pools=(GpuPoolArgs(name="a10g", instance_types=("g5.xlarge",)), GpuPoolArgs(name="l4", instance_types=("g6.xlarge",))),
            teams=(TeamArgs(name="vision", gpus={"a10g": 2}, namespaces=("vision", "vision-eval")),
                   TeamArgs(name="nlp", gpus={"l4": 1}, gpu_borrowing_limit=1, pod_security="baseline")),
        ),
    )


@functools.cache
def plan(preview: bool = False) -> Plan:
    return run_callable(cluster_program, preview=preview)


# --- schema versions -------------------------------------------------------------------------


def test_the_newest_shipped_schema_not_newer_than_the_cluster_is_used() -> None:
    shipped = kv.shipped_versions()
    assert "1.34.0" in shipped  # kubernetes-validate 1.37 ships 1.25.0 ... 1.37.0
    assert kv.schema_version(DEFAULT_KUBERNETES_VERSION) == "1.34.0"
    assert kv.schema_version("1.34.7") == "1.34.0"
    assert kv.schema_version("v1.99") == shipped[-1]
    with pytest.raises(ValueError, match=r"ships no schema for Kubernetes 1\.2 or older"):
        kv.schema_version("1.2")


# --- the cluster's objects -------------------------------------------------------------------


@pytest.mark.parametrize("preview", [False, True])
def test_every_object_the_cluster_declares_validates(preview: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(crd_data.KUEUE.env, raising=False)
    p = plan(preview)
    report = kv.check_plan(p, kubernetes_version=DEFAULT_KUBERNETES_VERSION)
    assert report.problems == [], kv.render(report)
    declared = {r.urn for r in kv.kubernetes_objects(p)}
    assert set(report.validated) == declared
    kinds = sorted({r.type.rsplit(":", 1)[-1] for r in kv.kubernetes_objects(p)})
    assert kinds == ["ClusterQueue", "Cohort", "EC2NodeClass", "LimitRange", "LocalQueue", "Namespace", "NetworkPolicy",
                     "NodePool", "PriorityClass", "ResourceFlavor", "ResourceQuota", "ServiceAccount"]
    assert sorted(urn.rsplit("::", 1)[-1] for urn, _ in report.skipped) == [
        "training-dcgm-exporter", "training-karpenter", "training-karpenter-crd", "training-kuberay", "training-kueue",
        "training-nvidia-device-plugin",
    ]
    assert report.schema_version == "1.34.0"
    assert report.crd_sources == (SHIPPED_KUEUE, "Karpenter 1.14.1 (shipped with mlplat)")


# --- where the CRDs come from ----------------------------------------------------------------


def test_every_shipped_crd_set_carries_its_licence_and_source() -> None:
    for crd_set in crd_data.CRD_SETS:
        folder = crd_data.shipped_folder(crd_set)
        notice = folder.joinpath("NOTICE").read_text()
        assert f"tag v{crd_set.version}" in notice and "Apache License 2.0" in notice, crd_set.folder
        licence = folder.joinpath("LICENSE").read_text()
        assert "Apache License" in licence and "Version 2.0, January 2004" in licence and "END OF TERMS AND CONDITIONS" in licence
        loaded = crd_data.load_crd_set(crd_set, environ={})
        assert {crd.group for crd in loaded.versions.values()} == set(crd_set.groups), crd_set.folder


def test_the_package_data_globs_ship_every_vendored_file() -> None:
    root = Path(__file__).resolve().parents[2]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["mlplat"]
    shipped = {path for pattern in globs for path in (root / "mlplat").glob(pattern)}
    vendored = {path for path in (root / "mlplat" / "data").rglob("*") if path.is_file() and "__pycache__" not in path.parts}
    assert vendored and vendored <= shipped, sorted(str(p) for p in vendored - shipped)


def test_the_shipped_sets_serve_the_versions_the_components_declare() -> None:
    kueue = crd_data.load_crd_set(crd_data.KUEUE, environ={}).versions
    karpenter = crd_data.load_crd_set(crd_data.KARPENTER, environ={}).versions
    assert {kind for (api_version, kind) in kueue if api_version == "kueue.x-k8s.io/v1beta2"} == {
        "ClusterQueue", "Cohort", "LocalQueue", "ResourceFlavor", "WorkloadPriorityClass"}
    assert set(karpenter) == {("karpenter.sh/v1", "NodePool"), ("karpenter.k8s.aws/v1", "EC2NodeClass")}
    assert not karpenter[("karpenter.sh/v1", "NodePool")].namespaced


def test_the_environment_variable_replaces_the_shipped_kueue_crds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = crd_data.shipped_folder(crd_data.KUEUE)
    for file in shipped.iterdir():
        if file.name.endswith(".yaml") and "clusterqueues" not in file.name:
            (tmp_path / file.name).write_text(file.read_text())
    monkeypatch.setenv(crd_data.KUEUE.env, str(tmp_path))
    report = kv.check_plan(plan(), kubernetes_version="1.34")
    assert report.crd_sources == (f"{tmp_path.resolve()} ($MLPLAT_KUEUE_CRDS)", "Karpenter 1.14.1 (shipped with mlplat)")
    unserved = {(p.kind, p.path, p.message) for p in report.problems}
    assert {kind for kind, _, _ in unserved} == {"ClusterQueue"}  # this folder has no ClusterQueue CRD
    (_, path, message), = {(k, p, m) for k, p, m in unserved if m.startswith("kueue.x-k8s.io/v1beta2 ClusterQueue")}
    assert path == "" and "is not served by the CRDs in use" in message and "kueue.x-k8s.io/v1beta2 LocalQueue" in message


def test_a_missing_crd_folder_is_an_error_not_a_skip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.setenv(crd_data.KUEUE.env, str(missing))
    with pytest.raises(ConfigError) as raised:
        kv.check_plan(plan(), kubernetes_version="1.34")
    assert raised.value.problems[0].render() == (
        f"$MLPLAT_KUEUE_CRDS: {str(missing)!r} is not a folder (a folder of Kueue CRD files, or unset it to use the "
        "Kueue 0.19.2 CRDs shipped with mlplat)"
    )


def test_a_folder_without_the_sets_crds_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    karpenter = crd_data.shipped_folder(crd_data.KARPENTER)
    for file in karpenter.iterdir():
        (tmp_path / file.name).write_text(file.read_text())  # CRDs, but of another project
    (tmp_path / "notes.txt").write_text("not read")
    monkeypatch.setenv(crd_data.KUEUE.env, str(tmp_path))
    with pytest.raises(ConfigError, match=r"holds no CustomResourceDefinition of kueue\.x-k8s\.io "
                                          r"\(found: karpenter\.k8s\.aws, karpenter\.sh;"):
        kv.crds_in_use()
    (tmp_path / "broken.yaml").write_text("spec: [unclosed\n")
    with pytest.raises(ConfigError, match=r"\$MLPLAT_KUEUE_CRDS: 'broken.yaml' cannot be read as CustomResourceDefinitions"):
        kv.crds_in_use()


def test_a_bad_crd_folder_fails_the_plan_command_with_one_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from mlplat.tooling.cli import EXIT_CONFIG_ERROR, main

    monkeypatch.setenv(crd_data.KUEUE.env, str(tmp_path / "nowhere"))
    root = Path(__file__).resolve().parents[2]
    assert main(["plan", "--stack", "dev", "--cwd", str(root), "--no-policies"]) == EXIT_CONFIG_ERROR
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("mlplat plan: invalid configuration (1 problem):\n  $MLPLAT_KUEUE_CRDS: ")
    assert "Traceback" not in captured.err


# --- broken objects fail with the field named ------------------------------------------------


def problems(obj: dict) -> list[tuple[str, str]]:
    found = kv.validate_object(obj, kubernetes_version="1.34")
    assert found is not None
    return found


def test_a_v1beta1_field_name_and_a_bad_quota_in_a_cluster_queue() -> None:
    queue = objects.cluster_queue("a", cohort_name="teams", cpu="4", memory="8Gi", gpus={"p": 1}, pools=["p"], gpu_borrowing_limit=None)
    assert problems(queue) == []
    broken = copy.deepcopy(queue)
    broken["spec"]["cohort"] = broken["spec"].pop("cohortName")  # the v1beta1 name
    broken["spec"]["resourceGroups"][1]["flavors"][0]["resources"][0]["nominalQuota"] = "lots"
    found = dict(problems(broken))
    assert set(found) == {"spec.cohort", "spec.resourceGroups[1].flavors[0].resources[0].nominalQuota"}
    assert found["spec.cohort"] == "is not a field of this object (unknown fields are rejected)"
    assert found["spec.resourceGroups[1].flavors[0].resources[0].nominalQuota"].startswith("'lots' does not match")


def test_scope_and_metadata_of_custom_resources() -> None:
    local = objects.local_queue("vision", team="vision", cluster_queue="team-vision")
    del local["metadata"]["namespace"]
    assert problems(local) == [("metadata.namespace", "is required: LocalQueue is namespaced (else it lands in 'default')")]
    flavor = objects.gpu_flavor("a10g")
    flavor["metadata"]["namespace"] = "vision"
    flavor["metadata"]["label"] = {}
    flavor["metadata"]["name"] = "GPU_a10g"
    assert problems(flavor) == [
        ("metadata.label", "is not a field of this object (unknown fields are rejected)"),
        ("metadata.name", "'GPU_a10g' is not a DNS subdomain (lowercase letters, digits, '-', '.')"),
        ("metadata.namespace", "must not be set: ResourceFlavor is cluster-scoped"),
    ]


def test_built_in_objects_name_the_broken_field() -> None:
    policy = objects.network_policies("vision", team="vision", vpc_cidr="10.0.0.0/16", s3_cidrs=["3.5.0.0/19"])[0]
    policy["spec"]["ingres"] = []
    assert problems(policy) == [("spec.ingres", "is not a field of this object (unknown fields are rejected)")]
    quota = objects.resource_quota("vision", team="vision", cpu="4", memory="8Gi", gpus=1)
    quota["spec"]["hard"]["requests.cpu"] = ["4"]
    assert [path for path, _ in problems(quota)] == ["spec.hard.requests.cpu"]
    priority = objects.priority_class("mlplat-training", value=1000, preemption_policy="Never", description="d")
    priority["value"] = "high"
    assert problems(priority) == [("value", "'high' is not of type 'integer', 'null'")]
    account = objects.service_account("vision", "training", team="vision", role_arn="arn:aws:iam::1:role/r")
    del account["metadata"]["name"]
    account["automountServiceAccountToken"] = "no"
    assert [path for path, _ in problems(account)] == ["automountServiceAccountToken"]


def test_unknown_values_are_left_out_and_not_reported_missing() -> None:
    from mlplat.tooling.plan import UNKNOWN

    account = objects.service_account("vision", "training", team="vision", role_arn=UNKNOWN)
    assert problems(account) == []
    namespace = objects.namespace("vision", team="vision", pod_security="restricted")
    namespace["metadata"]["name"] = UNKNOWN
    assert problems(namespace) == []


def test_strict_crd_schema_closes_objects_and_admits_int_or_string() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {"a": {"x-kubernetes-int-or-string": True}}},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"b": {"type": "string"}}},
            "map": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    strict = crd_data.strict_crd_schema(schema)
    assert strict["additionalProperties"] is False
    assert strict["properties"]["spec"]["additionalProperties"] is False
    assert strict["properties"]["spec"]["properties"]["a"]["anyOf"] == [{"type": "integer"}, {"type": "string"}]
    assert "additionalProperties" not in strict["properties"]["free"]
    assert strict["properties"]["map"]["additionalProperties"] == {"type": "string"}
    assert "additionalProperties" not in schema  # the input is not changed


def test_a_version_the_kueue_crds_do_not_serve_is_a_problem() -> None:
    flavor = objects.gpu_flavor("a10g")
    flavor["apiVersion"] = "kueue.x-k8s.io/v1alpha1"
    ((path, message),) = problems(flavor)
    assert path == ""
    assert message.startswith("kueue.x-k8s.io/v1alpha1 ResourceFlavor is not served by the CRDs in use")
    assert "kueue.x-k8s.io/v1beta2 ResourceFlavor" in message and "kueue.x-k8s.io/v1beta1 ResourceFlavor" in message


# --- Karpenter: NodePool and EC2NodeClass ----------------------------------------------------


def node_pool() -> dict:
    return {
        "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "gpu-a10g"},
        "spec": {
            "template": {
                "metadata": {"labels": {"mlplat/gpu-pool": "a10g"}},
                "spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu"},
                    "requirements": [
                        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g5.xlarge", "g5.2xlarge"]},
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand", "spot"]},
                    ],
                    "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
                    "expireAfter": "720h",
                },
            },
            "limits": {"nodes": 4, "nvidia.com/gpu": "4"},
            "disruption": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m"},
        },
    }


def ec2_node_class() -> dict:
    return {
        "apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "gpu"},
        "spec": {
            "role": "mlplat-prod-karpenter-node",
            "amiSelectorTerms": [{"alias": "al2023@latest"}],
            "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "mlplat-prod-training"}}],
            "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "mlplat-prod-training"}}],
            "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1},
            "blockDeviceMappings": [{"deviceName": "/dev/xvda",
                                     "ebs": {"volumeSize": "200Gi", "volumeType": "gp3", "encrypted": True}}],
        },
    }


def test_a_valid_node_pool_and_node_class_pass() -> None:
    assert problems(node_pool()) == []
    assert problems(ec2_node_class()) == []


def test_a_broken_node_pool_names_each_field() -> None:
    pool = node_pool()
    del pool["spec"]["template"]["spec"]["nodeClassRef"]
    pool["spec"]["disruption"]["consolidationPolicy"] = "Sometimes"
    pool["spec"]["limit"] = {"nodes": 4}  # the field is `limits`
    pool["metadata"]["namespace"] = "training"
    found = dict(problems(pool))
    assert set(found) == {"spec.template.spec.nodeClassRef", "spec.disruption.consolidationPolicy", "spec.limit",
                          "metadata.namespace"}
    assert found["spec.template.spec.nodeClassRef"] == "is required"
    assert found["spec.disruption.consolidationPolicy"].startswith("'Sometimes' is not one of")
    assert found["spec.limit"] == "is not a field of this object (unknown fields are rejected)"
    assert found["metadata.namespace"] == "must not be set: NodePool is cluster-scoped"


def test_a_broken_node_class_names_each_field() -> None:
    node_class = ec2_node_class()
    del node_class["spec"]["amiSelectorTerms"]
    node_class["spec"]["metadataOptions"]["httpTokens"] = "optional-please"
    node_class["spec"]["blockDeviceMappings"][0]["ebs"]["volumeSize"] = "lots"
    found = dict(problems(node_class))
    assert set(found) == {"spec.amiSelectorTerms", "spec.metadataOptions.httpTokens",
                          "spec.blockDeviceMappings[0].ebs.volumeSize", "spec"}
    assert found["spec.amiSelectorTerms"] == "is required"
    # The CRD's CEL rule, which the schema alone does not say: without an alias term, amiFamily is required.
    assert found["spec"] == "amiFamily must be specified if amiSelectorTerms does not contain an alias"


# --- Karpenter: the CRDs' CEL rules and what ties objects together ----------------------------


def test_cel_rules_of_the_node_class_that_the_schema_does_not_say() -> None:
    node_class = ec2_node_class()
    node_class["spec"]["instanceProfile"] = "mlplat-prod-gpu-node-profile"  # with role: both
    node_class["spec"]["amiSelectorTerms"] = [{"alias": "ubuntu@latest"}, {"id": "ami-0123456789abcdef0"}]
    node_class["spec"]["subnetSelectorTerms"] = [{"id": "subnet-0123456789abcdef0", "tags": {"a": "b"}}, {}]
    node_class["spec"]["tags"] = {"karpenter.sh/nodepool": "x", "kubernetes.io/cluster/mlplat": "owned", "team": "nlp"}
    node_class["spec"]["capacityReservationSelectorTerms"] = [{"ownerID": "123456789012"}]
    node_class["spec"]["blockDeviceMappings"] = [
        {"deviceName": "/dev/xvda", "rootVolume": True, "ebs": {"volumeSize": "200Gi"}},
        {"deviceName": "/dev/xvdb", "rootVolume": True, "ebs": {"volumeType": "gp3"}},
    ]
    assert problems(node_class) == [
        ("spec", "must specify exactly one of ['role', 'instanceProfile']"),
        ("spec.amiSelectorTerms", "'alias' is mutually exclusive, cannot be set with a combination of other amiSelectorTerms"),
        ("spec.amiSelectorTerms[0].alias", "family is not supported, must be one of the following: al2, al2023, "
                                           "bottlerocket, windows2019, windows2022, windows2025"),
        ("spec.subnetSelectorTerms[0]", "'id' is mutually exclusive, cannot be set with a combination of other fields in a term"),
        ("spec.subnetSelectorTerms[1]", "expected at least one, got none, ['tags', 'id']"),
        ("spec.capacityReservationSelectorTerms[0]", "expected at least one, got none, ['tags', 'id', 'instanceMatchCriteria']"),
        ("spec.tags", "tag contains a restricted tag matching 'karpenter.sh/nodepool'"),
        ("spec.tags", "tag contains a restricted tag matching 'kubernetes.io/cluster/mlplat'"),
        ("spec.blockDeviceMappings", "must have only one blockDeviceMappings with rootVolume"),
        ("spec.blockDeviceMappings[1].ebs", "snapshotID or volumeSize must be defined"),
    ]


def test_cel_rules_of_efa_interfaces_and_placement_groups() -> None:
    node_class = ec2_node_class()
    node_class["spec"]["networkInterfaces"] = [
        {"networkCardIndex": 0, "deviceIndex": 1, "interfaceType": "efa-only"},
        {"networkCardIndex": 1, "deviceIndex": 0, "interfaceType": "efa-only"},
        {"networkCardIndex": 1, "deviceIndex": 1, "interfaceType": "efa-only"},
    ]
    node_class["spec"]["placementGroupSelector"] = {"name": "training", "id": "pg-0123456789abcdef0"}
    assert problems(node_class) == [
        ("spec.networkInterfaces", "networkInterfaces must include a primary interface with interfaceType='interface'"),
        ("spec.networkInterfaces", "networkInterfaces must not have duplicate networkCardIndex and deviceIndex pairs, "
                                   "and can have at most one efa device per network card"),
        ("spec.placementGroupSelector", "'name' and 'id' are mutually exclusive"),
    ]
    node_class["spec"]["networkInterfaces"] = [
        {"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "interface"},
        {"networkCardIndex": 0, "deviceIndex": 1, "interfaceType": "efa-only"},
        {"networkCardIndex": 1, "deviceIndex": 0, "interfaceType": "efa-only"},
    ]
    node_class["spec"]["placementGroupSelector"] = {}
    assert problems(node_class) == [("spec.placementGroupSelector", "expected at least one, got none, ['name', 'id']")]


def test_cel_rules_of_the_node_pool_that_the_schema_does_not_say() -> None:
    pool = node_pool()
    pool["spec"]["template"]["metadata"]["labels"] = {"karpenter.sh/nodepool": "x", "karpenter.k8s.aws/team": "a", "tier": "b"}
    pool["spec"]["template"]["spec"]["requirements"] = [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["a"]},
        {"key": "karpenter.k8s.aws/instance-gpu-count", "operator": "Gt", "values": ["1", "2"]},
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": []},
        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g5.xlarge"], "minValues": 2},
    ]
    pool["spec"]["disruption"]["budgets"] = [{"nodes": "1", "schedule": "@daily"}]
    assert problems(pool) == [
        ("spec.template.metadata.labels", "label \"karpenter.sh/nodepool\" is restricted ('karpenter.sh/nodepool')"),
        ("spec.template.metadata.labels", "label domain \"karpenter.k8s.aws\" is restricted ('karpenter.k8s.aws/team')"),
        ("spec.template.spec.requirements[0].key", "label \"kubernetes.io/hostname\" is restricted"),
        ("spec.template.spec.requirements[1]",
         "requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value"),
        ("spec.template.spec.requirements[2]", "requirements with operator 'In' must have a value defined"),
        ("spec.template.spec.requirements[3]",
         "requirements with 'minValues' must have at least that many values specified in the 'values' field"),
        ("spec.disruption.budgets[0]", "'schedule' must be set with 'duration'"),
    ]


def test_the_objects_the_training_cluster_writes_pass_the_cel_rules() -> None:
    for resource in plan().resources:
        if resource.type.startswith(("kubernetes:karpenter.sh/", "kubernetes:karpenter.k8s.aws/")):
            obj = {**resource.inputs, "apiVersion": resource.type.split(":")[1], "kind": resource.type.rsplit(":", 1)[-1]}
            assert kv.validate_object(obj, kubernetes_version="1.34") == [], resource.urn


def test_a_flavor_no_node_carries_and_a_pool_without_its_class_are_problems() -> None:
    p = copy.deepcopy(plan())
    flavor = next(r for r in p.resources if r.name == "training-flavor-l4")
    flavor.inputs["spec"]["nodeLabels"] = {"mlplat.io/gpu-pool": "h100"}
    pool = next(r for r in p.resources if r.name == "training-nodepool-a10g")
    pool.inputs["spec"]["template"]["spec"]["nodeClassRef"]["name"] = "gpu-missing"
    report = kv.check_plan(p, kubernetes_version="1.34")
    assert [(prob.urn.rsplit("::", 1)[-1], prob.path, prob.message) for prob in report.problems] == [
        ("training-nodepool-a10g", "spec.template.spec.nodeClassRef.name",
         "names EC2NodeClass 'gpu-missing', which the plan does not declare (EC2NodeClasses: gpu-a10g, gpu-l4): the pool "
         "launches nothing"),
        ("training-flavor-l4", "spec.nodeLabels",
         "ResourceFlavor 'gpu-l4' selects mlplat.io/gpu-pool=h100, which no node of the plan carries (node sources: "
         "NodePool 'gpu-a10g', NodePool 'gpu-l4', node group 0): workloads admitted on it stay Pending"),
    ]
    # A flavor may also select a value a pool's requirements offer (an instance type it may launch).
    flavor.inputs["spec"]["nodeLabels"] = {"node.kubernetes.io/instance-type": "g6.xlarge"}
    pool.inputs["spec"]["template"]["spec"]["nodeClassRef"]["name"] = "gpu-a10g"
    assert kv.check_plan(p, kubernetes_version="1.34").problems == []
