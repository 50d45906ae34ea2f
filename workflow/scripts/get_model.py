"""Rule get_model: fetch, copy or build the FP32 graph (logic in quantbench.fetch)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))

from quantbench import fetch, smk  # noqa: E402

smk.run(snakemake, lambda s: fetch.get_model(s.output[0], **s.params.source))  # noqa: F821
