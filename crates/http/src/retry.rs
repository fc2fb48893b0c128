//! Retrying a request that failed for a reason that goes away: no
//! connection, or the server said "not now" (429, 502, 503, 504). Only
//! idempotent requests are retried, since a retry may repeat an effect.
//! The schedule is the one MLflow's Python client uses (urllib3): no wait
//! before the first retry, then `backoff_factor * 2^(n-1)`, at most
//! `max_backoff`; a longer `Retry-After` (in seconds) from the server wins,
//! capped the same way.

use std::time::Duration;

/// urllib3's ceiling on one wait between retries.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(120);

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: never retry).
    pub max_retries: u32,
    /// Base of the exponential wait.
    pub backoff_factor: Duration,
    /// Longest single wait.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// Never retry.
    pub const NONE: RetryPolicy = RetryPolicy {
        max_retries: 0,
        backoff_factor: Duration::ZERO,
        max_backoff: Duration::ZERO,
    };

    /// The wait before retry number `retry` (1 for the first retry), given
    /// the server's `Retry-After`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exp = if retry <= 1 {
            Duration::ZERO
        } else {
            let factor = 2u32.saturating_pow(retry - 1);
            self.backoff_factor.saturating_mul(factor)
        };
        exp.max(retry_after.unwrap_or_default())
            .min(self.max_backoff)
    }
}

/// True for the statuses that mean "try again later": 429 Too Many
/// Requests, 502 Bad Gateway, 503 Service Unavailable, 504 Gateway Timeout.
/// Not 500: a server error is usually the same on every try.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// The `Retry-After` of `resp` in its seconds form (the HTTP-date form is
/// ignored: the exponential wait applies then).
pub fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    resp.headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Sends the request `build` makes, again (a fresh request each time) while
/// it is `idempotent`, retries are left and the failure is retryable: a
/// connect error or a retryable status. Returns the last answer, whatever
/// its status, or the last transport error. A timeout is not retried: the
/// request may have run, and its budget is spent.
pub async fn send_with_retries(
    policy: &RetryPolicy,
    idempotent: bool,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, reqwest::Error> {
    let retries = if idempotent { policy.max_retries } else { 0 };
    let mut retry = 0u32;
    loop {
        let result = build().send().await;
        let wait = match &result {
            _ if retry >= retries => None,
            Ok(resp) if is_retryable_status(resp.status().as_u16()) => {
                Some(policy.delay(retry + 1, retry_after(resp)))
            }
            Err(e) if e.is_connect() => Some(policy.delay(retry + 1, None)),
            _ => None,
        };
        let Some(wait) = wait else {
            return result;
        };
        retry += 1;
        match &result {
            Ok(resp) => tracing::debug!(status = resp.status().as_u16(), retry, ?wait, "retrying"),
            Err(_) => tracing::debug!(retry, ?wait, "retrying after a connect error"),
        }
        drop(result);
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_like_urllib3() {
        let p = RetryPolicy {
            max_retries: 7,
            backoff_factor: Duration::from_secs(2),
            max_backoff: DEFAULT_MAX_BACKOFF,
        };
        let waits: Vec<u64> = (1..=7).map(|n| p.delay(n, None).as_secs()).collect();
        assert_eq!(waits, vec![0, 4, 8, 16, 32, 64, 120]);
        assert_eq!(p.delay(1, Some(Duration::from_secs(3))).as_secs(), 3);
        assert_eq!(p.delay(2, Some(Duration::from_secs(1))).as_secs(), 4);
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(9999))),
            DEFAULT_MAX_BACKOFF
        );
        assert_eq!(RetryPolicy::NONE.delay(5, None), Duration::ZERO);
    }

    #[test]
    fn only_not_now_statuses_are_retryable() {
        let retryable: Vec<u16> = (100..600).filter(|s| is_retryable_status(*s)).collect();
        assert_eq!(retryable, vec![429, 502, 503, 504]);
    }
}
