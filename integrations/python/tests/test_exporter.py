"""Unit tests of modeldeck_exporter (run by crates/prometheus/tests/exporter.rs
with the MLflow venv's Python: ``python -m unittest discover -s tests``)."""

import math
import unittest

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from modeldeck_exporter import ModeldeckExporter, category_text

PROFILE = {
    "schema": 1,
    "created_at": "2026-12-05T00:00:00Z",
    "rows": 100,
    "features": [
        {"name": "amount", "kind": "numeric", "edges": [0.5, 10.0, 100.0], "counts": [1, 2, 3, 4]},
        {"name": "items", "kind": "numeric", "edges": [1.0, 2.0], "counts": [1, 2, 3]},
        {"name": "country", "kind": "categorical", "counts": {"de": 5, "fr": 5}},
    ],
    "prediction": {"name": "label", "kind": "categorical", "counts": {"yes": 1, "no": 1}},
}


def sample(registry, name, **labels):
    v = registry.get_sample_value(name, labels)
    return 0.0 if v is None else v


class ExporterTest(unittest.TestCase):
    def setUp(self):
        self.reg = CollectorRegistry()
        self.ex = ModeldeckExporter(PROFILE, "m", "1", registry=self.reg)

    def test_buckets_are_each_features_own_edges_by_le(self):
        for x in [0.5, 0.6, 10.0, 1000.0, float("inf"), -3]:
            self.ex.observe({"amount": x, "items": 2, "country": "de"})
        mv = {"model": "m", "version": "1"}
        bucket = lambda f, le: sample(
            self.reg, "modeldeck_feature_value_bucket", feature=f, le=le, **mv
        )
        self.assertEqual(bucket("amount", "0.5"), 2)  # -3 and 0.5 (le is inclusive)
        self.assertEqual(bucket("amount", "10.0"), 4)
        self.assertEqual(bucket("amount", "100.0"), 4)
        self.assertEqual(bucket("amount", "+Inf"), 6)
        self.assertEqual(bucket("items", "2.0"), 6)
        self.assertEqual(bucket("items", "1.0"), 0)
        text = generate_latest(self.reg).decode()
        self.assertIn('le="2.0"', text)
        self.assertNotIn('feature="items",le="10.0"', text)

    def test_missing_unseen_and_prediction(self):
        self.ex.observe({"amount": None, "items": float("nan"), "country": "zz"}, prediction="yes")
        self.ex.observe({"amount": "not a number"}, prediction=None)
        mv = {"model": "m", "version": "1"}
        miss = lambda f: sample(self.reg, "modeldeck_feature_missing_total", feature=f, **mv)
        self.assertEqual(miss("amount"), 2)
        self.assertEqual(miss("items"), 2)
        self.assertEqual(miss("country"), 1)  # absent from the second dict
        cat = lambda c: sample(
            self.reg, "modeldeck_feature_category_total", feature="country", category=c, **mv
        )
        self.assertEqual(cat("zz"), 1)
        self.assertEqual(cat("de"), 0)
        self.assertIsNotNone(
            self.reg.get_sample_value(
                "modeldeck_feature_category_total", {"feature": "country", "category": "fr", **mv}
            ),
            "profile categories are exposed at 0 from the start",
        )
        self.assertEqual(
            sample(self.reg, "modeldeck_prediction_category_total", category="yes", **mv), 1
        )

    def test_two_versions_share_one_collector_and_duplicates_are_refused(self):
        other = ModeldeckExporter(PROFILE, "m", "2", registry=self.reg)
        other.observe({"amount": 5})
        self.assertEqual(
            sample(self.reg, "modeldeck_feature_value_count", model="m", version="2", feature="amount"),
            1,
        )
        self.assertEqual(
            sample(self.reg, "modeldeck_feature_value_count", model="m", version="1", feature="amount"),
            0,
        )
        with self.assertRaises(ValueError):
            ModeldeckExporter(PROFILE, "m", "2", registry=self.reg)
        other.unregister()
        self.assertIsNone(
            self.reg.get_sample_value(
                "modeldeck_feature_value_count", {"model": "m", "version": "2", "feature": "amount"}
            )
        )

    def test_bad_profiles_are_refused(self):
        for bad in [
            {**PROFILE, "schema": 2},
            {**PROFILE, "features": [{"name": "a", "kind": "numeric", "edges": [2, 1]}]},
            {**PROFILE, "features": [{"name": "a", "kind": "numeric", "edges": [math.inf]}]},
            {**PROFILE, "features": [{"name": "a", "kind": "weird"}]},
        ]:
            with self.assertRaises(ValueError):
                ModeldeckExporter(bad, "m", "9", registry=CollectorRegistry())

    def test_hostile_names_are_escaped_in_the_exposition_and_read_back_raw(self):
        name = 'amount"\\\n\u202e'
        profile = {**PROFILE, "features": [{**PROFILE["features"][0], "name": name}]}
        reg = CollectorRegistry()
        ex = ModeldeckExporter(profile, "m", "1", registry=reg)
        ex.observe({name: 5})
        text = generate_latest(reg).decode()
        self.assertNotIn("\n\u202e", text.replace('\\n', ''))
        seen = [
            s.labels["feature"]
            for fam in text_string_to_metric_families(text)
            for s in fam.samples
            if s.name == "modeldeck_feature_value_count"
        ]
        self.assertEqual(seen, [name])

    def test_categories_are_named_as_profile_build_names_them(self):
        self.assertEqual(category_text(True), "true")
        self.assertEqual(category_text(3.0), "3")
        self.assertEqual(category_text(2.5), "2.5")
        self.assertEqual(category_text("de"), "de")


if __name__ == "__main__":
    unittest.main()
