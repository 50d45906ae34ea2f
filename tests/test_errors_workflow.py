"""Bad input through the whole workflow: exit status, the message a user sees, nothing half-written."""

import hashlib
import shutil

import pytest
from conftest import MOBILENET, MOBILENET_SHA256, SHARED, need_shared, real_data_config, snakemake
from tiny import tiny_graph


@pytest.fixture
def small(tmp_path):
    """10 real images, their val_map, a 5-name calibration list and the tiny contract graph."""
    need_shared()
    src = SHARED / "imagenet-val-1300"
    lines = (src / "val_map.txt").read_text().splitlines()[:10]
    images = tmp_path / "data" / "images"
    images.mkdir(parents=True)
    for line in lines:
        name = line.split()[0]
        shutil.copy(src / "images" / name, images / name)
    (tmp_path / "data/val_map.txt").write_text("\n".join(lines) + "\n")
    (tmp_path / "data/cal.txt").write_text("\n".join(line.split()[0] for line in lines[:5]) + "\n")
    pb = tmp_path / "data/tiny.pb"
    pb.write_bytes(tiny_graph().SerializeToString())
    cfg = {
        "models": {"tiny": {"path": str(pb), "sha256": hashlib.sha256(pb.read_bytes()).hexdigest()}},
        "dataset": {"dir": str(images), "val_map": str(tmp_path / "data/val_map.txt")},
        "calibration": {"list": str(tmp_path / "data/cal.txt")},
    }
    return tmp_path / "work", cfg, tmp_path / "data"


def _fails(work, target, cfg, *messages):
    p = snakemake(work, "-j1", target, config=cfg)
    out = p.stdout + p.stderr
    assert p.returncode == 1, out[-3000:]
    for m in messages:
        assert m in out, f"{m!r} not in output:\n{out[-4000:]}"
    assert "Traceback" not in out, out[-4000:]
    return out


def _no_partial(work, *paths):
    for p in paths:
        assert not (work / p).exists(), p
    assert not list(work.rglob("*.part")), list(work.rglob("*.part"))


def test_works_on_the_small_set(small):
    work, cfg, _ = small
    p = snakemake(work, "-j1", "results/fp32_tiny.json", config=cfg)
    assert p.returncode == 0, p.stderr[-3000:]


def test_calibration_names_missing_from_dataset(small):
    work, cfg, data = small
    (data / "cal.txt").write_text((data / "cal.txt").read_text() + "ILSVRC2012_val_00099999.JPEG\nILSVRC2012_val_00088888.JPEG\n")
    _fails(work, "results/calibration/cal_list.txt", cfg, "2 of 7 calibration (listed in", "ILSVRC2012_val_00099999.JPEG", "ILSVRC2012_val_00088888.JPEG", "fix: set dataset.dir")
    _no_partial(work, "results/calibration/cal_list.txt")


def test_model_checksum_mismatch(small):
    work, cfg, _ = small
    cfg["models"]["tiny"]["sha256"] = MOBILENET_SHA256
    _fails(work, "resources/models/tiny.pb", cfg, f"expected {MOBILENET_SHA256}", "fix: the file is corrupt or a different version")
    _no_partial(work, "resources/models/tiny.pb")


def test_wrong_output_tensor_names(small):
    work, cfg, _ = small
    cfg["models"]["tiny"]["outputs"] = ["ArgMax", "softmax"]
    _fails(work, "resources/models/tiny.pb", cfg, "output tensor 'softmax' is not in", "candidates: softmax_tensor")
    _no_partial(work, "resources/models/tiny.pb")


def test_truncated_model_file(small):
    work, cfg, data = small
    cut = data / "cut.pb"
    cut.write_bytes(MOBILENET.read_bytes()[:5_000_000])
    cfg["models"] = {"cut": {"path": str(cut)}}
    _fails(work, "resources/models/cut.pb", cfg, "is not a valid frozen GraphDef", "probably truncated")
    _no_partial(work, "resources/models/cut.pb")


