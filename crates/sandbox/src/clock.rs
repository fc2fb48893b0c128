//! The clocks a sandbox runs on: the wall clock, or a virtual clock that
//! only moves when a test or benchmark steps it.

use modeldeck_core::domain::{Clock, SharedClock, SystemClock, Timestamp};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Which clock a sandbox world runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// Real time; the world moves on by itself.
    Wall,
    /// Virtual time starting at `start`; moves only through `Sandbox::advance`.
    Virtual {
        /// Time the world starts at.
        start: Timestamp,
    },
}

/// A clock that moves only when told.
#[derive(Debug)]
pub struct VirtualClock {
    now_ms: AtomicI64,
}

impl VirtualClock {
    /// A virtual clock at `start`.
    pub fn new(start: Timestamp) -> VirtualClock {
        VirtualClock {
            now_ms: AtomicI64::new(start.0),
        }
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let _ = self
            .now_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| {
                Some(v.saturating_add(ms))
            });
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.now_ms.load(Ordering::SeqCst))
    }
}

/// The clock of one sandbox: shared handle plus, when virtual, the stepper.
#[derive(Debug, Clone)]
pub(crate) struct SandboxClock {
    pub(crate) shared: SharedClock,
    pub(crate) virt: Option<Arc<VirtualClock>>,
}

impl SandboxClock {
    pub(crate) fn new(mode: ClockMode) -> SandboxClock {
        match mode {
            ClockMode::Wall => SandboxClock {
                shared: Arc::new(SystemClock),
                virt: None,
            },
            ClockMode::Virtual { start } => {
                let v = Arc::new(VirtualClock::new(start));
                SandboxClock {
                    shared: v.clone(),
                    virt: Some(v),
                }
            }
        }
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.shared.now()
    }

    pub(crate) fn advance(&self, d: Duration) {
        if let Some(v) = &self.virt {
            v.advance(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_moves_only_when_stepped() {
        let c = SandboxClock::new(ClockMode::Virtual {
            start: Timestamp(1_000),
        });
        assert_eq!(c.now(), Timestamp(1_000));
        c.advance(Duration::from_secs(5));
        assert_eq!(c.now(), Timestamp(6_000));
    }

    #[test]
    fn wall_clock_ignores_advance() {
        let c = SandboxClock::new(ClockMode::Wall);
        let before = c.now();
        c.advance(Duration::from_secs(3600));
        assert!(c.now().millis_since(before) < 3_600_000);
    }
}
