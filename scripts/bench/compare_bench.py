"""Issue #13 benchmark helper: seed a real MLflow with two versions whose
runs have METRICS metrics, PARAMS params, HIST metrics with STEPS-step
histories, a logged sklearn model with a signature and a dataset input; and
read the same data a `modeldeck compare --curve ...` reads with MLflow's
Python client.

  compare_bench.py seed URI MODEL METRICS PARAMS HIST STEPS
  compare_bench.py client URI MODEL HIST [--reps N]   # prints counts; with --reps, loop_ms= per rep

The client reads, like modeldeck: both versions, both runs (metrics and
params), both MLmodel signatures (get_model_info downloads MLmodel), both
runs' dataset inputs (in the run), and the HIST histories of both runs.
"""
import sys
import time


def seed(uri, model, n_metrics, n_params, n_hist, steps):
    import warnings

    warnings.filterwarnings("ignore")
    import mlflow
    import numpy as np
    import pandas as pd
    from mlflow.entities import Metric, Param
    from mlflow.models import infer_signature
    from mlflow.tracking import MlflowClient
    from sklearn.linear_model import LogisticRegression

    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    mlflow.set_experiment(f"bench-{model}")
    rng = np.random.default_rng(1)
    for v in range(2):
        df = pd.DataFrame({f"f{i}": rng.normal(size=200) for i in range(8 + v)})
        y = (df["f0"] > 0).astype(int)
        with mlflow.start_run() as run:
            rid = run.info.run_id
            now = int(time.time() * 1000)
            params = [Param(f"param_{i:03d}", str(rng.integers(0, 1000))) for i in range(n_params)]
            for i in range(0, len(params), 100):
                client.log_batch(rid, params=params[i : i + 100])
            metrics = []
            for m in range(n_metrics):
                if m < n_hist:
                    for s in range(steps):
                        metrics.append(Metric(f"m{m:03d}", 1.0 / (1 + s) + v * 0.01, now + s, s))
                else:
                    metrics.append(Metric(f"m{m:03d}", float(rng.random()), now, 0))
            for i in range(0, len(metrics), 1000):
                client.log_batch(rid, metrics=metrics[i : i + 1000])
            mlflow.log_input(mlflow.data.from_pandas(df, name=f"{model}-train"), context="training")
            model_ = LogisticRegression().fit(df, y)
            info = mlflow.sklearn.log_model(
                model_, name="model", signature=infer_signature(df, model_.predict(df))
            )
            mlflow.register_model(info.model_uri, model)


def client_read(uri, model, n_hist, reps):
    import json

    from mlflow import MlflowClient
    import mlflow.models

    mlflow.set_tracking_uri(uri)
    c = MlflowClient(uri)
    for _ in range(max(reps, 1)):
        t0 = time.perf_counter()
        versions = [c.get_model_version(model, v) for v in ("1", "2")]
        runs = [c.get_run(v.run_id) for v in versions]
        sigs = [mlflow.models.get_model_info(f"models:/{model}/{v.version}").signature for v in versions]
        datasets = [r.inputs.dataset_inputs for r in runs]
        hist = {}
        for m in range(n_hist):
            key = f"m{m:03d}"
            hist[key] = [len(c.get_metric_history(r.info.run_id, key)) for r in runs]
        ms = (time.perf_counter() - t0) * 1000
        counts = {
            "metrics": [len(r.data.metrics) for r in runs],
            "params": [len(r.data.params) for r in runs],
            "inputs": [len(s.inputs.inputs) for s in sigs],
            "datasets": [len(d) for d in datasets],
            "points": sum(sum(v) for v in hist.values()),
        }
        if reps:
            print(f"loop_ms={ms:.1f}")
        else:
            print(json.dumps(counts))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "seed":
        seed(sys.argv[2], sys.argv[3], *map(int, sys.argv[4:8]))
    elif cmd == "client":
        reps = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 0
        client_read(sys.argv[2], sys.argv[3], int(sys.argv[4]), reps)
