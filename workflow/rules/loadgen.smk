rule loadgen:
    """One MLPerf LoadGen test (one per process) of one artifact, scenario and mode."""
    input:
        model=artifact,
        images="results/preprocessed/images.npy",
        index="results/preprocessed/index.tsv",
        eval_list="results/dataset/eval_list.tsv",
        fp32="results/fp32_{model}.json",
    output:
        summary="results/loadgen/{model}/{precision}/{scenario}/{mode}/mlperf_log_summary.txt",
        detail="results/loadgen/{model}/{precision}/{scenario}/{mode}/mlperf_log_detail.txt",
        accuracy="results/loadgen/{model}/{precision}/{scenario}/{mode}/mlperf_log_accuracy.json",
        run="results/loadgen/{model}/{precision}/{scenario}/{mode}/run.json",
    params:
        inputs=lambda wc: model_cfg(wc.model)["inputs"],
        outputs=lambda wc: model_cfg(wc.model)["outputs"],
        argmax=lambda wc: model_cfg(wc.model)["argmax"],
        label_offset=lambda wc: model_cfg(wc.model)["label_offset"],
        settings=loadgen_settings,
        mlperf_model=config["loadgen"]["mlperf_model"],
        batch_size=lambda wc: loadgen_batch_size(wc),
        intra_op=lambda wc: loadgen_threads(wc)[0],
        inter_op=lambda wc: loadgen_threads(wc)[1],
        warmup=config["loadgen"]["warmup"],
    log:
        "logs/loadgen/{model}/{precision}/{scenario}/{mode}.log",
    benchmark:
        "benchmarks/loadgen/{model}/{precision}/{scenario}/{mode}.tsv"
    threads: loadgen_job_threads()
    resources:
        mem_mb=8000,
        runtime=60,
        loadgen=1,
    conda:
        "../../envs/loadgen.yaml"
    script:
        "../scripts/loadgen.py"
