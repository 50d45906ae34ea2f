"""Top-1 from LoadGen's mlperf_log_accuracy.json, as MLCommons' accuracy-imagenet.py computes it.

Each entry's `data` is the hex of the SUT's response: float32 class indices that already carry
the model's label offset (ArgMax - 1 for 1001-class graphs), like the reference SUT writes them.
Entries are de-duplicated by qsl_idx (first one kept); the label of qsl_idx i is line i of the
evaluation list.
"""

import json

import numpy as np

from .errors import QuantbenchError


def read_log(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise QuantbenchError(f"cannot read LoadGen accuracy log {path}: {e}", "rerun the accuracy-mode loadgen job") from None


def top1(log_path, labels, dtype="float32"):
    """Return {'good', 'total', 'accuracy'}; an entry count different from len(labels) is an error."""
    entries = read_log(log_path)
    seen = set()
    good = 0
    labels = np.asarray(labels)
    for e in entries:
        idx = e["qsl_idx"]
        if idx in seen:
            continue
        seen.add(idx)
        if not 0 <= idx < len(labels):
            raise QuantbenchError(f"{log_path}: qsl_idx {idx} is outside the {len(labels)} evaluation samples", "the log belongs to another dataset: rerun")
        data = np.frombuffer(bytes.fromhex(e["data"]), dtype)
        if data.size == 0:
            raise QuantbenchError(f"{log_path}: qsl_idx {idx} has an empty response", "the SUT answered without data: rerun")
        if int(data[0]) == labels[idx]:
            good += 1
    if len(seen) != len(labels):
        raise QuantbenchError(
            f"{log_path} has {len(seen)} distinct samples ({len(entries)} entries) but the evaluation set has {len(labels)}",
            "the accuracy run did not cover every sample (interrupted, or a sample count override): rerun it",
        )
    return {"good": good, "total": len(seen), "accuracy": good / len(seen)}


def imagenet_line(res):
    """The line accuracy-imagenet.py prints."""
    return "accuracy={:.3f}%, good={}, total={}".format(100.0 * res["accuracy"], res["good"], res["total"])
