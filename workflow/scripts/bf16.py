"""Rule bf16 (logic in quantbench.bf16)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))

from quantbench import bf16, smk  # noqa: E402


def main(s):
    i, p = s.input, s.params
    bf16.bf16_stage(
        i.model, i.images, i.index, i.eval_list, i.fp32, s.output.model, s.output.summary,
        inputs=p.inputs, outputs=p.outputs, argmax=p.argmax, label_offset=p.label_offset,
        lists=p.lists, eval_batch_size=p.eval_batch_size, embedded=p.embedded,
    )


smk.run(snakemake, main)  # noqa: F821
