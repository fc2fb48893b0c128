//! The controllers' clock: the wall clock, or a manual one a test sets and
//! advances (a CronJob's nightly schedule then runs in milliseconds).

use modeldeck_core::domain::Timestamp;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Where the controllers read the time.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The wall clock.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock standing at `ms` (Unix milliseconds) until set or advanced.
    pub fn manual(ms: i64) -> Clock {
        Clock(Some(Arc::new(AtomicI64::new(ms))))
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            Some(t) => t.load(Ordering::SeqCst),
            None => Timestamp::now().0,
        }
    }

    /// Now, as a timestamp.
    pub fn now(&self) -> Timestamp {
        Timestamp(self.now_ms())
    }

    /// Now in RFC 3339, as metadata carries it.
    pub fn rfc3339(&self) -> String {
        self.now().rfc3339()
    }

    /// Moves a manual clock forward by `ms` (no effect on the wall clock).
    pub fn advance(&self, ms: i64) {
        if let Some(t) = &self.0 {
            t.fetch_add(ms, Ordering::SeqCst);
        }
    }

    /// Sets a manual clock to `ms` (no effect on the wall clock).
    pub fn set(&self, ms: i64) {
        if let Some(t) = &self.0 {
            t.store(ms, Ordering::SeqCst);
        }
    }
}

impl PartialEq for Clock {
    fn eq(&self, other: &Clock) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => f.write_str("Clock::system"),
            Some(t) => write!(f, "Clock::manual({})", t.load(Ordering::SeqCst)),
        }
    }
}
