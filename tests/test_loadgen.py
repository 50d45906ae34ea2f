"""LoadGen: accuracy from its log (vs accuracy-imagenet.py), validity on real logs, BF16 rewrite."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO
from tiny import images, tiny_graph

from quantbench import accuracy, bf16, mlperf_logs
from quantbench.errors import QuantbenchError
from quantbench.graph import Runner

OUTS = ["ArgMax", "softmax_tensor"]


def _entry(seq, idx, value):
    return {"seq_id": seq, "qsl_idx": idx, "data": np.array([value], np.float32).tobytes().hex().upper()}


def accuracy_imagenet_reference(log_path, labels):
    """Transcribed from mlcommons/inference vision/classification_and_detection/tools/accuracy-imagenet.py."""
    with open(log_path) as f:
        results = json.load(f)
    seen = set()
    good = 0
    for j in results:
        idx = j["qsl_idx"]
        if idx in seen:
            continue
        seen.add(idx)
        data = np.frombuffer(bytes.fromhex(j["data"]), np.float32)
        found = int(data[0])
        if found == labels[idx]:
            good += 1
    return good, len(seen)


def test_accuracy_from_hand_made_log_with_duplicates(tmp_path):
    labels = [5, 7, 9, 11]
    log = [_entry(0, 2, 9), _entry(1, 0, 5), _entry(2, 1, 3), _entry(3, 2, 1), _entry(4, 3, 11), _entry(5, 0, 4)]
    p = tmp_path / "mlperf_log_accuracy.json"
    p.write_text(json.dumps(log))
    res = accuracy.top1(str(p), labels)
    # qsl 2 and 0 are duplicated: the first entry counts (9 right, 5 right); qsl 1 wrong; qsl 3 right
    assert res == {"good": 3, "total": 4, "accuracy": 0.75}
    assert accuracy_imagenet_reference(p, labels) == (3, 4)
    assert accuracy.imagenet_line(res) == "accuracy=75.000%, good=3, total=4"


def test_accuracy_log_with_fewer_samples_is_an_error(tmp_path):
    p = tmp_path / "mlperf_log_accuracy.json"
    p.write_text(json.dumps([_entry(0, 0, 5), _entry(1, 1, 7), _entry(2, 1, 7)]))
    with pytest.raises(QuantbenchError, match=r"has 2 distinct samples \(3 entries\) but the evaluation set has 4"):
        accuracy.top1(str(p), [5, 7, 9, 11])


def test_accuracy_log_truncated_json_is_an_error(tmp_path):
    p = tmp_path / "mlperf_log_accuracy.json"
    p.write_text('[\n{ "seq_id" : 0, "qsl_idx" : 0, "data" : "0000')
    with pytest.raises(QuantbenchError, match=r"cannot read LoadGen accuracy log"):
        accuracy.top1(str(p), [5])


@pytest.fixture(scope="module")
def tiny_setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("lg")
    gd = tiny_graph()
    (d / "tiny.pb").write_bytes(gd.SerializeToString())
    x = images(24, seed=3)
    np.save(d / "images.npy", x)
    r = Runner(gd, "input_tensor", OUTS)
    preds = r.predict(x)
    r.close()
    labels = [int(p) if i % 4 else (int(p) + 1) % 1000 for i, p in enumerate(preds)]  # 6 of 24 wrong
    (d / "index.tsv").write_text("".join(f"{i}\t{i}.JPEG\t{lab}\n" for i, lab in enumerate(labels)))
    (d / "eval.tsv").write_text("".join(f"{i}.JPEG\t{lab}\n" for i, lab in enumerate(labels)))
    (d / "fp32.json").write_text(json.dumps({"metric": "top1", "labelled": True, "value": 0.75, "predictions": [int(p) for p in preds]}))
    return d


def _run(d, scenario, mode, settings):
    """One LoadGen test in its own process, as the rule runs it."""
    out = d / scenario / mode
    code = f"""
