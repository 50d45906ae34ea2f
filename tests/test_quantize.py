"""INC quantization on a tiny contract graph: the accuracy loop, batching, failure, oneDNN trap."""

import os
import subprocess
import sys

import numpy as np
import pytest
from tiny import images, tiny_graph

from quantbench import quantize
from quantbench.errors import QuantbenchError
from quantbench.graph import Runner

OUTS = ["ArgMax", "softmax_tensor"]
TRIALS = [{"weight_granularity": "per_tensor", "act_algorithm": "minmax"}, {"weight_granularity": "per_channel", "act_algorithm": "kl"}]


@pytest.mark.parametrize("n,maxb,expect", [(500, 100, (100, 5)), (20, 100, (20, 1)), (7, 4, (1, 7)), (12, 5, (4, 3))])
def test_calibration_batching_covers_exactly_the_list(n, maxb, expect):
    assert quantize.calibration_batching(n, maxb) == expect


def test_calibration_loader_yields_every_image_once():
    x = images(12)
    batches = list(quantize.CalibrationLoader(x, 4))
    assert [len(b[0]) for b in batches] == [4, 4, 4]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)


@pytest.fixture(scope="module")
def fp32():
    gd = tiny_graph()
    ev = images(40, seed=1)
    r = Runner(gd, "input_tensor", OUTS)
    ref = r.predict(ev)
    r.close()
    return gd, ev, ref


def test_first_passing_trial_wins_and_graph_is_int8(fp32, tmp_path):
    gd, ev, ref = fp32
    qgd, rec = quantize.quantize_int8(gd, images(10, seed=2), ev, ref, "input_tensor", OUTS, 0, 1.0, TRIALS, ["resnet_model/dense/MatMul"], tolerance=0.2, calibration_batch_size=4)
    assert rec["calibration"] == {"images": 10, "batch_size": 2, "iterations": 5}
    assert rec["winner"]["trial"] == 0 and len(rec["trials"]) == 1
    assert rec["winner"]["metric"] >= 0.8
    ops = {n.op for n in qgd.node}
    assert any("Quantized" in o for o in ops)
    assert "MatMul" in ops  # the FP32 fallback kept the dense layer in float
    out = tmp_path / "int8.pb"
    quantize.save_int8(qgd, str(out), "input_tensor", OUTS, sample=ev[:1])
    assert out.exists()
    # INC's scratch files (nc_workspace/, requant_min_max.log, ...) stay out of the working directory
    assert not {"nc_workspace", "requant_min_max.log", "fp32_logged_graph.pb"} & set(os.listdir("."))


def test_no_config_meets_the_criterion_fails_and_lists_trials(fp32):
    gd, ev, _ = fp32
    impossible = np.full(len(ev), -5)  # no prediction can equal these labels
    with pytest.raises(QuantbenchError) as e:
        quantize.quantize_int8(gd, images(4), ev, impossible, "input_tensor", OUTS, 0, 0.5, TRIALS, [], tolerance=0.01, calibration_batch_size=4)
    msg = str(e.value)
    assert "no INT8 config reached 99% of FP32 (0.5000, threshold 0.4950)" in msg
    assert "'per_tensor'" in msg and "'per_channel'" in msg and "fix:" in msg


def test_bad_trial_values_are_refused():
    with pytest.raises(QuantbenchError, match=r"act_algorithm 'entropy' is not one of"):
        quantize.make_config({"act_algorithm": "entropy"}, [])


def test_int8_graph_needs_onednn(fp32, tmp_path):
    """The documented trap: with oneDNN off (TF's default on CPUs without VNNI), INC's INT8 graph fails."""
    gd, ev, ref = fp32
    qgd, _ = quantize.quantize_int8(gd, images(4), ev, ref, "input_tensor", OUTS, 0, 1.0, TRIALS[:1], [], tolerance=0.5, calibration_batch_size=4)
    pb = tmp_path / "int8.pb"
    pb.write_bytes(qgd.SerializeToString())
    code = f"""
import numpy as np, tensorflow as tf
gd = tf.compat.v1.GraphDef(); gd.ParseFromString(open({str(pb)!r}, 'rb').read())
g = tf.Graph()
with g.as_default(): tf.import_graph_def(gd, name='')
s = tf.compat.v1.Session(graph=g)
print('OK', s.run('ArgMax:0', {{'input_tensor:0': np.zeros((1,224,224,3), np.float32)}}))
"""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    on = subprocess.run([sys.executable, "-c", code], env=dict(env, TF_ENABLE_ONEDNN_OPTS="1"), capture_output=True, text=True)
    assert on.returncode == 0 and "OK" in on.stdout, on.stderr[-2000:]
    off = subprocess.run([sys.executable, "-c", code], env=dict(env, TF_ENABLE_ONEDNN_OPTS="0"), capture_output=True, text=True)
    assert off.returncode != 0
    assert "Missing 0-th output" in off.stderr or "eightbit" in off.stderr or "No OpKernel" in off.stderr, off.stderr[-2000:]
