"""Rule embedded_dataset (logic in quantbench.synthetic)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))

from quantbench import smk, synthetic  # noqa: E402

smk.run(  # noqa: F821
    snakemake,  # noqa: F821
    lambda s: synthetic.write_embedded_dataset(s.output.images, s.output.file_list, s.output.cal_list),
)
