//! `pods/<name>/log`: the sandbox's simulated model-server log
//! (`modeldeck_sandbox::podlog`) from the pod's start time (one line every
//! `log_interval`), with `container`,
//! `tailLines`, `sinceSeconds`, `timestamps`, `limitBytes` and `follow`.

use super::route::Target;
use super::{App, Query, stream_body};
use crate::status::{ApiError, ApiResult};
use crate::time::parse_rfc3339;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use modeldeck_core::domain::Timestamp;
use modeldeck_sandbox::podlog::PodLog;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Lines a container keeps before older ones rotate away.
const RETAINED: u64 = 10_000;

/// A line as the API server writes it: with `timestamps=true`, the RFC 3339
/// time with nanoseconds first, as the kubelet does.
fn render(src: &PodLog, k: u64, timestamps: bool) -> String {
    if timestamps {
        let t = src.line_time(k).0;
        let base = Timestamp(t).rfc3339();
        let nanos = (t.rem_euclid(1000)) * 1_000_000;
        format!(
            "{}.{nanos:09}Z {}\n",
            base.trim_end_matches('Z'),
            src.text(k)
        )
    } else {
        format!("{}\n", src.text(k))
    }
}

fn env_of(c: &Value, name: &str) -> Option<String> {
    c.get("env")?
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)
        .and_then(|e| e["value"].as_str())
        .map(String::from)
}

fn source(pod: &Value, q: &Query, interval: Duration) -> ApiResult<PodLog> {
    let name = pod["metadata"]["name"].as_str().unwrap_or("").to_string();
    let containers = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = containers
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    let container = match q.get("container") {
        Some(c) => containers
            .iter()
            .find(|x| x["name"] == c.as_str())
            .ok_or_else(|| {
                ApiError::bad_request(format!("container {c} is not valid for pod {name}"))
            })?,
        None if containers.len() == 1 => &containers[0],
        None => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                names.join(" ")
            )));
        }
    };
    let cname = container["name"].as_str().unwrap_or("");
    if q.get("previous").is_some_and(|v| v == "true") {
        return Err(ApiError::bad_request(format!(
            "previous terminated container \"{cname}\" in pod \"{name}\" not found"
        )));
    }
    let status = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find(|s| s["name"] == cname));
    if let Some(reason) = status
        .and_then(|s| s.pointer("/state/waiting/reason"))
        .and_then(Value::as_str)
    {
        return Err(ApiError::bad_request(format!(
            "container \"{cname}\" in pod \"{name}\" is waiting to start: {reason}"
        )));
    }
    let start_ms = pod
        .pointer("/status/startTime")
        .and_then(Value::as_str)
        .and_then(parse_rfc3339)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "container \"{cname}\" in pod \"{name}\" is waiting to start: ContainerCreating"
            ))
        })?;
    Ok(PodLog {
        key: modeldeck_sandbox::podlog::key_for(&name),
        pod: name,
        model: env_of(container, "MODEL_NAME").unwrap_or_else(|| "model".into()),
        version: env_of(container, "MODEL_VERSION").unwrap_or_else(|| "unknown".into()),
        uri: env_of(container, "MODEL_URI").unwrap_or_else(|| "(no MODEL_URI)".into()),
        start: Timestamp(start_ms),
        interval_ms: i64::try_from(interval.as_millis()).unwrap_or(i64::MAX),
    })
}

fn num(q: &Query, k: &str) -> ApiResult<Option<i64>> {
    q.get(k)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| ApiError::bad_request(format!("{k} must be an integer, got `{v}`")))
        })
        .transpose()
}

