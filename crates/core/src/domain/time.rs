//! Time as Modeldeck sees it: Unix milliseconds, so the sandbox's virtual
//! clock and the real one are interchangeable.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Milliseconds since the Unix epoch (UTC). MLflow speaks milliseconds too.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The wall clock now.
    pub fn now() -> Self {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp(ms)
    }

    /// Milliseconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn millis_since(self, earlier: Timestamp) -> i64 {
        self.0 - earlier.0
    }

    /// `self` moved by `ms` milliseconds.
    pub fn plus_millis(self, ms: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }

    /// Seconds since the epoch as a float, the unit Prometheus speaks.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// `HH:MM:SS` in UTC, for status bars ("stale since 13:02:11").
    pub fn hms(self) -> String {
        let secs = self.0.div_euclid(1000).rem_euclid(86_400);
        format!(
            "{:02}:{:02}:{:02}",
            secs / 3600,
            (secs / 60) % 60,
            secs % 60
        )
    }

    /// Parses RFC 3339 UTC (`2026-11-28T13:02:11Z`, fractional seconds
    /// allowed); `None` for anything else.
    pub fn parse_rfc3339(t: &str) -> Option<Timestamp> {
        let t = t.trim().strip_suffix('Z')?;
        let (date, time) = t.split_once('T')?;
        let d: Vec<i64> = date
            .split('-')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        let h: Vec<&str> = time.split(':').collect();
        let [y, m, day] = d.as_slice() else {
            return None;
        };
        let [hh, mm, ss] = h.as_slice() else {
            return None;
        };
        let (hh, mm): (i64, i64) = (hh.parse().ok()?, mm.parse().ok()?);
        let ss: f64 = ss.parse().ok()?;
        if !(1..=12).contains(m) || !(1..=31).contains(day) || hh > 23 || mm > 59 || ss >= 61.0 {
            return None;
        }
        // Days from the civil date (Howard Hinnant's algorithm).
        let y = if *m <= 2 { y - 1 } else { *y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        let ms = ((days * 86_400 + hh * 3600 + mm * 60) as f64 + ss) * 1000.0;
        Some(Timestamp(ms.round() as i64))
    }

    /// RFC 3339 in UTC with second precision (`2026-11-28T13:02:11Z`).
    pub fn rfc3339(self) -> String {
        let secs = self.0.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            (rem / 60) % 60,
            rem % 60
        )
    }
}

/// Human age of something created at `then`, seen at `now`: `45s`, `12m`, `3h`, `9d`.
pub fn format_age(now: Timestamp, then: Timestamp) -> String {
    let s = (now.millis_since(then) / 1000).max(0);
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

// Howard Hinnant's days-to-civil algorithm; avoids a date crate for one formatter.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A source of "now". The demo uses the wall clock; tests and the sandbox's
/// simulation use a virtual clock they step by hand.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time on this clock.
    fn now(&self) -> Timestamp;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_and_hms() {
        let t = Timestamp(1_795_869_880_555); // 2026-11-28
        assert_eq!(t.rfc3339(), "2026-11-28T12:44:40Z");
        assert_eq!(t.hms(), "12:44:40");
        assert_eq!(Timestamp(0).rfc3339(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn formats_ages() {
        let now = Timestamp(10_000_000_000);
        assert_eq!(format_age(now, now.plus_millis(-5_000)), "5s");
        assert_eq!(format_age(now, now.plus_millis(-600_000)), "10m");
        assert_eq!(format_age(now, now.plus_millis(-3 * 86_400_000)), "3d");
    }
}
