"""The workflow on a real Slurm: a one-node cluster on this machine (tests/slurm/cluster.sh), the
jobs submitted by snakemake-executor-plugin-slurm through workflow/profiles/slurm.

Slow (installs and starts Slurm, then runs part of the DAG twice); needs root, apt-get and the
real data in ../shared/data, and skips, saying which is missing, where they are not.
"""

import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, need_shared, real_data_config, snakemake

pytestmark = [pytest.mark.slow, pytest.mark.slurm]

CLUSTER = REPO / "tests" / "slurm" / "cluster.sh"
PROFILE = REPO / "workflow" / "profiles" / "slurm"
TARGET = "results/fp32_mobilenet_v2_contract.json"
CAL_TARGET = "results/preprocessed/calibration.npy"
# get_model is a localrule: it runs in the Snakemake process, never through Slurm
SLURM_RULES = {"calibration_list", "eval_list", "preprocess", "calibration_cache", "evaluate_fp32"}


def _cluster(cmd):
    return subprocess.run(["bash", str(CLUSTER), cmd], capture_output=True, text=True, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def slurm_cluster():
    if os.geteuid() != 0:
        pytest.skip("needs root: tests/slurm/cluster.sh installs Slurm and starts munged, slurmctld, slurmd")
    if shutil.which("apt-get") is None:
        pytest.skip("needs apt-get (Debian/Ubuntu) to install slurmctld slurmd slurm-client munge")
    need_shared()
    try:
        p = _cluster("up")
        assert p.returncode == 0, f"tests/slurm/cluster.sh up failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
        yield
    finally:
        d = _cluster("down")
        assert d.returncode == 0, f"tests/slurm/cluster.sh down failed ({d.returncode}):\n{d.stdout}\n{d.stderr}"


def _slurm_jobs():
    """{job id: {field: value}} of every job slurmctld still holds (finished ones for MinJobAge)."""
    out = subprocess.run(["scontrol", "-o", "show", "jobs"], capture_output=True, text=True, check=True).stdout
    jobs = {}
    for line in out.splitlines():
        if not line.startswith("JobId="):
            continue
        # one line per job, "Key=Value" pairs separated by spaces (values here have none)
        fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        jobs[fields["JobId"]] = fields
    return jobs


def test_slurm_runs_the_jobs_and_matches_a_local_run(tmp_path, slurm_cluster):
    cfg = real_data_config(count=100)
    on_slurm, local = tmp_path / "slurm", tmp_path / "local"

    p = snakemake(on_slurm, TARGET, CAL_TARGET, "--profile", PROFILE, "--slurm-keep-successful-logs", config=cfg, check=True)
    out = p.stdout + p.stderr

    # --- the jobs went through Slurm: the plugin's submissions, as slurmctld recorded them
    m = re.search(r"SLURM run ID: (\S+)", out)
    assert m, f"no 'SLURM run ID' in Snakemake's output: not run by the slurm executor\n{out[-5000:]}"
    run_id = m.group(1)
    submitted = dict(
        re.findall(r"has been submitted with SLURM jobid (\d+) \(log: \S*/slurm_logs/rule_(\w+)/", out)
    )  # {slurm job id: rule}
    assert sorted(submitted.values()) == sorted(SLURM_RULES), out[-5000:]
    assert re.search(r"localrule get_model:", out), out[-5000:]

    jobs = {jid: j for jid, j in _slurm_jobs().items() if j["JobName"] == run_id}
    assert set(jobs) == set(submitted), (jobs.keys(), submitted)
    host = socket.gethostname().split(".")[0]
    by_rule = {}
    for jid, j in jobs.items():
        rule = submitted[jid]
        by_rule[rule] = j
        assert j["Comment"].startswith(f"rule_{rule}"), j
        assert j["JobState"] == "COMPLETED" and j["ExitCode"] == "0:0", j
        assert j["WorkDir"] == str(on_slurm), j
        assert j["BatchHost"] == host, j
        # the plugin kept the job's log where slurmctld says it wrote it, under the workdir
        log = Path(j["StdOut"])
        assert log.is_relative_to(on_slurm / ".snakemake" / "slurm_logs" / f"rule_{rule}"), j
        assert log.is_file(), j
    # the rules' threads / mem_mb / runtime became the jobs' allocations
    assert by_rule["evaluate_fp32"]["NumCPUs"] == "2" and by_rule["evaluate_fp32"]["MinMemoryNode"] == "4000M"
    assert by_rule["evaluate_fp32"]["TimeLimit"] == "01:00:00"
    assert by_rule["preprocess"]["NumCPUs"] == "1" and by_rule["preprocess"]["MinMemoryNode"] == "2000M"
    assert by_rule["eval_list"]["MinMemoryNode"] == "500M" and by_rule["eval_list"]["TimeLimit"] == "00:10:00"
    # the job ran the rule on the node (the jobstep's own Snakemake log, kept by --slurm-keep-successful-logs)
    ev_log = Path(by_rule["evaluate_fp32"]["StdOut"]).read_text()
    assert "rule evaluate_fp32:" in ev_log and TARGET in ev_log, ev_log[-3000:]
    assert "--executor slurm-jobstep" in ev_log, ev_log[-3000:]

    # --- the same target run locally in another workdir gives the same results
    snakemake(local, TARGET, CAL_TARGET, "-j2", config=cfg, check=True)
    for rel in ("results/calibration/cal_list.txt", "results/dataset/eval_list.tsv", "results/preprocessed/index.tsv", CAL_TARGET):
        a, b = (on_slurm / rel).read_bytes(), (local / rel).read_bytes()
        assert a and a == b, rel
    s, loc = (json.loads((d / TARGET).read_text()) for d in (on_slurm, local))
    assert s["metric"] == loc["metric"] == "top1"
    assert s["images"] == loc["images"] == 100 == len(s["predictions"])
    assert s["value"] == loc["value"]
    assert s["predictions"] == loc["predictions"]
    assert (on_slurm / "results/preprocessed/images.npy").read_bytes() == (
        local / "results/preprocessed/images.npy"
    ).read_bytes()
    # nothing left to do on either side
    for d in (on_slurm, local):
        n = snakemake(d, TARGET, CAL_TARGET, "-n", config=cfg, check=True)
        assert "Nothing to be done" in n.stdout + n.stderr
