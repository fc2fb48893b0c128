//! How a console behaves: poll intervals, timeouts, drift thresholds,
//! comparison directions and tolerances, the promotion policies.

use crate::compare::Direction;
use crate::domain::{DriftStatus, SharedClock, SystemClock};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How a console behaves.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    /// Profile name shown in the status bar.
    pub profile: String,
    /// True when the backends are the simulated sandbox.
    pub sandbox: bool,
    /// Source of "now".
    pub clock: SharedClock,
    /// Re-list interval for a cluster port that cannot notify changes.
    pub cluster_poll: Duration,
    /// Registry poll interval.
    pub registry_poll: Duration,
    /// Metrics poll interval.
    pub metrics_poll: Duration,
    /// Timeout of every single port call.
    pub call_timeout: Duration,
    /// PSI at which drift is a warning.
    pub drift_warn: f64,
    /// PSI at which drift is an alert.
    pub drift_alert: f64,
    /// The profile's consumer lag thresholds.
    pub lag: crate::domain::LagSettings,
    /// Metric direction overrides for comparisons.
    pub metric_directions: BTreeMap<String, Direction>,
    /// Relative difference under which two metrics tie.
    pub tie_tolerance: f64,
    /// The promotion policies: a comparison judges the metrics a model's
    /// policy gates on with the gate's direction and tolerance.
    pub policies: crate::policy::PolicySet,
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        ConsoleOptions {
            profile: "default".into(),
            sandbox: false,
            clock: Arc::new(SystemClock),
            cluster_poll: Duration::from_secs(2),
            registry_poll: Duration::from_secs(15),
            metrics_poll: Duration::from_secs(10),
            call_timeout: Duration::from_secs(10),
            drift_warn: DriftStatus::DEFAULT_WARN,
            drift_alert: DriftStatus::DEFAULT_ALERT,
            lag: crate::domain::LagSettings::default(),
            metric_directions: BTreeMap::new(),
            tie_tolerance: 0.001,
            policies: crate::policy::PolicySet::default(),
        }
    }
}
