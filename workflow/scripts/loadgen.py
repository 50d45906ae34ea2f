"""Rule loadgen: one LoadGen test in this process (logic in quantbench.sut)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))

from quantbench import smk, sut  # noqa: E402


def main(s):
    i, p, w = s.input, s.params, s.wildcards
    sut.loadgen_stage(
        i.model, i.images, i.index, i.eval_list, i.fp32, os.path.dirname(s.output.summary), s.output.run,
        scenario=w.scenario, mode=w.mode, precision=w.precision, inputs=p.inputs, outputs=p.outputs,
        argmax=p.argmax, label_offset=p.label_offset, settings=p.settings, mlperf_model=p.mlperf_model,
        batch_size=p.batch_size, intra_op=p.intra_op, inter_op=p.inter_op, warmup=p.warmup,
    )


smk.run(snakemake, main)  # noqa: F821
