rule bf16:
    """BF16 graph by TensorFlow's oneDNN auto-mixed-precision rewrite; verified against FP32."""
    input:
        model="resources/models/{model}.pb",
        images="results/preprocessed/images.npy",
        index="results/preprocessed/index.tsv",
        eval_list="results/dataset/eval_list.tsv",
        fp32="results/fp32_{model}.json",
    output:
        model="results/bf16_{model}.pb",
        summary="results/bf16_{model}.json",
    params:
        inputs=lambda wc: model_cfg(wc.model)["inputs"],
        outputs=lambda wc: model_cfg(wc.model)["outputs"],
        argmax=lambda wc: model_cfg(wc.model)["argmax"],
        label_offset=lambda wc: model_cfg(wc.model)["label_offset"],
        embedded=lambda wc: model_cfg(wc.model)["embedded"],
        lists=config["bf16"]["lists"],
        eval_batch_size=config["evaluate"]["batch_size"],
    log:
        "logs/bf16/{model}.log",
    benchmark:
        "benchmarks/bf16/{model}.tsv"
    threads: 2
    resources:
        mem_mb=6000,
        runtime=60,
    conda:
        "../../envs/bf16.yaml"
    script:
        "../scripts/bf16.py"
