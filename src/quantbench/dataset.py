"""Image lists and MLPerf's `pre_process_vgg` preprocessing, with an on-disk cache."""

import os
import warnings

import numpy as np

from .errors import QuantbenchError

MEANS = (123.68, 116.78, 103.94)


# ---------------------------------------------------------------------------- lists


def read_val_map(path, count=None, labelled=True):
    """Read `<file> <label>` lines (MLPerf val_map.txt). Returns [(name, label or None)].

    labelled=False reads a plain file list (one name per line, label None).
    """
    if not os.path.isfile(path):
        raise QuantbenchError(f"dataset list {path} {'is not a file' if os.path.exists(path) else 'does not exist'}", "set dataset.val_map to an existing file")
    entries = []
    seen = {}
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line:
                continue
            if labelled:
                # names may contain spaces: the label is the last field
                name, _, label = line.rpartition(" ")
                if not name or not label.lstrip("-").isdigit():
                    raise QuantbenchError(
                        f"{path}:{lineno}: expected '<file> <label>', got {line!r}",
                        "every val_map line needs a file name and an integer label 0..999",
                    )
                lab = int(label)
                if not 0 <= lab <= 999:
                    raise QuantbenchError(
                        f"{path}:{lineno}: label {lab} of {name} is outside 0..999",
                        "val_map labels are 0-based ImageNet class indices (MLPerf val_map.txt)",
                    )
            else:
                name, lab = line, None
            if name in seen:
                raise QuantbenchError(
                    f"{path}:{lineno}: {name} is listed twice (first on line {seen[name]})",
                    "remove the duplicate line",
                )
            seen[name] = lineno
            entries.append((name, lab))
            if count is not None and len(entries) >= count:
                break
    if not entries:
        raise QuantbenchError(f"dataset list {path} is empty", "point dataset.val_map at a non-empty list")
    if count is not None and len(entries) < count:
        raise QuantbenchError(
            f"dataset.count is {count} but {path} has only {len(entries)} entries",
            f"set dataset.count to at most {len(entries)}, or null for all",
        )
    return entries


def read_name_list(path):
    """Read a calibration list: one image name per line (MLPerf option 1), or `<name> <label>` (option 2)."""
    names, seen, dups = [], set(), []
    if not os.path.isfile(path):
        raise QuantbenchError(f"calibration list {path} {'is not a file' if os.path.exists(path) else 'does not exist'}", "set calibration.list to a file with one image name per line")
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line:
                continue
            # option 2 lines are "<name> <label>": drop a trailing integer field (names may hold spaces)
            head, _, last = line.rpartition(" ")
            name = head.strip() if head and last.isdigit() else line
            if name in seen:
                dups.append(name)
                continue
            seen.add(name)
            names.append(name)
    if not names:
        raise QuantbenchError(f"calibration list {path} is empty", "set calibration.list to a file with one image name per line")
    if dups:
        raise QuantbenchError(
            f"calibration list {path} names {len(dups)} image(s) more than once: {', '.join(sorted(set(dups)))}",
            "remove the duplicate lines",
        )
    return names


def check_images_exist(names, image_dir, what):
    if not os.path.isdir(image_dir):
        raise QuantbenchError(
            f"image folder {image_dir} {'is not a directory' if os.path.exists(image_dir) else 'does not exist'}",
            "set dataset.dir to the folder of ImageNet validation images",
        )
    missing = [n for n in names if not os.path.isfile(os.path.join(image_dir, n))]
    if missing:
        shown = "\n    ".join(missing)
        raise QuantbenchError(
            f"{len(missing)} of {len(names)} {what} image(s) are missing from {image_dir}:\n    {shown}",
            "set dataset.dir to the folder that holds them, or use a list that matches your dataset",
        )


# ---------------------------------------------------------------------------- images


def load_image_bgr(path):
    """Read an image as 8-bit BGR (as cv2.imread does in the MLPerf reference).

    Grayscale, CMYK and PNG-content files (all present in real ImageNet) are converted;
    unreadable files raise QuantbenchError naming the file.
    """
    import cv2

    img = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = np.fromfile(path, dtype=np.uint8) if os.path.exists(path) else None
    if data is None:
        raise QuantbenchError(f"image {path} does not exist", "check dataset.dir and the list that names it")
    if data.size and data[:2].tobytes() == b"\xff\xd8" and b"\xff\xd9" not in data[-4096:].tobytes():
        # libjpeg decodes a cut-off JPEG with a grey bottom and only a warning: refuse it
        raise QuantbenchError(
            f"image {path} is a truncated JPEG ({data.size} bytes, no end-of-image marker)",
            "replace the file with a complete copy (re-download or re-extract the dataset)",
        )
    if data.size:
        img = cv2.imdecode(data, cv2.IMREAD_COLOR)  # sniffs content: PNG named .JPEG works
    if img is None:
        # cv2 could not decode: try Pillow (some CMYK/progressive files), then give up clearly
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as im:
                im.load()
                rgb = np.asarray(im.convert("RGB"))
            img = rgb[:, :, ::-1].copy()
        except (UnidentifiedImageError, OSError, ValueError) as e:
            raise QuantbenchError(
                f"image {path} is corrupt or not an image ({e.__class__.__name__}: {e})",
                "replace the file with a good copy, or remove it from the list",
            ) from None
    if img.shape[0] < 1 or img.shape[1] < 1:
        raise QuantbenchError(f"image {path} has no pixels", "replace the file")
    return img


