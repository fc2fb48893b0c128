//! How numbers, times and verdicts read on screen. One place, so the Fleet,
//! the Versions list and the Compare view agree on "-" for missing values.

use modeldeck_core::domain::{DriftStatus, Timestamp, format_age};

/// Shown for a value the backend does not have.
pub const MISSING: &str = "-";

/// A float with `decimals` places, or [`MISSING`]; NaN and infinities are
/// shown as such rather than hidden.
pub fn float(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(x) if x.is_nan() => "NaN".into(),
        Some(x) if x.is_infinite() => if x > 0.0 { "inf" } else { "-inf" }.into(),
        Some(x) => format!("{x:.decimals$}"),
        None => MISSING.into(),
    }
}

/// A metric value: 4 significant-ish decimals, trimmed for big numbers.
pub fn metric(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() && x.abs() >= 1000.0 => format!("{x:.1}"),
        other => float(other, 4),
    }
}

/// A signed delta (`+0.0120`, `-3.0`).
pub fn delta(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() && x.abs() >= 1000.0 => format!("{x:+.1}"),
        Some(x) if x.is_finite() => format!("{x:+.4}"),
        other => float(other, 4),
    }
}

/// A drift verdict with its PSI (`ok 0.04`, `WARN 0.18`, `DRIFT 0.31`).
pub fn drift(status: DriftStatus, psi: Option<f64>) -> String {
    let word = drift_word(status);
    match psi {
        Some(p) if p.is_finite() => format!("{word} {p:.2}"),
        _ => word.to_string(),
    }
}

/// One word for a drift verdict.
pub fn drift_word(status: DriftStatus) -> &'static str {
    match status {
        DriftStatus::Ok => "ok",
        DriftStatus::Warning => "WARN",
        DriftStatus::Drifting => "DRIFT",
        DriftStatus::Unknown => MISSING,
    }
}

/// Age of `then` as seen at `now` (`45s`, `12m`, `3h`, `9d`).
pub fn age(now: Timestamp, then: Timestamp) -> String {
    format_age(now, then)
}

/// A version label (`v7`) or [`MISSING`].
pub fn version(v: Option<&str>) -> String {
    v.map_or_else(|| MISSING.to_string(), |v| format!("v{v}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_missing_and_non_finite() {
        assert_eq!(float(None, 2), "-");
        assert_eq!(float(Some(f64::NAN), 2), "NaN");
        assert_eq!(float(Some(f64::NEG_INFINITY), 2), "-inf");
        assert_eq!(float(Some(1.234), 1), "1.2");
        assert_eq!(delta(Some(0.012)), "+0.0120");
        assert_eq!(delta(Some(-2500.0)), "-2500.0");
        assert_eq!(drift(DriftStatus::Drifting, Some(0.314)), "DRIFT 0.31");
        assert_eq!(drift(DriftStatus::Unknown, None), "-");
        assert_eq!(version(Some("7")), "v7");
    }
}
