# Helpers shared by all rules (config validation, input functions, target lists).
import os
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

sys.path.insert(0, os.path.join(workflow.basedir, "src"))
from quantbench import config as qconfig  # noqa: E402  (stdlib + yaml only)
from quantbench.errors import QuantbenchError  # noqa: E402

SCHEMA = os.path.join(workflow.basedir, "workflow/schemas/config.schema.yaml")


def _validate_config(schema):
    try:
        qconfig.check_unknown_keys(config, schema)
    except QuantbenchError as e:
        raise WorkflowError(f"invalid config: {e}")
    validate(config, SCHEMA, set_default=True)
    for name in config["models"]:
        try:
            qconfig.model_settings(config, schema, name)
        except QuantbenchError as e:
            raise WorkflowError(f"invalid config: {e}")
    ds = config["dataset"]
    if ds["dir"] is not None and ds["val_map"] is None:
        raise WorkflowError(
            "invalid config: dataset.dir is set but dataset.val_map is not\n"
            "  fix: set dataset.val_map to the MLPerf val_map.txt of that folder"
        )
    if ds["dir"] is None and ds["val_map"] is not None:
        raise WorkflowError("invalid config: dataset.val_map is set but dataset.dir is not\n  fix: set dataset.dir")
    if ds["dir"] is not None and config["calibration"]["list"] is None:
        raise WorkflowError(
            "invalid config: calibration.list is null with a real dataset\n"
            "  fix: set calibration.list to MLPerf's cal_image_list_option_1.txt (path or URL), as config/mlperf.yaml does"
        )


_SCHEMA = qconfig.load_schema(SCHEMA)
_validate_config(_SCHEMA)

def model_cfg(model):
    return qconfig.model_settings(config, _SCHEMA, model)


def embedded_dataset():
    return config["dataset"]["dir"] is None


def image_dir():
    return "resources/embedded/images" if embedded_dataset() else config["dataset"]["dir"]


def dataset_list():
    """The list that defines the evaluation set: val_map, or the embedded file list."""
    return "resources/embedded/file_list.txt" if embedded_dataset() else config["dataset"]["val_map"]


def _is_url(s):
    return s.split("://", 1)[0] in ("http", "https", "ftp", "file")


def calibration_source():
    lst = config["calibration"]["list"]
    if lst is None:
        return "resources/embedded/cal_list.txt"
    if _is_url(lst):
        return f"resources/calibration/{os.path.basename(lst.split('?')[0])}"
    return lst


def dataset_inputs():
    """Inputs that make the embedded dataset a job of the DAG (nothing for a user's own folder)."""
    return ["resources/embedded/file_list.txt"] if embedded_dataset() else []


def get_final_output():
    return [f"results/summary_{m}.csv" for m in config["models"]]


def preprocess_code_hash():
    return qconfig.preprocess_code_hash(os.path.join(workflow.basedir, "src/quantbench/dataset.py"))


def artifact(wildcards):
    """The graph a loadgen job runs: FP32 from resources/, INT8 and BF16 from results/."""
    if wildcards.precision == "fp32":
        return f"resources/models/{wildcards.model}.pb"
    return f"results/{wildcards.precision}_{wildcards.model}.pb"


def loadgen_settings(wildcards):
    """user.conf settings of one scenario; accuracy runs only depend on the sample count."""
    s = dict(config["loadgen"]["settings"].get(wildcards.scenario) or {})
    if wildcards.mode == "accuracy":
        return {k: v for k, v in s.items() if k == "performance_sample_count_override"}
    return s


def _per_precision(key, wildcards):
    value = config["loadgen"][key]
    return value.get(wildcards.precision, value.get("default")) if isinstance(value, dict) else value


def loadgen_batch_size(wildcards):
    return _per_precision("batch_size", wildcards)


def loadgen_threads(wildcards):
    return (_per_precision("intra_op_threads", wildcards), _per_precision("inter_op_threads", wildcards))


def loadgen_runs(wildcards):
    lg = config["loadgen"]
    return expand(
        "results/loadgen/{model}/{precision}/{scenario}/{mode}/run.json",
        model=wildcards.model,
        precision=lg["precisions"],
        scenario=lg["scenarios"],
        mode=lg["modes"],
    )


def loadgen_job_threads():
    """Cores a benchmark job claims: all of this machine's by default, so that locally no other
    job runs beside a measurement (set loadgen.threads, or --set-threads on a cluster)."""
    return config["loadgen"]["threads"] or os.cpu_count()
