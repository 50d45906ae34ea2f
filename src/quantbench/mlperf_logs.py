"""Parse LoadGen's summary and detail logs and judge a run's validity."""

import json
import os

from .errors import QuantbenchError

SEEDS = ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed")


def parse_summary(path):
    """`key : value` lines of mlperf_log_summary.txt -> dict (first occurrence wins)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if ":" in line and not line.startswith("="):
                k, _, v = line.partition(":")
                out.setdefault(k.strip(), v.strip())
    return out


def parse_detail(path):
    """`:::MLLOG {json}` lines -> (dict key -> last value, [error entries], [warning entries])."""
    values, errors, warnings = {}, [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith(":::MLLOG "):
                continue
            try:
                entry = json.loads(line[len(":::MLLOG ") :])
            except json.JSONDecodeError:
                errors.append({"key": "unparsable_line", "value": line.strip()[:200]})
                continue
            values[entry["key"]] = entry.get("value")
            meta = entry.get("metadata") or {}
            if meta.get("is_error"):
                errors.append(entry)
            elif meta.get("is_warning"):
                warnings.append(entry)
    return values, errors, warnings


def judge(run_dir, official_seeds):
    """Figures and validity of one run.

    VALID only if LoadGen says so, the detail log has no error, and the seeds are the official ones.
    """
    summary_path = os.path.join(run_dir, "mlperf_log_summary.txt")
    detail_path = os.path.join(run_dir, "mlperf_log_detail.txt")
    for p in (summary_path, detail_path):
        if not os.path.exists(p):
            raise QuantbenchError(f"LoadGen log {p} is missing (the run did not finish?)", "rerun the loadgen job")
    summary = parse_summary(summary_path)
    values, errors, warnings = parse_detail(detail_path)
    reasons = []
    loadgen_result = values.get("result_validity", summary.get("Result is"))
    mode = values.get("effective_test_mode", "")
    if loadgen_result != "VALID" and "Accuracy" not in str(mode):
        reasons.append(f"LoadGen result is {loadgen_result}")
    if errors or values.get("num_errors", 0):
        reasons.append(f"detail log has {max(len(errors), values.get('num_errors', 0))} error(s): " + "; ".join(str(e.get("value"))[:120] for e in errors[:3]))
    for seed in SEEDS:
        got = values.get(f"effective_{seed}")
        if got != official_seeds[seed]:
            reasons.append(f"{seed} {got} is not LoadGen's official {official_seeds[seed]}")
    scenario = values.get("effective_scenario")
    p90 = values.get("result_90.00_percentile_latency_ns")
    if scenario == "Offline" or "result_samples_per_second" in values:
        sps = values.get("result_samples_per_second")
    else:
        sps = values.get("result_qps_without_loadgen_overhead")
        if sps is not None and scenario == "MultiStream":
            sps *= values.get("effective_samples_per_query", 1)
    return {
        "scenario": scenario,
        "loadgen_result": loadgen_result,
        "valid": not reasons,
        "invalid_because": reasons,
        "samples_per_s": sps,
        "p90_latency_ms": None if p90 is None else p90 / 1e6,
        "query_count": values.get("result_query_count"),
        "warnings": len(warnings),
    }
