localrules:
    get_model,
    fetch_calibration_list,


rule get_model:
    """Fetch (url), copy (path) or build (embedded) the FP32 frozen graph; checksum and tensor names verified."""
    output:
        "resources/models/{model}.pb",
    params:
        source=lambda wc: {
            k: model_cfg(wc.model).get(k)
            for k in ("url", "path", "embedded", "md5", "sha256", "inputs", "outputs")
        },
    log:
        "logs/get_model/{model}.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../envs/fetch.yaml"
    script:
        "../scripts/get_model.py"


rule fetch_calibration_list:
    """Download the calibration list named by URL in config."""
    output:
        "resources/calibration/{name}",
    params:
        url=config["calibration"]["list"],
        sha256=config["calibration"]["sha256"],
    log:
        "logs/fetch_calibration_list/{name}.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    conda:
        "../../envs/fetch.yaml"
    script:
        "../scripts/fetch_file.py"
