//! CronJob status in the seed.

use modeldeck_core::domain::Workload;
use serde_json::{Map, Value, json};

/// A CronJob's status as the CronJob controller leaves it: the last run's
/// schedule time, the last success, and the Job in flight (the world's
/// record, `Workload::batch`).
pub(super) fn status(w: &Workload) -> Value {
    let Some(b) = &w.batch else {
        return json!({});
    };
    let mut status = Map::new();
    if let Some(t) = b.last_schedule {
        status.insert("lastScheduleTime".into(), json!(t.rfc3339()));
        if b.active > 0 {
            let job = format!("{}-{}", w.id.name, t.0 / 60_000);
            status.insert(
                "active".into(),
                json!([{"apiVersion": "batch/v1", "kind": "Job", "name": job,
                        "namespace": w.id.namespace}]),
            );
        }
    }
    if let Some(t) = b.last_success {
        status.insert("lastSuccessfulTime".into(), json!(t.rfc3339()));
    }
    Value::Object(status)
}
