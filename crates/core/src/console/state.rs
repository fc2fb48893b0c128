//! The one decision of what state a backend is in, as every front end shows
//! it: the TUI's status bar, `modeldeck status` (table and JSON) and the
//! desktop all render [`BackendState`], derived from the snapshot by
//! [`Snapshot::backend_state`], and name it by [`BackendState::word`].

use super::{BackendStatus, Snapshot};
use crate::domain::Timestamp;
use crate::error::{Backend, BackendError, PartialFailure};

/// Health of one backend, decided once for every front end.
#[derive(Debug, Clone, PartialEq)]
pub enum BackendState {
    /// Not read yet.
    Loading,
    /// Read, fresh, has data.
    Ready,
    /// Read, fresh, nothing there.
    Empty,
    /// Read, but some of its parts (kube contexts) could not be.
    Partial {
        /// The parts that failed, each naming its context.
        failures: Vec<PartialFailure>,
    },
    /// Read before, failing now: what is shown is old.
    Stale {
        /// Start of the current run of failures.
        since: Timestamp,
        /// The latest error.
        error: BackendError,
    },
    /// The profile leaves this backend out: not a failure.
    NotConfigured {
        /// What the backend says about how to configure it.
        reason: String,
    },
    /// Never read successfully.
    Failed {
        /// The latest error.
        error: BackendError,
    },
}

/// How much a state should worry the user; each front end maps it to its
/// own colors, so a state is never green in one and red in the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Fine.
    Good,
    /// Nothing wrong, nothing to show yet (loading, not configured).
    Neutral,
    /// Shown, but incomplete or old (partial, stale).
    Warning,
    /// Nothing could be read (failed).
    Bad,
}

impl BackendState {
    /// The state of a backend whose status is `status`; `empty` says whether
    /// the data read from it is empty. Not configured wins over everything,
    /// a failure over partial results, and a read with failing parts is
    /// partial whether or not the rest had data.
    pub fn of(status: &BackendStatus, empty: bool) -> BackendState {
        match (&status.error, status.loaded) {
            (Some(e), _) if e.is_not_configured() => BackendState::NotConfigured {
                reason: e.message.clone(),
            },
            (Some(e), true) => BackendState::Stale {
                since: status.failing_since.unwrap_or_default(),
                error: e.clone(),
            },
            (Some(e), false) => BackendState::Failed { error: e.clone() },
            (None, false) => BackendState::Loading,
            (None, true) if !status.partial.is_empty() => BackendState::Partial {
                failures: status.partial.clone(),
            },
            (None, true) if empty => BackendState::Empty,
            (None, true) => BackendState::Ready,
        }
    }

    /// The stable word (`ready`, `empty`, `loading`, `partial`, `stale`,
    /// `not_configured`, `failed`): the `state` of `modeldeck status` in
    /// JSON and in its table, and the word of the TUI's status bar.
    pub fn word(&self) -> &'static str {
        match self {
            BackendState::Loading => "loading",
            BackendState::Ready => "ready",
            BackendState::Empty => "empty",
            BackendState::Partial { .. } => "partial",
            BackendState::Stale { .. } => "stale",
            BackendState::NotConfigured { .. } => "not_configured",
            BackendState::Failed { .. } => "failed",
        }
    }

    /// [`word`](Self::word) for people: `not configured` instead of
    /// `not_configured`.
    pub fn label(&self) -> &'static str {
        match self {
            BackendState::NotConfigured { .. } => "not configured",
            other => other.word(),
        }
    }

    /// How much it should worry the user.
    pub fn severity(&self) -> Severity {
        match self {
            BackendState::Ready | BackendState::Empty => Severity::Good,
            BackendState::Loading | BackendState::NotConfigured { .. } => Severity::Neutral,
            BackendState::Partial { .. } | BackendState::Stale { .. } => Severity::Warning,
            BackendState::Failed { .. } => Severity::Bad,
        }
    }

    /// True when what was asked for could not all be read (failed, stale,
    /// partial): `modeldeck status` exits 4. Loading and not configured
    /// are not failures.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            BackendState::Partial { .. } | BackendState::Stale { .. } | BackendState::Failed { .. }
        )
    }

    /// The latest error, when stale or failed.
    pub fn error(&self) -> Option<&BackendError> {
        match self {
            BackendState::Stale { error, .. } | BackendState::Failed { error } => Some(error),
            _ => None,
        }
    }
}

