//! Cron schedules as Kubernetes CronJobs write them (five fields: minute,
//! hour, day of month, month, day of week; `*`, lists, ranges, steps, month
//! and day names, and the `@hourly`-style macros), read in UTC. Enough to say
//! when a batch job runs next and whether a run was missed; a schedule with
//! another time zone (`CRON_TZ=`, `spec.timeZone`) is reported as such
//! rather than guessed.

use crate::domain::Timestamp;

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// How far ahead or back a schedule is searched (a `29 2 *` schedule that
/// never matches ends the search here).
const SEARCH_DAYS: i64 = 366 * 5;

/// A parsed schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    // Vixie cron: when both day fields are restricted, either may match.
    either_day: bool,
}

/// Why a schedule could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    /// Not five fields, or a field that does not parse.
    #[error("schedule {schedule:?}: {message}")]
    Invalid {
        /// The schedule as written.
        schedule: String,
        /// What is wrong.
        message: String,
    },
    /// A time zone other than UTC.
    #[error("schedule {schedule:?} runs in time zone {zone:?}; only UTC schedules are computed")]
    TimeZone {
        /// The schedule as written.
        schedule: String,
        /// The zone.
        zone: String,
    },
}

impl Schedule {
    /// Reads `spec` (with `zone`, the CronJob's `spec.timeZone`).
    ///
    /// Errors: [`CronError`] naming the schedule and the field.
    pub fn parse(spec: &str, zone: Option<&str>) -> Result<Schedule, CronError> {
        let invalid = |message: String| CronError::Invalid {
            schedule: spec.to_string(),
            message,
        };
        let mut text = spec.trim();
        let mut zone = zone.map(str::to_string);
        if let Some(rest) = text
            .strip_prefix("CRON_TZ=")
            .or_else(|| text.strip_prefix("TZ="))
        {
            let (z, r) = rest
                .split_once(char::is_whitespace)
                .ok_or_else(|| invalid("a time zone and no schedule".into()))?;
            zone = Some(z.to_string());
            text = r.trim();
        }
        if let Some(z) = zone.filter(|z| !matches!(z.as_str(), "UTC" | "Etc/UTC" | "GMT" | "")) {
            return Err(CronError::TimeZone {
                schedule: spec.to_string(),
                zone: z,
            });
        }
        let text = match text {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            t if t.starts_with('@') => return Err(invalid(format!("unknown macro {t:?}"))),
            t => t,
        };
        let f: Vec<&str> = text.split_whitespace().collect();
        if f.len() != 5 {
            return Err(invalid(format!(
                "{} fields; a schedule has 5 (minute hour day-of-month month day-of-week)",
                f.len()
            )));
        }
        let field = |i: usize, name: &str, lo: u32, hi: u32, names: &[&str]| {
            bits(f[i], lo, hi, names).map_err(|m| invalid(format!("{name} {:?}: {m}", f[i])))
        };
        const MONTHS: [&str; 12] = [
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ];
        const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
        let minutes = field(0, "minute", 0, 59, &[])?;
        let hours = field(1, "hour", 0, 23, &[])?;
        let days = field(2, "day of month", 1, 31, &[])?;
        let months = field(3, "month", 1, 12, &MONTHS)?;
        let mut weekdays = field(4, "day of week", 0, 7, &DAYS)?;
        if weekdays & (1 << 7) != 0 {
            weekdays |= 1; // 7 is Sunday too
        }
        let star = |s: &str| s.starts_with('*') || s.starts_with('?');
        Ok(Schedule {
            minutes,
            hours: hours as u32,
            days: days as u32,
            months: months as u16,
            weekdays: (weekdays & 0x7f) as u8,
            either_day: !star(f[2]) && !star(f[4]),
        })
    }

