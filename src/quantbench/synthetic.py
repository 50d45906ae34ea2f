"""The embedded default: images and a ResNet50-v1.5 graph that need no download.

Images are derived (crops, flips, colour changes) from the pictures that ship inside
matplotlib (`mpl-data/sample_data`), so they exist wherever the workflow's environment is
installed. The graph has the MLPerf ResNet50-v1.5 architecture and tensor names
(`input_tensor`, `resnet_model/dense/MatMul`, `softmax_tensor`, `ArgMax`), seeded random
convolution weights with batch-norm statistics measured on those images, and a dense head fitted
to them so that it makes confident, image-dependent predictions. It is a stand-in for the real
graph: it exercises every stage with the real workload shape, but its "accuracy" means nothing,
and the workflow compares INT8 with FP32 by top-1 agreement when it is used.
"""

import io
import os

import numpy as np

SYNTHETIC_NOTE = (
    "SYNTHETIC MODEL: seeded ResNet50-v1.5 built locally (no real weights, no ImageNet). "
    "Its accuracy figures mean nothing; INT8 is compared with FP32 by top-1 agreement."
)

N_IMAGES = 100
CALIBRATION_EVERY = 5  # every 5th embedded image is in the calibration list (20 images)
STAGES = ((64, 3), (128, 4), (256, 6), (512, 3))  # ResNet50: filters, blocks


def _sources():
    import matplotlib
    from PIL import Image

    d = os.path.join(matplotlib.get_data_path(), "sample_data")
    out = []
    for name in ("grace_hopper.jpg", "Minduka_Present_Blue_Pack.png", "logo2.png"):
        im = Image.open(os.path.join(d, name))
        if im.mode == "RGBA":
            bg = Image.new("RGB", im.size, (255, 255, 255))
            bg.paste(im, mask=im.split()[3])
            im = bg
        out.append(im.convert("RGB"))
    return out


def embedded_images(n=N_IMAGES, seed=0):
    """Return [(file name, JPEG bytes)] of n deterministic images."""
    from PIL import Image, ImageEnhance, ImageOps

    rng = np.random.default_rng(seed)
    sources = _sources()
    weights = np.array([0.7, 0.2, 0.1])
    out = []
    for i in range(n):
        src = sources[rng.choice(len(sources), p=weights)]
        w, h = src.size
        scale = rng.uniform(0.35, 1.0)
        cw, ch = max(16, int(w * scale * rng.uniform(0.8, 1.0))), max(16, int(h * scale * rng.uniform(0.8, 1.0)))
        x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        im = src.crop((x0, y0, x0 + cw, y0 + ch))
        if rng.random() < 0.5:
            im = ImageOps.mirror(im)
        if rng.random() < 0.2:
            im = im.rotate(90 * int(rng.integers(1, 4)), expand=True)
        im = ImageEnhance.Color(im).enhance(rng.uniform(0.3, 1.7))
        im = ImageEnhance.Brightness(im).enhance(rng.uniform(0.6, 1.4))
        im = ImageEnhance.Contrast(im).enhance(rng.uniform(0.6, 1.4))
        out_side = int(rng.integers(160, 520))
        ratio = im.size[0] / im.size[1]
        im = im.resize((max(8, int(out_side * ratio)), out_side), Image.BICUBIC)
        if i % 17 == 16:
            im = im.convert("L")  # grayscale JPEGs exist in real ImageNet too
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=int(rng.integers(70, 96)))
        out.append((f"EMBEDDED_{i:08d}.JPEG", buf.getvalue()))
    return out


def calibration_names(names):
    return [n for i, n in enumerate(names) if i % CALIBRATION_EVERY == 0]


def write_embedded_dataset(image_dir, file_list, cal_list, n=N_IMAGES):
    from .io import atomic_path, write_text

    images = embedded_images(n)
    os.makedirs(image_dir, exist_ok=True)
    for name, data in images:
        with atomic_path(os.path.join(image_dir, name)) as tmp:
            with open(tmp, "wb") as f:
                f.write(data)
    names = [name for name, _ in images]
    write_text(cal_list, "".join(x + "\n" for x in calibration_names(names)))
    write_text(file_list, "".join(x + "\n" for x in names))
    return names


# --------------------------------------------------------------------------------------------
# ResNet50-v1.5 (the TF official-models layout of the MLPerf graph), NHWC
# --------------------------------------------------------------------------------------------


