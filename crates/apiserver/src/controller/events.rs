//! The event recorder: core/v1 Events about objects, aggregated like the
//! real correlator (same object, reason and message bump `count`), expired
//! after the TTL and capped in number.

use crate::ids::random_u64;
use crate::resources::ids;
use crate::store::Store;
use crate::time::parse_rfc3339;
use crate::write::{self, now_rfc3339};
use modeldeck_core::domain::Timestamp;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// Records Events into the store.
pub struct Recorder {
    store: Arc<Store>,
    ttl: Duration,
    max: usize,
    /// (involved uid, reason, message) -> event name, for aggregation.
    seen: HashMap<(String, String, String), (String, String)>,
    /// (namespace, name) in creation order, for expiry.
    order: VecDeque<(String, String)>,
}

impl Recorder {
    /// A recorder writing into `store`.
    pub fn new(store: Arc<Store>, ttl: Duration, max: usize) -> Recorder {
        Recorder {
            store,
            ttl,
            max: max.max(1),
            seen: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Records `reason`/`message` about `involved` from `component`.
    pub fn record(
        &mut self,
        involved: &Value,
        kind: &str,
        reason: &str,
        message: &str,
        component: &str,
    ) {
        let m = &involved["metadata"];
        let ns = m["namespace"].as_str().unwrap_or("").to_string();
        let uid = m["uid"].as_str().unwrap_or("").to_string();
        let key = (uid.clone(), reason.to_string(), message.to_string());
        let now = now_rfc3339();
        if let Some((ens, ename)) = self.seen.get(&key) {
            let bumped = self.store.update(ids::EVENTS, ens, ename, false, |cur| {
                let mut e = cur.clone();
                e["count"] = json!(cur["count"].as_i64().unwrap_or(1) + 1);
                e["lastTimestamp"] = json!(now);
                Ok(Some(e))
            });
            if bumped.is_ok() {
                return;
            }
        }
        let name = format!(
            "{}.{:016x}",
            m["name"].as_str().unwrap_or("object"),
            random_u64()
        );
        let ev = json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": {
                "kind": involved["kind"], "namespace": m["namespace"], "name": m["name"],
                "uid": m["uid"], "apiVersion": involved["apiVersion"], "resourceVersion": m["resourceVersion"],
            },
            "reason": reason,
            "message": message,
            "source": {"component": component},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": kind,
            "eventTime": null,
            "reportingComponent": component,
            "reportingInstance": "",
        });
        if write::create(&self.store, ids::EVENTS, &ns, ev, false).is_ok() {
            self.seen.insert(key, (ns.clone(), name.clone()));
            self.order.push_back((ns, name));
        }
        while self.order.len() > self.max {
            self.drop_oldest();
        }
    }

    fn drop_oldest(&mut self) {
        if let Some((ns, name)) = self.order.pop_front() {
            let _ = self.store.delete(ids::EVENTS, &ns, &name, None, false);
            self.seen.retain(|_, v| !(v.0 == ns && v.1 == name));
        }
    }

    /// Deletes Events last seen longer than the TTL ago.
    pub fn expire(&mut self) {
        let cutoff = Timestamp::now().0 - self.ttl.as_millis() as i64;
        while let Some((ns, name)) = self.order.front().cloned() {
            let last = self
                .store
                .get(ids::EVENTS, &ns, &name)
                .and_then(|e| e["lastTimestamp"].as_str().and_then(parse_rfc3339));
            match last {
                Some(t) if t >= cutoff => break,
                _ => self.drop_oldest(),
            }
        }
    }
}
