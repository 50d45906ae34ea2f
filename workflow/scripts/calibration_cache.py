"""Rule calibration_cache (logic in quantbench.dataset)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))
import logging  # noqa: E402

from quantbench import dataset, smk  # noqa: E402


def main(s):
    p = s.params
    dataset.calibration_cache_stage(
        s.input.cal_list, s.input.images, s.input.index, p.image_dir, s.output.images, s.output.index,
        size=p.size, resize_short=p.resize_short, means=p.means, log=logging.getLogger("quantbench.preprocess").info,
    )


smk.run(snakemake, main)  # noqa: F821
