"""End-to-end runs of the Snakemake workflow (slow; run in CI)."""

import json

import pytest
from conftest import FP32_TOP1_1300, need_shared, real_data_config, snakemake, dry_run_jobs

MAIN_DAG = {"get_model": 1, "calibration_list": 1, "eval_list": 1, "preprocess": 1, "calibration_cache": 1, "evaluate_fp32": 1, "quantize": 1}


def test_dry_run_lists_the_main_dag_on_a_configured_dataset(tmp_path, shared):
    jobs = dry_run_jobs(tmp_path, "results/int8_mobilenet_v2_contract.pb", config=real_data_config())
    assert jobs == MAIN_DAG


def test_dry_run_of_the_embedded_default(tmp_path):
    jobs = dry_run_jobs(tmp_path, "results/int8_resnet50_v1.pb")
    assert jobs == {**MAIN_DAG, "embedded_dataset": 1}


def test_lint_is_clean(tmp_path):
    p = snakemake(tmp_path, "--lint")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Congratulations, your workflow is in a good condition!" in p.stdout + p.stderr


SHORT_LOADGEN = {
    "settings": {
        "SingleStream": {"target_latency": "auto", "min_duration": 3000, "min_query_count": 64},
        "Offline": {"target_qps": "auto", "min_duration": 3000, "min_query_count": 1},
    }
}


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """A workdir for the real-data config, shared by the tests below (they run in file order)."""
    need_shared()
    cfg = real_data_config()
    cfg["loadgen"] = SHORT_LOADGEN
    return tmp_path_factory.mktemp("real"), cfg


@pytest.mark.slow
def test_real_data_int8_within_one_percent_of_fp32(real_run):
    """The main job on the real MobileNetV2 contract model and all 1300 real ImageNet images."""
    tmp_path, cfg = real_run
    snakemake(tmp_path, "-j2", "results/int8_mobilenet_v2_contract.pb", config=cfg, check=True)
    fp32 = json.loads((tmp_path / "results/fp32_mobilenet_v2_contract.json").read_text())
    summary = json.loads((tmp_path / "results/int8_mobilenet_v2_contract.json").read_text())
    assert fp32["images"] == summary["evaluation_images"] == 1300
    assert fp32["metric"] == summary["metric"] == "top1"
    # a drifted preprocessing moves FP32 top-1 off the published figure
    assert fp32["value"] == pytest.approx(FP32_TOP1_1300, abs=0.0005)
    assert summary["fp32"] == fp32["value"]
    assert summary["int8"] >= 0.99 * summary["fp32"]
    assert summary["criterion_met"] is True
    assert summary["calibration"]["images"] == 20
    assert summary["calibration"]["batch_size"] * summary["calibration"]["iterations"] == 20
    # INC's default (per-tensor) config is below 99% here: the tuning has to move past trial 0
    assert summary["trials"][0]["passed"] is False
    assert summary["winning_config"]["trial"] >= 1
    assert summary["trials"][-1]["quantized_ops"] > 30
    assert summary["versions"]["neural-compressor-tf"] == "3.10" and summary["versions"]["tensorflow"] == "2.19.1"
    # the INT8 graph itself, run by the test, agrees with its JSON
    import numpy as np
    from quantbench import evaluate
    from quantbench.dataset import Cache, read_eval_list
    from quantbench.graph import load_graph_def

    names, labels = read_eval_list(tmp_path / "results/dataset/eval_list.tsv")
    images = Cache(tmp_path / "results/preprocessed/images.npy", tmp_path / "results/preprocessed/index.tsv").take(names)
    gd = load_graph_def(str(tmp_path / "results/int8_mobilenet_v2_contract.pb"))
    preds = evaluate.predict(gd, images, "input_tensor", ["ArgMax", "softmax_tensor"], "ArgMax", -1)
    assert float(np.mean(preds == np.array(labels))) == pytest.approx(summary["int8"], abs=1e-6)
    # a second run of the same target does nothing
    assert dry_run_jobs(tmp_path, "results/int8_mobilenet_v2_contract.pb", config=cfg) == {}


@pytest.mark.slow
def test_embedded_default_runs_the_whole_dag(tmp_path):
    """README's first command: no network, no ImageNet."""
    snakemake(tmp_path, "-j2", "results/int8_resnet50_v1.pb", check=True)
    summary = json.loads((tmp_path / "results/int8_resnet50_v1.json").read_text())
    assert summary["metric"] == "top1_agreement_with_fp32"
    assert summary["note"].startswith("SYNTHETIC MODEL")
    assert summary["int8"] >= 0.99
    assert summary["evaluation_images"] == 100 and summary["calibration"]["images"] == 20
    assert summary["trials"][-1]["quantized_ops"] >= 53  # every Conv2D of ResNet50 (+ fused ops)
    assert dry_run_jobs(tmp_path, "results/int8_resnet50_v1.pb") == {}


