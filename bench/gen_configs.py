#!/usr/bin/env python3
"""Generates realistic nested configs for drift benchmarks.

services -> sections -> keys, with lists, URLs that name the env, numbers and bools.
Stage drifts on 1% of leaves, sandbox on 5% (changed, removed and added, in equal parts).
Writes OUT/{prod,stage,sandbox}.{yaml,json} and OUT/drift-{yaml,json}.yaml.
"""
import json
import random
import sys


def build(leaves, env, rate, seed):
    rnd = random.Random(seed)           # the same base document in every env
    drift = random.Random(seed + {"prod": 1, "stage": 2, "sandbox": 3}[env])
    doc = {}
    count = 0
    s = 0
    while count < leaves:
        svc = {}
        for sec in range(10):
            section = {}
            for k in range(20):
                if count >= leaves:
                    break
                kind = rnd.randrange(8)
                if kind == 0:
                    v = f"https://svc-{s}.{env}.example.org/api/v{rnd.randrange(5)}"
                elif kind == 1:
                    v = rnd.randrange(100000)
                elif kind == 2:
                    v = rnd.random() < 0.5
                elif kind == 3:
                    v = round(rnd.random() * 1000, 3)
                elif kind == 4:
                    v = [f"item-{rnd.randrange(1000)}" for _ in range(4)]
                else:
                    v = f"value-{rnd.randrange(10**9)}"
                n = len(v) if isinstance(v, list) else 1
                count += n
                name = f"key_{k:03d}_url" if kind == 0 else f"key_{k:03d}"
                r = drift.random()
                if r < rate / 3:
                    v = f"changed-{drift.randrange(10**6)}" if not isinstance(v, list) else v[:-1] + ["changed"]
                elif r < 2 * rate / 3:
                    continue  # removed in this env
                elif r < rate:
                    section[f"added_{k:03d}"] = drift.randrange(10**6)
                section[name] = v
            svc[f"section_{sec:02d}"] = section
        doc[f"service_{s:05d}"] = svc
        s += 1
    return doc


def yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return v  # generated strings are plain-safe


def write_yaml(doc, path):
    with open(path, "w") as f:
        w = f.write
        for s, svc in doc.items():
            w(f"{s}:\n")
            for sec, section in svc.items():
                w(f"  {sec}:\n")
                for k, v in section.items():
                    if isinstance(v, list):
                        w(f"    {k}:\n")
                        for item in v:
                            w(f"      - {item}\n")
                    else:
                        w(f"    {k}: {yaml_scalar(v)}\n")


def main():
    out, leaves = sys.argv[1], int(sys.argv[2])
    rates = {"prod": 0.0, "stage": 0.01, "sandbox": 0.05}
    for env, rate in rates.items():
        doc = build(leaves, env, rate, 42)
        write_yaml(doc, f"{out}/{env}.yaml")
        with open(f"{out}/{env}.json", "w") as f:
            json.dump(doc, f, separators=(",", ":"))
    # drift-FMT.yaml: every leaf must equal prod, except URLs, which name their own env.
    # plain-FMT.yaml: no rules at all (every URL leaf is then drift too).
    for fmt in ("yaml", "json"):
        head = f"""version: 1
environments: [prod, stage, sandbox]
services:
  fleet:
    owner: team-bench
    sources:
      config: {{type: file, path: "{{env}}.{fmt}", max_size: 1073741824}}
"""
        with open(f"{out}/plain-{fmt}.yaml", "w") as f:
            f.write(head)
        with open(f"{out}/drift-{fmt}.yaml", "w") as f:
            f.write(head + """rules:
  - name: urls-name-their-env
    match: "config.**.*_url"
    normalize: [env_tokens]
""")

    # rules5 / rules200 (JSON): the same snapshots under 5 rules, and under 200 (mixed depths,
    # 50 of them ignores), for bench/run-rules.
    head = """version: 1
environments: [prod, stage, sandbox]
services:
  fleet:
    owner: team-bench
    sources:
      config: {type: file, path: "{env}.json", max_size: 1073741824}
rules:
"""
    base = """  - name: urls-name-their-env
    match: "config.**.*_url"
    normalize: [env_tokens]
  - name: secrets-differ
    match: "config.**.*SECRET*"
    expect: differ
    severity: critical
  - name: close-enough
    match: "config.*.section_00.key_001"
    expect: {within: 10%}
  - name: first-services-info
    match: "config.service_0000*.section_01"
    severity: info
  - ignore: "config.*.section_09.key_019"
"""
    with open(f"{out}/rules5-json.yaml", "w") as f:
        f.write(head + base)
    rnd = random.Random(7)
    more = []
    for i in range(30):  # depth 2: whole services
        more.append(f"""  - name: svc-{i}
    match: "config.service_{rnd.randrange(200):05d}"
    severity: info
""")
    for i in range(40):  # depth 3: sections, with a normalizer
        more.append(f"""  - name: sec-{i}
    match: "config.service_{rnd.randrange(200):05d}.section_{rnd.randrange(10):02d}"
    normalize: [trim]
""")
    for i in range(40):  # depth 4: keys in every service
        more.append(f"""  - name: key-{i}
    match: "config.*.section_{rnd.randrange(10):02d}.key_{rnd.randrange(20):03d}"
    severity: critical
""")
    for i in range(35):  # ** globs
        more.append(f"""  - name: glob-{i}
    match: "config.**.key_{rnd.randrange(20):03d}_url"
    normalize: [env_tokens, lowercase]
""")
    for i in range(50):  # ignores at mixed depths
        depth = i % 3
        sel = ["config.service_{:05d}.section_{:02d}".format(rnd.randrange(5000), rnd.randrange(10)),
               "config.*.section_{:02d}.added_{:03d}".format(rnd.randrange(10), rnd.randrange(20)),
               "config.service_{:05d}.**.key_{:03d}".format(rnd.randrange(5000), rnd.randrange(20))][depth]
        more.append(f"""  - ignore: "{sel}"
""")
    with open(f"{out}/rules200-json.yaml", "w") as f:
        f.write(head + base + "".join(more))


if __name__ == "__main__":
    main()
