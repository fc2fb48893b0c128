//! Server-side printing: `meta.k8s.io/v1` Tables with the columns the real
//! apiserver prints for each kind, so `kubectl get` looks as usual.

use crate::resources::{ResourceId, ids};
use crate::time::age;
use serde_json::{Value, json};
use std::sync::Arc;

type Col = (&'static str, &'static str, i32);

fn columns(res: ResourceId) -> Vec<Col> {
    match res {
        ids::DEPLOYMENTS => vec![
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        ids::REPLICASETS => vec![
            ("Name", "string", 0),
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        ids::PODS => vec![
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Status", "string", 0),
            ("Restarts", "string", 0),
            ("Age", "string", 0),
            ("IP", "string", 1),
            ("Node", "string", 1),
        ],
        ids::EVENTS => vec![
            ("Last Seen", "string", 0),
            ("Type", "string", 0),
            ("Reason", "string", 0),
            ("Object", "string", 0),
            ("Message", "string", 0),
            ("Source", "string", 1),
            ("First Seen", "string", 1),
            ("Count", "integer", 1),
            ("Name", "string", 1),
        ],
        ids::CRONJOBS => vec![
            ("Name", "string", 0),
            ("Schedule", "string", 0),
            ("Timezone", "string", 0),
            ("Suspend", "boolean", 0),
            ("Active", "integer", 0),
            ("Last Schedule", "string", 0),
            ("Age", "string", 0),
        ],
        ids::JOBS => vec![
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Completions", "string", 0),
            ("Duration", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        ids::INFERENCESERVICES => vec![
            ("Name", "string", 0),
            ("URL", "string", 0),
            ("Ready", "string", 0),
            ("Prev", "integer", 0),
            ("Latest", "integer", 0),
            ("Age", "string", 0),
        ],
        ids::NAMESPACES => vec![
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Age", "string", 0),
        ],
        _ => vec![("Name", "string", 0), ("Age", "string", 0)],
    }
}

fn s<'a>(o: &'a Value, p: &str) -> &'a str {
    o.pointer(p).and_then(Value::as_str).unwrap_or("")
}

fn i(o: &Value, p: &str) -> i64 {
    o.pointer(p).and_then(Value::as_i64).unwrap_or(0)
}

fn containers(o: &Value, p: &str) -> (String, String) {
    let cs = o
        .pointer(p)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = cs.iter().filter_map(|c| c["name"].as_str()).collect();
    let images: Vec<&str> = cs.iter().filter_map(|c| c["image"].as_str()).collect();
    (names.join(","), images.join(","))
}

fn selector(o: &Value) -> String {
    o.pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// The STATUS column of a pod, as kubectl shows it.
pub fn pod_status(o: &Value) -> String {
    if o.pointer("/metadata/deletionTimestamp").is_some() {
        return "Terminating".into();
    }
    let statuses = o
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for c in &statuses {
        if let Some(r) = c.pointer("/state/waiting/reason").and_then(Value::as_str) {
            return r.to_string();
        }
        // A finished container shows why it ended (`Completed`, `Error`).
        if let Some(r) = c
            .pointer("/state/terminated/reason")
            .and_then(Value::as_str)
        {
            return r.to_string();
        }
    }
    let phase = s(o, "/status/phase");
    if phase.is_empty() {
        "Pending".into()
    } else {
        phase.into()
    }
}

fn cells(res: ResourceId, o: &Value, now_ms: i64) -> Vec<Value> {
    let name = s(o, "/metadata/name");
    let created = o
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str);
    let a = age(created, now_ms);
    match res {
        ids::DEPLOYMENTS => {
            let (cn, im) = containers(o, "/spec/template/spec/containers");
            vec![
                json!(name),
                json!(format!(
                    "{}/{}",
                    i(o, "/status/readyReplicas"),
                    i(o, "/spec/replicas")
                )),
                json!(i(o, "/status/updatedReplicas")),
                json!(i(o, "/status/availableReplicas")),
                json!(a),
                json!(cn),
                json!(im),
                json!(selector(o)),
            ]
        }
        ids::REPLICASETS => {
            let (cn, im) = containers(o, "/spec/template/spec/containers");
            vec![
                json!(name),
                json!(i(o, "/spec/replicas")),
                json!(i(o, "/status/replicas")),
                json!(i(o, "/status/readyReplicas")),
                json!(a),
                json!(cn),
                json!(im),
                json!(selector(o)),
            ]
        }
        ids::PODS => {
            let statuses = o
                .pointer("/status/containerStatuses")
                .and_then(Value::as_array);
            let total = o
                .pointer("/spec/containers")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let ready = statuses.map_or(0, |a| a.iter().filter(|c| c["ready"] == true).count());
            let restarts: i64 = statuses.map_or(0, |a| {
                a.iter()
                    .map(|c| c["restartCount"].as_i64().unwrap_or(0))
                    .sum()
            });
            let ip = s(o, "/status/podIP");
            let node = s(o, "/spec/nodeName");
            vec![
                json!(name),
                json!(format!("{ready}/{total}")),
                json!(pod_status(o)),
                json!(restarts.to_string()),
                json!(a),
                json!(if ip.is_empty() { "<none>" } else { ip }),
                json!(if node.is_empty() { "<none>" } else { node }),
            ]
        }
        ids::EVENTS => {
            let last = o.pointer("/lastTimestamp").and_then(Value::as_str);
            let first = o.pointer("/firstTimestamp").and_then(Value::as_str);
            let kind = s(o, "/involvedObject/kind").to_lowercase();
            vec![
                json!(age(last.or(created), now_ms)),
                json!(s(o, "/type")),
                json!(s(o, "/reason")),
                json!(format!("{kind}/{}", s(o, "/involvedObject/name"))),
                json!(s(o, "/message")),
                json!(s(o, "/source/component")),
                json!(age(first.or(created), now_ms)),
                json!(i(o, "/count")),
                json!(name),
            ]
        }
        ids::JOBS => {
            let cond = |t: &str| {
                o.pointer("/status/conditions")
                    .and_then(Value::as_array)
                    .is_some_and(|cs| cs.iter().any(|c| c["type"] == t && c["status"] == "True"))
            };
            let status = if cond("Complete") {
                "Complete"
            } else if cond("Failed") {
                "Failed"
            } else if o.pointer("/spec/suspend") == Some(&json!(true)) {
                "Suspended"
            } else {
                "Running"
            };
            let t = |p: &str| {
                o.pointer(p)
                    .and_then(Value::as_str)
                    .and_then(crate::time::parse_rfc3339)
            };
            let duration = t("/status/startTime").map_or(String::new(), |st| {
                let end = t("/status/completionTime").unwrap_or(now_ms);
                crate::time::human_duration((end - st) / 1000)
            });
            let (cs, images) = containers(o, "/spec/template/spec/containers");
            vec![
                json!(name),
                json!(status),
                json!(format!(
                    "{}/{}",
                    i(o, "/status/succeeded"),
                    i(o, "/spec/completions").max(1)
                )),
                json!(duration),
                json!(a),
                json!(cs),
                json!(images),
                json!(selector(o)),
            ]
        }
        ids::CRONJOBS => {
            let last = o
                .pointer("/status/lastScheduleTime")
                .and_then(Value::as_str);
            let tz = s(o, "/spec/timeZone");
            vec![
                json!(name),
                json!(s(o, "/spec/schedule")),
                json!(if tz.is_empty() { "<none>" } else { tz }),
                json!(
                    o.pointer("/spec/suspend")
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                ),
                json!(
                    o.pointer("/status/active")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len)
                ),
                json!(if last.is_some() {
                    age(last, now_ms)
                } else {
                    "<none>".into()
                }),
                json!(a),
            ]
        }
        ids::INFERENCESERVICES => {
            let ready = o
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
                .and_then(|c| c["status"].as_str())
                .unwrap_or("Unknown");
            let canary = o
                .pointer("/spec/predictor/canaryTrafficPercent")
                .and_then(Value::as_i64);
            let (prev, latest) = match canary {
                Some(p) if p < 100 => (json!(100 - p), json!(p)),
                _ => (Value::Null, json!(100)),
            };
            vec![
                json!(name),
                json!(s(o, "/status/url")),
                json!(ready),
                prev,
                latest,
                json!(a),
            ]
        }
        ids::NAMESPACES => vec![json!(name), json!(s(o, "/status/phase")), json!(a)],
        _ => vec![json!(name), json!(a)],
    }
}

/// A Table of `objs` with list metadata.
pub fn table(
    res: ResourceId,
    objs: &[Arc<Value>],
    list_meta: Value,
    now_ms: i64,
    with_columns: bool,
) -> Value {
    let cols: Vec<Value> = columns(res)
        .iter()
        .map(|(n, t, p)| {
            json!({"name": n, "type": t, "format": if *n == "Name" { "name" } else { "" }, "description": n, "priority": p})
        })
        .collect();
    let rows: Vec<Value> = objs
        .iter()
        .map(|o| {
            json!({
                "cells": cells(res, o, now_ms),
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]},
            })
        })
        .collect();
    let mut t = json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta, "rows": rows});
    if with_columns {
        t["columnDefinitions"] = json!(cols);
    }
    t
}
