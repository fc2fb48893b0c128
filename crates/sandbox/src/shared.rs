//! The state every port shares: the world behind a mutex and its clock.
//! Each port call locks the world, advances it lazily to the clock's now,
//! honours a simulated outage, then answers.

use crate::clock::SandboxClock;
use crate::world::World;
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// World plus clock, behind one `Arc` for all ports and handles.
pub(crate) struct Shared {
    pub world: Mutex<World>,
    pub clock: SandboxClock,
}

impl std::fmt::Debug for Shared {
    /// A summary: a world can hold 100,000 workloads.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let w = self.world.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Sandbox")
            .field("seed", &w.seed)
            .field("now", &w.now)
            .field("clusters", &w.clusters)
            .field("models", &w.models.len())
            .field("workloads", &w.workloads.len())
            .field("rollouts_under_way", &w.active.len())
            .finish()
    }
}

impl Shared {
    /// The world, advanced to now (a poisoned lock is recovered: the world
    /// is never left half-updated by a panic in our code, which has none).
    pub fn lock(&self) -> MutexGuard<'_, World> {
        let mut w = self.world.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.now();
        crate::rollout::advance(&mut w, now);
        w
    }

    /// Runs `f` on the advanced world as a call to `backend`'s port.
    pub fn call<T>(
        &self,
        backend: Backend,
        f: impl FnOnce(&mut World) -> PortResult<T>,
    ) -> PortResult<T> {
        let mut w = self.lock();
        if w.is_down(backend) {
            return Err(BackendError::new(
                backend,
                ErrorCode::Unreachable,
                format!("simulated outage: the sandbox {backend} is down"),
            )
            .at(format!("sandbox://{backend}")));
        }
        f(&mut w)
    }
}
