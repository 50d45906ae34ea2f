"""Rule quantize (logic in quantbench.quantize)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))

from quantbench import quantize, smk  # noqa: E402


def main(s):
    i, p = s.input, s.params
    quantize.quantize_stage(
        i.model, i.images, i.index, i.cal_images, i.cal_index, i.eval_list, i.fp32, s.output.model, s.output.summary,
        inputs=p.inputs, outputs=p.outputs, argmax=p.argmax, label_offset=p.label_offset, fp32_ops=p.fp32_ops,
        trials=p.trials, tolerance=p.tolerance, seed=p.seed, calibration_batch_size=p.calibration_batch_size,
        eval_batch_size=p.eval_batch_size, embedded=p.embedded,
    )


smk.run(snakemake, main)  # noqa: F821
