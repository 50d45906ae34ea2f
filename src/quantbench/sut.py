"""MLPerf LoadGen run of one graph: QSL over the preprocessed cache, a SUT that batches for
Offline, warm-up before the test, responses as float32 class indices like the reference.

One LoadGen test per process: a second `TestSettings.FromConfig` in one process silently loses the
built-in mlperf.conf settings, so the official values are read in a child process.
"""

import json
import logging
import os
import queue
import subprocess
import sys
import threading
import time

import numpy as np

from .errors import QuantbenchError

log = logging.getLogger("quantbench.sut")

SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")
MODES = ("performance", "accuracy")
# user.conf keys we write, and the TestSettings attribute each sets
USER_CONF_KEYS = {
    "target_qps": "offline_expected_qps / server_target_qps",
    "target_latency": "single_stream_expected_latency_ns / server_target_latency_ns (ms)",
    "min_duration": "min_duration_ms",
    "max_duration": "max_duration_ms",
    "min_query_count": "min_query_count",
    "max_query_count": "max_query_count",
    "performance_sample_count_override": "performance_sample_count_override",
    "samples_per_query": "multi_stream_samples_per_query",
}
AUTO_MARGIN = 1.5
OFFICIAL_KEYS = ("min_duration_ms", "min_query_count", "qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed", "performance_sample_count_override")


