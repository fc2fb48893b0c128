"""Seeds a real MLflow with what `live_compare.rs` compares, using MLflow's
own Python client, and prints (as JSON on stdout) what that client reports
back: each version's signature (`mlflow.models.get_model_info`), each run's
dataset inputs (`client.get_run(...).inputs`) and the loss history
(`client.get_metric_history`), plus the schema diff and data verdict
computed here from those reports.

Usage: MLFLOW_TRACKING_URI=... python compare_seed.py <model-name> <steps> <out.json>
"""

import json
import math
import sys
import time
import warnings

warnings.filterwarnings("ignore")

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from mlflow.models.signature import ModelSignature
from mlflow.types.schema import ColSpec, Schema
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LogisticRegression

name, steps, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
client = MlflowClient()
mlflow.set_experiment(f"exp-{name}")
rng = np.random.default_rng(7)


def frame(n, cols):
    data = {}
    for c, kind in cols:
        if kind == "double":
            data[c] = rng.normal(size=n)
        elif kind == "long":
            data[c] = rng.integers(0, 100, size=n).astype("int64")
        else:
            data[c] = rng.choice(["de", "fr", "us"], size=n)
    return pd.DataFrame(data)


def train(df):
    num = df.select_dtypes(include=["number"])
    y = (num.iloc[:, 0] > 0).astype(int)
    return LogisticRegression().fit(num, y), num, y


def log_version(cols, holdout, signature_mode, loss_shift):
    df = frame(400, cols)
    with mlflow.start_run() as run:
        model, num, y = train(df)
        ds = mlflow.data.from_pandas(df, name=f"{name}-train", targets=None)
        mlflow.log_input(ds, context="training")
        mlflow.log_input(holdout, context="eval")
        now = int(time.time() * 1000)
        points = []
        for s in range(steps):
            v = loss_shift + 1.0 / (1.0 + 0.01 * s)
            if s == steps // 3:
                v = float("nan")
            points.append(Metric("loss", v, now + s, s))
        for i in range(0, len(points), 1000):
            client.log_batch(run.info.run_id, metrics=points[i : i + 1000])
        mlflow.log_metric("auc", 0.8 + loss_shift)
        kwargs = {}
        if signature_mode == "inferred":
            kwargs["signature"] = infer_signature(df, model.predict(num))
            kwargs["input_example"] = df.head(2)
        elif signature_mode == "explicit":
            specs = []
            for c, kind in cols:
                specs.append(ColSpec(kind, c, required=(c != "device")))
            kwargs["signature"] = ModelSignature(
                inputs=Schema(specs), outputs=infer_signature(df, model.predict(num)).outputs
            )
        info = mlflow.sklearn.log_model(model, name="model", **kwargs)
        mv = mlflow.register_model(info.model_uri, name)
        return run.info.run_id, mv.version


holdout_df = frame(100, [("amount", "double"), ("age", "long")])
holdout = mlflow.data.from_pandas(holdout_df, name=f"{name}-holdout")

# v1: amount, age (long), country (string); v2: age retyped to double,
# country removed, device (optional string) and tenure (long) added;
# v3: no signature.
run_a, va = log_version(
    [("amount", "double"), ("age", "long"), ("country", "string")], holdout, "inferred", 0.0
)
run_b, vb = log_version(
    [("amount", "double"), ("age", "double"), ("device", "string"), ("tenure", "long")],
    holdout,
    "explicit",
    0.05,
)
run_c, vc = log_version([("amount", "double")], holdout, "none", 0.1)

# A version whose files have no MLmodel, and one whose MLmodel is malformed.
with mlflow.start_run() as run:
    mlflow.log_text("just a file\n", "notamodel/readme.txt")
    mlflow.log_text("signature: [unclosed\n", "broken/MLmodel")
    run_d = run.info.run_id
vd = client.create_model_version(name, f"runs:/{run_d}/notamodel", run_id=run_d).version
ve = client.create_model_version(name, f"runs:/{run_d}/broken", run_id=run_d).version


def columns(schema):
    if schema is None:
        return None
    out = []
    for i, c in enumerate(schema.to_dict()):
        if c.get("type") == "tensor":
            spec = c["tensor-spec"]
            kind = f"tensor({spec['dtype']}, [{', '.join(str(d) for d in spec['shape'])}])"
        else:
            kind = c["type"]
        out.append([c.get("name", f"#{i}"), kind, c.get("required", True)])
    return out


def signature_of(version):
    sig = mlflow.models.get_model_info(f"models:/{name}/{version}").signature
    if sig is None:
        return None
    return {"inputs": columns(sig.inputs), "outputs": columns(sig.outputs)}


def diff(a, b):
    """Added / removed / retyped / required_changed, breaking, by MLflow's reports."""
    out = []
    for part in ["inputs", "outputs"]:
        ca = {n: (k, r) for n, k, r in a[part]}
        cb = {n: (k, r) for n, k, r in b[part]}
        for n in sorted(set(ca) | set(cb)):
            if n not in ca:
                out.append([part[:-1], n, "added", part == "inputs" and cb[n][1]])
            elif n not in cb:
                out.append([part[:-1], n, "removed", True])
            elif ca[n][0] != cb[n][0]:
                out.append([part[:-1], n, "retyped", True])
            elif ca[n][1] != cb[n][1]:
                out.append([part[:-1], n, "required_changed", cb[n][1]])
    return out


def inputs_of(run_id):
    out = []
    for d in client.get_run(run_id).inputs.dataset_inputs:
        ctx = next((t.value for t in d.tags if t.key == "mlflow.data.context"), None)
        ds = d.dataset
        profile = json.loads(ds.profile) if ds.profile else {}
        out.append(
            {
                "name": ds.name,
                "digest": ds.digest,
                "source_type": ds.source_type,
                "source": ds.source,
                "context": ctx,
                "rows": profile.get("num_rows"),
            }
        )
    return sorted(out, key=lambda d: (d["context"] or "", d["name"]))


def history(run_id):
    pts = client.get_metric_history(run_id, "loss")
    pts = sorted(pts, key=lambda m: (m.step, m.timestamp))
    return [[m.step, None if math.isnan(m.value) else m.value] for m in pts]


sig_a, sig_b = signature_of(va), signature_of(vb)
ins_a, ins_b = inputs_of(run_a), inputs_of(run_b)
by_ctx = lambda ins: {d["context"]: d["digest"] for d in ins}
with open(out_path, "w") as out:
  out.write(
    json.dumps(
        {
            "model": name,
            "versions": {"a": va, "b": vb, "no_signature": vc, "no_mlmodel": vd, "broken": ve},
            "runs": {"a": run_a, "b": run_b},
            "signature": {"a": sig_a, "b": sig_b, "no_signature": signature_of(vc)},
            "changes": diff(sig_a, sig_b),
            "inputs": {"a": ins_a, "b": ins_b, "a_again": inputs_of(run_a)},
            "same_data_per_context": {
                c: by_ctx(ins_a).get(c) == by_ctx(ins_b).get(c) for c in by_ctx(ins_a)
            },
            "history": {"a": history(run_a), "b": history(run_b)},
        }
    )
)
