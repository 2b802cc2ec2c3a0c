#!/usr/bin/env python3
"""Generates bench/run-k8s's fleet: N services x 3 clusters, each a Deployment and a ConfigMap
holding a 2,000-line YAML file, as manifests for drift-kube-apiserver (DIR/<cluster>/*.yaml)
and as the same objects in files (DIR/files/<cluster>/<service>-{deploy,config}.json), the
baseline. About 5% of the services drift in stage (image tag) and sandbox (a setting)."""
import json, os, random, sys

out, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
CLUSTERS = ["prod", "stage", "sandbox"]


def settings(svc, env):
    lines = []
    for s in range(100):                     # 100 sections x 19 keys + headers = 2,000 lines
        lines.append(f"SECTION_{s:03d}:")
        for k in range(19):
            v = f"{svc}-{s}-{k}"
            if env == "sandbox" and s == 7 and k == 3 and hash(svc) % 20 == 0:
                v = "changed-in-sandbox"
            lines.append(f"  KEY_{k:02d}: {v}")
    return "\n".join(lines) + "\n"


for env in CLUSTERS:
    d = os.path.join(out, env)
    fd = os.path.join(out, "files", env)
    os.makedirs(d, exist_ok=True)
    os.makedirs(fd, exist_ok=True)
    docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fleet"}}]
    for i in range(n):
        svc = f"svc-{i:04d}"
        tag = "v1.2.0"
        if env == "stage" and i % 20 == 0:
            tag = "v1.3.0"
        deploy = {"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": svc, "namespace": "fleet", "labels": {"app": svc, "fleet": "bench"}},
                  "spec": {"replicas": 2, "selector": {"matchLabels": {"app": svc}},
                           "template": {"metadata": {"labels": {"app": svc}},
                                        "spec": {"containers": [
                                            {"name": svc, "image": f"registry.example.org/{svc}:{tag}",
                                             "env": [{"name": "LOG_LEVEL", "value": "INFO"},
                                                     {"name": "SERVICE", "value": svc}],
                                             "ports": [{"containerPort": 8000, "name": "http"}]},
                                            {"name": "statsd", "image": "prom/statsd-exporter:v0.26.0"}]}}}}
        cm = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": f"{svc}-config", "namespace": "fleet"},
              "data": {"settings.yml": settings(svc, env)}}
        docs += [deploy, cm]
        json.dump(deploy, open(os.path.join(fd, f"{svc}-deploy.json"), "w"))
        json.dump(cm, open(os.path.join(fd, f"{svc}-config.json"), "w"))
    # JSON is YAML: one document per line, a multi-document stream.
    with open(os.path.join(d, "fleet.yaml"), "w") as f:
        for doc in docs:
            f.write("---\n" + json.dumps(doc) + "\n")

k8s = """version: 1
environments: [prod, stage, sandbox]
x-k8s: &k8s {type: kubernetes, kubeconfig: kubeconfig, context: "{env}", namespace: fleet, timeout: 60s}
discover:
  - name: fleet
    from: {<<: *k8s, kind: Deployment, selector: fleet=bench}
    template:
      owner: team-bench
      sources:
        deploy: {<<: *k8s, kind: Deployment, name: "{service}"}
        config: {<<: *k8s, kind: ConfigMap, name: "{service}-config"}
rules:
  - name: images
    match: "deploy.spec.template.spec.containers.*.image"
    expect: {semver_skew: {max_minor: 0}}
"""
files = """version: 1
environments: [prod, stage, sandbox]
discover:
  - name: fleet
    from: {type: glob, path: "files/{env}/{service}-deploy.json"}
    template:
      owner: team-bench
      sources:
        deploy: {type: file, path: "files/{env}/{service}-deploy.json"}
        config: {type: file, path: "files/{env}/{service}-config.json", embedded: ["config.data.*"]}
rules:
  - name: images
    match: "deploy.spec.template.spec.containers.*.image"
    expect: {semver_skew: {max_minor: 0}}
  - name: containers-by-name
    match: "deploy.spec.template.spec.containers"
    normalize: [{list_key: name}]
  - name: env-by-name
    match: "deploy.spec.template.spec.containers.*.env"
    normalize: [{list_key: name}]
"""
open(os.path.join(out, "k8s.yaml"), "w").write(k8s)
open(os.path.join(out, "files.yaml"), "w").write(files)
