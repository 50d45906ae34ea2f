rule quantize:
    """INT8 post-training static quantization with Intel Neural Compressor, accuracy-driven."""
    input:
        model="resources/models/{model}.pb",
        images="results/preprocessed/images.npy",
        index="results/preprocessed/index.tsv",
        cal_images="results/preprocessed/calibration.npy",
        cal_index="results/preprocessed/calibration_index.tsv",
        eval_list="results/dataset/eval_list.tsv",
        fp32="results/fp32_{model}.json",
    output:
        model="results/int8_{model}.pb",
        summary="results/int8_{model}.json",
    params:
        inputs=lambda wc: model_cfg(wc.model)["inputs"],
        outputs=lambda wc: model_cfg(wc.model)["outputs"],
        argmax=lambda wc: model_cfg(wc.model)["argmax"],
        label_offset=lambda wc: model_cfg(wc.model)["label_offset"],
        fp32_ops=lambda wc: model_cfg(wc.model)["fp32_ops"],
        trials=config["quantize"]["trials"],
        tolerance=config["quantize"]["tolerance"],
        seed=config["quantize"]["seed"],
        calibration_batch_size=config["calibration"]["batch_size"],
        eval_batch_size=config["evaluate"]["batch_size"],
        embedded=lambda wc: model_cfg(wc.model)["embedded"],
    log:
        "logs/quantize/{model}.log",
    benchmark:
        "benchmarks/quantize/{model}.tsv"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=120,
    conda:
        "../../envs/quantize.yaml"
    script:
        "../scripts/quantize.py"
