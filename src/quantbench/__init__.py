"""quantbench: MLPerf ResNet50-v1.5 FP32 -> INT8/BF16, benchmarked with LoadGen.

Importing this package (before TensorFlow) switches oneDNN on: INC's INT8 graphs use
oneDNN-only kernels and TensorFlow leaves oneDNN off on CPUs without AVX-512 VNNI, where an
INT8 graph then fails with "Missing 0-th output from ..._eightbit_requantize".
"""

import os
import sys

__version__ = "0.1.0"

if os.environ.get("TF_ENABLE_ONEDNN_OPTS") not in (None, "1"):
    print(
        "quantbench: TF_ENABLE_ONEDNN_OPTS=%s overridden to 1 (INT8 graphs need oneDNN)"
        % os.environ["TF_ENABLE_ONEDNN_OPTS"],
        file=sys.stderr,
    )
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