@pytest.mark.slow
def test_real_data_summary_of_every_artifact(real_run):
    """fp32/int8/bf16 x SingleStream/Offline x performance/accuracy through LoadGen, then the report."""
    import csv

    tmp_path, cfg = real_run
    snakemake(tmp_path, "-j2", "results/summary_mobilenet_v2_contract.csv", config=cfg, check=True)
    rows = list(csv.DictReader(open(tmp_path / "results/summary_mobilenet_v2_contract.csv")))
    keys = {(r["precision"], r["scenario"], r["mode"]) for r in rows}
    assert keys == {(p, s, m) for p in ("fp32", "int8", "bf16") for s in ("SingleStream", "Offline") for m in ("performance", "accuracy")}
    assert len(rows) == 12
    int8 = json.loads((tmp_path / "results/int8_mobilenet_v2_contract.json").read_text())
    bf16 = json.loads((tmp_path / "results/bf16_mobilenet_v2_contract.json").read_text())
    expected = {"fp32": int8["fp32"], "int8": int8["int8"], "bf16": bf16["bf16"]}
    for r in rows:
        if r["mode"] == "accuracy":
            # top-1 from LoadGen's accuracy log equals the stage JSONs' top-1 on the same 1300 images
            assert float(r["top1"]) == pytest.approx(expected[r["precision"]], abs=1e-6), r
            assert r["valid"] == "True" and r["samples_per_s"] == ""
        else:
            assert float(r["samples_per_s"]) > 0 and float(r["p90_latency_ms"]) > 0
            assert "not compliant: min_duration 3000 ms < official 600000 ms" in r["reason"]
            assert r["valid"] == "True", r
    assert float(next(r for r in rows if r["precision"] == "fp32" and r["mode"] == "performance")["speedup_vs_fp32"]) == 1.0
    assert bf16["bf16_nodes"] > 0 and bf16["bf16"] >= 0.98 * bf16["fp32"]
    for png in ("throughput", "p90_latency", "top1"):
        assert (tmp_path / f"results/plots/mobilenet_v2_contract/{png}.png").read_bytes()[:4] == b"\x89PNG"
    # LoadGen's own logs are where a submitter expects them
    run = tmp_path / "results/loadgen/mobilenet_v2_contract/int8/Offline/accuracy"
    assert {"mlperf_log_summary.txt", "mlperf_log_detail.txt", "mlperf_log_accuracy.json", "user.conf"} <= {p.name for p in run.iterdir()}
    # the Snakemake report wraps the table and plots
    p = snakemake(tmp_path, "--report", "report.html", "results/summary_mobilenet_v2_contract.csv", config=cfg)
    assert p.returncode == 0, p.stderr[-3000:]
    html = (tmp_path / "report.html").read_text(errors="ignore")
    assert "summary_mobilenet_v2_contract.csv" in html and "throughput.png" in html


# ---------------------------------------------------------------------------------------------
# Partial reruns: on the completed real-data run above, change one setting at a time and assert
# the exact jobs Snakemake would run (the rerun triggers: params, input, code, mtime).
# ---------------------------------------------------------------------------------------------
import copy  # noqa: E402

from conftest import SHARED  # noqa: E402

INT8_BENCH = {"loadgen": 4, "report": 1}  # int8 x (SingleStream, Offline) x (performance, accuracy)


def _changed(cfg, **changes):
    out = copy.deepcopy(cfg)
    for path, value in changes.items():
        d = out
        keys = path.split("__")
        for k in keys[:-1]:
            d = d.setdefault(k, {})
        d[keys[-1]] = value
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    "change,expected",
    [
        pytest.param({}, {}, id="nothing-changed"),
        pytest.param(
            {"loadgen__settings": {**SHORT_LOADGEN["settings"], "Offline": {"target_qps": "auto", "min_duration": 4000, "min_query_count": 1}}},
            {"loadgen": 3, "report": 1},  # Offline performance of fp32, int8, bf16; not accuracy, not SingleStream
            id="loadgen-offline-setting",
        ),
        pytest.param({"loadgen__warmup": 5}, {"loadgen": 12, "report": 1}, id="loadgen-warmup"),
        pytest.param({"bf16__lists": {"allowlist_add": ["BiasAdd"], "inferlist_remove": ["BiasAdd"]}}, {"bf16": 1, "loadgen": 4, "report": 1}, id="bf16-lists"),
        pytest.param({"quantize__tolerance": 0.02}, {"quantize": 1, **INT8_BENCH}, id="quantize-tolerance"),
        pytest.param(
            {"quantize__trials": [{"weight_granularity": "per_channel", "act_algorithm": "minmax"}]},
            {"quantize": 1, **INT8_BENCH},
            id="quantize-trials",
        ),
        pytest.param(
            {"calibration__list": str(SHARED / "mlperf-calibration" / "cal_option_2_in_val_1300.txt")},
            {"calibration_list": 1, "calibration_cache": 1, "quantize": 1, **INT8_BENCH},
            id="calibration-list",
        ),
        pytest.param(
            {"dataset__count": 1000},
            {"eval_list": 1, "preprocess": 1, "calibration_cache": 1, "evaluate_fp32": 1, "quantize": 1, "bf16": 1, "loadgen": 12, "report": 1},
            id="dataset-count",
        ),
        pytest.param(
            {"preprocess__means": [123.0, 116.78, 103.94]},
            {"preprocess": 1, "calibration_cache": 1, "evaluate_fp32": 1, "quantize": 1, "bf16": 1, "loadgen": 12, "report": 1},
            id="preprocess-means",
        ),
    ],
)
def test_partial_rerun_after_a_config_change(real_run, change, expected):
    tmp_path, cfg = real_run
    if not (tmp_path / "results/summary_mobilenet_v2_contract.csv").exists():
        pytest.skip("needs the completed real-data run of test_real_data_summary_of_every_artifact")
    jobs = dry_run_jobs(tmp_path, "results/summary_mobilenet_v2_contract.csv", config=_changed(cfg, **change))
    assert jobs == expected


