"""Model files: checksums, truncation, non-GraphDefs, SavedModels, tensor names, atomic writes."""

import hashlib
import os

import pytest
from tiny import images, tiny_graph

from quantbench import fetch, graph
from quantbench.errors import QuantbenchError

OUTS = ["ArgMax", "softmax_tensor"]


@pytest.fixture(scope="module")
def tiny_pb(tmp_path_factory):
    p = tmp_path_factory.mktemp("m") / "tiny.pb"
    p.write_bytes(tiny_graph().SerializeToString())
    return p


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_local_path_copied_and_verified(tiny_pb, tmp_path):
    out = tmp_path / "resources/models/m.pb"
    fetch.get_model(str(out), path=str(tiny_pb), sha256=_sha(tiny_pb))
    assert out.read_bytes() == tiny_pb.read_bytes()


def test_download_by_url(tiny_pb, tmp_path):
    out = tmp_path / "m.pb"
    md5 = hashlib.md5(tiny_pb.read_bytes()).hexdigest()
    fetch.get_model(str(out), url=tiny_pb.as_uri(), md5=md5)
    assert out.exists()


def test_checksum_mismatch_deletes_the_download(tiny_pb, tmp_path):
    out = tmp_path / "m.pb"
    with pytest.raises(QuantbenchError, match=r"md5 of .*tiny.pb is [0-9a-f]{32}, expected 7b94a2da05dd30f6c0af23a46bc08886; the download was deleted"):
        fetch.get_model(str(out), url=tiny_pb.as_uri(), md5="7b94a2da05dd30f6c0af23a46bc08886")
    assert os.listdir(tmp_path) == []


def test_offline_download_says_to_set_path(tmp_path):
    out = tmp_path / "m.pb"
    with pytest.raises(QuantbenchError) as e:
        fetch.get_model(str(out), url="http://127.0.0.1:9/resnet50_v1.pb", md5="7b94a2da05dd30f6c0af23a46bc08886")
    assert "cannot download http://127.0.0.1:9/resnet50_v1.pb" in str(e.value)
    assert "models.<name>.path" in str(e.value)
    assert os.listdir(tmp_path) == []


def test_truncated_graph(tiny_pb, tmp_path):
    cut = tmp_path / "cut.pb"
    cut.write_bytes(tiny_pb.read_bytes()[: tiny_pb.stat().st_size // 2])
    out = tmp_path / "out.pb"
    with pytest.raises(QuantbenchError, match=r"cut.pb \(\d+ bytes\) is not a valid frozen GraphDef.*truncated"):
        fetch.get_model(str(out), path=str(cut))
    assert not out.exists()


def test_html_error_page(tmp_path):
    p = tmp_path / "resnet50_v1.pb"
    p.write_text("<!DOCTYPE html><html><body>429 Too Many Requests</body></html>")
    with pytest.raises(QuantbenchError, match=r"is a text/HTML file .* not a TensorFlow GraphDef"):
        fetch.get_model(str(tmp_path / "out.pb"), path=str(p))
    assert not (tmp_path / "out.pb").exists()


def test_savedmodel_directory(tmp_path):
    d = tmp_path / "saved"
    d.mkdir()
    (d / "saved_model.pb").write_bytes(b"x")
    with pytest.raises(QuantbenchError, match=r"is a SavedModel directory, not a frozen graph"):
        fetch.get_model(str(tmp_path / "out.pb"), path=str(d))


def test_wrong_tensor_names_list_candidates(tiny_pb, tmp_path):
    with pytest.raises(QuantbenchError, match=r"output tensor 'softmax' is not in .*; candidates: softmax_tensor"):
        fetch.get_model(str(tmp_path / "o.pb"), path=str(tiny_pb), outputs=["ArgMax", "softmax"])
    with pytest.raises(QuantbenchError, match=r"input tensor 'input' is not in .*; candidates: input_tensor"):
        fetch.get_model(str(tmp_path / "o.pb"), path=str(tiny_pb), inputs="input")
    assert not (tmp_path / "o.pb").exists()


def test_wrong_input_shape_or_dtype():
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.uint8, [None, 3, 224, 224], name="input_tensor")
        tf.argmax(tf.reshape(tf.cast(x, tf.float32), [-1, 3 * 224 * 224]), axis=1, name="ArgMax")
    with pytest.raises(QuantbenchError, match=r"input tensor input_tensor:0 is uint8 \(None, 3, 224, 224\), but the MLPerf contract is float32 \[N,224,224,3\] NHWC"):
        graph.Runner(g.as_graph_def(), "input_tensor", ["ArgMax"])


def test_runner_predicts(tiny_pb):
    r = graph.Runner(graph.load_graph_def(str(tiny_pb)), "input_tensor", OUTS)
    p = r.predict(images(5), batch_size=2)
    assert p.shape == (5,) and p.dtype.kind == "i" and ((0 <= p) & (p < 1001)).all()


def test_write_verified_leaves_nothing_on_failure(tiny_pb, tmp_path, monkeypatch):
    gd = graph.load_graph_def(str(tiny_pb))
    out = tmp_path / "int8.pb"

    def disk_full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        graph.write_verified(gd, str(out), "input_tensor", OUTS)
    assert os.listdir(tmp_path) == []