import sys; sys.path.insert(0, {str(REPO / 'src')!r})
from quantbench import sut
sut.loadgen_stage({str(d / 'tiny.pb')!r}, {str(d / 'images.npy')!r}, {str(d / 'index.tsv')!r}, {str(d / 'eval.tsv')!r},
    {str(d / 'fp32.json')!r}, {str(out)!r}, {str(out / 'run.json')!r}, scenario={scenario!r}, mode={mode!r},
    inputs='input_tensor', outputs=['ArgMax', 'softmax_tensor'], argmax='ArgMax', label_offset=0, settings={settings!r},
    mlperf_model='resnet50', batch_size=8, intra_op=0, inter_op=0, warmup=2, precision='fp32')
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads((out / "run.json").read_text()), out


def test_offline_accuracy_run_matches_direct_inference(tiny_setup):
    rec, out = _run(tiny_setup, "Offline", "accuracy", {})
    assert rec["accuracy"] == {"good": 18, "total": 24, "accuracy": 0.75}
    labels = [int(line.split("\t")[1]) for line in (tiny_setup / "eval.tsv").read_text().splitlines()]
    assert accuracy_imagenet_reference(out / "mlperf_log_accuracy.json", labels) == (18, 24)
    assert rec["valid"] is True and rec["invalid_because"] == []


def test_validity_parser_on_real_singlestream_logs(tiny_setup, tmp_path):
    rec, out = _run(tiny_setup, "SingleStream", "performance", {"target_latency": "auto", "min_duration": 300, "min_query_count": 64})
    assert rec["loadgen_result"] == "VALID" and rec["valid"] is True
    assert rec["query_count"] >= 64 and rec["samples_per_s"] > 0 and rec["p90_latency_ms"] > 0
    assert "min_duration 300 ms < official 600000 ms" in rec["not_compliant_because"]
    assert "min_query_count 64 < official 100" in rec["not_compliant_because"]
    assert "performance_sample_count 24 < official 1024" in rec["not_compliant_because"]
    official = rec["official"]
    # a tampered seed makes the run invalid
    detail = (out / "mlperf_log_detail.txt").read_text()
    seed = str(official["schedule_rng_seed"])
    bad = tmp_path / "seed"
    bad.mkdir()
    (bad / "mlperf_log_summary.txt").write_text((out / "mlperf_log_summary.txt").read_text())
    (bad / "mlperf_log_detail.txt").write_text(detail.replace(f'"effective_schedule_rng_seed", "value": {seed}', '"effective_schedule_rng_seed", "value": 42'))
    j = mlperf_logs.judge(str(bad), official)
    assert j["valid"] is False and j["invalid_because"] == [f"schedule_rng_seed 42 is not LoadGen's official {seed}"]
    # an ERROR entry in the detail log makes it invalid
    err = ':::MLLOG {"key": "error_runtime", "value": "SUT responded to a query twice", "metadata": {"is_error": true, "is_warning": false}}\n'
    (bad / "mlperf_log_detail.txt").write_text(detail + err)
    j = mlperf_logs.judge(str(bad), official)
    assert j["valid"] is False and "detail log has 1 error(s): SUT responded to a query twice" in j["invalid_because"][0]


def test_too_short_offline_run_is_invalid_and_says_so(tiny_setup):
    # target_qps far below the real rate: LoadGen ends before min_duration -> INVALID
    rec, _ = _run(tiny_setup, "Offline", "performance", {"target_qps": 1, "min_duration": 2000, "min_query_count": 1})
    assert rec["loadgen_result"] == "INVALID" and rec["valid"] is False
    assert "LoadGen result is INVALID" in rec["invalid_because"]


def test_unknown_scenario_is_refused(tiny_setup):
    from quantbench import sut

    with pytest.raises(QuantbenchError, match=r"scenario 'Streaming' is not a LoadGen scenario"):
        sut.run_test("x.pb", "x.npy", "x.tsv", "x.tsv", "/tmp/x", scenario="Streaming", mode="performance", inputs="i", outputs=["o"], argmax="o", label_offset=0, settings={})