@pytest.mark.slow
def test_touching_a_small_input_without_change_does_not_rerun(real_run):
    tmp_path, cfg = real_run
    if not (tmp_path / "results/summary_mobilenet_v2_contract.csv").exists():
        pytest.skip("needs the completed real-data run")
    for f in ("results/dataset/eval_list.tsv", "results/calibration/cal_list.txt"):
        (tmp_path / f).touch()  # newer mtime, same content: checksums of files < 1 MB are compared
    assert dry_run_jobs(tmp_path, "results/summary_mobilenet_v2_contract.csv", config=cfg) == {}


@pytest.mark.slow
def test_code_trigger_is_the_script_mtime(real_run):
    """Snakemake's code trigger for `script:` rules compares the script's mtime with the outputs:
    an edit (even a comment) or a touch of workflow/scripts/report.py reruns the report only."""
    import os
    import time

    tmp_path, cfg = real_run
    if not (tmp_path / "results/summary_mobilenet_v2_contract.csv").exists():
        pytest.skip("needs the completed real-data run")
    from conftest import REPO

    script = REPO / "workflow/scripts/report.py"
    st = script.stat()
    try:
        now = time.time() + 5
        os.utime(script, (now, now))
        assert dry_run_jobs(tmp_path, "results/summary_mobilenet_v2_contract.csv", config=cfg) == {"report": 1}
    finally:
        os.utime(script, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert dry_run_jobs(tmp_path, "results/summary_mobilenet_v2_contract.csv", config=cfg) == {}


@pytest.mark.slow
def test_rerun_after_kill_9_redoes_only_the_interrupted_job(tmp_path):
    """kill -9 of Snakemake and its job mid-quantize: no partial INT8 graph at the target; a plain
    rerun redoes quantize and keeps every finished output."""
    import os
    import signal
    import subprocess
    import time

    need_shared()
    cfg = real_data_config(count=100)
    snakemake(tmp_path, "-j1", "results/fp32_mobilenet_v2_contract.json", "results/preprocessed/calibration.npy", config=cfg, check=True)
    before = {p: (tmp_path / p).stat().st_mtime_ns for p in ("results/fp32_mobilenet_v2_contract.json", "results/preprocessed/images.npy")}
    (tmp_path / "test-config.yaml").unlink()
    from conftest import REPO, SNAKEMAKE
    import yaml

    (tmp_path / "test-config.yaml").write_text(yaml.safe_dump(cfg))
    cmd = SNAKEMAKE + ["-j1", "results/int8_mobilenet_v2_contract.pb", "-s", str(REPO / "Snakefile"), "-d", str(tmp_path), "--configfile", str(REPO / "config.yaml"), str(tmp_path / "test-config.yaml")]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    qlog = tmp_path / "logs/quantize/mobilenet_v2_contract.log"
    try:
        for _ in range(1200):  # until the quantize job has started logging (bounded: 10 min of 0.5 s polls)
            if (qlog.exists() and qlog.stat().st_size > 0) or proc.poll() is not None:
                break
            time.sleep(0.5)
        time.sleep(3)  # INC is loading/calibrating now
        assert proc.poll() is None, "the run ended before it could be killed"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (tmp_path / "results/int8_mobilenet_v2_contract.pb").exists()
    assert not (tmp_path / "results/int8_mobilenet_v2_contract.json").exists()
    # outputs are renamed into place only when complete, so a plain rerun needs no --rerun-incomplete
    assert dry_run_jobs(tmp_path, "results/int8_mobilenet_v2_contract.pb", config=cfg) == {"quantize": 1}
    # kill -9 leaves Snakemake's directory lock: the run says so, --unlock removes it
    p = snakemake(tmp_path, "-j1", "results/int8_mobilenet_v2_contract.pb", config=cfg)
    assert p.returncode != 0 and "--unlock" in p.stdout + p.stderr
    snakemake(tmp_path, "--unlock", config=cfg, check=True)
    snakemake(tmp_path, "-j1", "results/int8_mobilenet_v2_contract.pb", config=cfg, check=True)
    assert (tmp_path / "results/int8_mobilenet_v2_contract.json").exists()
    assert not list((tmp_path / "results").glob(".*.part")), "a killed job's temporary file was left behind"
    for p_, mtime in before.items():
        assert (tmp_path / p_).stat().st_mtime_ns == mtime, f"{p_} was redone"
