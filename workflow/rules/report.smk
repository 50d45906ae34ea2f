localrules:
    report,


rule report:
    """One table and plots comparing the artifacts of a model."""
    input:
        runs=loadgen_runs,
        bf16=lambda wc: (
            f"results/bf16_{wc.model}.json"
            if "bf16" in config["loadgen"]["precisions"]
            else []
        ),
    output:
        csv=report(
            "results/summary_{model}.csv",
            caption="../report/summary.rst",
            category="Comparison",
        ),
        throughput=report(
            "results/plots/{model}/throughput.png",
            caption="../report/throughput.rst",
            category="Comparison",
        ),
        latency=report(
            "results/plots/{model}/p90_latency.png",
            caption="../report/latency.rst",
            category="Comparison",
        ),
        top1=report(
            "results/plots/{model}/top1.png",
            caption="../report/top1.rst",
            category="Comparison",
        ),
    log:
        "logs/report/{model}.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/report.py"
