rule embedded_dataset:
    """Write the embedded images (derived from pictures shipped in matplotlib) and their lists."""
    output:
        images=directory("resources/embedded/images"),
        file_list="resources/embedded/file_list.txt",
        cal_list="resources/embedded/cal_list.txt",
    log:
        "logs/embedded_dataset.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/dataset.yaml"
    script:
        "../scripts/embedded_dataset.py"


rule calibration_list:
    """Check the calibration list against the dataset: every listed image must exist."""
    input:
        lst=calibration_source(),
        dataset=dataset_inputs(),
    output:
        "results/calibration/cal_list.txt",
    params:
        image_dir=image_dir(),
    log:
        "logs/calibration_list.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    conda:
        "../../envs/dataset.yaml"
    script:
        "../scripts/calibration_list.py"


rule eval_list:
    """The evaluation set: the first dataset.count lines of val_map (or the embedded images), checked."""
    input:
        lst=dataset_list(),
    output:
        "results/dataset/eval_list.tsv",
    params:
        image_dir=image_dir(),
        labelled=not embedded_dataset(),
        n=config["dataset"]["count"],
    log:
        "logs/eval_list.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    conda:
        "../../envs/dataset.yaml"
    script:
        "../scripts/eval_list.py"
