"""Rule preprocess (logic in quantbench.dataset)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))

import logging  # noqa: E402

from quantbench import dataset, smk  # noqa: E402


def main(s):
    p = s.params
    n = dataset.preprocess_stage(
        s.input.eval_list, p.image_dir, s.output.images, s.output.index,
        size=p.size, resize_short=p.resize_short, means=p.means, log=logging.getLogger("quantbench.preprocess").info,
    )
    logging.getLogger("quantbench.preprocess").info("cached %d images", n)


smk.run(snakemake, main)  # noqa: F821
