//! WATCH: newline-delimited JSON events (ADDED, MODIFIED, DELETED,
//! BOOKMARK, ERROR) from a resourceVersion, selector transitions turned into
//! ADDED/DELETED, bookmarks on request, 410 Expired as an ERROR event.

use super::read::selectors;
use super::route::Target;
use super::{App, Query, stream_body, table};
use crate::resources::ResourceId;
use crate::selector::{FieldSelector, LabelSelector};
use crate::status::{ApiError, ApiResult};
use crate::store::{Change, ChangeType, Signal, WatchFrom};
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use modeldeck_core::domain::Timestamp;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

struct Filter {
    res: ResourceId,
    ns: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
    table: bool,
    first: bool,
}

impl Filter {
    fn matches(&self, o: &Value) -> bool {
        self.labels.matches(o) && self.fields.matches(o)
    }

    /// The event a change means for this watch, if any.
    fn event(&mut self, c: &Change) -> Option<Bytes> {
        if c.res != self.res || self.ns.as_deref().is_some_and(|n| n != c.namespace) {
            return None;
        }
        let now = self.matches(&c.object);
        let before = c.prev.as_ref().is_some_and(|p| self.matches(p));
        let ty = match (c.kind, before, now) {
            (ChangeType::Added, _, true) => "ADDED",
            (ChangeType::Modified, true, true) => "MODIFIED",
            (ChangeType::Modified, false, true) => "ADDED",
            (ChangeType::Modified, true, false) => "DELETED",
            (ChangeType::Deleted, true, _) => "DELETED",
            _ => return None,
        };
        let obj = if self.table {
            let meta = json!({"resourceVersion": c.rv.to_string()});
            let t = table::table(
                self.res,
                std::slice::from_ref(&c.object),
                meta,
                Timestamp::now().0,
                self.first,
            );
            self.first = false;
            t
        } else {
            (*c.object).clone()
        };
        Some(line(&json!({"type": ty, "object": obj})))
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let ty = self.res.ty();
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        line(
            &json!({"type": "BOOKMARK", "object": {"kind": ty.kind, "apiVersion": ty.api_version(), "metadata": meta}}),
        )
    }
}

/// Counts a watch as open for as long as it lives.
struct OpenWatch {
    app: Arc<App>,
    resource: &'static str,
}

impl OpenWatch {
    fn new(app: Arc<App>, resource: &'static str) -> OpenWatch {
        *app.open_watches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(resource.to_string())
            .or_insert(0) += 1;
        OpenWatch { app, resource }
    }
}

fn gauge_app(g: &OpenWatch) -> Arc<App> {
    g.app.clone()
}

impl Drop for OpenWatch {
    fn drop(&mut self) {
        *self
            .app
            .open_watches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(self.resource.to_string())
            .or_insert(0) -= 1;
    }
}

fn line(v: &Value) -> Bytes {
    let mut s = v.to_string();
    s.push('\n');
    Bytes::from(s)
}

fn error_event(e: &ApiError) -> Bytes {
    line(&json!({"type": "ERROR", "object": e.to_status()}))
}

fn parse_rv(q: &Query) -> ApiResult<Option<u64>> {
    match q.get("resourceVersion").map(String::as_str) {
        None | Some("") | Some("0") => Ok(None),
        Some(s) => s
            .parse::<u64>()
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("invalid resource version `{s}`"))),
    }
}

/// Starts a watch response.
pub fn serve(app: &Arc<App>, t: &Target, q: &Query, table: bool) -> ApiResult<Response> {
    let (labels, fields) = selectors(q)?;
    let rv = parse_rv(q)?;
    let send_initial = q.get("sendInitialEvents").is_some_and(|v| v == "true");
    let bookmarks = q
        .get("allowWatchBookmarks")
        .is_some_and(|v| v == "true" || v == "1");
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(1800);
    let from = match rv {
        Some(r) if !send_initial => WatchFrom::Exact(r),
        _ => WatchFrom::Now,
    };
    let mut filter = Filter {
        res: t.res,
        ns: t.ns.clone(),
        labels,
        fields,
        table,
        first: true,
    };
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let started = app.store.watch(t.res, t.ns.as_deref(), from);
    let interval = app.bookmark_interval;
    let gauge = OpenWatch::new(app.clone(), t.ty().plural);
    tokio::spawn(async move {
        let _gauge = gauge;
        let (initial, at, brx) = match started {
            Ok(s) => s,
            Err(e) => {
                let _ = tx.send(error_event(&e)).await;
                return;
            }
        };
        let floor = rv.unwrap_or(0);
        let mut last = at.max(floor);
        for c in &initial {
            if let Some(ev) = filter.event(c)
                && tx.send(ev).await.is_err()
            {
                return;
            }
        }
        if send_initial && bookmarks {
            let _ = tx.send(filter.bookmark(at, true)).await;
        }
        let app = gauge_app(&_gauge);
        tokio::select! {
            _ = app.stopped() => {}
            _ = pump(filter, tx, brx, &mut last, floor, bookmarks, interval, timeout) => {}
        }
    });
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        stream_body(rx),
    )
        .into_response())
}

#[allow(clippy::too_many_arguments)]
async fn pump(
    mut filter: Filter,
    tx: mpsc::Sender<Bytes>,
    mut brx: broadcast::Receiver<Signal>,
    last: &mut u64,
    floor: u64,
    bookmarks: bool,
    interval: Duration,
    timeout: u64,
) {
    let deadline = tokio::time::sleep(Duration::from_secs(timeout));
    tokio::pin!(deadline);
    let mut ticker = tokio::time::interval(interval.max(Duration::from_millis(50)));
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = tx.closed() => return,
            _ = &mut deadline => return,
            _ = ticker.tick(), if bookmarks => {
                if tx.send(filter.bookmark(*last, false)).await.is_err() {
                    return;
                }
            }
            sig = brx.recv() => match sig {
                Ok(Signal::Change(c)) => {
                    if c.rv <= floor {
                        continue;
                    }
                    *last = (*last).max(c.rv);
                    if let Some(ev) = filter.event(&c)
                        && tx.send(ev).await.is_err() {
                            return;
                        }
                }
                Ok(Signal::Expire) => {
                    let e = ApiError::expired(format!("too old resource version: {last} (watch history expired)"));
                    let _ = tx.send(error_event(&e)).await;
                    return;
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    let e = ApiError::expired(format!("too old resource version: {last} (watcher fell {n} events behind)"));
                    let _ = tx.send(error_event(&e)).await;
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}
