//! Drift, data quality and fairness: the reference profile a model was
//! trained on, the live distributions the metrics backend reports for it,
//! and the math that compares them (pure functions, formulas in
//! `docs/drift.md`).
//!
//! Bins follow Prometheus' classic histogram convention: a numeric
//! feature's `edges` e0 < e1 < .. < en give `n + 2` bins, `(-inf, e0]`,
//! `(e0, e1]`, .., `(e(n-1), en]`, `(en, +inf)`; the first and the last are
//! the underflow and overflow bins. The reference freezes the edges, so a
//! live histogram whose buckets sit at the same edges compares bin by bin.

pub mod bins;
pub mod build;
pub mod evaluate;
pub mod fairness;
pub mod math;
pub mod profile;
pub mod sample;
pub mod text;

pub use bins::BinLabels;
pub use evaluate::{DataQuality, DriftReport, FeatureDriftRow, evaluate};
pub use math::{Method, Score};
pub use profile::{
    Distribution, DriftPolicy, FeatureKind, FeatureProfile, NumericStats, PROFILE_ARTIFACT,
    PROFILE_SCHEMA, PROFILE_TAG, ReferenceProfile,
};
pub use sample::{LiveCounts, LiveFeature, LiveSample};
