//! Time helpers: parsing RFC 3339 metadata timestamps and kubectl-style
//! human durations (`45s`, `3m12s`, `5h`, `2d4h`).

/// Milliseconds since the epoch of an RFC 3339 UTC timestamp
/// (`2026-11-28T12:44:40Z`, fractional seconds allowed).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    modeldeck_core::domain::Timestamp::parse_rfc3339(s).map(|t| t.0)
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
