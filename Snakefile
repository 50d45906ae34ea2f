# quantbench: MLPerf ResNet50-v1.5 FP32 -> INT8 (Intel Neural Compressor), benchmarked with LoadGen.
# This file is a table of contents: config, validation, includes, targets.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


wildcard_constraints:
    model="|".join(sorted(config["models"])),
    precision="fp32|int8|bf16",
    scenario="SingleStream|MultiStream|Server|Offline",
    mode="performance|accuracy",


include: "workflow/rules/fetch.smk"
include: "workflow/rules/dataset.smk"
include: "workflow/rules/preprocess.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/quantize.smk"
include: "workflow/rules/bf16.smk"
include: "workflow/rules/loadgen.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        get_final_output(),
    default_target: True
