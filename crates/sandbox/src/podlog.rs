//! The simulated model server's log, one owner for both places that show
//! it: the sandbox's `log_tail` and the sandbox API server's
//! `pods/<name>/log`. A pod writes three start-up lines when it starts,
//! then one request line every `interval_ms`; line `k` is a pure function
//! of the pod, so any reader at any time sees the same lines.

use modeldeck_core::domain::Timestamp;

/// The log of one simulated model-server pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodLog {
    /// Pod name.
    pub pod: String,
    /// Registered model it serves.
    pub model: String,
    /// Version it serves.
    pub version: String,
    /// What it loads (`models:/<model>/<version>`, or the pod's `MODEL_URI`).
    pub uri: String,
    /// When the container started.
    pub start: Timestamp,
    /// Between two request lines.
    pub interval_ms: i64,
    /// Seed of the latency noise (per pod).
    pub key: u64,
}

/// A latency-noise key for a pod known only by name (the API server's pods).
pub fn key_for(pod: &str) -> u64 {
    crate::rng::hash_str(pod)
}

impl PodLog {
    /// When line `k` was written.
    pub fn line_time(&self, k: u64) -> Timestamp {
        if k < 3 {
            self.start
        } else {
            self.start
                .plus_millis((k as i64 - 2).saturating_mul(self.interval_ms.max(1)))
        }
    }

    /// Lines written by `now` (none before the start).
    pub fn count(&self, now: Timestamp) -> u64 {
        if now < self.start {
            return 0;
        }
        3 + (now.millis_since(self.start) / self.interval_ms.max(1)) as u64
    }

    /// The text of line `k`, without time or newline.
    pub fn text(&self, k: u64) -> String {
        let lat = 8 + (crate::rng::mix(self.key, k) >> 7) % 40;
        let model = &self.model;
        match k {
            0 => format!("INFO model-server starting (pod {})", self.pod),
            1 => format!("INFO loading {}", self.uri),
            2 => format!(
                "INFO model {model} version {} ready, listening on :8080",
                self.version
            ),
            _ if k.is_multiple_of(17) => format!(
                "WARN slow request: POST /v1/models/{model}:predict 200 {}ms",
                lat * 9
            ),
            _ => format!("INFO POST /v1/models/{model}:predict 200 {lat}ms"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> PodLog {
        PodLog {
            pod: "fraud-detector-7d9f".into(),
            model: "fraud-detector".into(),
            version: "7".into(),
            uri: "models:/fraud-detector/7".into(),
            start: Timestamp(1_000_000),
            interval_ms: 2_000,
            key: 42,
        }
    }

    #[test]
    fn three_start_up_lines_then_one_per_interval() {
        let l = log();
        assert_eq!(l.count(Timestamp(999_999)), 0);
        assert_eq!(l.count(l.start), 3);
        assert_eq!(l.count(l.start.plus_millis(4_100)), 5);
        assert_eq!(l.line_time(2), l.start);
        assert_eq!(l.line_time(4), l.start.plus_millis(4_000));
        assert!(l.text(1).contains("models:/fraud-detector/7"));
        assert!(l.text(2).contains("version 7 ready"));
        assert!(l.text(17).starts_with("WARN slow request"));
        assert_eq!(l.text(20), log().text(20), "a pure function of the pod");
    }
}
