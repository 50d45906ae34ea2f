"""Invalid config stops the run before any job, naming the key."""

import re
from pathlib import Path

import pytest
import yaml
from conftest import REPO, snakemake

from quantbench import config as qconfig
from quantbench.errors import QuantbenchError

SCHEMA = qconfig.load_schema(REPO / "workflow/schemas/config.schema.yaml")


@pytest.mark.parametrize(
    "cfg,message",
    [
        ({"calibraton": {"list": "x"}}, "unknown config key 'calibraton': did you mean 'calibration'?"),
        ({"quantize": {"tolerence": 0.02}}, "unknown config key 'quantize.tolerence': did you mean 'tolerance'?"),
        ({"models": {"resnet50_v1": {"md55": "x"}}}, "unknown config key 'models.resnet50_v1.md55': did you mean 'md5'?"),
        ({"dataset": {"count": -5}}, "-5 is less than the minimum of 1"),
        ({"dataset": {"count": "ten"}}, "'ten' is not of type 'integer', 'null'"),
        ({"quantize": {"tolerance": 2}}, "2 is greater than the maximum of 1"),
        ({"quantize": {"trials": [{"act_algorithm": "entropy"}]}}, "'entropy' is not one of ['minmax', 'kl']"),
        ({"models": {"resnet50_v1": {"md5": "xyz"}}}, "'xyz' does not match"),
        ({"models": {"resnet50_v1": {"url": "https://x/y.pb"}}}, "models.resnet50_v1 must have exactly one of url, path, embedded: true (has url, embedded)"),
        ({"dataset": {"dir": "/data"}}, "dataset.dir is set but dataset.val_map is not"),
        ({"loadgen": {"scenarios": ["Streaming"]}}, "'Streaming' is not one of ['SingleStream', 'MultiStream', 'Server', 'Offline']"),
        ({"loadgen": {"settings": {"Offline": {"target_qps": -3}}}}, "On instance['loadgen']['settings']['Offline']['target_qps']:\n    -3"),
        ({"bf16": {"lists": {"greylist_add": ["Pad"]}}}, "unknown config key 'bf16.lists.greylist_add'"),
    ],
)
def test_invalid_config_stops_before_any_job(tmp_path, cfg, message):
    p = snakemake(tmp_path, "-n", "results/int8_resnet50_v1.pb", config=cfg)
    out = p.stdout + p.stderr
    assert p.returncode != 0
    assert message in out, out[-3000:]
    assert "Job stats" not in out
    assert not (tmp_path / "results").exists() and not (tmp_path / "resources").exists()


def test_model_defaults_come_from_the_schema():
    s = qconfig.model_settings({"models": {"m": {"path": "/x.pb"}}}, SCHEMA, "m")
    assert s["inputs"] == "input_tensor" and s["outputs"] == ["ArgMax", "softmax_tensor"] and s["label_offset"] == -1


def test_unknown_model_is_named():
    with pytest.raises(QuantbenchError, match=r"model 'resnet' is not in the config's models catalog \(resnet50_v1\)"):
        qconfig.model_settings({"models": {"resnet50_v1": {"embedded": True}}}, SCHEMA, "resnet")


def test_preprocess_code_hash_ignores_unrelated_code(tmp_path):
    src = (REPO / "src/quantbench/dataset.py").read_text()
    base = tmp_path / "a.py"
    base.write_text(src)
    h = qconfig.preprocess_code_hash(base)
    (tmp_path / "b.py").write_text(src.replace("def read_plain_list(path):", "def read_plain_list(path):\n    # a comment\n    pass"))
    assert qconfig.preprocess_code_hash(tmp_path / "b.py") == h
    (tmp_path / "c.py").write_text(src.replace("cv2.INTER_AREA", "cv2.INTER_LINEAR"))
    assert qconfig.preprocess_code_hash(tmp_path / "c.py") != h


def _pins(lines):
    out = {}
    for line in lines:
        line = line.split("#")[0].strip().lstrip("- ").strip()
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)$", line)
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def test_conda_envs_pin_what_requirements_txt_pins():
    """Conda channels are unreachable here: keep envs/*.yaml in step with the tested pip pins."""
    req = _pins((REPO / "requirements.txt").read_text().splitlines())
    envs = sorted(Path(REPO / "envs").glob("*.yaml"))
    assert envs
    for env in envs:
        spec = yaml.safe_load(env.read_text())
        pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict) and "pip" in d)
        pins = _pins(pip)
        assert pins, env
        for name, version in pins.items():
            assert req.get(name) == version, f"{env.name}: {name}=={version} but requirements.txt has {req.get(name)}"
        assert "python=3.11" in spec["dependencies"], env.name
