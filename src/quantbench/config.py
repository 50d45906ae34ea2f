"""Config checks that JSON Schema alone words poorly: unknown keys (with the closest valid key),
and model-catalog defaults. Imports only the standard library and PyYAML: the Snakefile uses it."""

import copy
import difflib

import yaml

from .errors import QuantbenchError


def load_schema(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def check_unknown_keys(config, schema, where=""):
    """Raise on a key the schema does not know, naming the closest valid one."""
    if not isinstance(config, dict) or not isinstance(schema, dict):
        return
    props = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, value in config.items():
        path = f"{where}.{key}" if where else key
        if key in props:
            check_unknown_keys(value, props[key], path)
        elif isinstance(extra, dict):
            check_unknown_keys(value, extra, path)
        elif extra is False:
            close = difflib.get_close_matches(str(key), list(props), n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(sorted(props))}"
            raise QuantbenchError(f"unknown config key '{path}': {hint}", f"fix or remove '{path}' in your config")


def model_settings(config, schema, name):
    """The catalog entry of `name` with the schema's defaults filled in."""
    models = config.get("models") or {}
    if name not in models:
        raise QuantbenchError(
            f"model '{name}' is not in the config's models catalog ({', '.join(sorted(models)) or 'empty'})",
            f"add models.{name} (url+md5/sha256, path, or embedded: true) to your config",
        )
    entry_schema = schema["properties"]["models"]["additionalProperties"]
    out = {k: copy.deepcopy(v["default"]) for k, v in entry_schema["properties"].items() if "default" in v}
    out.update({k: v for k, v in (models[name] or {}).items() if v is not None})
    sources = [k for k in ("url", "path") if out.get(k)] + (["embedded"] if out.get("embedded") else [])
    if len(sources) != 1:
        raise QuantbenchError(
            f"models.{name} must have exactly one of url, path, embedded: true (has {', '.join(sources) or 'none'})",
            f"set one source for models.{name}",
        )
    return out


PREPROCESS_FUNCTIONS = ("load_image_bgr", "pre_process_vgg", "preprocess_file", "build_cache", "calibration_cache_stage")


def preprocess_code_hash(dataset_py):
    """sha256 of the source of the functions that produce the preprocessed cache.

    A params value of the preprocess rule: editing these functions invalidates the cache;
    editing anything else in the module (list readers, comments elsewhere) does not.
    """
    import ast
    import hashlib

    with open(dataset_py, encoding="utf-8") as f:
        src = f.read()
    tree = ast.parse(src)
    h = hashlib.sha256()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in PREPROCESS_FUNCTIONS:
            h.update(ast.dump(node, annotate_fields=False, include_attributes=False).encode())
    return h.hexdigest()[:16]
