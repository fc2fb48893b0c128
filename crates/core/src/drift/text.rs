//! How drift numbers are written, the same on every front end: a score
//! with its method (`psi 0.412`, `ks p=0.0031`), its threshold (`≥ 0.1`,
//! `p < 0.05`: low p-values mean drift), the verdict word, a window.

use super::math::Score;

/// A number with at most three decimals below 1 and two below 100,
/// trailing zeros dropped, in exponent form below 0.001 (`0.412`, `0.1`,
/// `12.3`, `0.00031` -> `3.1e-4`).
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a < 0.001 {
        format!("{v:.1e}")
    } else if a < 1.0 {
        trim(format!("{v:.3}"))
    } else if a < 100.0 {
        trim(format!("{v:.2}"))
    } else {
        format!("{v:.0}")
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The score's value: `0.412` for a distance, `p=0.0031` for a p-value.
pub fn score_value(s: &Score) -> String {
    if s.method.is_p_value() {
        format!("p={}", number(s.value))
    } else {
        number(s.value)
    }
}

/// The threshold with its direction: `≥ 0.1` or `p < 0.05`.
pub fn threshold(s: &Score) -> String {
    if s.method.is_p_value() {
        format!("p < {}", number(s.threshold))
    } else {
        format!("≥ {}", number(s.threshold))
    }
}

/// `drift`, `ok`, or `no data` without a score.
pub fn verdict(s: Option<&Score>) -> &'static str {
    match s {
        Some(s) if s.drifted => "drift",
        Some(s) if s.value.is_nan() => "no data",
        Some(_) => "ok",
        None => "no data",
    }
}

/// A window or range length: `1h`, `6h`, `24h`, `7d`, `90m`.
pub fn window(ms: i64) -> String {
    const H: i64 = 3_600_000;
    if ms >= 2 * 24 * H && ms % (24 * H) == 0 {
        format!("{}d", ms / (24 * H))
    } else if ms >= H && ms % H == 0 {
        format!("{}h", ms / H)
    } else {
        format!("{}m", ms / 60_000)
    }
}

/// Parses `30m`, `1h`, `24h`, `7d` into milliseconds.
pub fn parse_window(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num
        .parse()
        .map_err(|_| format!("window {s:?}: expected a number and a unit (30m, 1h, 24h, 7d)"))?;
    let ms = match unit {
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("window {s:?}: the unit must be m, h or d")),
    };
    if n <= 0 || n > 90 * 24 * 60 {
        return Err(format!("window {s:?}: must be between 1m and 90d"));
    }
    n.checked_mul(ms)
        .ok_or_else(|| format!("window {s:?}: too long"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::Method;

    #[test]
    fn writes_scores_with_their_direction() {
        let p = Score {
            method: Method::Ks,
            value: 0.0031,
            statistic: Some(0.2),
            threshold: 0.05,
            drifted: true,
        };
        assert_eq!(score_value(&p), "p=0.003");
        assert_eq!(threshold(&p), "p < 0.05");
        assert_eq!(verdict(Some(&p)), "drift");
        let d = Score {
            method: Method::Psi,
            value: 0.0412,
            statistic: None,
            threshold: 0.1,
            drifted: false,
        };
        assert_eq!(score_value(&d), "0.041");
        assert_eq!(threshold(&d), "≥ 0.1");
        assert_eq!(verdict(Some(&d)), "ok");
        assert_eq!(verdict(None), "no data");
    }

    #[test]
    fn windows_round_trip() {
        for (s, ms) in [
            ("1h", 3_600_000),
            ("6h", 21_600_000),
            ("24h", 86_400_000),
            ("7d", 604_800_000),
            ("30m", 1_800_000),
        ] {
            assert_eq!(parse_window(s), Ok(ms));
            assert_eq!(window(ms), s);
        }
        assert!(parse_window("h").is_err());
        assert!(parse_window("5y").is_err());
        assert!(parse_window("0h").is_err());
        assert!(parse_window("-1h").is_err());
    }
}
