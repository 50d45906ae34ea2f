"""A tiny conv/BN/dense graph with the MLPerf contract (quantizes in seconds)."""

import numpy as np


def tiny_graph(seed=0, classes=1001):
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 224, 224, 3], name="input_tensor")
        with tf.name_scope("resnet_model"):
            w = tf.constant((rng.standard_normal((3, 3, 3, 16)) * 0.05).astype(np.float32))
            y = tf.nn.conv2d(x, w, 4, "SAME", name="Conv2D")
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                y, tf.ones([16]), tf.zeros([16]), mean=tf.zeros([16]), variance=tf.ones([16]) * 100.0, is_training=False
            )
            y = tf.nn.relu(y)
            w2 = tf.constant((rng.standard_normal((3, 3, 16, 32)) * 0.1).astype(np.float32))
            y = tf.nn.conv2d(y, w2, 2, "SAME", name="Conv2D_1")
            y = tf.nn.relu(tf.nn.bias_add(y, tf.constant(rng.standard_normal(32).astype(np.float32) * 0.1)))
            y = tf.reduce_mean(y, axis=[1, 2], name="Mean")
            with tf.name_scope("dense"):
                wd = tf.constant(rng.standard_normal((32, classes)).astype(np.float32))
                logits = tf.nn.bias_add(tf.matmul(y, wd, name="MatMul"), tf.zeros([classes]), name="BiasAdd")
        tf.nn.softmax(logits, name="softmax_tensor")
        tf.argmax(logits, axis=1, output_type=tf.int64, name="ArgMax")
    return g.as_graph_def()


def images(n, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(0, 255, (n, 224, 224, 3)) - 120).astype(np.float32)
