"""Kubernetes objects a training cluster declares validate against the Kubernetes OpenAPI schema
(kubernetes-validate) and the Kueue CRDs; broken objects fail with the field named.

The Kueue CRDs are test data beside the repository (`$MLPLAT_KUEUE_CRDS`, default
`../shared/data/kueue-v0.19.2`); tests that need them skip when the folder is absent.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import pytest

from mlplat.components import _k8s_objects as objects
from mlplat.components.encryption import Encryption, EncryptionArgs
from mlplat.components.network import Network, NetworkArgs
from mlplat.components.training_args import DEFAULT_KUBERNETES_VERSION, KUBERAY_CHART, GpuPoolArgs, TeamArgs, TrainingClusterArgs
from mlplat.components.training_cluster import TrainingCluster
from mlplat.tooling import k8s_validation as kv
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan

CRDS = kv.kueue_crd_dir()
needs_crds = pytest.mark.skipif(
    not CRDS.is_dir(),
    reason=f"Kueue v{kv.KUEUE_CRD_VERSION} CRDs not found at {CRDS} (set {kv.KUEUE_CRDS_ENV} to the folder of "
    "kueue.x-k8s.io_*.yaml files)",
)


def cluster_program() -> None:
    keys = Encryption("enc", EncryptionArgs(domains=("logs", "cluster")))
    network = Network("net", NetworkArgs(log_key=keys.key("logs"), extra_interface_endpoints=("ec2", "eks")))
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


@needs_crds
@pytest.mark.parametrize("preview", [False, True])
def test_every_object_the_cluster_declares_validates(preview: bool) -> None:
    p = plan(preview)
    report = kv.check_plan(p, kubernetes_version=DEFAULT_KUBERNETES_VERSION, crd_dir=CRDS)
    assert report.problems == [], kv.render(report)
    declared = {r.urn for r in kv.kubernetes_objects(p)}
    assert set(report.validated) == declared
    kinds = sorted({r.type.rsplit(":", 1)[-1] for r in kv.kubernetes_objects(p)})
    assert kinds == ["ClusterQueue", "Cohort", "LimitRange", "LocalQueue", "Namespace", "NetworkPolicy", "PriorityClass",
                     "ResourceFlavor", "ResourceQuota", "ServiceAccount"]
    assert sorted(urn.rsplit("::", 1)[-1] for urn, _ in report.skipped) == [
        "training-kuberay", "training-kueue", "training-nvidia-device-plugin",
    ]
    assert report.schema_version == "1.34.0" and report.crd_dir == CRDS


def test_without_crds_kueue_objects_are_skipped_not_passed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(kv.KUEUE_CRDS_ENV, str(tmp_path))
    assert kv.kueue_crd_dir() == tmp_path.resolve()
    report = kv.check_plan(plan(), kubernetes_version="1.34")
    skipped = {urn.rsplit("::", 1)[-1]: reason for urn, reason in report.skipped}
    assert skipped["training-team-vision-queue"] == (
        f"no CRDs for kueue.x-k8s.io/v1beta2 in {tmp_path.resolve()} (set {kv.KUEUE_CRDS_ENV})"
    )
    assert report.crd_dir is None and report.problems == []
    assert "training-ns-vision" not in skipped


# --- broken objects fail with the field named ------------------------------------------------


def problems(obj: dict) -> list[tuple[str, str]]:
    found = kv.validate_object(obj, kubernetes_version="1.34", crds=kv.load_crds(CRDS) if CRDS.is_dir() else {})
    assert found is not None
    return found


@needs_crds
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


@needs_crds
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
    from pulumi.runtime.rpc import UNKNOWN

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
    strict = kv.strict_crd_schema(schema)
    assert strict["additionalProperties"] is False
    assert strict["properties"]["spec"]["additionalProperties"] is False
    assert strict["properties"]["spec"]["properties"]["a"]["anyOf"] == [{"type": "integer"}, {"type": "string"}]
    assert "additionalProperties" not in strict["properties"]["free"]
    assert strict["properties"]["map"]["additionalProperties"] == {"type": "string"}
    assert "additionalProperties" not in schema  # the input is not changed