class _Builder:
    """Emits the network either eagerly (to measure BN statistics) or into a tf.Graph."""

    def __init__(self, tf, rng, params=None):
        self.tf = tf
        self.rng = rng
        self.params = params  # None: measure and record; dict: use
        self.record = {} if params is None else params
        self.i_conv = 0
        self.i_bn = 0

    def _suffix(self, i):
        return "" if i == 0 else f"_{i}"

    def conv(self, x, filters, k, stride):
        tf = self.tf
        name = "conv2d" + self._suffix(self.i_conv)
        self.i_conv += 1
        cin = int(x.shape[-1])
        key = name + "/kernel"
        if key not in self.record:
            std = np.sqrt(2.0 / (k * k * cin))
            self.record[key] = (self.rng.standard_normal((k, k, cin, filters)) * std).astype(np.float32)
        w = self.record[key]
        if stride > 1:  # fixed padding, as the official model does for strided convs
            beg = (k - 1) // 2
            x = tf.pad(x, [[0, 0], [beg, k - 1 - beg], [beg, k - 1 - beg], [0, 0]], name="Pad" + self._suffix(self.i_conv - 1))
            padding = "VALID"
        else:
            padding = "SAME"
        with tf.name_scope(name):
            return tf.nn.conv2d(x, tf.constant(w, name="kernel"), strides=stride, padding=padding, name="Conv2D")

    def bn(self, x, gamma_scale=1.0):
        tf = self.tf
        name = "batch_normalization" + self._suffix(self.i_bn)
        self.i_bn += 1
        c = int(x.shape[-1])
        if name + "/moving_mean" not in self.record:
            xv = x.numpy().astype(np.float64)
            self.record[name + "/moving_mean"] = xv.mean(axis=(0, 1, 2)).astype(np.float32)
            self.record[name + "/moving_variance"] = (xv.var(axis=(0, 1, 2)) + 1e-3).astype(np.float32)
            self.record[name + "/gamma"] = (gamma_scale * self.rng.uniform(0.7, 1.3, c)).astype(np.float32)
            self.record[name + "/beta"] = (self.rng.standard_normal(c) * 0.1).astype(np.float32)
        r = self.record
        with tf.name_scope(name):
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                x,
                tf.constant(r[name + "/gamma"], name="gamma"),
                tf.constant(r[name + "/beta"], name="beta"),
                mean=tf.constant(r[name + "/moving_mean"], name="moving_mean"),
                variance=tf.constant(r[name + "/moving_variance"], name="moving_variance"),
                epsilon=1.001e-5,
                is_training=False,
                name="FusedBatchNormV3",
            )
        return y

    def block(self, x, filters, stride, projection):
        tf = self.tf
        shortcut = x
        if projection:
            shortcut = self.bn(self.conv(x, 4 * filters, 1, stride))
        y = tf.nn.relu(self.bn(self.conv(x, filters, 1, 1)))
        y = tf.nn.relu(self.bn(self.conv(y, filters, 3, stride)))  # v1.5: stride on the 3x3
        y = self.bn(self.conv(y, 4 * filters, 1, 1), gamma_scale=0.5)
        return tf.nn.relu(y + shortcut)

    def features(self, x):
        tf = self.tf
        x = tf.nn.relu(self.bn(self.conv(x, 64, 7, 2)))
        with tf.name_scope("max_pooling2d"):
            x = tf.nn.max_pool2d(x, 3, 2, "SAME", name="MaxPool")
        for si, (filters, blocks) in enumerate(STAGES):
            for b in range(blocks):
                x = self.block(x, filters, (1 if si == 0 else 2) if b == 0 else 1, projection=(b == 0))
        x = tf.reduce_mean(x, axis=[1, 2], keepdims=True, name="Mean")
        return tf.squeeze(x, axis=[1, 2], name="Squeeze")


def _fit_head(features, rng, n_classes=1001, margin=8.0, ridge=1e-2):
    """Dense weights that give image i of the embedded set class 1 + (37*i mod 1000), confidently."""
    f = features.astype(np.float64)
    mu = f.mean(axis=0)
    fc = (f - mu) / (f - mu).std()
    n = f.shape[0]
    targets = np.zeros((n, n_classes))
    cls = 1 + (37 * np.arange(n)) % 1000
    targets[np.arange(n), cls] = margin
    # ridge regression in the dual: W = Fc^T (Fc Fc^T + r I)^-1 T
    gram = fc @ fc.T
    w = fc.T @ np.linalg.solve(gram + ridge * np.trace(gram) / n * np.eye(n), targets)
    w += rng.standard_normal(w.shape) * (np.abs(w).mean() * 0.05)
    scale = 1.0 / (f - mu).std()
    w_raw = w * scale
    b = -mu @ w_raw
    return w_raw.astype(np.float32), b.astype(np.float32)


def build_resnet50_v15(images_nhwc, seed=9527):
    """Return a frozen GraphDef of ResNet50-v1.5 with MLPerf's tensor names.

    images_nhwc: preprocessed float32 [N,224,224,3] used to set BN statistics and fit the head.
    """
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    # pass 1: eager, record weights and BN statistics layer by layer
    b1 = _Builder(tf, rng)
    with tf.name_scope("resnet_model"):
        feats = b1.features(tf.constant(images_nhwc)).numpy()
    w, b = _fit_head(feats, rng)
    params = b1.record
    # pass 2: graph
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 224, 224, 3], name="input_tensor")
        b2 = _Builder(tf, rng, params=params)
        with tf.name_scope("resnet_model"):
            f = b2.features(x)
            with tf.name_scope("dense"):
                logits = tf.nn.bias_add(tf.matmul(f, tf.constant(w, name="kernel"), name="MatMul"), tf.constant(b, name="bias"), name="BiasAdd")
        tf.nn.softmax(logits, name="softmax_tensor")
        tf.argmax(logits, axis=1, output_type=tf.int64, name="ArgMax")
    return g.as_graph_def()
