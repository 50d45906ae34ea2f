"""Get the FP32 graph: download (checksum verified), copy a local file, or build the embedded one."""

import logging
import os
import shutil
import urllib.error
import urllib.request

from .errors import QuantbenchError
from .graph import check_tensor_names, load_graph_def, md5_sha256
from .io import atomic_path

log = logging.getLogger("quantbench.fetch")


def verify_checksum(path, md5=None, sha256=None, source=None):
    got_md5, got_sha = md5_sha256(path)
    for kind, want, got in (("md5", md5, got_md5), ("sha256", sha256, got_sha)):
        if want and want.lower() != got:
            raise QuantbenchError(
                f"{kind} of {source or path} is {got}, expected {want}",
                "the file is corrupt or a different version: fetch it again or fix the checksum in config",
            )
    return got_md5, got_sha


def download(url, dest, timeout=60):
    """Download url to dest (dest is a temporary path owned by the caller)."""
    log.info("downloading %s", url)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r, open(dest, "wb") as f:
            shutil.copyfileobj(r, f, length=1 << 20)
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise QuantbenchError(
            f"cannot download {url}: {reason} (offline, or the address is wrong?)",
            "download the file on a machine with internet and set the config's path to it "
            "(models.<name>.path for a model, calibration.list for the list)",
        ) from None


def fetch_file(url, out, sha256=None):
    with atomic_path(out) as tmp:
        download(url, tmp)
        try:
            verify_checksum(tmp, sha256=sha256, source=url)
        except QuantbenchError as e:
            raise QuantbenchError(str(e.what) + "; the download was deleted", e.fix) from None


def get_model(out, url=None, path=None, embedded=False, md5=None, sha256=None, inputs="input_tensor", outputs=("ArgMax", "softmax_tensor")):
    """Write the verified FP32 graph to `out`; nothing is left at `out` on any failure."""
    with atomic_path(out) as tmp:
        if embedded:
            from . import synthetic
            from .dataset import pre_process_vgg
            import cv2
            import numpy as np

            log.warning(synthetic.SYNTHETIC_NOTE)
            imgs = np.stack([pre_process_vgg(cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR)) for _, b in synthetic.embedded_images()])
            gd = synthetic.build_resnet50_v15(imgs)
            with open(tmp, "wb") as f:
                f.write(gd.SerializeToString())
            source = "embedded synthetic ResNet50-v1.5"
        elif path:
            if not os.path.exists(path):
                raise QuantbenchError(f"model file {path} does not exist", "fix the model's path: in config")
            if os.path.isdir(path):
                load_graph_def(path)  # raises the SavedModel/directory message
            shutil.copyfile(path, tmp)
            source = path
        else:
            download(url, tmp)
            source = url
        if not embedded:
            try:
                got_md5, got_sha = verify_checksum(tmp, md5, sha256, source)
            except QuantbenchError as e:
                what = e.what + ("; the download was deleted" if url and not path else "")
                raise QuantbenchError(what, e.fix) from None
            if not (md5 or sha256):
                log.warning("no md5/sha256 given for %s; its checksums are md5 %s sha256 %s", source, got_md5, got_sha)
        gd = load_graph_def(tmp, display=source)
        check_tensor_names(gd, inputs, outputs, source)
        log.info("%s: %d nodes, tensor names checked, written to %s", source, len(gd.node), out)
