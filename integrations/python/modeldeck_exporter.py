"""Live feature distributions for Modeldeck's drift view, on prometheus_client.

Serving code loads the model version's reference profile (the JSON that
``modeldeck profile build`` writes) and calls ``observe`` for every
prediction. The exporter counts each value in the profile's own bins and
exposes the series Modeldeck's Prometheus adapter reads by default:

- ``modeldeck_feature_value`` (histogram; labels ``model``, ``version``,
  ``feature``): a numeric feature, with buckets at that feature's frozen
  edges (``le`` upper bounds, the last one ``+Inf``);
- ``modeldeck_feature_category_total`` (counter; ``model``, ``version``,
  ``feature``, ``category``): a categorical feature, one series per
  category, the profile's categories exposed from the start, unseen ones
  under their own name as they come (Modeldeck folds them);
- ``modeldeck_feature_missing_total`` (counter; ``model``, ``version``,
  ``feature``): ``None``, NaN, a key absent from the dict, or a numeric
  feature's value that is not a number;
- ``modeldeck_prediction_value`` (histogram; ``model``, ``version``) or
  ``modeldeck_prediction_category_total`` (``model``, ``version``,
  ``category``): the prediction, by its kind in the profile.

Every numeric feature has its own edges, but a ``prometheus_client``
``Histogram`` has one bucket list per metric, and a registry refuses two
collectors exposing the same metric name. So the series come from one
custom collector per registry (``collect`` yields a ``HistogramMetricFamily``
with one ``add_metric`` per feature, each with its own buckets); every
``ModeldeckExporter`` on that registry (two versions in one process, a
canary and the stable one) adds its profile to it.

Usage::

    from modeldeck_exporter import ModeldeckExporter
    exporter = ModeldeckExporter.from_file("reference_profile.json",
                                           model="fraud-detector", version="7")
    exporter.observe({"amount": 12.5, "country": "de"}, prediction=0.93)
    prometheus_client.start_http_server(8000)
"""

from __future__ import annotations

import bisect
import json
import math
import threading
import weakref
from typing import Any, Dict, Iterable, List, Mapping, Optional

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

__all__ = ["ModeldeckExporter", "SCHEMA"]

#: The reference profile schema this module reads.
SCHEMA = 1

FEATURE_VALUE = "modeldeck_feature_value"
FEATURE_CATEGORY = "modeldeck_feature_category"
FEATURE_MISSING = "modeldeck_feature_missing"
PREDICTION_VALUE = "modeldeck_prediction_value"
PREDICTION_CATEGORY = "modeldeck_prediction_category"


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def category_text(value: Any) -> str:
    """A value as the category name ``modeldeck profile build`` gives it:
    booleans ``true``/``false``, whole floats without ``.0``, text as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Numeric:
    """One numeric feature's bins: ``len(edges) + 1`` counts."""

    def __init__(self, name: str, edges: List[float]):
        if not edges or any(not math.isfinite(e) for e in edges):
            raise ValueError(f"feature {name!r}: edges must be finite and not empty")
        if any(a >= b for a, b in zip(edges, edges[1:])):
            raise ValueError(f"feature {name!r}: edges must increase strictly")
        self.name = name
        self.edges = [float(e) for e in edges]
        self.bounds = [floatToGoString(e) for e in self.edges] + ["+Inf"]
        self.counts = [0] * (len(edges) + 1)
        self.sum = 0.0

    def add(self, value: Any) -> bool:
        """Counts ``value``; False when it is not a number (missing)."""
        try:
            x = float(value)
        except (TypeError, ValueError):
            return False
        if math.isnan(x):
            return False
        # le convention: bin i holds edges[i-1] < x <= edges[i].
        self.counts[bisect.bisect_left(self.edges, x)] += 1
        if math.isfinite(x):
            self.sum += x
        return True

    def buckets(self) -> List[tuple]:
        out, total = [], 0
        for bound, c in zip(self.bounds, self.counts):
            total += c
            out.append((bound, total))
        return out


class _Categorical:
    def __init__(self, name: str, categories: Iterable[str]):
        self.name = name
        self.counts: Dict[str, int] = {c: 0 for c in categories}

    def add(self, value: Any) -> bool:
        key = category_text(value)
        self.counts[key] = self.counts.get(key, 0) + 1
        return True


def _column(feature: Mapping[str, Any]):
    name = feature.get("name")
    if not isinstance(name, str):
        raise ValueError(f"a feature has no name: {feature!r:.80}")
    kind = feature.get("kind")
    if kind == "numeric":
        return _Numeric(name, list(feature.get("edges") or []))
    if kind == "categorical":
        return _Categorical(name, (feature.get("counts") or {}).keys())
    raise ValueError(f"feature {name!r}: unknown kind {kind!r}")


class _Target:
    """One model version's counters."""

    def __init__(self, model: str, version: str, profile: Mapping[str, Any]):
        if profile.get("schema") != SCHEMA:
            raise ValueError(
                f"reference profile schema {profile.get('schema')!r} is not supported "
                f"(this module reads {SCHEMA})"
            )
        self.model, self.version = model, version
        self.features = [_column(f) for f in profile.get("features") or []]
        names = [f.name for f in self.features]
        if len(set(names)) != len(names):
            raise ValueError("a feature name appears twice in the profile")
        self.missing = {n: 0 for n in names}
        pred = profile.get("prediction")
        self.prediction = _column(pred) if pred else None


