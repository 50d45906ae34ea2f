import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("QUANTBENCH_SHARED", REPO.parent / "shared")) / "data"
SNAKEMAKE = [sys.executable, "-m", "snakemake"]

sys.path.insert(0, str(REPO / "src"))
import quantbench  # noqa: E402,F401  (sets TF_ENABLE_ONEDNN_OPTS before any TensorFlow import)

MOBILENET = SHARED / "models" / "mobilenet_v2_fp32_mlperf_contract.pb"
MOBILENET_SHA256 = "2c1a70819b1661528debd25b4250e7b5b32b157a1ebf6670a225a28856da0e8b"
VAL1300 = SHARED / "imagenet-val-1300"
FP32_TOP1_1300 = 0.8031  # ../shared/data/README.md, MLPerf's exact preprocessing


def need_shared():
    if not MOBILENET.exists():
        pytest.skip(f"needs the real test data at {SHARED} (../shared/data beside the checkout); not present")


@pytest.fixture
def shared():
    need_shared()
    return SHARED


def real_data_config(count=None, cal_list=None):
    return {
        "models": {
            "mobilenet_v2_contract": {
                "path": str(MOBILENET),
                "sha256": MOBILENET_SHA256,
                "fp32_ops": ["MobilenetV2/Logits/Conv2d_1c_1x1/Conv2D"],
            }
        },
        "dataset": {"dir": str(VAL1300 / "images"), "val_map": str(VAL1300 / "val_map.txt"), "count": count},
        "calibration": {"list": str(cal_list or SHARED / "mlperf-calibration" / "cal_option_1_in_val_1300.txt")},
    }


def snakemake(workdir, *args, config=None, check=False, timeout=None):
    """Run the workflow in `workdir` with the repo's config.yaml, plus `config` as a second config file."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = SNAKEMAKE + [str(a) for a in args] + ["-s", str(REPO / "Snakefile"), "-d", str(workdir)]
    cmd += ["--configfile", str(REPO / "config.yaml")]  # last: --configfile takes several values
    if config is not None:
        extra = workdir / "test-config.yaml"
        extra.write_text(yaml.safe_dump(config))
        cmd.append(str(extra))
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"snakemake failed ({p.returncode}):\n{p.stdout[-5000:]}\n{p.stderr[-5000:]}")
    return p


def dry_run_jobs(workdir, *args, config=None):
    """{rule: count} from `snakemake -n` (the Job stats table)."""
    p = snakemake(workdir, *args, "-n", config=config, check=True)
    out = p.stdout + p.stderr
    jobs = {}
    if "Nothing to be done" in out:
        return jobs
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("job ") and "count" in line)
    for line in lines[start + 2 :]:
        parts = line.split()
        if not parts or parts[0] == "total":
            break
        jobs[parts[0]] = int(parts[1])
    return jobs


def pytest_collection_modifyitems(config, items):
    """Run the Slurm test last: while slurm-client is installed, every Snakemake start pays the
    slurm plugin's `scontrol` probe (tests/slurm/cluster.sh down purges what it installed)."""
    items.sort(key=lambda item: item.get_closest_marker("slurm") is not None)
