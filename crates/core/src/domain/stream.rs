//! Streaming consumers (Kafka and the like): consumer lag per consumer
//! group, its trend over a window, and the on-call verdict: is the
//! consumer keeping up, or falling further behind.
//!
//! Adapters fill a [`StreamLag`] with what the backend says (lag in
//! messages summed over partitions, lag in seconds when an exporter gives
//! it, consumed messages per second, the most lagging partitions and the
//! lag over the trend window); the trend comes from [`lag_trend`], a least
//! squares slope, and the verdict from [`StreamLag::judge`] against
//! [`LagThresholds`], so every adapter and front end judges alike.

use super::Timestamp;
use serde::{Deserialize, Serialize};

/// The workload label naming the consumer group a stream consumer reads
/// as; without it the group is the workload's name.
pub const CONSUMER_GROUP_LABEL: &str = "modeldeck.io/consumer-group";

/// A change over the trend window below this fraction of the mean lag is
/// steady (lag of a healthy consumer wobbles with the producers' bursts).
pub const TREND_RELATIVE: f64 = 0.10;
/// A change over the trend window below this many messages is steady,
/// whatever the mean (a consumer lagging 3 messages that now lags 9 is not
/// growing in any sense a person cares about).
pub const TREND_MIN_MESSAGES: f64 = 100.0;

/// Which way the lag moved over the trend window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum LagTrend {
    /// The consumer falls further behind.
    Growing,
    /// The consumer catches up.
    Shrinking,
    /// Neither, within [`TREND_RELATIVE`] and [`TREND_MIN_MESSAGES`].
    Steady,
    /// Fewer than three points in the window.
    #[default]
    Unknown,
}

impl LagTrend {
    /// One character for tables: `↑`, `↓`, `→`, `?`.
    pub fn arrow(self) -> char {
        match self {
            LagTrend::Growing => '↑',
            LagTrend::Shrinking => '↓',
            LagTrend::Steady => '→',
            LagTrend::Unknown => '?',
        }
    }

    /// The word (`growing`, `shrinking`, `steady`, `unknown`).
    pub fn label(self) -> &'static str {
        match self {
            LagTrend::Growing => "growing",
            LagTrend::Shrinking => "shrinking",
            LagTrend::Steady => "steady",
            LagTrend::Unknown => "unknown",
        }
    }
}

/// The on-call verdict on a consumer, worst first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum StreamVerdict {
    /// Over the threshold and growing: falling behind.
    Behind,
    /// Growing, still under the threshold.
    Growing,
    /// Over the threshold, not growing (catching up or stuck level).
    High,
    /// Under the threshold and not growing.
    #[default]
    Ok,
}

impl StreamVerdict {
    /// The words a table or a detail view shows.
    pub fn label(self) -> &'static str {
        match self {
            StreamVerdict::Behind => "Falling behind",
            StreamVerdict::Growing => "Lag growing",
            StreamVerdict::High => "Lag high",
            StreamVerdict::Ok => "Keeping up",
        }
    }
}

/// When lag is "over the threshold": in seconds when the exporter gives
/// seconds, otherwise in messages.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LagThresholds {
    /// Seconds behind the head of the topic.
    pub max_seconds: f64,
    /// Messages behind, summed over the group's partitions.
    pub max_messages: f64,
}

impl Default for LagThresholds {
    fn default() -> Self {
        LagThresholds {
            max_seconds: 300.0,
            max_messages: 100_000.0,
        }
    }
}

/// The workload label (or annotation) that sets its own
/// [`LagThresholds::max_seconds`], a positive number of seconds.
pub const MAX_LAG_SECONDS_LABEL: &str = "modeldeck.io/max-lag-seconds";
/// The workload label (or annotation) that sets its own
/// [`LagThresholds::max_messages`], a positive number of messages.
pub const MAX_LAG_MESSAGES_LABEL: &str = "modeldeck.io/max-lag-messages";

/// A profile's `[profiles.<name>.lag]` table: either threshold may be left
/// out (the default stands for it).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LagSettings {
    /// Seconds behind over which a consumer's lag is high.
    pub max_seconds: Option<f64>,
    /// Messages behind over which a consumer's lag is high.
    pub max_messages: Option<f64>,
}

impl LagSettings {
    /// The first value that is not a positive finite number, as
    /// `(field, value)` (a profile is checked with this when it is read).
    pub fn invalid(&self) -> Option<(&'static str, f64)> {
        [
            ("max_seconds", self.max_seconds),
            ("max_messages", self.max_messages),
        ]
        .into_iter()
        .find_map(|(f, v)| v.filter(|v| !positive(*v)).map(|v| (f, v)))
    }
}