def test_corrupt_image_in_the_evaluation_set(small):
    work, cfg, data = small
    name = (data / "val_map.txt").read_text().split()[2]
    (data / "images" / name).write_bytes(b"<html>not found</html>")
    _fails(work, "results/preprocessed/images.npy", cfg, f"{name} is corrupt or not an image", "fix: replace the file")
    _no_partial(work, "results/preprocessed/images.npy", "results/preprocessed/index.tsv")


def test_truncated_jpeg_in_the_evaluation_set(small):
    work, cfg, data = small
    name = (data / "val_map.txt").read_text().split()[4]
    p = data / "images" / name
    p.write_bytes(p.read_bytes()[:3000])
    _fails(work, "results/preprocessed/images.npy", cfg, f"{name} is a truncated JPEG")
    _no_partial(work, "results/preprocessed/images.npy")


def test_image_listed_but_missing(small):
    work, cfg, data = small
    name = (data / "val_map.txt").read_text().split()[6]
    (data / "images" / name).unlink()
    _fails(work, "results/dataset/eval_list.tsv", cfg, "1 of 10 evaluation (listed in", name)
    _no_partial(work, "results/dataset/eval_list.tsv")


def test_count_larger_than_val_map(small):
    work, cfg, _ = small
    cfg["dataset"]["count"] = 500
    _fails(work, "results/dataset/eval_list.tsv", cfg, "dataset.count is 500 but", "has only 10 entries", "fix: set dataset.count to at most 10")
    _no_partial(work, "results/dataset/eval_list.tsv")


def test_val_map_label_out_of_range(small):
    work, cfg, data = small
    lines = (data / "val_map.txt").read_text().splitlines()
    lines[3] = lines[3].split()[0] + " 1000"
    (data / "val_map.txt").write_text("\n".join(lines) + "\n")
    _fails(work, "results/dataset/eval_list.tsv", cfg, "val_map.txt:4: label 1000 of", "outside 0..999")
    _no_partial(work, "results/dataset/eval_list.tsv")


@pytest.mark.slow
def test_no_int8_config_meets_the_criterion_keeps_nothing(tmp_path):
    need_shared()
    cfg = real_data_config(count=300)
    cfg["quantize"] = {"tolerance": 0.0001, "trials": [{"weight_granularity": "per_tensor", "act_algorithm": "minmax"}]}
    _fails(tmp_path, "results/int8_mobilenet_v2_contract.pb", cfg, "no INT8 config reached 99.99% of FP32", "'per_tensor'", "fix: add trials")
    _no_partial(tmp_path, "results/int8_mobilenet_v2_contract.pb", "results/int8_mobilenet_v2_contract.json")
    assert (tmp_path / "results/fp32_mobilenet_v2_contract.json").exists()  # finished work is kept


def test_html_saved_as_model(small):
    work, cfg, data = small
    page = data / "resnet50_v1.pb"
    page.write_text("<!DOCTYPE html><html><body>Too Many Requests</body></html>")
    cfg["models"] = {"page": {"path": str(page)}}
    _fails(work, "resources/models/page.pb", cfg, "is a text/HTML file", "not a TensorFlow GraphDef")
    _no_partial(work, "resources/models/page.pb")


def test_savedmodel_directory_as_model(small):
    work, cfg, data = small
    d = data / "saved_model_dir"
    d.mkdir()
    (d / "saved_model.pb").write_bytes(b"\x08\x01")
    cfg["models"] = {"sm": {"path": str(d)}}
    _fails(work, "resources/models/sm.pb", cfg, "is a SavedModel directory, not a frozen graph", "fix: freeze it first")
    _no_partial(work, "resources/models/sm.pb")


def test_unreachable_url_says_to_set_path(small):
    work, cfg, _ = small
    cfg["models"] = {"net": {"url": "http://127.0.0.1:9/resnet50_v1.pb", "md5": "7b94a2da05dd30f6c0af23a46bc08886"}}
    _fails(work, "resources/models/net.pb", cfg, "cannot download http://127.0.0.1:9/resnet50_v1.pb", "models.<name>.path")
    _no_partial(work, "resources/models/net.pb")


