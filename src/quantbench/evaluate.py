"""Top-1 of a graph on the evaluation set, from the preprocessed cache."""

import logging
import time

import numpy as np

from .dataset import Cache, read_eval_list
from .graph import Runner, load_graph_def

log = logging.getLogger("quantbench.evaluate")


def metric_name(labelled):
    return "top1" if labelled else "top1_agreement_with_fp32"


def top1(preds, labels):
    """Fraction of equal entries (labels may be FP32 predictions for an agreement metric)."""
    preds, labels = np.asarray(preds), np.asarray(labels)
    if preds.shape != labels.shape:
        raise ValueError(f"{preds.shape} predictions vs {labels.shape} labels")
    return float(np.mean(preds == labels))


def predict(gd, images, inputs, outputs, argmax, label_offset, batch_size=50):
    r = Runner(gd, inputs, outputs)
    try:
        return r.predict(images, argmax=argmax, batch_size=batch_size) + label_offset
    finally:
        r.close()


def evaluate_fp32(model, cache_npy, cache_index, eval_list, inputs, outputs, argmax, label_offset, batch_size=50):
    """Return the FP32 record: metric, predictions (label space), counts, timing."""
    names, labels = read_eval_list(eval_list)
    labelled = all(lab >= 0 for lab in labels)
    images = Cache(cache_npy, cache_index).take(names)
    gd = load_graph_def(model)
    t0 = time.time()
    preds = predict(gd, images, inputs, outputs, argmax, label_offset, batch_size)
    secs = time.time() - t0
    if labelled:
        value = top1(preds, labels)
    else:
        value = 1.0  # agreement of FP32 with itself
    log.info("FP32 %s = %.4f on %d images (%.1f s, %.1f img/s)", metric_name(labelled), value, len(names), secs, len(names) / secs)
    return {
        "metric": metric_name(labelled),
        "value": round(value, 6),
        "images": len(names),
        "labelled": labelled,
        "seconds": round(secs, 1),
        "predictions": [int(p) for p in preds],
    }
