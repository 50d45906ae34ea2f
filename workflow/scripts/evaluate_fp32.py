"""Rule evaluate_fp32 (logic in quantbench.evaluate)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))

from quantbench import evaluate, smk  # noqa: E402
from quantbench.io import write_json  # noqa: E402


def main(s):
    p = s.params
    rec = evaluate.evaluate_fp32(
        s.input.model, s.input.images, s.input.index, s.input.eval_list,
        p.inputs, p.outputs, p.argmax, p.label_offset, p.batch_size,
    )
    if p.embedded:
        from quantbench.synthetic import SYNTHETIC_NOTE

        rec["note"] = SYNTHETIC_NOTE
    write_json(s.output[0], rec)


smk.run(snakemake, main)  # noqa: F821
