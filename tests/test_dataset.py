"""Lists, image decoding and MLPerf pre_process_vgg."""

import os

import cv2
import numpy as np
import pytest
from PIL import Image

from quantbench import dataset
from quantbench.errors import QuantbenchError


def _jpeg(path, mode="RGB", size=(300, 200), color=(200, 40, 10), fmt="JPEG"):
    im = Image.new("RGB", size, color)
    if mode != "RGB":
        im = im.convert(mode)
    im.save(path, format=fmt)
    return path


def reference_pre_process_vgg(img):
    """Transcribed from mlcommons/inference vision/classification_and_detection/python/dataset.py."""
    img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    output_height, output_width = 224, 224
    height, width, _ = img.shape
    new_height = int(100.0 * output_height / 87.5)
    new_width = int(100.0 * output_width / 87.5)
    if height > width:
        w = new_width
        h = int(new_height * height / width)
    else:
        h = new_height
        w = int(new_width * width / height)
    img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    height, width, _ = img.shape
    left = int((width - output_width) / 2)
    right = int((width + output_width) / 2)
    top = int((height - output_height) / 2)
    bottom = int((height + output_height) / 2)
    img = img[top:bottom, left:right]
    img = np.asarray(img, dtype="float32")
    img -= np.array([123.68, 116.78, 103.94], dtype=np.float32)
    return img


@pytest.mark.parametrize("shape", [(227, 227), (375, 500), (500, 333), (1, 1), (257, 1000)])
def test_pre_process_vgg_equals_the_mlperf_reference(shape):
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, size=(*shape, 3), dtype=np.uint8)
    ours = dataset.pre_process_vgg(img)
    assert ours.shape == (224, 224, 3) and ours.dtype == np.float32
    np.testing.assert_array_equal(ours, reference_pre_process_vgg(img))


def test_pre_process_vgg_is_rgb_minus_means():
    img = np.zeros((300, 300, 3), np.uint8)
    img[:, :] = (10, 20, 30)  # BGR
    out = dataset.pre_process_vgg(img)
    np.testing.assert_allclose(out[100, 100], [30 - 123.68, 20 - 116.78, 10 - 103.94], rtol=1e-6)


def test_real_image_matches_reference(shared):
    path = shared / "imagenet-val-1300/images/ILSVRC2012_val_00000347.JPEG"
    np.testing.assert_array_equal(dataset.preprocess_file(str(path)), reference_pre_process_vgg(cv2.imread(str(path))))


@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_grayscale_and_cmyk_jpegs_are_converted_to_rgb(tmp_path, mode):
    rgb = _jpeg(tmp_path / "rgb.JPEG")
    other = _jpeg(tmp_path / f"{mode}.JPEG", mode=mode)
    a, b = dataset.load_image_bgr(str(rgb)), dataset.load_image_bgr(str(other))
    assert b.shape == a.shape == (200, 300, 3)
    if mode == "CMYK":  # same colour within JPEG error
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 12
    else:
        assert np.all(b[..., 0] == b[..., 1])


def test_png_named_jpeg_is_read(tmp_path):
    p = _jpeg(tmp_path / "n01739381_png.JPEG", fmt="PNG")
    assert open(p, "rb").read(4) == b"\x89PNG"
    img = dataset.load_image_bgr(str(p))
    assert tuple(img[0, 0]) == (10, 40, 200)  # BGR of (200, 40, 10), lossless


def test_non_ascii_and_space_names(tmp_path):
    p = _jpeg(tmp_path / "ünïcødé name ж.JPEG")
    assert dataset.preprocess_file(str(p)).shape == (224, 224, 3)


def test_huge_image(tmp_path):
    p = _jpeg(tmp_path / "huge.JPEG", size=(8000, 6000))
    assert dataset.preprocess_file(str(p)).shape == (224, 224, 3)


