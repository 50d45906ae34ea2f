rule evaluate_fp32:
    """Top-1 of the FP32 graph on the evaluation set (and its predictions, for agreement)."""
    input:
        model="resources/models/{model}.pb",
        images="results/preprocessed/images.npy",
        index="results/preprocessed/index.tsv",
        eval_list="results/dataset/eval_list.tsv",
    output:
        "results/fp32_{model}.json",
    params:
        inputs=lambda wc: model_cfg(wc.model)["inputs"],
        outputs=lambda wc: model_cfg(wc.model)["outputs"],
        argmax=lambda wc: model_cfg(wc.model)["argmax"],
        label_offset=lambda wc: model_cfg(wc.model)["label_offset"],
        embedded=lambda wc: model_cfg(wc.model)["embedded"],
        batch_size=config["evaluate"]["batch_size"],
    log:
        "logs/evaluate_fp32/{model}.log",
    benchmark:
        "benchmarks/evaluate_fp32/{model}.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../../envs/quantize.yaml"
    script:
        "../scripts/evaluate_fp32.py"