/// Where a threshold in force came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ThresholdSource {
    /// The built-in default ([`LagThresholds::default`]).
    #[default]
    Default,
    /// The profile's `lag` table.
    Profile,
    /// The workload's own label or annotation.
    Workload,
}

/// The thresholds a verdict was made against, where each came from, and
/// what was wrong with a value that was set but could not be used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AppliedLagThresholds {
    /// Seconds behind over which the lag is high.
    pub max_seconds: f64,
    /// Messages behind over which the lag is high (used when the exporter
    /// gives no seconds).
    pub max_messages: f64,
    /// Where `max_seconds` came from.
    pub max_seconds_from: ThresholdSource,
    /// Where `max_messages` came from.
    pub max_messages_from: ThresholdSource,
    /// Values set but unusable (each names the label or profile field and
    /// the value, and says what stands instead); empty when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<Vec<String>>"))]
    pub problems: Vec<String>,
}

impl AppliedLagThresholds {
    /// The two numbers, for [`StreamLag::judge`].
    pub fn thresholds(&self) -> LagThresholds {
        LagThresholds {
            max_seconds: self.max_seconds,
            max_messages: self.max_messages,
        }
    }
}

fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

impl LagThresholds {
    /// The thresholds in force for one consumer: the workload's own
    /// `modeldeck.io/max-lag-seconds` / `modeldeck.io/max-lag-messages`
    /// (in `labels`: its labels, and annotations if the caller has them,
    /// merged) win over the profile's `lag` table, which wins over
    /// [`LagThresholds::default`]. Each field is resolved on its own.
    ///
    /// A value that is not a positive finite number (`"abc"`, `"-5"`,
    /// `"NaN"`, `"1e999"`, an empty string) is not used: the next source
    /// stands for it and [`AppliedLagThresholds::problems`] says which
    /// label or profile field held what. Never panics; hostile values are
    /// cleaned and cut to 40 characters in the message.
    ///
    /// This is the one place thresholds are decided: the Fleet, the TUI,
    /// `status -o json` and the promotion step all call it.
    pub fn resolve(
        profile: &LagSettings,
        labels: &std::collections::BTreeMap<String, String>,
    ) -> AppliedLagThresholds {
        let d = LagThresholds::default();
        let mut problems = Vec::new();
        let mut pick =
            |label: &str, field: &str, unit: &str, from_profile: Option<f64>, default: f64| {
                let (fallback, source) = match from_profile {
                    Some(v) if positive(v) => (v, ThresholdSource::Profile),
                    Some(v) => {
                        problems.push(format!(
                        "profile lag.{field} = {v} is not a positive number of {unit}; using the \
                         default {default}"
                    ));
                        (default, ThresholdSource::Default)
                    }
                    None => (default, ThresholdSource::Default),
                };
                let Some(raw) = labels.get(label) else {
                    return (fallback, source);
                };
                match raw.trim().parse::<f64>() {
                    Ok(v) if positive(v) => (v, ThresholdSource::Workload),
                    _ => {
                        let shown: String = crate::text::clean(raw).chars().take(40).collect();
                        let from = match source {
                            ThresholdSource::Profile => "the profile's",
                            _ => "the default",
                        };
                        problems.push(format!(
                            "label {label} = {shown:?} is not a positive number of {unit}; using \
                         {from} {fallback}"
                        ));
                        (fallback, source)
                    }
                }
            };
        let (max_seconds, max_seconds_from) = pick(
            MAX_LAG_SECONDS_LABEL,
            "max_seconds",
            "seconds",
            profile.max_seconds,
            d.max_seconds,
        );
        let (max_messages, max_messages_from) = pick(
            MAX_LAG_MESSAGES_LABEL,
            "max_messages",
            "messages",
            profile.max_messages,
            d.max_messages,
        );
        AppliedLagThresholds {
            max_seconds,
            max_messages,
            max_seconds_from,
            max_messages_from,
            problems,
        }
    }
}

/// The lag of one partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PartitionLag {
    /// Topic.
    pub topic: String,
    /// Partition (as the exporter labels it).
    pub partition: String,
    /// Messages behind.
    pub lag: f64,
}