def test_truncated_jpeg_is_refused(tmp_path):
    p = _jpeg(tmp_path / "cut.JPEG", size=(400, 400))
    data = open(p, "rb").read()
    open(p, "wb").write(data[: len(data) // 2])
    with pytest.raises(QuantbenchError, match=r"cut.JPEG is a truncated JPEG"):
        dataset.load_image_bgr(str(p))


def test_corrupt_file_is_refused(tmp_path):
    p = tmp_path / "bad.JPEG"
    p.write_bytes(b"this is not an image at all" * 10)
    with pytest.raises(QuantbenchError, match=r"bad.JPEG is corrupt or not an image"):
        dataset.load_image_bgr(str(p))


def test_val_map_with_missing_label(tmp_path):
    p = tmp_path / "val_map.txt"
    p.write_text("a.JPEG 1\nb.JPEG\n")
    with pytest.raises(QuantbenchError, match=r"val_map.txt:2: expected '<file> <label>'"):
        dataset.read_val_map(str(p))


def test_val_map_label_out_of_range(tmp_path):
    p = tmp_path / "val_map.txt"
    p.write_text("a.JPEG 1\nb.JPEG 1000\n")
    with pytest.raises(QuantbenchError, match=r"label 1000 of b.JPEG is outside 0..999"):
        dataset.read_val_map(str(p))


def test_val_map_count_larger_than_list(tmp_path):
    p = tmp_path / "val_map.txt"
    p.write_text("a.JPEG 1\nb.JPEG 2\n")
    with pytest.raises(QuantbenchError, match=r"dataset.count is 5 but .* has only 2 entries"):
        dataset.read_val_map(str(p), count=5)
    assert dataset.read_val_map(str(p), count=1) == [("a.JPEG", 1)]


def test_val_map_names_with_spaces(tmp_path):
    p = tmp_path / "val_map.txt"
    p.write_text("my image.JPEG 7\n")
    assert dataset.read_val_map(str(p)) == [("my image.JPEG", 7)]


def test_calibration_list_empty_and_duplicates(tmp_path):
    p = tmp_path / "cal.txt"
    p.write_text("\n\n")
    with pytest.raises(QuantbenchError, match=r"calibration list .*cal.txt is empty"):
        dataset.read_name_list(str(p))
    p.write_text("a.JPEG\nb.JPEG\na.JPEG\n")
    with pytest.raises(QuantbenchError, match=r"names 1 image\(s\) more than once: a.JPEG"):
        dataset.read_name_list(str(p))


def test_calibration_names_missing_from_dataset_are_all_listed(tmp_path):
    imgs = tmp_path / "images"
    imgs.mkdir()
    _jpeg(imgs / "here.JPEG")
    cal = tmp_path / "cal.txt"
    cal.write_text("here.JPEG\nmissing1.JPEG\nmissing2.JPEG\n")
    with pytest.raises(QuantbenchError) as e:
        dataset.make_calibration_list(str(cal), str(imgs), str(tmp_path / "out.txt"))
    msg = str(e.value)
    assert "2 of 3 calibration" in msg and "missing1.JPEG" in msg and "missing2.JPEG" in msg and "here.JPEG" not in msg.split(":", 1)[1]
    assert not (tmp_path / "out.txt").exists()


def test_mlperf_option2_list_format(shared):
    names = dataset.read_name_list(str(shared / "mlperf-calibration/cal_option_2_in_val_1300.txt"))
    assert len(names) == 14 and all(n.startswith("ILSVRC2012_val_") and n.endswith(".JPEG") for n in names)
    dataset.check_images_exist(names, str(shared / "imagenet-val-1300/images"), "calibration")


def test_mlperf_option1_list_against_the_1300(shared):
    names = dataset.read_name_list(str(shared / "mlperf-calibration/cal_image_list_option_1.txt"))
    assert len(names) == 500
    with pytest.raises(QuantbenchError, match=r"480 of 500 calibration"):
        dataset.check_images_exist(names, str(shared / "imagenet-val-1300/images"), "calibration")


def test_caches_evaluation_then_calibration_sharing_rows(tmp_path):
    imgs = tmp_path / "images"
    imgs.mkdir()
    for i, c in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        _jpeg(imgs / f"{i}.JPEG", color=c)
    (tmp_path / "eval.tsv").write_text("0.JPEG\t3\n1.JPEG\t4\n")
    (tmp_path / "cal.txt").write_text("2.JPEG\n1.JPEG\n")
    assert dataset.preprocess_stage(str(tmp_path / "eval.tsv"), str(imgs), str(tmp_path / "x.npy"), str(tmp_path / "i.tsv"), log=None) == 2
    cache = dataset.Cache(str(tmp_path / "x.npy"), str(tmp_path / "i.tsv"))
    assert cache.rows == {"0.JPEG": 0, "1.JPEG": 1}
    np.testing.assert_array_equal(cache.take(["0.JPEG"])[0], dataset.preprocess_file(str(imgs / "0.JPEG")))
    # 1.JPEG comes from the evaluation cache, 2.JPEG is preprocessed
    copied = dataset.calibration_cache_stage(str(tmp_path / "cal.txt"), str(tmp_path / "x.npy"), str(tmp_path / "i.tsv"), str(imgs), str(tmp_path / "c.npy"), str(tmp_path / "ci.tsv"), log=None)
    assert copied == (1, 1)
    cal = np.load(tmp_path / "c.npy")
    np.testing.assert_array_equal(cal[1], cache.take(["1.JPEG"])[0])
    np.testing.assert_array_equal(cal[0], dataset.preprocess_file(str(imgs / "2.JPEG")))
    assert cal[0][0, 0, 2] > cal[0][0, 0, 0]  # blue image: B channel (RGB index 2) is the large one
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".part")]


def test_missing_image_folder_and_list_given_as_a_directory(tmp_path):
    with pytest.raises(QuantbenchError, match=r"image folder .*nope does not exist"):
        dataset.check_images_exist(["a.JPEG"], str(tmp_path / "nope"), "evaluation")
    (tmp_path / "f").write_text("x")
    with pytest.raises(QuantbenchError, match=r"image folder .*/f is not a directory"):
        dataset.check_images_exist(["a.JPEG"], str(tmp_path / "f"), "evaluation")
    with pytest.raises(QuantbenchError, match=r"dataset list .* is not a file"):
        dataset.read_val_map(str(tmp_path))
    with pytest.raises(QuantbenchError, match=r"calibration list .* is not a file"):
        dataset.read_name_list(str(tmp_path))


def test_outputs_get_ordinary_file_modes(tmp_path):
    from quantbench.io import write_text

    old = os.umask(0o022)
    try:
        write_text(tmp_path / "x.txt", "hi")
    finally:
        os.umask(old)
    assert (tmp_path / "x.txt").stat().st_mode & 0o777 == 0o644