class _Collector:
    """Yields every target's series; one per registry."""

    def __init__(self, category_label: str):
        self.lock = threading.Lock()
        self.targets: List[_Target] = []
        self.category_label = category_label

    def describe(self):
        return [
            HistogramMetricFamily(FEATURE_VALUE, "", labels=[]),
            CounterMetricFamily(FEATURE_CATEGORY, "", labels=[]),
            CounterMetricFamily(FEATURE_MISSING, "", labels=[]),
            HistogramMetricFamily(PREDICTION_VALUE, "", labels=[]),
            CounterMetricFamily(PREDICTION_CATEGORY, "", labels=[]),
        ]

    def collect(self):
        cat = self.category_label
        values = HistogramMetricFamily(
            FEATURE_VALUE,
            "Feature values in the reference profile's bins (Modeldeck drift).",
            labels=["model", "version", "feature"],
        )
        categories = CounterMetricFamily(
            FEATURE_CATEGORY,
            "Categorical feature values per category (Modeldeck drift).",
            labels=["model", "version", "feature", cat],
        )
        missing = CounterMetricFamily(
            FEATURE_MISSING,
            "Missing feature values (Modeldeck drift).",
            labels=["model", "version", "feature"],
        )
        pred_values = HistogramMetricFamily(
            PREDICTION_VALUE,
            "Predictions in the reference profile's bins (Modeldeck drift).",
            labels=["model", "version"],
        )
        pred_categories = CounterMetricFamily(
            PREDICTION_CATEGORY,
            "Predictions per category (Modeldeck drift).",
            labels=["model", "version", cat],
        )
        with self.lock:
            for t in self.targets:
                mv = [t.model, t.version]
                for f in t.features:
                    if isinstance(f, _Numeric):
                        values.add_metric(mv + [f.name], f.buckets(), f.sum)
                    else:
                        for c, n in f.counts.items():
                            categories.add_metric(mv + [f.name, c], n)
                    missing.add_metric(mv + [f.name], t.missing[f.name])
                p = t.prediction
                if isinstance(p, _Numeric):
                    pred_values.add_metric(mv, p.buckets(), p.sum)
                elif p is not None:
                    for c, n in p.counts.items():
                        pred_categories.add_metric(mv + [c], n)
        return [values, categories, missing, pred_values, pred_categories]


# By registry, weakly: a registry that is gone takes its collector along
# (keyed by id(), a new registry could inherit a dead one's collector).
_collectors: "weakref.WeakKeyDictionary[CollectorRegistry, _Collector]" = (
    weakref.WeakKeyDictionary()
)
_collectors_lock = threading.Lock()


def _collector_for(registry: CollectorRegistry, category_label: str) -> _Collector:
    with _collectors_lock:
        c = _collectors.get(registry)
        if c is None:
            c = _Collector(category_label)
            registry.register(c)
            _collectors[registry] = c
        elif c.category_label != category_label:
            raise ValueError(
                f"this registry's Modeldeck series already use the category label "
                f"{c.category_label!r}"
            )
        return c


class ModeldeckExporter:
    """Counts one model version's features and prediction in its reference
    profile's bins. Thread-safe; ``observe`` takes a lock for a few
    microseconds per call."""

    def __init__(
        self,
        profile: Mapping[str, Any],
        model: str,
        version: str,
        registry: CollectorRegistry = REGISTRY,
        category_label: str = "category",
    ):
        self._collector = _collector_for(registry, category_label)
        target = _Target(str(model), str(version), profile)
        with self._collector.lock:
            if any(
                t.model == target.model and t.version == target.version
                for t in self._collector.targets
            ):
                raise ValueError(
                    f"{target.model} version {target.version} is already exported on "
                    "this registry"
                )
            self._collector.targets.append(target)
        self._target = target

    @classmethod
    def from_file(cls, path: str, model: str, version: str, **kwargs) -> "ModeldeckExporter":
        """An exporter for the profile JSON at ``path``."""
        with open(path, "rb") as f:
            return cls(json.load(f), model, version, **kwargs)

    def observe(self, features: Mapping[str, Any], prediction: Any = None) -> None:
        """Counts one request: each profiled feature's value from
        ``features`` (absent, ``None`` or NaN: missing; names the profile
        does not have are ignored), and the prediction when the profile has
        one and ``prediction`` is not ``None``."""
        t = self._target
        with self._collector.lock:
            for f in t.features:
                v = features.get(f.name)
                if _is_missing(v) or not f.add(v):
                    t.missing[f.name] += 1
            if t.prediction is not None and not _is_missing(prediction):
                t.prediction.add(prediction)

    def unregister(self) -> None:
        """Stops exporting this model version."""
        with self._collector.lock:
            if self._target in self._collector.targets:
                self._collector.targets.remove(self._target)

    def counts(self) -> Dict[str, Any]:
        """What was counted so far (per feature: bins or categories, and
        missing; the prediction), for tests and debugging."""
        t = self._target
        with self._collector.lock:
            out: Dict[str, Any] = {}
            for f in t.features:
                vals = list(f.counts) if isinstance(f, _Numeric) else dict(f.counts)
                out[f.name] = {"counts": vals, "missing": t.missing[f.name]}
            p = t.prediction
            if p is not None:
                vals = list(p.counts) if isinstance(p, _Numeric) else dict(p.counts)
                out["__prediction__"] = {"name": p.name, "counts": vals}
            return out
