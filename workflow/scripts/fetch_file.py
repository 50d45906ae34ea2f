"""Rule fetch_calibration_list: download a file, checksum verified (logic in quantbench.fetch)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))

from quantbench import fetch, smk  # noqa: E402

smk.run(snakemake, lambda s: fetch.fetch_file(s.params.url, s.output[0], s.params.sha256))  # noqa: F821
