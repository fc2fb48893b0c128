//! What each feature of the simulated world looks like: a table of the
//! feature names the demo scenario and the generator use (amounts and
//! durations lognormal, shares and scores logistic, temperatures normal,
//! categories with their names), a seeded fallback for any other name,
//! and each model's prediction. A model's copy of a shared name (two
//! models with `tenure_days`) differs a little: its centre is jittered by
//! up to 0.15 sigma from (seed, model, feature).

use super::dist::{Numeric, Transform};
use crate::rng::Rng;

/// A feature's shape before any drift.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    /// A transformed normal.
    Numeric(Numeric),
    /// Categories and their probabilities (summing to 1).
    Categorical { names: Vec<String>, probs: Vec<f64> },
    /// The local hour of the request, `0..24`, weighted by the load curve
    /// (only for a feature the scenario calls seasonal).
    HourOfDay,
}

/// How a catalogue entry is written.
enum Entry {
    /// Normal, mean and std.
    N(f64, f64),
    /// Lognormal, median and sigma of the log.
    L(f64, f64),
    /// Logistic-normal on `0..scale`: mu, sigma of the logit, scale.
    S(f64, f64, f64),
    /// Categories with seeded weights.
    C(&'static [&'static str]),
    /// Categories with fixed weights.
    W(&'static [(&'static str, f64)]),
}

use Entry::*;

const REGIONS: &[&str] = &["apac", "emea", "latam", "north_america"];
const NO_YES_RARE: &[(&str, f64)] = &[("no", 0.93), ("yes", 0.07)];
const NO_YES: &[(&str, f64)] = &[("no", 0.7), ("yes", 0.3)];

/// Known feature names.
const CATALOG: &[(&str, Entry)] = &[
    // fraud
    ("amount", L(45.0, 1.0)),
    (
        "merchant_category",
        C(&[
            "digital_goods",
            "electronics",
            "fashion",
            "fuel",
            "grocery",
            "restaurants",
            "travel",
        ]),
    ),
    ("card_age_days", L(400.0, 0.9)),
    ("txn_count_24h", L(3.0, 0.7)),
    ("device_risk_score", S(-1.8, 1.1, 1.0)),
    ("country_mismatch", W(NO_YES_RARE)),
    ("hour_of_day", S(0.15, 0.9, 24.0)),
    // credit
    ("income", L(52_000.0, 0.5)),
    ("debt_to_income", S(-1.2, 0.6, 1.0)),
    ("credit_utilization", S(-0.8, 1.0, 1.0)),
    ("delinquencies_2y", L(0.4, 1.0)),
    ("employment_years", L(6.0, 0.8)),
    ("loan_amount", L(12_000.0, 0.7)),
    ("age_band", C(&["18-25", "26-35", "36-50", "51-65", "65+"])),
    // spam
    ("url_count", L(1.5, 0.8)),
    ("sender_reputation", S(1.0, 1.2, 1.0)),
    ("body_length", L(240.0, 0.9)),
    ("caps_ratio", S(-2.5, 0.8, 1.0)),
    ("attachment_count", L(0.5, 0.9)),
    // churn
    ("tenure_days", L(420.0, 0.9)),
    ("sessions_7d", L(6.0, 0.8)),
    ("spend_30d", L(38.0, 1.0)),
    ("support_tickets_90d", L(0.6, 0.9)),
    ("plan_tier", C(&["basic", "free", "plus", "premium"])),
    ("last_login_days", L(3.0, 1.1)),
    ("region", C(REGIONS)),
    // demand
    ("lag_7d", L(140.0, 0.6)),
    ("price", L(18.0, 0.5)),
    ("promo_active", W(NO_YES)),
    (
        "day_of_week",
        C(&["fri", "mon", "sat", "sun", "thu", "tue", "wed"]),
    ),
    ("lag_28d", L(560.0, 0.55)),
    ("temperature", N(14.0, 7.0)),
    ("holiday_flag", W(&[("no", 0.96), ("yes", 0.04)])),
    // pricing
    ("competitor_price", L(25.0, 0.5)),
    ("inventory_level", L(300.0, 0.8)),
    ("elasticity_est", N(-1.4, 0.4)),
    ("season", C(&["autumn", "spring", "summer", "winter"])),
    (
        "category",
        C(&[
            "beauty",
            "electronics",
            "fashion",
            "grocery",
            "home",
            "toys",
        ]),
    ),
    // ltv
    ("first_order_value", L(55.0, 0.7)),
    ("orders_90d", L(2.0, 0.7)),
    (
        "acquisition_channel",
        C(&[
            "affiliate",
            "email",
            "organic",
            "paid_search",
            "referral",
            "social",
        ]),
    ),
    ("discount_share", S(-1.5, 0.8, 1.0)),
    // eta
    ("distance_km", L(4.5, 0.6)),
    ("traffic_index", N(50.0, 15.0)),
    ("courier_load", S(0.3, 0.7, 1.0)),
    (
        "weather_code",
        C(&["clear", "cloudy", "fog", "rain", "snow"]),
    ),
    ("pickup_delay_s", L(240.0, 0.6)),
    // search and ranking
    ("bm25_score", L(12.0, 0.5)),
    ("ctr_30d", S(-3.2, 0.9, 1.0)),
    ("doc_age_days", L(120.0, 1.1)),
    ("query_length", L(18.0, 0.5)),
    ("embedding_sim", S(0.8, 0.9, 1.0)),
    ("freshness", S(0.0, 1.2, 1.0)),
    ("token_count", L(3.0, 0.5)),
    ("has_brand", W(NO_YES)),
    ("lang", C(&["de", "en", "es", "fr", "it", "pl"])),
    ("prior_clicks", L(4.0, 1.0)),
    ("user_embedding_norm", N(1.0, 0.15)),
    ("item_popularity", L(800.0, 1.3)),
    ("co_view_score", S(-1.0, 1.0, 1.0)),
    ("recency_days", L(5.0, 1.0)),
    ("category_affinity", S(0.2, 1.0, 1.0)),
    // support
    ("subject_length", L(42.0, 0.5)),
    (
        "product_area",
        C(&[
            "account",
            "billing",
            "payments",
            "returns",
            "shipping",
            "technical",
        ]),
    ),
    (
        "customer_tier",
        C(&["gold", "platinum", "silver", "standard"]),
    ),
    ("language", C(&["de", "en", "es", "fr", "pt"])),
    ("sentiment", C(&["negative", "neutral", "positive"])),
    // generated worlds
    ("f_amount", L(45.0, 1.0)),
    ("f_age_days", L(300.0, 0.9)),
    ("f_count_7d", L(5.0, 0.7)),
    ("f_ratio_30d", S(-0.5, 1.0, 1.0)),
    ("f_region", C(REGIONS)),
    ("f_device", C(&["android", "api", "ios", "web"])),
    ("f_hour", S(0.15, 0.9, 24.0)),
    (
        "f_segment",
        C(&[
            "segment_a",
            "segment_b",
            "segment_c",
            "segment_d",
            "segment_e",
        ]),
    ),
];

