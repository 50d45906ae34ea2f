rule preprocess:
    """MLPerf pre_process_vgg of every evaluation and calibration image, once, into one cache."""
    input:
        cal_list="results/calibration/cal_list.txt",
        eval_list="results/dataset/eval_list.tsv",
    output:
        images="results/preprocessed/images.npy",
        index="results/preprocessed/index.tsv",
    params:
        image_dir=image_dir(),
        size=config["preprocess"]["size"],
        resize_short=config["preprocess"]["resize_short"],
        means=config["preprocess"]["means"],
        code=preprocess_code_hash(),
    log:
        "logs/preprocess.log",
    benchmark:
        "benchmarks/preprocess.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    conda:
        "../../envs/quantize.yaml"
    script:
        "../scripts/preprocess.py"
