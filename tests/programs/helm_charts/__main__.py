"""Helm charts both ways (a v3 Chart rendered by the SDK through the provider, a v4 Chart the
provider renders as a remote component) beside plain manifests; exports what each gives."""

import pulumi
import pulumi_kubernetes as k8s

ingress = k8s.helm.v3.Chart(
    "ingress",
    k8s.helm.v3.ChartOpts(
        chart="ingress-nginx", version="4.11.0", namespace="ingress",
        fetch_opts=k8s.helm.v3.FetchOpts(repo="https://kubernetes.github.io/ingress-nginx"),
        values={"controller": {"replicaCount": 2}},
    ),
)
cache = k8s.helm.v4.Chart(
    "cache", chart="oci://registry-1.docker.io/bitnamicharts/redis", version="20.1.0", namespace="cache",
    values={"architecture": "standalone"},
)
manifests = k8s.yaml.ConfigGroup("config", yaml=["""
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: cache}
data: {mode: standalone}
"""])

pulumi.export("ingress_objects", ingress.resources.apply(len))
pulumi.export("cache_objects", cache.resources.apply(len))
pulumi.export("settings_uid", manifests.get_resource("v1/ConfigMap", "settings", "cache").metadata.uid)
