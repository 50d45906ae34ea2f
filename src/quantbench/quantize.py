"""Accuracy-driven post-training static quantization with Intel Neural Compressor 3.x.

The loop is ours, not INC's `autotune`: each trial is one `quantize_model` call with one
`StaticQuantConfig`, calibrated on exactly the listed images, and evaluated by our own code on the
evaluation set; the first trial whose metric is >= (1 - tolerance) x FP32 wins. If none does, the
job fails and nothing is written at the target path.
"""

import json
import logging
import os
import shutil
import tempfile
import time

import numpy as np

from .errors import QuantbenchError
from .evaluate import predict, top1
from .graph import write_verified

log = logging.getLogger("quantbench.quantize")

GRANULARITIES = ("per_tensor", "per_channel")
ACT_ALGORITHMS = ("minmax", "kl")


class CalibrationLoader:
    """(inputs, labels) batches over the calibration images, `batch_size` x iterations = all of them."""

    def __init__(self, images, batch_size):
        self.images = images
        self.batch_size = batch_size

    def __iter__(self):
        for i in range(0, len(self.images), self.batch_size):
            x = self.images[i : i + self.batch_size]
            yield x, np.zeros(len(x), dtype=np.int64)

    def __len__(self):
        return len(self.images) // self.batch_size


def calibration_batching(n, max_batch):
    """Largest batch size <= max_batch that divides n, so batch x iterations == n exactly."""
    for b in range(min(n, max_batch), 0, -1):
        if n % b == 0:
            return b, n // b
    raise QuantbenchError("empty calibration set", "the calibration list must name at least one image")


def _import_inc():
    """Import INC with the real stderr in place.

    INC calibrates by capturing TensorFlow print ops from fd 2 through a stream bound as a
    default argument at import time (`CaptureOutputToFile(stream=sys.stderr)`). Imported under a
    replaced sys.stderr (pytest capture, Jupyter), calibration silently gets no data and INC fails
    with "list index out of range". Binding it to the process's real stderr avoids that.
    """
    import sys

    saved = sys.stderr
    sys.stderr = sys.__stderr__
    try:
        import neural_compressor.tensorflow as inc
        import neural_compressor.tensorflow.utils.utility  # noqa: F401  (binds the stream)
    finally:
        sys.stderr = saved
    return inc


def make_config(trial, fp32_ops):
    StaticQuantConfig = _import_inc().StaticQuantConfig

    if trial.get("weight_granularity", "per_tensor") not in GRANULARITIES:
        raise QuantbenchError(f"weight_granularity {trial['weight_granularity']!r} is not one of {GRANULARITIES}", "fix quantize.trials in config")
    if trial.get("act_algorithm", "minmax") not in ACT_ALGORITHMS:
        raise QuantbenchError(f"act_algorithm {trial['act_algorithm']!r} is not one of {ACT_ALGORITHMS}", "fix quantize.trials in config")
    cfg = StaticQuantConfig(
        weight_granularity=trial.get("weight_granularity", "per_tensor"),
        act_algorithm=trial.get("act_algorithm", "minmax"),
    )
    fp32 = StaticQuantConfig(weight_dtype="fp32", act_dtype="fp32")
    for op in list(fp32_ops) + list(trial.get("extra_fp32_ops", [])):
        cfg.set_local(op, fp32)
    return cfg


def quantize_int8(
    fp32_gd,
    cal_images,
    eval_images,
    reference,
    inputs,
    outputs,
    label_offset,
    fp32_metric,
    trials,
    fp32_ops,
    tolerance=0.01,
    calibration_batch_size=100,
    argmax="ArgMax",
    eval_batch_size=50,
    seed=9527,
):
    """Try `trials` in order; return (int8 GraphDef, record dict). Raises if no trial passes.

    reference: ground-truth labels, or FP32 predictions when there are none (agreement metric).
    """
    import tensorflow as tf

    inc = _import_inc()

    batch, iterations = calibration_batching(len(cal_images), calibration_batch_size)
    threshold = (1.0 - tolerance) * fp32_metric
    record = {"calibration": {"images": len(cal_images), "batch_size": batch, "iterations": iterations}, "trials": []}
    best = None
    # INC writes its workspace and calibration dumps (nc_workspace/, requant_min_max.log,
    # fp32_logged_graph.pb) into the current directory: keep them out of the user's workdir
    workdir = os.getcwd()
    scratch = tempfile.mkdtemp(prefix="quantbench-inc-")
    os.chdir(scratch)
    try:
        return _trials(inc, tf, fp32_gd, cal_images, eval_images, reference, inputs, outputs, label_offset, fp32_metric, trials, fp32_ops, tolerance, batch, iterations, argmax, eval_batch_size, seed, threshold, record)
    finally:
        os.chdir(workdir)
        shutil.rmtree(scratch, ignore_errors=True)


