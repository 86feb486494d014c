"""A Deployment behind a LoadBalancer Service, and a Helm release; exports the addresses they get."""

import pulumi
import pulumi_kubernetes as k8s

labels = {"app": "web"}
deployment = k8s.apps.v1.Deployment(
    "web",
    spec={"replicas": 3, "selector": {"match_labels": labels},
          "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
)
public = k8s.core.v1.Service("web", spec={"type": "LoadBalancer", "selector": labels, "ports": [{"port": 80}]})
internal = k8s.core.v1.Service("web-internal", spec={"selector": labels, "ports": [{"port": 8080}]})
cache = k8s.helm.v3.Release(
    "cache", chart="redis", version="20.1.0", namespace="cache", create_namespace=True,
    repository_opts={"repo": "https://charts.bitnami.com/bitnami"},
)

pulumi.export("hostname", public.status.load_balancer.ingress[0].hostname)
pulumi.export("url", public.status.load_balancer.ingress[0].hostname.apply(lambda host: "http://" + host))
pulumi.export("ready", deployment.status.ready_replicas)
pulumi.export("internal_ip", internal.spec.cluster_ip)
pulumi.export("cache_status", cache.status.status)
pulumi.export("cache_address", pulumi.Output.concat(cache.status.name, "-master.", cache.status.namespace, ".svc"))
