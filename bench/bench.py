#!/usr/bin/env python
"""Side-by-side performance of the FP32, INT8 and BF16 graphs, in one run.

1. Raw TensorFlow session throughput over batch sizes and thread settings, precisions alternating
   in every round (so machine noise hits all of them alike); batch-1 latency p90.
2. LoadGen Offline and SingleStream on the same graphs, each precision at its best raw settings,
   one LoadGen test per process, compared with the raw session (LoadGen/raw ratios).
3. The workflow's own overhead: a dry run and a no-op rerun of the main target.

Prints the table and ratios and writes results/bench/bench.csv. Run it after the workflow:
    .venv/bin/snakemake -j4 results/int8_resnet50_v1.pb results/bf16_resnet50_v1.pb && .venv/bin/python bench/bench.py
(about 8 minutes on 2 cores with the defaults).
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
import quantbench  # noqa: E402,F401  (oneDNN on before TensorFlow loads)
import numpy as np  # noqa: E402


def graphs(model):
    return {
        "fp32": REPO / f"resources/models/{model}.pb",
        "int8": REPO / f"results/int8_{model}.pb",
        "bf16": REPO / f"results/bf16_{model}.pb",
    }


def raw_throughput(backend, x, seconds):
    backend.classes(x)
    backend.classes(x)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        backend.classes(x)
        n += 1
    return n * len(x) / (time.perf_counter() - t0)


def raw_latency_p90(backend, x1, count):
    backend.classes(x1)
    lat = []
    for _ in range(count):
        t0 = time.perf_counter()
        backend.classes(x1)
        lat.append((time.perf_counter() - t0) * 1000)
    return float(np.percentile(lat, 90))


def loadgen(pb, scenario, batch, intra, inter, seconds, cache, index, eval_list, fp32_json):
    out = Path(tempfile.mkdtemp(prefix=f"bench-{scenario}-"))
    settings = {"target_qps": "auto"} if scenario == "Offline" else {"target_latency": "auto", "min_query_count": 64}
    settings["min_duration"] = int(seconds * 1000)
    if scenario == "Offline":
        settings["min_query_count"] = 1
    code = f"""
import sys, json; sys.path.insert(0, {str(REPO / 'src')!r})
from quantbench import sut
r = sut.loadgen_stage({str(pb)!r}, {str(cache)!r}, {str(index)!r}, {str(eval_list)!r}, {str(fp32_json)!r}, {str(out)!r},
    {str(out / 'run.json')!r}, scenario={scenario!r}, mode='performance', inputs='input_tensor',
    outputs=['ArgMax', 'softmax_tensor'], argmax='ArgMax', label_offset=-1, settings={settings!r},
    mlperf_model='resnet50', batch_size={batch}, intra_op={intra}, inter_op={inter}, warmup=5, precision='x', raw_seconds={seconds})
