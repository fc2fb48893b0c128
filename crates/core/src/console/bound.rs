//! Timeouts of the console's calls that follow progress, not the clock
//! alone.

use super::Console;
use crate::error::{Backend, BackendError, ErrorCode, PortResult};
use std::future::Future;
use tokio::sync::watch;

impl Console {
    /// [`Console::bounded`] for a call whose port reports progress on
    /// `changed` (the cluster port's change counter: a page of a listing,
    /// a context that listed): the timeout bounds the wait for the next
    /// sign of progress, not the whole call, so listing 100,000 workloads
    /// page by page is not cut off while a silent port still fails in
    /// `call_timeout`. Without a change counter, the same as `bounded`.
    pub(super) async fn bounded_progress<T>(
        &self,
        backend: Backend,
        what: &str,
        changed: Option<watch::Receiver<u64>>,
        fut: impl Future<Output = PortResult<T>>,
    ) -> PortResult<T> {
        let Some(mut rx) = changed else {
            return self.bounded(backend, what, fut).await;
        };
        let idle = self.inner.opts.call_timeout;
        tokio::pin!(fut);
        let mut deadline = tokio::time::Instant::now() + idle;
        let mut progress = true;
        loop {
            tokio::select! {
                r = &mut fut => return r,
                c = rx.changed(), if progress => match c {
                    Ok(()) => deadline = tokio::time::Instant::now() + idle,
                    Err(_) => progress = false,
                },
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(BackendError::new(
                        backend,
                        ErrorCode::Timeout,
                        format!(
                            "{what} made no progress within {:.1}s",
                            idle.as_secs_f64()
                        ),
                    ));
                }
            }
        }
    }
}
