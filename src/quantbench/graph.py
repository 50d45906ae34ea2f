"""Frozen TensorFlow GraphDef I/O: load with clear errors, check tensor names, run, write verified."""

import difflib
import os

import numpy as np

from .errors import QuantbenchError


def _tf():
    import tensorflow as tf

    return tf


def load_graph_def(path, display=None):
    """Parse a frozen GraphDef, with an error that says what the file is when it is not one.

    display: the name to use in messages (the user's file, when `path` is a temporary copy).
    """
    tf = _tf()
    shown = display or path
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, "saved_model.pb")):
            raise QuantbenchError(
                f"{shown} is a SavedModel directory, not a frozen graph (.pb GraphDef)",
                "freeze it first (tf.compat.v1.graph_util.convert_variables_to_constants or "
                "convert_variables_to_constants_v2) and point the model's path at the .pb",
            )
        raise QuantbenchError(f"{shown} is a directory, not a frozen graph", "point the model's path at a .pb file")
    if not os.path.exists(path):
        raise QuantbenchError(f"model file {shown} does not exist", "check the model's path/url in config")
    with open(path, "rb") as f:
        data = f.read()
    head = data[:256].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"{")):
        raise QuantbenchError(
            f"{shown} is a text/HTML file ({len(data)} bytes), not a TensorFlow GraphDef; a download probably saved an error page",
            "delete it and download the model again, or set the model's path: to a good copy",
        )
    gd = tf.compat.v1.GraphDef()
    try:
        gd.ParseFromString(data)
    except Exception as e:  # google.protobuf.message.DecodeError
        raise QuantbenchError(
            f"{shown} ({len(data)} bytes) is not a valid frozen GraphDef: {e}; the file is probably truncated or not a .pb",
            "if it came from a download, delete it and fetch it again (its checksum is checked); "
            "otherwise point the model's path: in config at the frozen .pb",
        ) from None
    if not gd.node:
        raise QuantbenchError(f"{shown} parses as an empty GraphDef ({len(data)} bytes)", "use the frozen .pb of the model")
    return gd


def check_tensor_names(gd, inputs, outputs, path="graph"):
    """Each name (with or without ':0') must be a node of the graph; else list close candidates."""
    names = {n.name for n in gd.node}
    placeholders = [n.name for n in gd.node if n.op == "Placeholder"]
    for kind, wanted in (("input", [inputs] if isinstance(inputs, str) else inputs), ("output", outputs)):
        for t in wanted:
            node = t.split(":")[0]
            if node not in names:
                close = difflib.get_close_matches(node, names, n=5, cutoff=0.5)
                cands = placeholders if kind == "input" else close
                raise QuantbenchError(
                    f"{kind} tensor '{t}' is not in {path}; candidates: {', '.join(cands or close) or '(none)'}",
                    f"set the model's {kind}s: in config to tensors of this graph",
                )


def tensor(name):
    return name if ":" in name else name + ":0"


class Runner:
    """A tf.compat.v1 Session over a GraphDef."""

    def __init__(self, gd, inputs, outputs, intra_op=0, inter_op=0):
        tf = _tf()
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.import_graph_def(gd, name="")
        cfg = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=intra_op, inter_op_parallelism_threads=inter_op)
        self.sess = tf.compat.v1.Session(graph=self.graph, config=cfg)
        self.input = tensor(inputs if isinstance(inputs, str) else inputs[0])
        self.outputs = [tensor(o) for o in outputs]
        self._check_input()

    def _check_input(self):
        t = self.graph.get_tensor_by_name(self.input)
        shape = t.shape
        nhwc_ok = shape.rank is None or (shape.rank == 4 and shape.as_list()[1:] in ([224, 224, 3], [None, None, 3], [None, None, None]))
        if t.dtype.name != "float32" or not nhwc_ok:
            raise QuantbenchError(
                f"input tensor {self.input} is {t.dtype.name} {shape}, but the MLPerf contract is float32 [N,224,224,3] NHWC",
                "use a graph whose input takes pre_process_vgg output (NHWC float32 224x224x3)",
            )

    def run(self, batch, output=None):
        out = self.outputs if output is None else [tensor(output)]
        res = self.sess.run(out, {self.input: batch})
        return res if output is None else res[0]

    def predict(self, images, argmax="ArgMax", batch_size=32):
        preds = []
        for i in range(0, len(images), batch_size):
            preds.append(np.asarray(self.run(np.asarray(images[i : i + batch_size]), output=argmax)).reshape(-1))
        return np.concatenate(preds).astype(np.int64)

    def close(self):
        self.sess.close()


def write_verified(gd, path, inputs, outputs, sample=None):
    """Write a GraphDef atomically; before the rename, parse it back, check names, optionally run."""
    from .io import atomic_path

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(gd.SerializeToString())
            f.flush()
            os.fsync(f.fileno())
        back = load_graph_def(tmp, display=path)
        check_tensor_names(back, inputs, outputs, path)
        if sample is not None:
            r = Runner(back, inputs, outputs)
            r.run(sample)
            r.close()


def md5_sha256(path):
    import hashlib

    md5, sha = hashlib.md5(), hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            md5.update(chunk)
            sha.update(chunk)
    return md5.hexdigest(), sha.hexdigest()
