"""Glue between a rule's `script:` and the package: logging to the rule's log, clear errors."""

import logging
import os
import platform
import sys

from .errors import QuantbenchError


def run(snakemake, func):
    """Call func(snakemake) with logging to snakemake.log[0] and stderr.

    A QuantbenchError ends the job with its message (no traceback) and exit status 1;
    Snakemake then removes the job's outputs, and ours were written atomically anyway.
    """
    handlers = [logging.StreamHandler(sys.stderr)]
    if snakemake.log:
        os.makedirs(os.path.dirname(os.path.abspath(snakemake.log[0])), exist_ok=True)
        handlers.append(logging.FileHandler(snakemake.log[0], mode="w"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", handlers=handlers, force=True)
    for noisy in ("tensorflow", "absl", "h5py", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    log = logging.getLogger("quantbench")
    try:
        func(snakemake)
    except QuantbenchError as e:
        log.error("%s", e)
        print(f"\nquantbench ERROR in rule {snakemake.rule}:\n  {e}\n", file=sys.stderr, flush=True)
        sys.exit(1)


DISTRIBUTIONS = ("tensorflow", "neural-compressor-tf", "numpy", "protobuf", "opencv-python-headless", "pillow", "mlcommons-loadgen")


def versions():
    """Installed versions of the packages that shape our artifacts (by distribution metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    from . import __version__

    out = {"python": platform.python_version(), "quantbench": __version__}
    for dist in DISTRIBUTIONS:
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    out["TF_ENABLE_ONEDNN_OPTS"] = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    return out