def test_wrong_input_dtype_graph(small):
    import tensorflow as tf

    work, cfg, data = small
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.uint8, [None, 224, 224, 3], name="input_tensor")
        y = tf.reduce_mean(tf.cast(x, tf.float32), axis=[1, 2])
        tf.identity(y, name="softmax_tensor")
        tf.argmax(y, axis=1, name="ArgMax")
    pb = data / "uint8.pb"
    pb.write_bytes(g.as_graph_def().SerializeToString())
    cfg["models"] = {"u8": {"path": str(pb)}}
    _fails(work, "results/fp32_u8.json", cfg, "input tensor input_tensor:0 is uint8", "the MLPerf contract is float32 [N,224,224,3] NHWC")
    _no_partial(work, "results/fp32_u8.json")


def test_empty_calibration_list(small):
    work, cfg, data = small
    (data / "cal.txt").write_text("\n")
    _fails(work, "results/calibration/cal_list.txt", cfg, "cal.txt is empty")
    _no_partial(work, "results/calibration/cal_list.txt")


def test_duplicated_calibration_name(small):
    work, cfg, data = small
    first = (data / "cal.txt").read_text().split()[0]
    (data / "cal.txt").write_text((data / "cal.txt").read_text() + first + "\n")
    _fails(work, "results/calibration/cal_list.txt", cfg, f"names 1 image(s) more than once: {first}", "fix: remove the duplicate lines")
    _no_partial(work, "results/calibration/cal_list.txt")


def test_val_map_line_without_label(small):
    work, cfg, data = small
    lines = (data / "val_map.txt").read_text().splitlines()
    lines[1] = lines[1].split()[0]
    (data / "val_map.txt").write_text("\n".join(lines) + "\n")
    _fails(work, "results/dataset/eval_list.tsv", cfg, "val_map.txt:2: expected '<file> <label>'")
    _no_partial(work, "results/dataset/eval_list.tsv")


def test_odd_but_valid_images_are_converted(small):
    """Grayscale, CMYK, PNG named .JPEG, 1x1, huge, non-ASCII and space names: all go through."""
    import numpy as np
    from PIL import Image

    work, cfg, data = small
    src = data / "images" / (data / "val_map.txt").read_text().split()[0]
    rgb = Image.open(src).convert("RGB")
    odd = {
        "gray ILSVRC.JPEG": lambda p: rgb.convert("L").save(p, "JPEG"),
        "cmyk.JPEG": lambda p: rgb.convert("CMYK").save(p, "JPEG"),
        "png_inside.JPEG": lambda p: rgb.save(p, "PNG"),
        "one_pixel.JPEG": lambda p: Image.new("RGB", (1, 1), (10, 200, 30)).save(p, "JPEG"),
        "huge.JPEG": lambda p: rgb.resize((6000, 4500)).save(p, "JPEG"),
        "ünïcødé ж.JPEG": lambda p: rgb.save(p, "JPEG"),
    }
    with open(data / "val_map.txt", "a") as f:
        for name, make in odd.items():
            make(data / "images" / name)
            f.write(f"{name} 7\n")
    p = snakemake(work, "-j1", "results/preprocessed/images.npy", config=cfg)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    x = np.load(work / "results/preprocessed/images.npy", mmap_mode="r")
    index = (work / "results/preprocessed/index.tsv").read_text().splitlines()
    assert x.shape == (16, 224, 224, 3) and [line.split("\t")[1] for line in index[10:]] == list(odd)
    gray = x[10] + np.array([123.68, 116.78, 103.94], np.float32)
    assert np.allclose(gray[..., 0], gray[..., 1]) and np.allclose(gray[..., 1], gray[..., 2])  # grey stays grey in RGB
    one = x[13] + np.array([123.68, 116.78, 103.94], np.float32)
    assert np.allclose(one[100, 100], [10, 200, 30], atol=4)  # 1x1 scaled up, channel order RGB