    /// The first run strictly after `t`, if one comes within five years.
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        let start = (t.0.div_euclid(MINUTE_MS) + 1) * MINUTE_MS;
        let day0 = start.div_euclid(DAY_MS);
        for d in day0..day0 + SEARCH_DAYS {
            if !self.day_matches(d) {
                continue;
            }
            let from = if d == day0 {
                (start - d * DAY_MS) / MINUTE_MS
            } else {
                0
            };
            if let Some(m) = (from..1440).find(|&m| self.minute_of_day_matches(m)) {
                return Some(Timestamp(d * DAY_MS + m * MINUTE_MS));
            }
        }
        None
    }

    /// The first moment after `t` at which [`Schedule::next_after`] may
    /// answer otherwise: the run it found, else the moment its five-year
    /// window moves on a day.
    pub fn next_after_changes(&self, t: Timestamp) -> Timestamp {
        self.next_after(t).unwrap_or_else(|| {
            let day0 = (t.0.div_euclid(MINUTE_MS) + 1) * MINUTE_MS / DAY_MS;
            Timestamp((day0 + 1) * DAY_MS - MINUTE_MS)
        })
    }

    /// The first moment after `t` at which [`Schedule::prev_at_or_before`]
    /// may answer otherwise: the next run, or the moment the run it found
    /// (or, finding none, the window's newest day) leaves its five-year
    /// window, whichever comes first.
    pub fn prev_at_or_before_changes(&self, t: Timestamp) -> Timestamp {
        let next = self.next_after_changes(t);
        match self.prev_at_or_before(t) {
            Some(p) => next.min(Timestamp(
                (p.0.div_euclid(DAY_MS) + SEARCH_DAYS + 1) * DAY_MS,
            )),
            None => next,
        }
    }

    /// The last run at or before `t`, if one came within five years.
    pub fn prev_at_or_before(&self, t: Timestamp) -> Option<Timestamp> {
        let end = t.0.div_euclid(MINUTE_MS) * MINUTE_MS;
        let day0 = end.div_euclid(DAY_MS);
        for d in (day0 - SEARCH_DAYS..=day0).rev() {
            if !self.day_matches(d) {
                continue;
            }
            let to = if d == day0 {
                (end - d * DAY_MS) / MINUTE_MS
            } else {
                1439
            };
            if let Some(m) = (0..=to).rev().find(|&m| self.minute_of_day_matches(m)) {
                return Some(Timestamp(d * DAY_MS + m * MINUTE_MS));
            }
        }
        None
    }

    fn minute_of_day_matches(&self, m: i64) -> bool {
        self.hours & (1 << (m / 60)) != 0 && self.minutes & (1 << (m % 60)) != 0
    }

    fn day_matches(&self, days_since_epoch: i64) -> bool {
        let (_, month, day) = crate::domain::civil_from_days(days_since_epoch);
        if self.months & (1 << month) == 0 {
            return false;
        }
        // 1970-01-01 was a Thursday (4).
        let weekday = (days_since_epoch + 4).rem_euclid(7) as u32;
        let dom = self.days & (1 << day) != 0;
        let dow = self.weekdays & (1 << weekday) != 0;
        if self.either_day {
            dom || dow
        } else {
            dom && dow
        }
    }
}