"""
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return json.loads((out / "run.json").read_text())


def snakemake_overhead(target, repeats=3):
    sm = [str(REPO / ".venv/bin/snakemake")] if (REPO / ".venv/bin/snakemake").exists() else [sys.executable, "-m", "snakemake"]
    res = {}
    for name, extra in (("dry_run_s", ["-n"]), ("noop_rerun_s", ["-j1"])):
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            p = subprocess.run(sm + extra + [target], cwd=REPO, capture_output=True, text=True)
            ts.append(time.perf_counter() - t0)
            if "Nothing to be done" not in p.stdout + p.stderr:
                return {"note": f"{target} is not up to date: run the workflow first"}
        res[name] = round(min(ts), 2)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="resnet50_v1")
    ap.add_argument("--batch-sizes", default="1,16,32,64")
    ap.add_argument("--threads", default="0/0,2/1", help="intra/inter pairs (0 = TensorFlow default)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=3.0, help="per raw measurement")
    ap.add_argument("--loadgen-seconds", type=float, default=10.0)
    ap.add_argument("--no-loadgen", action="store_true")
    ap.add_argument("--out", default=str(REPO / "results/bench/bench.csv"))
    a = ap.parse_args()

    from quantbench.dataset import Cache, read_eval_list
    from quantbench.sut import Backend

    cache_npy, cache_idx = REPO / "results/preprocessed/images.npy", REPO / "results/preprocessed/index.tsv"
    eval_list, fp32_json = REPO / "results/dataset/eval_list.tsv", REPO / f"results/fp32_{a.model}.json"
    g = {k: v for k, v in graphs(a.model).items() if v.exists()}
    if "fp32" not in g or not cache_npy.exists():
        sys.exit(f"run the workflow first (missing {g.get('fp32') or cache_npy})")
    names, _ = read_eval_list(eval_list)
    data = Cache(cache_npy, cache_idx).take(names)
    batches = [int(b) for b in a.batch_sizes.split(",")]
    threads = [tuple(int(v) for v in t.split("/")) for t in a.threads.split(",")]
    print(f"cpu: native bf16 = {__import__('quantbench.bf16', fromlist=['x']).cpu_has_native_bf16()}, cores = {os.cpu_count()}")

    rows = []
    results = {}  # (precision, intra, inter, batch) -> [img/s per round]
    lat = {}
    for (intra, inter) in threads:
        backends = {p: Backend(str(pb), "input_tensor", ["ArgMax", "softmax_tensor"], "ArgMax", -1, intra, inter) for p, pb in g.items()}
        for r in range(a.rounds):
            order = list(backends) if r % 2 == 0 else list(reversed(backends))
            for b in batches:
                x = np.ascontiguousarray(np.resize(data, (b, *data.shape[1:])))
                for p in order:
                    results.setdefault((p, intra, inter, b), []).append(raw_throughput(backends[p], x, a.seconds))
            for p in order:
                lat.setdefault((p, intra, inter), []).append(raw_latency_p90(backends[p], data[:1], 50))
        for be in backends.values():
            be.runner.close()

    print(f"\n{'precision':9} {'intra/inter':11} {'batch':>5} {'img/s':>9}")
    for (p, intra, inter, b), v in sorted(results.items(), key=lambda kv: (kv[0][1:], kv[0][0])):
        med = statistics.median(v)
        rows.append({"kind": "raw", "precision": p, "intra": intra, "inter": inter, "batch": b, "samples_per_s": round(med, 2), "p90_ms": ""})
        print(f"{p:9} {intra}/{inter:<9} {b:>5} {med:9.2f}")
    best = {}
    for p in g:
        cands = [(statistics.median(v), k) for k, v in results.items() if k[0] == p and k[3] > 1]
        best[p] = max(cands)
    print("\nbest raw settings per precision (batch > 1):")
    for p, (v, k) in best.items():
        print(f"  {p}: {v:.2f} img/s at intra/inter {k[1]}/{k[2]}, batch {k[3]}")
    for p in g:
        if p != "fp32":
            print(f"  {p}/fp32 raw throughput, each at its best: {best[p][0] / best['fp32'][0]:.2f}x")
    raw_p90 = {p: min(statistics.median(v) for k, v in lat.items() if k[0] == p) for p in g}
    for p in g:
        rows.append({"kind": "raw_batch1_p90", "precision": p, "intra": "", "inter": "", "batch": 1, "samples_per_s": "", "p90_ms": round(raw_p90[p], 3)})

    if not a.no_loadgen:
        print("\nLoadGen (one test per process), each precision at its best raw settings:")
        offline = {}
        for p in g:
            _, (_, intra, inter, b) = best[p]
            off = loadgen(g[p], "Offline", b, intra, inter, a.loadgen_seconds, cache_npy, cache_idx, eval_list, fp32_json)
            ss = loadgen(g[p], "SingleStream", 1, intra, inter, a.loadgen_seconds, cache_npy, cache_idx, eval_list, fp32_json)
            offline[p] = off["samples_per_s"]
            # baseline: the same session and batch without LoadGen, measured in the LoadGen process
            raw_off, raw_ss = off["raw_session"], ss["raw_session"]
            rows.append({"kind": "loadgen_offline", "precision": p, "intra": intra, "inter": inter, "batch": b, "samples_per_s": off["samples_per_s"], "p90_ms": off["p90_latency_ms"]})
            rows.append({"kind": "raw_in_loadgen_process", "precision": p, "intra": intra, "inter": inter, "batch": b, "samples_per_s": raw_off["samples_per_s"], "p90_ms": ""})
            rows.append({"kind": "loadgen_singlestream", "precision": p, "intra": intra, "inter": inter, "batch": 1, "samples_per_s": ss["samples_per_s"], "p90_ms": ss["p90_latency_ms"]})
            rows.append({"kind": "raw_batch1_in_loadgen_process", "precision": p, "intra": intra, "inter": inter, "batch": 1, "samples_per_s": raw_ss["samples_per_s"], "p90_ms": raw_ss["p90_latency_ms"]})
            print(f"  {p}: Offline {off['samples_per_s']:.2f} samples/s = {off['samples_per_s'] / raw_off['samples_per_s']:.3f} x raw ({raw_off['samples_per_s']:.2f});"
                  f" SingleStream p90 {ss['p90_latency_ms']:.2f} ms = {ss['p90_latency_ms'] / raw_ss['p90_latency_ms']:.3f} x raw batch-1 p90 ({raw_ss['p90_latency_ms']:.2f} ms)"
                  f"{'' if off['valid'] and ss['valid'] else '  [LoadGen INVALID: ' + '; '.join(off['invalid_because'] + ss['invalid_because']) + ']'}")
        for p in g:
            if p != "fp32":
                print(f"  {p}/fp32 LoadGen Offline throughput: {offline[p] / offline['fp32']:.2f}x")

    over = snakemake_overhead(f"results/int8_{a.model}.pb")
    print(f"\nworkflow overhead (best of 3): {over}")
    rows.append({"kind": "workflow_overhead", "precision": "", "intra": "", "inter": "", "batch": "", "samples_per_s": "", "p90_ms": json.dumps(over)})
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"\nwritten: {a.out}")


if __name__ == "__main__":
    main()
