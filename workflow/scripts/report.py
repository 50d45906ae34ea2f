"""Rule report (logic in quantbench.report)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))

from quantbench import report, smk  # noqa: E402


def main(s):
    o = s.output
    report.report_stage(s.wildcards.model, s.input.runs, s.input.bf16 or None, o.csv, o.throughput, o.latency, o.top1)


smk.run(snakemake, main)  # noqa: F821
