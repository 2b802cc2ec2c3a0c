#!/usr/bin/env python3
"""Generates YAML files of the shapes users diff, ~SIZE MiB each (default 16), for
bench/run-yaml: a Kubernetes multi-document stream, flow collections, quoted strings with
escapes, block literals (embedded files) and a Compose-like file of anchors and merge keys.
Usage: gen_yaml_shapes.py OUT [SIZE_MIB]"""
import random
import sys


def k8s(rnd, i):
    env = "\n".join(
        f"        - name: VAR_{j}\n          value: \"{rnd.randrange(10**6)}\"" for j in range(8))
    return f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{i}
  namespace: fleet
  labels: {{app: svc-{i}, team: team-{i % 17}, tier: backend}}
  annotations:
    deployment.kubernetes.io/revision: "{rnd.randrange(100)}"
spec:
  replicas: {rnd.randrange(1, 9)}
  selector:
    matchLabels:
      app: svc-{i}
  template:
    spec:
      containers:
      - name: main
        image: registry.example.org/svc-{i}:1.{rnd.randrange(40)}.{rnd.randrange(9)}
        ports:
        - containerPort: {8000 + i % 100}
          protocol: TCP
        resources:
          limits: {{cpu: 500m, memory: 512Mi}}
        env:
{env}
"""


def flow(rnd, i):
    items = ", ".join(
        f"{{name: item-{j}, port: {rnd.randrange(65536)}, on: {str(rnd.random() < 0.5).lower()}, "
        f"tags: [a{j}, b{j}, c{j}]}}" for j in range(6))
    return f"group_{i}: [{items}]\n"


def quoted(rnd, i):
    return (f"key_{i}: \"line one\\nline two\\t\\u00e9 {rnd.randrange(10**9)} \\\"q\\\"\"\n"
            f"alt_{i}: 'it''s {rnd.randrange(10**9)} and more text here'\n")


def literal(rnd, i):
    body = "\n".join(f"    setting.{j}={rnd.randrange(10**6)}  # comment {j}" for j in range(30))
    return f"file_{i}.properties: |\n{body}\n"


def anchors(rnd, i):
    return f"""x-base-{i}: &base{i}
  restart: always
  logging: {{driver: json-file}}
  environment: &env{i}
    LEVEL: info
    REGION: eu-{i % 3}
service_{i}:
  <<: *base{i}
  image: app:{rnd.randrange(100)}
  environment:
    <<: *env{i}
    EXTRA: "{rnd.randrange(10**6)}"
"""


def main():
    out = sys.argv[1]
    size = int(float(sys.argv[2] if len(sys.argv) > 2 else 16) * 1024 * 1024)
    for name, fn in (("k8s-stream", k8s), ("flow", flow), ("quoted", quoted),
                     ("literal", literal), ("anchors", anchors)):
        rnd = random.Random(7)
        n, i = 0, 0
        with open(f"{out}/{name}.yaml", "w") as f:
            while n < size:
                s = fn(rnd, i)
                f.write(s)
                n += len(s)
                i += 1


if __name__ == "__main__":
    main()