def official_settings(mlperf_model, scenario):
    """The built-in mlperf.conf values for model/scenario, read in a child process."""
    code = (
        "import json, sys, mlperf_loadgen as lg\n"
        "s = lg.TestSettings()\n"
        f"s.FromConfig('', {mlperf_model!r}, {scenario!r}, 0)\n"
        f"print(json.dumps({{k: getattr(s, k) for k in {OFFICIAL_KEYS!r}}}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def user_conf_text(mlperf_model, scenario, settings):
    lines = []
    for key, value in settings.items():
        if key not in USER_CONF_KEYS:
            raise QuantbenchError(f"loadgen setting '{key}' is not a user.conf key ({', '.join(USER_CONF_KEYS)})", "fix loadgen.settings in config")
        lines.append(f"{mlperf_model}.{scenario}.{key} = {value}")
    return "\n".join(lines) + "\n"


def compliance(official, effective):
    """Reasons a run is not compliant with the official settings ([] = compliant)."""
    reasons = []
    if effective["min_duration_ms"] < official["min_duration_ms"]:
        reasons.append(f"min_duration {effective['min_duration_ms']} ms < official {official['min_duration_ms']} ms")
    if effective["min_query_count"] < official["min_query_count"]:
        reasons.append(f"min_query_count {effective['min_query_count']} < official {official['min_query_count']}")
    if effective["performance_sample_count"] < official["performance_sample_count_override"]:
        reasons.append(f"performance_sample_count {effective['performance_sample_count']} < official {official['performance_sample_count_override']}")
    for seed in ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed"):
        if effective[seed] != official[seed]:
            reasons.append(f"{seed} {effective[seed]} is not the official {official[seed]}")
    return reasons


class Backend:
    """The graph in a Session, fetching only the class index."""

    def __init__(self, model, inputs, outputs, argmax, label_offset, intra_op=0, inter_op=0):
        from .graph import Runner, load_graph_def

        self.runner = Runner(load_graph_def(model), inputs, outputs, intra_op=intra_op, inter_op=inter_op)
        self.fetch = self.runner.graph.get_tensor_by_name(argmax if ":" in argmax else argmax + ":0")
        self.feed = self.runner.graph.get_tensor_by_name(self.runner.input)
        self.label_offset = label_offset
        self.sess = self.runner.sess
        # a callable skips the per-run feed/fetch lookups of Session.run
        self._call = self.sess.make_callable(self.fetch, feed_list=[self.feed])

    def classes(self, batch):
        """float32 class indices (ArgMax + label_offset), as the reference's PostProcessCommon."""
        return (np.asarray(self._call(batch)).reshape(-1) + self.label_offset).astype(np.float32)


class QSL:
    """Query sample library over rows of the preprocessed cache (QSL index = evaluation-set order)."""

    def __init__(self, cache_array, rows):
        self.cache = cache_array
        self.rows = np.asarray(rows)
        self.loaded = None
        self.pos = {}

    def load(self, indices):
        idx = sorted(indices)
        self.loaded = np.ascontiguousarray(self.cache[self.rows[idx]])
        self.pos = {q: i for i, q in enumerate(idx)}

    def unload(self, indices):
        self.loaded, self.pos = None, {}

    def batch(self, qsl_indices):
        p = [self.pos[i] for i in qsl_indices]
        if len(p) == 1:
            return self.loaded[p[0] : p[0] + 1]  # a view: no copy for SingleStream
        if p == list(range(p[0], p[0] + len(p))):
            return self.loaded[p[0] : p[0] + len(p)]
        return self.loaded[p]


class SUT:
    def __init__(self, lg, backend, qsl, scenario, batch_size, server_threads=1):
        self.lg, self.backend, self.qsl = lg, backend, qsl
        self.scenario, self.batch_size = scenario, batch_size
        self.queue = None
        if scenario == "Server":
            self.queue = queue.Queue()
            self.workers = [threading.Thread(target=self._worker, daemon=True) for _ in range(server_threads)]
            for w in self.workers:
                w.start()

    def _respond(self, samples):
        out = self.backend.classes(self.qsl.batch([s.index for s in samples]))
        responses = [self.lg.QuerySampleResponse(s.id, out[i : i + 1].ctypes.data, 4) for i, s in enumerate(samples)]
        self.lg.QuerySamplesComplete(responses)  # `out` stays alive until this returns

    def issue_queries(self, samples):
        if self.queue is not None:
            self.queue.put(samples)
            return
        for i in range(0, len(samples), self.batch_size):
            self._respond(samples[i : i + self.batch_size])

    def _worker(self):
        while True:
            samples = self.queue.get()
            if samples is None:
                return
            self._respond(samples)

    def flush_queries(self):
        pass

    def stop(self):
        if self.queue is not None:
            for _ in self.workers:
                self.queue.put(None)


def sample_batch(cache_array, rows, batch):
    """A contiguous batch of `batch` cached images (rows repeated if there are fewer)."""
    return np.ascontiguousarray(cache_array[np.resize(np.asarray(rows), batch)])


def warm_up(backend, qsl_cache, rows, batch_size, iterations):
    """Run a few batches (creates oneDNN primitives); return measured samples/s of the last ones."""
    x = sample_batch(qsl_cache, rows, batch_size)
    backend.classes(x)
    backend.classes(x)
    t0 = time.perf_counter()
    n = max(1, iterations)
    for _ in range(n):
        backend.classes(x)
    return n * batch_size / (time.perf_counter() - t0)


def raw_session(backend, cache_array, rows, batch, seconds):
    """The same graph, session and batch without LoadGen, in this process, right before the test:
    the baseline of the LoadGen/raw ratios (throughput, and batch-1 latency p90)."""
    x = sample_batch(cache_array, rows, batch)
    lat = []
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        t0 = time.perf_counter()
        backend.classes(x)
        lat.append(time.perf_counter() - t0)
    return {"samples_per_s": round(len(lat) * batch / sum(lat), 3), "p90_latency_ms": round(float(np.percentile(lat, 90)) * 1000, 3), "batches": len(lat)}


def run_test(model, cache_npy, cache_index, eval_list, outdir, *, scenario, mode, inputs, outputs, argmax, label_offset, settings, mlperf_model="resnet50", batch_size=32, intra_op=0, inter_op=0, warmup=3, server_threads=1, raw_seconds=0):
    """One LoadGen test; LoadGen's own logs land in `outdir`; returns the run record."""
    import mlperf_loadgen as lg

    from .dataset import Cache, read_eval_list

    if scenario not in SCENARIOS:
        raise QuantbenchError(f"scenario '{scenario}' is not a LoadGen scenario ({', '.join(SCENARIOS)})", "fix loadgen.scenarios in config")
    if mode not in MODES:
        raise QuantbenchError(f"mode '{mode}' is not one of {MODES}", "fix loadgen.modes in config")
    os.makedirs(outdir, exist_ok=True)
    names, _ = read_eval_list(eval_list)
    cache = Cache(cache_npy, cache_index)
    rows = [cache.rows[n] for n in names]
    official = official_settings(mlperf_model, scenario)
    batch = 1 if scenario == "SingleStream" else batch_size
    backend = Backend(model, inputs, outputs, argmax, label_offset, intra_op, inter_op)
    measured = warm_up(backend, cache.array, rows, batch, warmup)
    log.info("warm-up: %.1f samples/s at batch %d", measured, batch)
    raw = raw_session(backend, cache.array, rows, batch, raw_seconds) if raw_seconds else None

    settings = dict(settings)
    perf_count = min(len(names), int(settings.pop("performance_sample_count_override", official["performance_sample_count_override"])))
    settings["performance_sample_count_override"] = perf_count
    for key in ("target_qps", "target_latency"):
        # "auto": from the warm-up. LoadGen pre-generates target_qps x min_duration samples (Offline)
        # or min_duration / target_latency queries (SingleStream), and a run that ends before
        # min_duration is INVALID, so aim AUTO_MARGIN faster than the warm-up rate.
        if settings.get(key) == "auto":
            settings[key] = round(AUTO_MARGIN * measured, 3) if key == "target_qps" else round(1000.0 * batch / (AUTO_MARGIN * measured), 4)
    user_conf = os.path.join(outdir, "user.conf")
    with open(user_conf, "w") as f:
        f.write(user_conf_text(mlperf_model, scenario, settings))

    ts = lg.TestSettings()
    ts.FromConfig(user_conf, mlperf_model, scenario)
    ts.scenario = getattr(lg.TestScenario, scenario)
    ts.mode = lg.TestMode.AccuracyOnly if mode == "accuracy" else lg.TestMode.PerformanceOnly
    effective = {k: getattr(ts, k) for k in OFFICIAL_KEYS if k != "performance_sample_count_override"}
    effective["performance_sample_count"] = perf_count

    qsl = QSL(cache.array, rows)
    sut = SUT(lg, backend, qsl, scenario, batch, server_threads)
    lg_sut = lg.ConstructSUT(sut.issue_queries, sut.flush_queries)
    lg_qsl = lg.ConstructQSL(len(names), perf_count, qsl.load, qsl.unload)
    out = lg.LogOutputSettings()
    out.outdir = outdir
    out.copy_summary_to_stdout = False
    ls = lg.LogSettings()
    ls.log_output = out
    ls.enable_trace = False
    t0 = time.time()
    lg.StartTestWithLogSettings(lg_sut, lg_qsl, ts, ls)
    secs = time.time() - t0
    sut.stop()
    lg.DestroyQSL(lg_qsl)
    lg.DestroySUT(lg_sut)
    return {
        "scenario": scenario,
        "mode": mode,
        "batch_size": batch,
        "intra_op_threads": intra_op,
        "inter_op_threads": inter_op,
        "warmup_samples_per_s": round(measured, 3),
        "raw_session": raw,
        "user_conf": settings,
        "official": official,
        "effective": effective,
        "not_compliant_because": compliance(official, effective),
        "samples": len(names),
        "seconds": round(secs, 1),
    }


def loadgen_stage(model, cache_npy, cache_index, eval_list, fp32_json, outdir, run_json, *, scenario, mode, inputs, outputs, argmax, label_offset, settings, mlperf_model, batch_size, intra_op, inter_op, warmup, precision, raw_seconds=0):
    """The `loadgen` rule: one LoadGen test, then its figures, validity and (accuracy mode) top-1."""
    from .accuracy import imagenet_line, top1
    from .dataset import read_eval_list
    from .io import write_json
    from .mlperf_logs import judge

    if scenario == "MultiStream":
        batch_size = int(settings.get("samples_per_query", 8))
    record = run_test(
        model, cache_npy, cache_index, eval_list, outdir, scenario=scenario, mode=mode, inputs=inputs, outputs=outputs,
        argmax=argmax, label_offset=label_offset, settings=settings, mlperf_model=mlperf_model, batch_size=batch_size,
        intra_op=intra_op, inter_op=inter_op, warmup=warmup, raw_seconds=raw_seconds,
    )
    record["precision"] = precision
    record.update(judge(outdir, record["official"]))
    if mode == "accuracy":
        with open(fp32_json, encoding="utf-8") as f:
            fp32 = json.load(f)
        _, labels = read_eval_list(eval_list)
        reference = labels if fp32["labelled"] else fp32["predictions"]
        res = top1(os.path.join(outdir, "mlperf_log_accuracy.json"), reference)
        record["accuracy"] = res
        record["metric"] = fp32["metric"]
        record["accuracy_line"] = imagenet_line(res)
        log.info("%s %s %s: %s", precision, scenario, mode, record["accuracy_line"])
    else:
        log.info("%s %s %s: %.2f samples/s, p90 %.2f ms, %s", precision, scenario, mode, record["samples_per_s"] or 0, record["p90_latency_ms"] or 0, "VALID" if record["valid"] else record["invalid_because"])
    write_json(run_json, record)
    return record