def pre_process_vgg(img_bgr, size=224, resize_short=256, means=MEANS):
    """MLPerf inference vision/classification_and_detection/python/dataset.py pre_process_vgg.

    BGR -> RGB; shorter side to `resize_short` (224/0.875) with cv2.INTER_AREA keeping aspect
    (`int(256 * long / short)`); centre crop `size`; float32 minus means; NHWC.
    """
    import cv2

    img = cv2.cvtColor(img_bgr, cv2.COLOR_BGR2RGB)
    height, width, _ = img.shape
    if height > width:
        w, h = resize_short, int(resize_short * height / width)
    else:
        h, w = resize_short, int(resize_short * width / height)
    img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    height, width, _ = img.shape
    left, top = int((width - size) / 2), int((height - size) / 2)
    img = img[top : top + size, left : left + size]
    img = np.asarray(img, dtype="float32")
    img -= np.array(means, dtype=np.float32)
    return img


def preprocess_file(path, size=224, resize_short=256, means=MEANS):
    return pre_process_vgg(load_image_bgr(path), size, resize_short, means)


# ---------------------------------------------------------------------------- cache


def build_cache(names, image_dir, out_npy, out_index, labels=None, size=224, resize_short=256, means=MEANS, log=print):
    """Preprocess `names` once into one float32 [N,size,size,3] .npy (memory-mappable) + index.

    index.tsv: `row<TAB>name<TAB>label` (label -1 where unknown). Written atomically.
    """
    from .io import atomic_path

    check_images_exist(names, image_dir, "dataset")
    labels = labels or {}
    with atomic_path(out_npy) as tmp_npy:
        arr = np.lib.format.open_memmap(tmp_npy, mode="w+", dtype=np.float32, shape=(len(names), size, size, 3))
        for i, name in enumerate(names):
            arr[i] = preprocess_file(os.path.join(image_dir, name), size, resize_short, means)
            if log and (i + 1) % 500 == 0:
                log(f"preprocessed {i + 1}/{len(names)}")
        arr.flush()
        del arr
        with atomic_path(out_index) as tmp_idx:
            with open(tmp_idx, "w", encoding="utf-8") as f:
                for i, name in enumerate(names):
                    lab = labels.get(name)
                    f.write(f"{i}\t{name}\t{-1 if lab is None else lab}\n")


class Cache:
    """Read side of the preprocessed cache."""

    def __init__(self, npy, index):
        self.array = np.load(npy, mmap_mode="r")
        self.rows = {}
        with open(index, encoding="utf-8") as f:
            for line in f:
                row, name, label = line.rstrip("\n").split("\t")
                self.rows[name] = int(row)
        if len(self.rows) != self.array.shape[0]:
            raise QuantbenchError(f"cache {npy} and {index} disagree", "delete results/preprocessed and rerun")

    def take(self, names):
        idx = np.array([self.rows[n] for n in names])
        return np.ascontiguousarray(self.array[idx])


# ---------------------------------------------------------------------------- stage entry points


def make_calibration_list(src, image_dir, out):
    """Check every calibration name exists in image_dir; write the normalised list."""
    from .io import write_text

    names = read_name_list(src)
    check_images_exist(names, image_dir, f"calibration (listed in {src})")
    write_text(out, "".join(n + "\n" for n in names))
    return names


def make_eval_list(src, image_dir, out, labelled=True, count=None):
    """The evaluation set: `name<TAB>label` (-1 where unlabelled), every image checked to exist."""
    from .io import write_text

    entries = read_val_map(src, count=count, labelled=labelled)
    check_images_exist([n for n, _ in entries], image_dir, f"evaluation (listed in {src})")
    write_text(out, "".join(f"{n}\t{-1 if lab is None else lab}\n" for n, lab in entries))
    return entries


def read_eval_list(path):
    names, labels = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            name, lab = line.rstrip("\n").split("\t")
            names.append(name)
            labels.append(int(lab))
    return names, labels


def read_plain_list(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def preprocess_stage(eval_list, image_dir, out_npy, out_index, size=224, resize_short=256, means=MEANS, log=print):
    """Cache the evaluation set, in evaluation order (QSL index i = row i)."""
    names, labels = read_eval_list(eval_list)
    lab = {n: v for n, v in zip(names, labels) if v >= 0}
    build_cache(names, image_dir, out_npy, out_index, labels=lab, size=size, resize_short=resize_short, means=tuple(means), log=log)
    return len(names)


def calibration_cache_stage(cal_list, eval_npy, eval_index, image_dir, out_npy, out_index, size=224, resize_short=256, means=MEANS, log=print):
    """Cache the calibration images: rows the evaluation cache already holds are copied from it
    (the cache is shared), the others are preprocessed. Returns (copied, preprocessed)."""
    from .io import atomic_path

    names = read_plain_list(cal_list)
    shared = Cache(eval_npy, eval_index)
    if shared.array.shape[1:] != (size, size, 3):
        raise QuantbenchError(f"{eval_npy} holds {shared.array.shape[1:]} images, expected {(size, size, 3)}", "rerun the preprocess rule")
    check_images_exist([n for n in names if n not in shared.rows], image_dir, "calibration")
    copied = 0
    with atomic_path(out_npy) as tmp_npy:
        arr = np.lib.format.open_memmap(tmp_npy, mode="w+", dtype=np.float32, shape=(len(names), size, size, 3))
        for i, name in enumerate(names):
            if name in shared.rows:
                arr[i] = shared.array[shared.rows[name]]
                copied += 1
            else:
                arr[i] = preprocess_file(os.path.join(image_dir, name), size, resize_short, means)
        arr.flush()
        del arr
        with atomic_path(out_index) as tmp_idx:
            with open(tmp_idx, "w", encoding="utf-8") as f:
                f.writelines(f"{i}\t{name}\t-1\n" for i, name in enumerate(names))
    if log:
        log(f"calibration cache: {copied} of {len(names)} images from the evaluation cache, {len(names) - copied} preprocessed")
    return copied, len(names) - copied
