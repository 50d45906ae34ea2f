"""The comparison of artifacts: one CSV and PNG plots per model."""

import csv
import json
import os

COLUMNS = ("model", "precision", "scenario", "mode", "top1", "samples_per_s", "p90_latency_ms", "speedup_vs_fp32", "valid", "reason")
PRECISIONS = ("fp32", "int8", "bf16")


def rows(model, runs, bf16_summary=None):
    """CSV rows from run records (run.json of each loadgen job)."""
    fp32_sps = {r["scenario"]: r.get("samples_per_s") for r in runs if r["precision"] == "fp32" and r["mode"] == "performance"}
    out = []
    for r in sorted(runs, key=lambda r: (PRECISIONS.index(r["precision"]) if r["precision"] in PRECISIONS else 9, r["scenario"], r["mode"])):
        reasons = list(r.get("invalid_because", []))
        if r.get("not_compliant_because"):
            reasons.append("not compliant: " + "; ".join(r["not_compliant_because"]))
        if r["precision"] == "bf16" and bf16_summary and bf16_summary.get("cpu_note"):
            reasons.append(bf16_summary["cpu_note"])
        perf = r["mode"] == "performance"
        sps = r.get("samples_per_s") if perf else None
        base = fp32_sps.get(r["scenario"])
        out.append(
            {
                "model": model,
                "precision": r["precision"],
                "scenario": r["scenario"],
                "mode": r["mode"],
                "top1": None if perf else round(r["accuracy"]["accuracy"], 6),
                "samples_per_s": None if sps is None else round(sps, 3),
                "p90_latency_ms": round(r["p90_latency_ms"], 3) if perf and r.get("p90_latency_ms") is not None else None,
                "speedup_vs_fp32": round(sps / base, 3) if perf and sps and base else None,
                "valid": bool(r.get("valid")),
                "reason": " | ".join(reasons),
            }
        )
    return out


def write_csv(path, table):
    from .io import atomic_path

    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS)
            w.writeheader()
            for row in table:
                w.writerow({k: ("" if v is None else v) for k, v in row.items()})


def _bar(ax, labels, values, ylabel, title):
    bars = ax.bar(labels, values, color=["#4c72b0", "#dd8452", "#55a868", "#c44e52"][: len(labels)])
    for b, v in zip(bars, values):
        ax.annotate(f"{v:.3g}", (b.get_x() + b.get_width() / 2, b.get_height()), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)


def _save(plt, fig, path, note):
    """Title the figure with `note` (if any) and write it atomically as PNG."""
    from .io import atomic_path

    if note:
        fig.suptitle(note, fontsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


def plot(table, out_throughput, out_latency, out_top1, note=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    perf = [r for r in table if r["mode"] == "performance"]
    scenarios = sorted({r["scenario"] for r in perf})
    for path, key, ylabel in ((out_throughput, "samples_per_s", "samples/s"), (out_latency, "p90_latency_ms", "p90 latency (ms)")):
        fig, axes = plt.subplots(1, max(1, len(scenarios)), figsize=(4.5 * max(1, len(scenarios)), 3.6), squeeze=False)
        for ax, sc in zip(axes[0], scenarios):
            rs = [r for r in perf if r["scenario"] == sc and r[key] is not None]
            _bar(ax, [r["precision"] for r in rs], [r[key] for r in rs], ylabel, sc)
        _save(plt, fig, path, note)
    acc = {}
    for r in table:
        if r["mode"] == "accuracy" and r["top1"] is not None:
            acc.setdefault(r["precision"], r["top1"])
    fig, ax = plt.subplots(figsize=(4.5, 3.6))
    _bar(ax, list(acc), list(acc.values()), "top-1 (LoadGen accuracy log)", "top-1 per precision")
    _save(plt, fig, out_top1, note)


def report_stage(model, run_jsons, bf16_json, out_csv, out_throughput, out_latency, out_top1):
    runs = []
    for p in run_jsons:
        with open(p, encoding="utf-8") as f:
            runs.append(json.load(f))
    bf16 = None
    if bf16_json and os.path.exists(bf16_json):
        with open(bf16_json, encoding="utf-8") as f:
            bf16 = json.load(f)
    table = rows(model, runs, bf16)
    write_csv(out_csv, table)
    note = None
    metric = next((r.get("metric") for r in runs if r.get("metric")), "top1")
    if metric != "top1":
        note = "SYNTHETIC MODEL: top-1 here is agreement with FP32; accuracy figures mean nothing"
    plot(table, out_throughput, out_latency, out_top1, note=note)
    return table
