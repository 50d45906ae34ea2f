"""BF16: TensorFlow's auto-mixed-precision grappler rewrite for CPU (oneDNN bfloat16).

The op lists are adjusted the way the original recipe did, through
`TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_{ALLOWLIST,INFERLIST,CLEARLIST,DENYLIST}_{ADD,REMOVE}`,
which TensorFlow reads when the pass runs. An op moved between lists must be removed from one
and added to the other (TensorFlow refuses an op in two lists).
"""

import logging
import os

from .errors import QuantbenchError

log = logging.getLogger("quantbench.bf16")

LISTS = ("allowlist", "inferlist", "clearlist", "denylist")
OPTIMIZER = "auto_mixed_precision_onednn_bfloat16"


def list_env(lists):
    """{'allowlist_add': ['BiasAdd'], ...} -> {'TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_ALLOWLIST_ADD': 'BiasAdd', ...}"""
    env = {}
    added = {}
    for key, ops in (lists or {}).items():
        if key.endswith("_add"):
            for op in ops or []:
                if op in added:
                    raise QuantbenchError(f"bf16 lists add {op} to both {added[op]} and {key}", "an op may be in only one list: fix bf16.lists in config")
                added[op] = key
        kind, _, action = key.rpartition("_")
        if kind not in LISTS or action not in ("add", "remove"):
            raise QuantbenchError(f"bf16 list key '{key}' is not one of <{'|'.join(LISTS)}>_<add|remove>", "fix bf16.lists in config")
        if ops:
            env[f"TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_{kind.upper()}_{action.upper()}"] = ",".join(ops)
    return env


def cpu_has_native_bf16():
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def convert_bf16(gd, outputs, lists=None):
    """Return (bf16 GraphDef, stats). `outputs` are fetch node names kept as graph outputs."""
    import tensorflow as tf
    from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
    from tensorflow.python.grappler import tf_optimizer

    env = list_env(lists)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        g = tf.Graph()
        with g.as_default():
            tf.import_graph_def(gd, name="")
            fetch = tf.compat.v1.get_collection_ref(tf.compat.v1.GraphKeys.TRAIN_OP)
            for o in outputs:
                fetch.append(g.get_operation_by_name(o.split(":")[0]))
            meta = tf.compat.v1.train.export_meta_graph(graph=g)
        cfg = config_pb2.ConfigProto()
        rw = cfg.graph_options.rewrite_options
        rw.CopyFrom(rewriter_config_pb2.RewriterConfig())
        rw.optimizers.append(OPTIMIZER)
        rw.meta_optimizer_iterations = rewriter_config_pb2.RewriterConfig.ONE
        rw.min_graph_nodes = -1
        out = tf_optimizer.OptimizeGraph(cfg, meta)
    except Exception as e:
        raise QuantbenchError(f"the BF16 rewrite failed: {e}", "check bf16.lists: an op may appear in only one list") from None
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    bf = tf.bfloat16.as_datatype_enum
    # `key in attr` before reading: reading a missing key of a protobuf map inserts it
    bf16_nodes = [n.name for n in out.node if ("T" in n.attr and n.attr["T"].type == bf) or ("DstT" in n.attr and n.attr["DstT"].type == bf)]
    stats = {"nodes": len(out.node), "fp32_nodes": len(gd.node), "bf16_nodes": len(bf16_nodes), "casts": sum(1 for n in out.node if n.op == "Cast"), "env": env}
    if not bf16_nodes:
        raise QuantbenchError(
            f"the BF16 rewrite converted 0 nodes; either oneDNN is off (TF_ENABLE_ONEDNN_OPTS must be 1 when the pass runs) "
            f"or the op lists conflict (TensorFlow then logs 'Op lists have conflicting entries'): {env or 'default lists'}",
            "run with TF_ENABLE_ONEDNN_OPTS=1 (quantbench sets it when imported first), and when you move an op into a "
            "list, also remove it from its default list (e.g. allowlist_add: [Pad] with clearlist_remove: [Pad])",
        )
    return out, stats


def bf16_stage(model, cache_npy, cache_index, eval_list, fp32_json, out_pb, out_json, *, inputs, outputs, argmax, label_offset, lists, eval_batch_size=50, embedded=False):
    """The `bf16` rule: rewrite, verify (loads, runs, top-1 vs FP32), write graph and JSON."""
    import json
    import time

    import numpy as np

    from . import synthetic
    from .dataset import Cache, read_eval_list
    from .evaluate import predict, top1
    from .graph import load_graph_def, md5_sha256, write_verified
    from .io import write_json
    from .smk import versions

    t0 = time.time()
    with open(fp32_json, encoding="utf-8") as f:
        fp32 = json.load(f)
    names, labels = read_eval_list(eval_list)
    images = Cache(cache_npy, cache_index).take(names)
    gd, stats = convert_bf16(load_graph_def(model), outputs, lists)
    t_rewrite = time.time() - t0
    preds = predict(gd, images, inputs, outputs, argmax, label_offset, eval_batch_size)
    reference = np.array(labels) if fp32["labelled"] else np.array(fp32["predictions"])
    metric = top1(preds, reference)
    write_verified(gd, out_pb, inputs, outputs, sample=images[:1])
    native = cpu_has_native_bf16()
    summary = {
        "model": os.path.basename(model),
        "note": synthetic.SYNTHETIC_NOTE if embedded else None,
        "metric": fp32["metric"],
        "fp32": fp32["value"],
        "bf16": round(metric, 6),
        "bf16_relative_to_fp32": round(metric / fp32["value"], 6) if fp32["value"] else None,
        "evaluation_images": len(names),
        "optimizer": OPTIMIZER,
        "lists": lists,
        **stats,
        "cpu_native_bf16": native,
        "cpu_note": None if native else "this CPU has no avx512_bf16/AMX: oneDNN emulates BF16, so BF16 speed here is not a result",
        "seconds_rewrite": round(t_rewrite, 1),
        "bf16_sha256": md5_sha256(out_pb)[1],
        "versions": versions(),
    }
    write_json(out_json, summary)
    log.info("BF16: %d of %d nodes bfloat16, %s %.4f vs FP32 %.4f", stats["bf16_nodes"], stats["nodes"], fp32["metric"], metric, fp32["value"])
    return summary
