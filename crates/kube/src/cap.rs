//! A size cap on the API server's answers. A list, get or discovery answer
//! whose body grows past the cap fails with `too_large` once the cap is
//! read; the rest is never buffered (kube reads a whole answer into memory
//! before decoding it). Watches and followed logs are long-lived streams
//! of small events by design, so they are left uncapped.

use futures::future::BoxFuture;
use http::{Request, Response};
use http_body_util::{Either, Limited};
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

/// The default cap: far above a page of 500 objects, far below harm.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The marker kube's error chain carries when the cap was hit.
pub(crate) const LIMIT_MARKER: &str = "length limit exceeded";

/// Caps answer bodies at `max` bytes, except watches and followed logs.
#[derive(Debug, Clone, Copy)]
pub struct CapLayer {
    /// The cap in bytes.
    pub max: usize,
}

impl<S> Layer<S> for CapLayer {
    type Service = Cap<S>;

    fn layer(&self, inner: S) -> Cap<S> {
        Cap {
            inner,
            max: self.max,
        }
    }
}

/// The service of [`CapLayer`].
#[derive(Debug, Clone)]
pub struct Cap<S> {
    inner: S,
    max: usize,
}

/// True for requests whose answer is a stream meant to stay open.
fn streaming(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&')
            .any(|p| matches!(p, "watch=true" | "watch=1" | "follow=true" | "follow=1"))
    })
}

impl<S, ReqBody, B> Service<Request<ReqBody>> for Cap<S>
where
    S: Service<Request<ReqBody>, Response = Response<B>>,
    S::Future: Send + 'static,
{
    type Response = Response<Either<B, Limited<B>>>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let open = streaming(req.uri().query());
        let max = self.max;
        let fut = self.inner.call(req);
        Box::pin(async move {
            let res = fut.await?;
            Ok(res.map(|b| {
                if open {
                    Either::Left(b)
                } else {
                    Either::Right(Limited::new(b, max))
                }
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::streaming;

    #[test]
    fn watches_and_followed_logs_stream() {
        assert!(streaming(Some(
            "labelSelector=a&watch=true&resourceVersion=5"
        )));
        assert!(streaming(Some("follow=true&tailLines=100")));
        assert!(!streaming(Some("limit=500&continue=abc")));
        assert!(!streaming(Some("labelSelector=watch%3Dtrue")));
        assert!(!streaming(None));
    }
}
