#!/usr/bin/env python3
"""Generates a fleet for bench/run-scale: N services x 3 envs, one YAML file of 200 keys per
service and env, and a drift.yaml naming every service (with one of 50 owning teams).

About 5% of the sources drift: for 5% of the services, stage or sandbox changes, drops or adds
one or two keys. Deterministic (seeded), so two runs compare the same fleet.

  gen_fleet.py OUT N            writes OUT/fleet/svcNNNNN/{prod,stage,sandbox}.yaml, OUT/drift.yaml
  gen_fleet.py OUT N --touch R  rewrites R random files (round R's seed) with one value changed
"""
import os
import random
import sys

ENVS = ("prod", "stage", "sandbox")


def doc_lines(i, env, rnd_drift):
    rnd = random.Random(i)  # the same base in every env
    lines = []
    drifting = rnd_drift is not None
    for sec in range(10):
        lines.append(f"section_{sec:02d}:")
        for k in range(20):
            kind = rnd.randrange(6)
            if kind == 0:
                v = f"https://svc-{i}.{env}.example.org/api/v{rnd.randrange(5)}"
            elif kind == 1:
                v = str(rnd.randrange(100000))
            elif kind == 2:
                v = "true" if rnd.random() < 0.5 else "false"
            else:
                v = f"value-{rnd.randrange(10**9)}"
            name = f"key_{k:03d}_url" if kind == 0 else f"key_{k:03d}"
            if drifting and rnd_drift.random() < 0.01:
                r = rnd_drift.randrange(3)
                if r == 0:
                    v = f"changed-{rnd_drift.randrange(10**6)}"
                elif r == 1:
                    continue
                else:
                    lines.append(f"  added_{k:03d}: {rnd_drift.randrange(10**6)}")
            lines.append(f"  {name}: {v}")
    return lines


def write(out, i, env, drift_seed=None, extra=None):
    d = os.path.join(out, "fleet", f"svc{i:05d}")
    os.makedirs(d, exist_ok=True)
    lines = doc_lines(i, env, random.Random(drift_seed) if drift_seed is not None else None)
    if extra:
        lines.append(extra)
    with open(os.path.join(d, f"{env}.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")


def drift_seed(i, env):
    # 5% of services drift in stage or sandbox (never prod, the baseline).
    pick = random.Random(1_000_003 * i)
    if env != "prod" and pick.random() < 0.05 and pick.choice(("stage", "sandbox")) == env:
        return i * 7 + len(env)
    return None


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    if len(sys.argv) > 3 and sys.argv[3] == "--touch":
        rnd = random.Random(int(sys.argv[4]))
        count = max(1, n * 3 * 5 // 100)
        for _ in range(count):
            i, env = rnd.randrange(1, n + 1), rnd.choice(ENVS)
            write(out, i, env, drift_seed(i, env), f"touched: {rnd.randrange(10**9)}")
        print(count)
        return
    for i in range(1, n + 1):
        for env in ENVS:
            write(out, i, env, drift_seed(i, env))
    with open(os.path.join(out, "drift.yaml"), "w") as f:
        f.write("version: 1\nenvironments: [prod, stage, sandbox]\n")
        f.write("defaults: {interval: 5m}\n")
        f.write('x-svc: &svc {type: file, path: "fleet/{service}/{env}.yaml"}\n')
        f.write("services:\n")
        for i in range(1, n + 1):
            f.write(f"  svc{i:05d}: {{owner: team-{i % 50:02d}, sources: {{config: *svc}}}}\n")
        f.write("rules:\n  - name: urls-name-their-env\n    match: \"config.**.*_url\"\n"
                "    normalize: [env_tokens]\n")


if __name__ == "__main__":
    main()
