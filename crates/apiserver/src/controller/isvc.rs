//! A stand-in for the KServe controller: an InferenceService whose spec
//! changed reports `Ready=False` until its new revision is up, then
//! `Ready=True` with URL, revisions and the canary traffic split.

use super::Controller;
use super::conditions::set_condition;
use crate::resources::ids;
use crate::write::now_rfc3339;
use modeldeck_core::domain::Timestamp;
use serde_json::{Value, json};

impl Controller {
    /// Reconciles one InferenceService; returns true while it is not ready.
    pub(super) fn reconcile_isvc(&mut self, ns: &str, name: &str, settle: bool) -> bool {
        let Some(o) = self.store.get(ids::INFERENCESERVICES, ns, name) else {
            self.isvc_ready_at
                .remove(&(ns.to_string(), name.to_string()));
            return false;
        };
        let generation = o
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let observed = o
            .pointer("/status/observedGeneration")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let key = (ns.to_string(), name.to_string());
        let now = Timestamp::now().0;
        let after = self.ready_after_ms();
        let ready_at = *self
            .isvc_ready_at
            .entry(key.clone())
            .or_insert((generation, if settle { now } else { now + after }));
        let ready_at = if ready_at.0 != generation {
            let r = (generation, if settle { now } else { now + after });
            self.isvc_ready_at.insert(key.clone(), r);
            r
        } else {
            ready_at
        };
        let ready = now >= ready_at.1;
        let stamp = now_rfc3339();
        let mut st = o
            .get("status")
            .cloned()
            .filter(Value::is_object)
            .unwrap_or(json!({}));
        let mut conds: Vec<Value> = st
            .get("conditions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let (s, reason, msg) = if ready {
            ("True", "", "")
        } else {
            ("False", "RevisionNotReady", "Revision is not ready yet")
        };
        for ty in ["IngressReady", "PredictorReady", "Ready"] {
            set_condition(&mut conds, ty, s, reason, msg, &stamp, false);
        }
        for c in conds.iter_mut() {
            if let Some(m) = c.as_object_mut() {
                m.remove("lastUpdateTime");
                if ready {
                    m.remove("reason");
                    m.remove("message");
                }
            }
        }
        let url = format!("http://{name}.{ns}.example.com");
        let latest = format!("{name}-predictor-{generation:05}");
        // The canary splits against the last fully rolled-out revision (a
        // 10 -> 50 step keeps the stable one), as KServe does.
        let prev = st
            .pointer("/components/predictor/latestRolledoutRevision")
            .or_else(|| st.pointer("/components/predictor/latestReadyRevision"))
            .and_then(Value::as_str)
            .map(String::from)
            .unwrap_or_else(|| latest.clone());
        let canary = o
            .pointer("/spec/predictor/canaryTrafficPercent")
            .and_then(Value::as_i64);
        let traffic = match canary {
            Some(p) if p < 100 && prev != latest => json!([
                {"revisionName": latest, "percent": p, "latestRevision": true, "tag": "latest"},
                {"revisionName": prev, "percent": 100 - p, "latestRevision": false, "tag": "prev"},
            ]),
            _ => json!([{"revisionName": latest, "percent": 100, "latestRevision": true}]),
        };
        st["conditions"] = json!(conds);
        st["url"] = json!(url);
        st["address"] = json!({"url": format!("http://{name}.{ns}.svc.cluster.local")});
        st["deploymentMode"] = json!("Serverless");
        st["modelStatus"] = json!({
            "transitionStatus": if ready { "UpToDate" } else { "InProgress" },
            "states": {"activeModelState": if ready { "Loaded" } else { "Pending" }, "targetModelState": "Loaded"},
        });
        st["components"] = json!({"predictor": {
            "latestCreatedRevision": latest,
            "latestReadyRevision": if ready { latest.clone() } else { prev.clone() },
            "latestRolledoutRevision": if ready && canary.is_none_or(|p| p >= 100) { latest.clone() } else { prev.clone() },
            "previousRolledoutRevision": prev,
            "traffic": traffic,
            "url": url,
        }});
        if ready {
            st["observedGeneration"] = json!(generation);
        }
        if o.get("status") != Some(&st) {
            let done = ready && observed != generation;
            if self
                .store
                .update(ids::INFERENCESERVICES, ns, name, false, |c| {
                    let mut n = c.clone();
                    n["status"] = st;
                    Ok(Some(n))
                })
                .is_ok()
                && done
                && !settle
            {
                self.recorder.record(
                    &o,
                    "Normal",
                    "InferenceServiceReady",
                    &format!("InferenceService [{name}] is Ready"),
                    "v1beta1Controllers",
                );
            }
        }
        !ready
    }
}