/// Consumer lag of one stream consumer's group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StreamLag {
    /// The consumer group.
    pub group: String,
    /// The topics it reads, comma separated, sorted.
    pub topic: String,
    /// Messages behind, summed over every partition.
    pub lag_messages: f64,
    /// Seconds behind, when the exporter gives it (`None`: unknown, the
    /// exporter counts messages only).
    pub lag_seconds: Option<f64>,
    /// Messages consumed per second.
    pub throughput: Option<f64>,
    /// Which way the lag moved over the trend window.
    pub trend: LagTrend,
    /// Least squares slope of the lag over the window, messages per second.
    pub slope_per_s: Option<f64>,
    /// The most lagging partitions, worst first.
    pub top_partitions: Vec<PartitionLag>,
    /// The verdict ([`StreamLag::judge`]).
    pub verdict: StreamVerdict,
    /// The thresholds the verdict was made against
    /// ([`LagThresholds::resolve`]); absent until a front end judges it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub thresholds: Option<AppliedLagThresholds>,
    /// The lag over the trend window (time, messages), oldest first; left
    /// out of tables and JSON rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(type = "Array<[number, number]>"))]
    pub history: Vec<(Timestamp, f64)>,
}

impl StreamLag {
    /// Sets `trend` and `slope_per_s` from `history`.
    pub fn set_trend_from_history(&mut self) {
        let (slope, trend) = lag_trend(&self.history);
        self.slope_per_s = slope;
        self.trend = trend;
    }

    /// Whether the lag is over `th` (seconds when known, else messages).
    pub fn over(&self, th: &LagThresholds) -> bool {
        match self.lag_seconds {
            Some(s) if s.is_finite() => s > th.max_seconds,
            _ => self.lag_messages > th.max_messages,
        }
    }

    /// The verdict against `th`, from the lag and its trend.
    pub fn judge(&self, th: &LagThresholds) -> StreamVerdict {
        match (self.over(th), self.trend == LagTrend::Growing) {
            (true, true) => StreamVerdict::Behind,
            (false, true) => StreamVerdict::Growing,
            (true, false) => StreamVerdict::High,
            (false, false) => StreamVerdict::Ok,
        }
    }
}

/// The least squares slope of `points` (messages per second) and the
/// trend it means over the points' span: growing or shrinking when the
/// change over the span exceeds both [`TREND_RELATIVE`] of the mean lag and
/// [`TREND_MIN_MESSAGES`]. Non-finite values are skipped; fewer than three
/// points, or all at one instant, give `(None, Unknown)`.
pub fn lag_trend(points: &[(Timestamp, f64)]) -> (Option<f64>, LagTrend) {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(t, v)| (t.0 as f64 / 1000.0, *v))
        .collect();
    if pts.len() < 3 {
        return (None, LagTrend::Unknown);
    }
    let n = pts.len() as f64;
    // Centred on the first time so the sums keep their precision.
    let t0 = pts[0].0;
    let mean_t = pts.iter().map(|(t, _)| t - t0).sum::<f64>() / n;
    let mean_v = pts.iter().map(|(_, v)| v).sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (t, v) in &pts {
        let dt = t - t0 - mean_t;
        num += dt * (v - mean_v);
        den += dt * dt;
    }
    if den <= 0.0 {
        return (None, LagTrend::Unknown);
    }
    let slope = num / den;
    let span = pts[pts.len() - 1].0 - t0;
    let change = slope * span;
    let floor = (TREND_RELATIVE * mean_v.abs()).max(TREND_MIN_MESSAGES);
    let trend = if change > floor {
        LagTrend::Growing
    } else if change < -floor {
        LagTrend::Shrinking
    } else {
        LagTrend::Steady
    };
    (Some(slope), trend)
}

/// A count of messages as a table shows it: `950`, `12.4k`, `2.2M`, `1.1G`.
pub fn format_messages(v: f64) -> String {
    if !v.is_finite() {
        return "?".into();
    }
    let a = v.abs();
    let (scaled, unit) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        return format!("{}", v.round());
    };
    if scaled.abs() >= 100.0 {
        format!("{scaled:.0}{unit}")
    } else {
        format!("{scaled:.1}{unit}")
    }
}

/// Seconds behind as a table shows it: `45s`, `12m`, `3.5h`.
pub fn format_lag_seconds(s: f64) -> String {
    if !s.is_finite() {
        return "?".into();
    }
    if s < 90.0 {
        format!("{}s", s.round())
    } else if s < 5400.0 {
        format!("{}m", (s / 60.0).round())
    } else {
        format!("{:.1}h", s / 3600.0)
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
