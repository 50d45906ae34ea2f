# quantbench: MLPerf ResNet50-v1.5 FP32 -> INT8 (Intel Neural Compressor), benchmarked with LoadGen.
# This file is a table of contents: config, validation, includes, targets.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


include: "workflow/rules/common.smk"


wildcard_constraints:
    model="|".join(sorted(config["models"])),


include: "workflow/rules/fetch.smk"
include: "workflow/rules/dataset.smk"
include: "workflow/rules/preprocess.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/quantize.smk"


rule all:
    input:
        get_final_output(),
    default_target: True
