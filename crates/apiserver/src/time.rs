//! Time helpers: parsing RFC 3339 metadata timestamps and kubectl-style
//! human durations (`45s`, `3m12s`, `5h`, `2d4h`).

/// Milliseconds since the epoch of an RFC 3339 UTC timestamp
/// (`2026-11-28T12:44:40Z`, fractional seconds allowed).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut ms = 0;
    let rest = &s[19..];
    let rest = if let Some(frac) = rest.strip_prefix('.') {
        let digits: String = frac.chars().take_while(char::is_ascii_digit).collect();
        let padded = format!("{:0<3}", &digits[..digits.len().min(3)]);
        ms = padded.parse::<i64>().ok()?;
        &frac[digits.len()..]
    } else {
        rest
    };
    if rest != "Z" {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(((days * 86_400 + h * 3600 + mi * 60 + se) * 1000) + ms)
}

// Howard Hinnant's days-from-civil, the inverse of core's formatter.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// kubectl's `HumanDuration` of a number of seconds.
pub fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".into();
    }
    let s = secs.max(0);
    let m = s / 60;
    let h = s / 3600;
    let d = h / 24;
    let y = d / 365;
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        if s % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", s % 60)
        }
    } else if m < 180 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        if h % 24 == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{}h", h % 24)
        }
    } else if d < 365 * 2 {
        format!("{d}d")
    } else if d < 365 * 8 {
        format!("{y}y{}d", d % 365)
    } else {
        format!("{y}y")
    }
}

/// Age of an object created at `created` (RFC 3339), seen at `now_ms`.
pub fn age(created: Option<&str>, now_ms: i64) -> String {
    match created.and_then(parse_rfc3339) {
        Some(t) => human_duration((now_ms - t) / 1000),
        None => "<unknown>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modeldeck_core::domain::Timestamp;

    #[test]
    fn round_trips_core_formatting() {
        for ms in [0i64, 1_795_869_880_000, 951_782_400_000] {
            assert_eq!(parse_rfc3339(&Timestamp(ms).rfc3339()), Some(ms));
        }
        assert_eq!(
            parse_rfc3339("2026-11-28T12:44:40.250Z"),
            Some(1_795_869_880_250)
        );
        assert_eq!(parse_rfc3339("garbage"), None);
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(192), "3m12s");
        assert_eq!(human_duration(3600 * 5), "5h");
        assert_eq!(human_duration(3600 * 52), "2d4h");
        assert_eq!(human_duration(86_400 * 30), "30d");
    }
}