def test_bf16_rewrite_converts_convolutions_and_keeps_accuracy():
    gd = tiny_graph()
    out, stats = bf16.convert_bf16(gd, OUTS, {"allowlist_add": ["BiasAdd", "Pad"], "inferlist_remove": ["BiasAdd"], "clearlist_remove": ["Pad"]})
    assert stats["bf16_nodes"] >= 2 and stats["casts"] >= 2
    assert stats["env"] == {
        "TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_ALLOWLIST_ADD": "BiasAdd,Pad",
        "TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_INFERLIST_REMOVE": "BiasAdd",
        "TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_CLEARLIST_REMOVE": "Pad",
    }
    convs = [n for n in out.node if n.op == "Conv2D"]
    assert convs and all(n.attr["T"].type == 14 for n in convs)  # DT_BFLOAT16
    x = images(16, seed=5)
    a, b = Runner(gd, "input_tensor", OUTS), Runner(out, "input_tensor", OUTS)
    assert (a.predict(x) == b.predict(x)).mean() >= 0.8
    import os

    assert "TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_ALLOWLIST_ADD" not in os.environ  # restored


def test_bf16_op_in_two_lists_is_a_clear_error():
    with pytest.raises(QuantbenchError, match=r"bf16 lists add Conv2D to both allowlist_add and denylist_add"):
        bf16.convert_bf16(tiny_graph(), OUTS, {"allowlist_add": ["Conv2D"], "denylist_add": ["Conv2D"]})
    # Conv2D is in TensorFlow's default allow list: adding it to the deny list alone conflicts
    with pytest.raises(QuantbenchError, match=r"converted 0 nodes; .*the op lists conflict.*DENYLIST_ADD': 'Conv2D'"):
        bf16.convert_bf16(tiny_graph(), OUTS, {"denylist_add": ["Conv2D"]})


def test_bf16_bad_list_key():
    with pytest.raises(QuantbenchError, match=r"bf16 list key 'greylist_add'"):
        bf16.list_env({"greylist_add": ["X"]})


def test_report_rows_and_speedup():
    from quantbench import report

    runs = [
        {"precision": "fp32", "scenario": "Offline", "mode": "performance", "samples_per_s": 10.0, "p90_latency_ms": 900.0, "valid": True, "invalid_because": [], "not_compliant_because": ["min_duration 10000 ms < official 600000 ms"]},
        {"precision": "int8", "scenario": "Offline", "mode": "performance", "samples_per_s": 31.0, "p90_latency_ms": 300.0, "valid": True, "invalid_because": [], "not_compliant_because": []},
        {"precision": "int8", "scenario": "Offline", "mode": "accuracy", "accuracy": {"accuracy": 0.79, "good": 79, "total": 100}, "valid": True, "invalid_because": [], "not_compliant_because": []},
        {"precision": "bf16", "scenario": "Offline", "mode": "performance", "samples_per_s": 8.0, "p90_latency_ms": 1000.0, "valid": False, "invalid_because": ["LoadGen result is INVALID"], "not_compliant_because": []},
    ]
    rows = report.rows("m", runs, {"cpu_note": "this CPU has no avx512_bf16/AMX: oneDNN emulates BF16, so BF16 speed here is not a result"})
    by = {(r["precision"], r["mode"]): r for r in rows}
    assert by[("int8", "performance")]["speedup_vs_fp32"] == 3.1
    assert by[("fp32", "performance")]["reason"] == "not compliant: min_duration 10000 ms < official 600000 ms"
    assert by[("int8", "accuracy")]["top1"] == 0.79 and by[("int8", "accuracy")]["samples_per_s"] is None
    assert by[("bf16", "performance")]["reason"].startswith("LoadGen result is INVALID | this CPU has no avx512_bf16/AMX")
    assert [r["precision"] for r in rows] == ["fp32", "int8", "int8", "bf16"]
