"""Rule eval_list (logic in quantbench.dataset)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))

from quantbench import dataset, smk  # noqa: E402

smk.run(  # noqa: F821
    snakemake,  # noqa: F821
    lambda s: dataset.make_eval_list(s.input.lst, s.params.image_dir, s.output[0], labelled=s.params.labelled, count=s.params.n),
)