/// One field as a bit set over `lo..=hi`.
fn bits(field: &str, lo: u32, hi: u32, names: &[&str]) -> Result<u64, String> {
    let value = |s: &str| -> Result<u32, String> {
        let upper = s.to_ascii_uppercase();
        if let Some(i) = names.iter().position(|n| *n == upper) {
            // Month names start at 1, day names at 0.
            return Ok(i as u32 + lo);
        }
        let v: u32 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
        if v < lo || v > hi {
            return Err(format!("{v} is outside {lo}-{hi}"));
        }
        Ok(v)
    };
    let mut set = 0u64;
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let s: u32 = s
                    .parse()
                    .map_err(|_| format!("step {s:?} is not a number"))?;
                if s == 0 {
                    return Err("a step of 0".into());
                }
                (r, s)
            }
            None => (part, 1),
        };
        let (a, b) = match range {
            "*" | "?" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                // `5/15` runs from 5 to the end.
                None if step > 1 => (value(r)?, hi),
                None => (value(r)?, value(r)?),
            },
        };
        if a > b {
            return Err(format!("range {a}-{b} runs backwards"));
        }
        for v in (a..=b).step_by(step as usize) {
            set |= 1 << v;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn next(spec: &str, after: &str) -> String {
        Schedule::parse(spec, None)
            .unwrap()
            .next_after(t(after))
            .unwrap()
            .rfc3339()
    }

    #[test]
    fn nightly_and_stepped_schedules() {
        assert_eq!(
            next("0 2 * * *", "2026-12-05T16:30:00Z"),
            "2026-12-06T02:00:00Z"
        );
        assert_eq!(
            next("0 2 * * *", "2026-12-05T01:59:59Z"),
            "2026-12-05T02:00:00Z"
        );
        // strictly after
        assert_eq!(
            next("0 2 * * *", "2026-12-05T02:00:00Z"),
            "2026-12-06T02:00:00Z"
        );
        assert_eq!(
            next("*/30 * * * *", "2026-12-05T16:31:00Z"),
            "2026-12-05T17:00:00Z"
        );
        assert_eq!(
            next("5/15 * * * *", "2026-12-05T16:21:00Z"),
            "2026-12-05T16:35:00Z"
        );
        assert_eq!(
            next("@hourly", "2026-12-31T23:10:00Z"),
            "2027-01-01T00:00:00Z"
        );
        assert_eq!(
            next("@monthly", "2026-12-05T00:00:00Z"),
            "2027-01-01T00:00:00Z"
        );
    }

    #[test]
    fn day_names_ranges_and_the_either_day_rule() {
        // 2026-12-05 is a Saturday.
        assert_eq!(
            next("0 9 * * MON-FRI", "2026-12-05T10:00:00Z"),
            "2026-12-07T09:00:00Z"
        );
        assert_eq!(
            next("0 0 * * 7", "2026-12-05T10:00:00Z"),
            "2026-12-06T00:00:00Z"
        );
        // day 1 of the month OR any Monday
        assert_eq!(
            next("0 0 1 * 1", "2026-12-05T10:00:00Z"),
            "2026-12-07T00:00:00Z"
        );
        assert_eq!(
            next("0 0 29 2 *", "2026-03-01T00:00:00Z"),
            "2028-02-29T00:00:00Z"
        );
        assert_eq!(
            next("0 12 1 jan,jul *", "2026-12-05T00:00:00Z"),
            "2027-01-01T12:00:00Z"
        );
    }

    #[test]
    fn previous_run() {
        let s = Schedule::parse("0 2 * * *", Some("Etc/UTC")).unwrap();
        let p = s.prev_at_or_before(t("2026-12-05T16:30:00Z")).unwrap();
        assert_eq!(p.rfc3339(), "2026-12-05T02:00:00Z");
        let p = s.prev_at_or_before(t("2026-12-05T02:00:00Z")).unwrap();
        assert_eq!(p.rfc3339(), "2026-12-05T02:00:00Z");
    }

    #[test]
    fn bad_schedules_say_what_and_where() {
        let cases = [
            ("0 2 * *", "4 fields"),
            ("61 * * * *", "minute \"61\": 61 is outside 0-59"),
            ("* * * * FUNDAY", "day of week \"FUNDAY\""),
            ("*/0 * * * *", "a step of 0"),
            ("5-1 * * * *", "runs backwards"),
            ("@every 5m", "unknown macro"),
            ("CRON_TZ=", "no schedule"),
        ];
        for (spec, want) in cases {
            let e = Schedule::parse(spec, None).unwrap_err().to_string();
            assert!(e.contains(want), "{spec}: {e}");
        }
        let e = Schedule::parse("CRON_TZ=Europe/Paris 0 2 * * *", None).unwrap_err();
        assert!(matches!(e, CronError::TimeZone { ref zone, .. } if zone == "Europe/Paris"));
        let e = Schedule::parse("0 2 * * *", Some("America/New_York")).unwrap_err();
        assert!(e.to_string().contains("only UTC"));
    }

    /// Up to the moment `*_changes` gives, the answer stays the same,
    /// including across the five-year window's edges: 29 February has no
    /// match from 2096 to 2104, longer than the window.
    #[test]
    fn answers_hold_until_the_moment_they_may_change() {
        let step = 7 * 3_600_000 + 13 * MINUTE_MS + 17;
        for (spec, from) in [
            ("0 0 29 2 *", "2096-02-28T23:00:00Z"),
            ("0 0 29 2 *", "2100-06-01T00:00:00Z"),
            ("0 0 29 2 *", "2101-02-28T22:00:00Z"),
            ("30 2 * * 1", "2026-12-06T00:00:00Z"),
            ("*/5 * * * *", "2026-12-06T23:58:00Z"),
        ] {
            let s = Schedule::parse(spec, None).unwrap();
            let mut at = t(from);
            for _ in 0..40 {
                let (n, p) = (s.next_after(at), s.prev_at_or_before(at));
                let (n_until, p_until) =
                    (s.next_after_changes(at), s.prev_at_or_before_changes(at));
                assert!(n_until > at && p_until > at, "{spec} at {at:?}");
                for probe in [at.plus_millis(1), n_until.plus_millis(-1)] {
                    assert_eq!(s.next_after(probe), n, "{spec}: next at {probe:?}");
                }
                for probe in [at.plus_millis(1), p_until.plus_millis(-1)] {
                    assert_eq!(s.prev_at_or_before(probe), p, "{spec}: prev at {probe:?}");
                }
                at = n_until.min(p_until).min(at.plus_millis(step * 400));
            }
        }
        // The window's far edge: on 2101-03-01 the last 29 February (2096)
        // is still within five years, and leaves them days later, long
        // before the next (2104).
        let s = Schedule::parse("0 0 29 2 *", None).unwrap();
        let at = t("2101-03-01T00:00:00Z");
        assert_eq!(s.prev_at_or_before(at), Some(t("2096-02-29T00:00:00Z")));
        assert_eq!(s.next_after(at), Some(t("2104-02-29T00:00:00Z")));
        let gone = s.prev_at_or_before_changes(at);
        assert!(gone < t("2101-04-01T00:00:00Z"), "{gone:?}");
        assert!(s.prev_at_or_before(gone.plus_millis(-1)).is_some());
        assert_eq!(s.prev_at_or_before(gone), None);
    }

    #[test]
    fn a_schedule_that_never_matches_ends_the_search() {
        let s = Schedule::parse("0 0 31 2 *", None).unwrap();
        assert_eq!(s.next_after(t("2026-01-01T00:00:00Z")), None);
    }
}