/// Each demo model's prediction: its name and shape.
const PREDICTIONS: &[(&str, &str, Entry)] = &[
    ("fraud-detector", "fraud_score", S(-2.2, 1.3, 1.0)),
    ("credit-scorer", "default_probability", S(-2.0, 0.9, 1.0)),
    ("spam-filter", "spam_score", S(-1.5, 1.6, 1.0)),
    ("churn-model", "churn_probability", S(-1.4, 1.0, 1.0)),
    ("demand-forecaster", "units_forecast", L(95.0, 0.6)),
    ("price-optimizer", "price_multiplier", S(0.0, 0.6, 2.0)),
    ("ltv-estimator", "ltv_12m", L(180.0, 0.9)),
    ("eta-predictor", "eta_minutes", L(32.0, 0.4)),
    ("search-ranker", "relevance_score", N(0.0, 1.2)),
    (
        "query-intent",
        "intent",
        W(&[
            ("informational", 0.5),
            ("navigational", 0.2),
            ("transactional", 0.3),
        ]),
    ),
    ("recsys-ranker", "rank_score", N(0.0, 1.0)),
    (
        "ticket-router",
        "queue",
        C(&["account", "billing", "returns", "shipping", "technical"]),
    ),
];

/// The shape of feature `name` of `model`.
pub(crate) fn feature_shape(seed: u64, model: &str, name: &str) -> Shape {
    let mut rng = Rng::derive(seed, &format!("feature/{model}/{name}"));
    match CATALOG.iter().find(|(n, _)| *n == name) {
        Some((_, e)) => realise(e, &mut rng),
        None => {
            let mean = rng.range_f64(1.0, 100.0).round();
            let std = mean * rng.range_f64(0.1, 0.4);
            realise(&N(mean, std), &mut rng)
        }
    }
}

/// The prediction of `model` (a task from its `task` tag when the model is
/// not in the table): its name and shape.
pub(crate) fn prediction_shape(seed: u64, model: &str, task: &str) -> (String, Shape) {
    let mut rng = Rng::derive(seed, &format!("prediction/{model}"));
    if let Some((_, name, e)) = PREDICTIONS.iter().find(|(m, _, _)| *m == model) {
        return (name.to_string(), realise(e, &mut rng));
    }
    let (name, e) = match task {
        "classifier" => ("score", S(-1.5, 1.2, 1.0)),
        "ranker" => ("rank_score", N(0.0, 1.0)),
        _ => ("prediction", L(50.0, 0.7)),
    };
    (name.to_string(), realise(&e, &mut rng))
}

/// A share of rows with the value missing in the reference: none for most
/// features, up to 1.5 % for some.
pub(crate) fn base_missing(seed: u64, model: &str, name: &str) -> f64 {
    let mut rng = Rng::derive(seed, &format!("missing/{model}/{name}"));
    if rng.chance(0.6) {
        0.0
    } else {
        (rng.range_f64(0.001, 0.015) * 10_000.0).round() / 10_000.0
    }
}

fn realise(e: &Entry, rng: &mut Rng) -> Shape {
    let jitter = rng.range_f64(-0.15, 0.15);
    let numeric = |transform, mu: f64, sigma: f64| {
        Shape::Numeric(Numeric {
            transform,
            mu: mu + jitter * sigma,
            sigma,
        })
    };
    match *e {
        N(mean, std) => numeric(Transform::Identity, mean, std),
        L(median, sigma) => numeric(Transform::Exp, median.ln(), sigma),
        S(mu, sigma, scale) => numeric(Transform::Logistic(scale), mu, sigma),
        C(names) => {
            let weights: Vec<f64> = names.iter().map(|_| rng.range_f64(0.4, 1.6)).collect();
            categorical(names.iter().map(|n| n.to_string()).collect(), weights)
        }
        W(pairs) => categorical(
            pairs.iter().map(|(n, _)| n.to_string()).collect(),
            pairs
                .iter()
                .map(|(_, w)| w * (1.0 + 0.1 * jitter))
                .collect(),
        ),
    }
}

/// Categories with weights normalised to probabilities.
pub(crate) fn categorical(names: Vec<String>, weights: Vec<f64>) -> Shape {
    let total: f64 = weights.iter().sum();
    let probs = weights
        .iter()
        .map(|w| if total > 0.0 { w / total } else { 0.0 })
        .collect();
    Shape::Categorical { names, probs }
}
