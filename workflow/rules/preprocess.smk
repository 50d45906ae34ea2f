rule preprocess:
    """MLPerf pre_process_vgg of every evaluation image, once, into one memory-mappable cache."""
    input:
        eval_list="results/dataset/eval_list.tsv",
        dataset=dataset_inputs(),
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
        "../../envs/preprocess.yaml"
    script:
        "../scripts/preprocess.py"


rule calibration_cache:
    """The calibration images: copied from the evaluation cache where it has them, else preprocessed."""
    input:
        cal_list="results/calibration/cal_list.txt",
        images="results/preprocessed/images.npy",
        index="results/preprocessed/index.tsv",
    output:
        images="results/preprocessed/calibration.npy",
        index="results/preprocessed/calibration_index.tsv",
    params:
        image_dir=image_dir(),
        size=config["preprocess"]["size"],
        resize_short=config["preprocess"]["resize_short"],
        means=config["preprocess"]["means"],
        code=preprocess_code_hash(),
    log:
        "logs/calibration_cache.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        "../../envs/preprocess.yaml"
    script:
        "../scripts/calibration_cache.py"