def _trials(inc, tf, fp32_gd, cal_images, eval_images, reference, inputs, outputs, label_offset, fp32_metric, trials, fp32_ops, tolerance, batch, iterations, argmax, eval_batch_size, seed, threshold, record):
    Model, quantize_model = inc.Model, inc.quantize_model
    best = None
    for i, trial in enumerate(trials):
        t0 = time.time()
        np.random.seed(seed)
        tf.random.set_seed(seed)
        model = Model(fp32_gd)
        model.input_tensor_names = [inputs]
        model.output_tensor_names = list(outputs)
        cfg = make_config(trial, fp32_ops)
        q = quantize_model(model, cfg, calib_dataloader=CalibrationLoader(cal_images, batch), calib_iteration=iterations)
        qgd = q.graph_def
        t_quant = time.time() - t0
        preds = predict(qgd, eval_images, inputs, outputs, argmax, label_offset, eval_batch_size)
        tf.compat.v1.reset_default_graph()
        metric = top1(preds, reference)
        n_quant = sum(1 for n in qgd.node if n.op.startswith("_Quantized") or n.op.startswith("Quantized"))
        entry = {
            "trial": i,
            "config": trial,
            "fp32_ops": list(fp32_ops) + list(trial.get("extra_fp32_ops", [])),
            "metric": round(metric, 6),
            "relative_to_fp32": round(metric / fp32_metric, 6) if fp32_metric else None,
            "passed": bool(metric >= threshold),
            "quantized_ops": n_quant,
            "seconds_quantize": round(t_quant, 1),
            "seconds_total": round(time.time() - t0, 1),
        }
        log.info("trial %d %s -> %.4f (%.2f%% of FP32), %s", i, json.dumps(trial), metric, 100 * metric / fp32_metric if fp32_metric else 0, "PASS" if entry["passed"] else "fail")
        record["trials"].append(entry)
        if entry["passed"]:
            if n_quant == 0:
                raise QuantbenchError(
                    "INC produced a graph without any quantized op (TF_ENABLE_ONEDNN_OPTS off?)",
                    "run with TF_ENABLE_ONEDNN_OPTS=1 (quantbench sets it when imported before tensorflow)",
                )
            best = (qgd, entry)
            break
    if best is None:
        tried = "\n    ".join(f"{e['config']} -> {e['metric']:.4f} ({e['relative_to_fp32']:.2%} of FP32)" for e in record["trials"])
        raise QuantbenchError(
            f"no INT8 config reached {100 * (1 - tolerance):g}% of FP32 ({fp32_metric:.4f}, threshold {threshold:.4f}); tried:\n    {tried}",
            "add trials (per_channel weights, kl activations, more extra_fp32_ops) to quantize.trials, "
            "or use a larger calibration list",
        )
    record["winner"] = best[1]
    return best[0], record


def save_int8(qgd, path, inputs, outputs, sample):
    write_verified(qgd, path, inputs, outputs, sample=sample)


def quantize_stage(model, cache_npy, cache_index, cal_npy, cal_index, eval_list, fp32_json, out_pb, out_json, *, inputs, outputs, argmax, label_offset, fp32_ops, trials, tolerance, seed, calibration_batch_size, eval_batch_size, embedded=False):
    """The `quantize` rule: write the INT8 graph and its JSON only if the criterion is met."""
    from . import synthetic
    from .dataset import Cache, read_eval_list
    from .graph import load_graph_def, md5_sha256
    from .io import write_json
    from .smk import versions

    t0 = time.time()
    with open(fp32_json, encoding="utf-8") as f:
        fp32 = json.load(f)
    names, labels = read_eval_list(eval_list)
    cache = Cache(cache_npy, cache_index)
    eval_images = cache.take(names)
    cal = Cache(cal_npy, cal_index)
    cal_images = np.ascontiguousarray(cal.array)
    reference = np.array(labels) if fp32["labelled"] else np.array(fp32["predictions"])
    gd = load_graph_def(model)
    trials = [{k: v for k, v in t.items() if not (k == "extra_fp32_ops" and not v)} for t in trials]
    qgd, record = quantize_int8(
        gd, cal_images, eval_images, reference, inputs, outputs, label_offset, fp32["value"], trials, fp32_ops,
        tolerance=tolerance, calibration_batch_size=calibration_batch_size, argmax=argmax, eval_batch_size=eval_batch_size, seed=seed,
    )
    save_int8(qgd, out_pb, inputs, outputs, sample=eval_images[:1])
    win = record["winner"]
    summary = {
        "model": os.path.basename(model),
        "note": synthetic.SYNTHETIC_NOTE if embedded else None,
        "metric": fp32["metric"],
        "fp32": fp32["value"],
        "int8": win["metric"],
        "int8_relative_to_fp32": win["relative_to_fp32"],
        "tolerance": tolerance,
        "criterion": f"int8 >= {1 - tolerance:g} x fp32",
        "criterion_met": True,
        "evaluation_images": len(names),
        "calibration": record["calibration"],
        "winning_config": {"trial": win["trial"], **win["config"], "fp32_ops": win["fp32_ops"]},
        "trials": record["trials"],
        "int8_sha256": md5_sha256(out_pb)[1],
        "runtime_note": "run the INT8 graph with TF_ENABLE_ONEDNN_OPTS=1: its oneDNN-only kernels fail otherwise "
        "('Missing 0-th output from ..._eightbit_requantize') on CPUs without AVX-512 VNNI",
        "versions": versions(),
        "seconds": round(time.time() - t0, 1),
    }
    write_json(out_json, summary)
    log.info("INT8 %s %.4f vs FP32 %.4f (%.2f%%) with %s", fp32["metric"], win["metric"], fp32["value"], 100 * win["relative_to_fp32"], summary["winning_config"])
    return summary