/// Serves a pod's log.
pub fn serve(app: &Arc<App>, t: &Target, q: &Query) -> ApiResult<Response> {
    let name = t.name.clone().unwrap_or_default();
    let ns = t.ns_str().to_string();
    let pod = app
        .store
        .get(t.res, &ns, &name)
        .ok_or_else(|| ApiError::not_found(t.ty(), &name))?;
    // A Job's pod logs a simulated training run instead (no follow).
    if let Some(lines) = crate::controller::job::training_log(&pod, Timestamp::now().0) {
        let n = num(q, "tailLines")?
            .filter(|n| *n >= 0)
            .map_or(lines.len(), |n| n as usize);
        let tail = &lines[lines.len().saturating_sub(n)..];
        return Ok(plain(tail.iter().map(|l| format!("{l}\n")).collect()));
    }
    let src = source(&pod, q, app.log_interval)?;
    let now = Timestamp::now();
    let total = src.count(now);
    let mut first = total.saturating_sub(RETAINED);
    if let Some(n) = num(q, "tailLines")?.filter(|n| *n >= 0) {
        first = first.max(total.saturating_sub(n as u64));
    }
    if let Some(s) = num(q, "sinceSeconds")?.filter(|s| *s > 0) {
        while first < total && src.line_time(first) < now.plus_millis(-s.saturating_mul(1000)) {
            first += 1;
        }
    }
    let ts = q.get("timestamps").is_some_and(|v| v == "true");
    let mut budget = num(q, "limitBytes")?.filter(|b| *b > 0).map(|b| b as usize);
    let mut head = String::new();
    for k in first..total {
        head.push_str(&render(&src, k, ts));
    }
    if let Some(b) = budget {
        if head.len() >= b {
            head.truncate(b);
            return Ok(plain(head));
        }
        budget = Some(b - head.len());
    }
    if q.get("follow").is_none_or(|v| v != "true") {
        return Ok(plain(head));
    }
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let store = app.store.clone();
    let app2 = app.clone();
    let res = t.res;
    tokio::spawn(async move {
        if tx.send(Bytes::from(head)).await.is_err() {
            return;
        }
        let mut k = total;
        loop {
            let wait = src.line_time(k).millis_since(Timestamp::now()).max(0) as u64;
            tokio::select! {
                _ = tx.closed() => return,
                _ = app2.stopped() => return,
                _ = tokio::time::sleep(Duration::from_millis(wait.min(1000))) => {}
            }
            if store.get(res, &ns, &name).is_none() {
                return;
            }
            while src.line_time(k) <= Timestamp::now() {
                let mut l = render(&src, k, ts);
                if let Some(b) = budget.as_mut() {
                    if l.len() >= *b {
                        l.truncate(*b);
                        let _ = tx.send(Bytes::from(l)).await;
                        return;
                    }
                    *b -= l.len();
                }
                if tx.send(Bytes::from(l)).await.is_err() {
                    return;
                }
                k += 1;
            }
        }
    });
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain")],
        stream_body(rx),
    )
        .into_response())
}

fn plain(s: String) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], s).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_follow_the_clock_and_refuse_waiting_containers() {
        let pod = json!({"metadata": {"name": "fraud-abc-x"}, "spec": {"containers": [{"name": "server", "env": [
            {"name": "MODEL_NAME", "value": "fraud"}, {"name": "MODEL_VERSION", "value": "7"}, {"name": "MODEL_URI", "value": "models:/fraud/7"}]}]},
            "status": {"startTime": "2026-01-01T00:00:00Z", "containerStatuses": [{"name": "server", "ready": true, "state": {"running": {}}}]}});
        let src = source(&pod, &Query::new(), Duration::from_secs(2)).unwrap();
        assert_eq!(src.count(src.start.plus_millis(10_000)), 8);
        assert!(src.text(1).contains("models:/fraud/7"));
        assert!(render(&src, 3, true).starts_with("2026-01-01T00:00:02.000000000Z "));
        let mut waiting = pod.clone();
        waiting["status"]["containerStatuses"][0]["state"] =
            json!({"waiting": {"reason": "ImagePullBackOff"}});
        let e = source(&waiting, &Query::new(), Duration::from_secs(2))
            .err()
            .unwrap();
        assert!(e.message.contains("ImagePullBackOff"));
    }
}