impl Snapshot {
    /// The state of backend `b` in this snapshot, emptiness judged on what
    /// it feeds: workloads for the cluster, models for the registry, health
    /// for the metrics.
    pub fn backend_state(&self, b: Backend) -> BackendState {
        let empty = match b {
            Backend::Cluster => self.workloads.is_empty(),
            Backend::Registry => self.models.is_empty(),
            Backend::Metrics => self.health.is_empty(),
        };
        BackendState::of(self.backend(b), empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn status() -> BackendStatus {
        BackendStatus::new("http://x".into())
    }

    fn err(code: ErrorCode) -> BackendError {
        BackendError::new(Backend::Cluster, code, "boom")
    }

    fn part(context: &str) -> PartialFailure {
        PartialFailure {
            context: context.into(),
            server: Some("https://k8s.example:6443/".into()),
            error: err(ErrorCode::Unreachable),
            stale: false,
        }
    }

    #[test]
    fn every_state_has_one_word_and_one_severity() {
        let mut st = status();
        assert_eq!(BackendState::of(&st, false), BackendState::Loading);
        st.error = Some(err(ErrorCode::Unreachable));
        let failed = BackendState::of(&st, false);
        assert_eq!(
            (failed.word(), failed.severity()),
            ("failed", Severity::Bad)
        );
        assert!(failed.is_failure());

        st.error = None;
        st.loaded = true;
        assert_eq!(BackendState::of(&st, false).word(), "ready");
        assert_eq!(BackendState::of(&st, true).word(), "empty");
        assert!(!BackendState::of(&st, true).is_failure());

        st.partial = vec![part("prod-us")];
        for empty in [false, true] {
            let p = BackendState::of(&st, empty);
            assert_eq!((p.word(), p.severity()), ("partial", Severity::Warning));
            assert!(p.is_failure());
        }

        st.error = Some(err(ErrorCode::Timeout));
        st.failing_since = Some(Timestamp(5));
        let stale = BackendState::of(&st, false);
        assert_eq!(
            stale,
            BackendState::Stale {
                since: Timestamp(5),
                error: err(ErrorCode::Timeout)
            },
            "a failing read outranks the partial result before it"
        );
        assert_eq!(stale.severity(), Severity::Warning);
    }

    #[test]
    fn not_configured_is_decided_by_the_code_not_the_message() {
        let mut st = status();
        st.error = Some(BackendError::not_configured(
            Backend::Metrics,
            "no metrics URL",
        ));
        let s = BackendState::of(&st, true);
        assert_eq!(
            (s.word(), s.label(), s.severity()),
            ("not_configured", "not configured", Severity::Neutral)
        );
        assert!(!s.is_failure());
        // The words alone do not make it so: an adapter's `unsupported`
        // whose message happens to begin the same way is a failure.
        st.error = Some(BackendError::new(
            Backend::Metrics,
            ErrorCode::Unsupported,
            "not configured: a coincidence",
        ));
        assert_eq!(BackendState::of(&st, true).word(), "failed");
    }

    #[test]
    fn partial_failures_say_where() {
        let p = PartialFailure {
            stale: true,
            ..part("prod-us")
        };
        assert_eq!(
            p.summary(),
            "prod-us: boom (server https://k8s.example:6443) (its workloads are the last ones seen)"
        );
        assert_eq!(
            p.to_string(),
            format!("cluster unreachable: {}", p.summary())
        );
    }
}
